using System.Globalization;
using System.Text.RegularExpressions;

namespace SparseMpi.CostModels;

/// <summary>
/// A network in Hockney's model: sending one message of n bytes between two ranks takes alpha + n·beta seconds
/// (alpha: latency, beta: seconds per byte = 1 / bandwidth).
/// <para>Optionally a second pair for dense vectors (<see cref="DenseAlpha"/>, <see cref="DenseBeta"/>): a pair
/// fitted on sparse messages (<c>fit-mpi-cost</c>) carries their per-byte decode and scatter-add, which a ring
/// allreduce of d floats does not do, so on fast links it over-predicts the dense allreduce several times; a pair
/// fitted on MPI_Allreduce itself predicts it. Without one, dense vectors cost the same as sparse bytes.</para>
/// </summary>
public sealed partial record AlphaBetaNetwork(string Name, double Alpha, double Beta)
{
    public const string Syntax = "[NAME:]alpha=SECONDS,beta=SECONDS_PER_BYTE[,dense-alpha=SECONDS,dense-beta=SECONDS_PER_BYTE][,name=NAME]";

    /// <summary>Latency of the dense allreduce's messages, where fitted apart (null: <see cref="Alpha"/>).</summary>
    public double? DenseAlpha { get; init; }

    /// <summary>Seconds per byte of the dense allreduce, where fitted apart (null: <see cref="Beta"/>).</summary>
    public double? DenseBeta { get; init; }

    /// <summary>The network dense vectors see: this one with the dense pair as its alpha and beta, or this one.</summary>
    public AlphaBetaNetwork Dense => DenseAlpha is double a && DenseBeta is double b
        ? this with { Alpha = a, Beta = b, DenseAlpha = null, DenseBeta = null }
        : this;

    /// <summary>The network an exchange algorithm's messages see: <see cref="Dense"/> for the dense allreduce.</summary>
    public AlphaBetaNetwork For(string algorithm) => algorithm == "allreduce" ? Dense : this;

    /// <summary>Bandwidth in bytes per second (1 / beta).</summary>
    public double BytesPerSecond => 1 / Beta;

    /// <summary>
    /// Parses <see cref="Syntax"/>, e.g. <c>ib100:alpha=1.5e-6,beta=8e-11</c> or <c>alpha=2e-5,beta=8e-10,name=10gbe</c>.
    /// A network given without a name is called <paramref name="defaultName"/>. Null and a reason when malformed.
    /// </summary>
    public static AlphaBetaNetwork? TryParse(string spec, string defaultName, out string? problem)
    {
        problem = null;
        string? name = null;
        string body = spec.Trim();
        int colon = body.IndexOf(':');
        if (colon >= 0)
        {
            name = body[..colon].Trim();
            body = body[(colon + 1)..];
        }
        double? alpha = null, beta = null, denseAlpha = null, denseBeta = null;
        foreach (string part in body.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = part.IndexOf('=');
            string key = eq < 0 ? part : part[..eq].Trim().ToLowerInvariant(), value = eq < 0 ? "" : part[(eq + 1)..].Trim();
            switch (key)
            {
                case "alpha" or "beta" or "dense-alpha" or "dense-beta":
                    bool perByte = key.EndsWith("beta");
                    if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v) || v < 0 || (perByte && v == 0))
                    {
                        problem = $"network '{spec}': {key} must be a {(perByte ? "positive" : "non-negative")} number of seconds{(perByte ? " per byte" : "")} (got '{value}')";
                        return null;
                    }
                    switch (key)
                    {
                        case "alpha": alpha = v; break;
                        case "beta": beta = v; break;
                        case "dense-alpha": denseAlpha = v; break;
                        default: denseBeta = v; break;
                    }
                    break;
                case "name":
                    name = value;
                    break;
                default:
                    problem = $"network '{spec}': unknown field '{part}' (expected {Syntax})";
                    return null;
            }
        }
        if (alpha == null || beta == null)
        {
            problem = $"network '{spec}' needs both alpha and beta (expected {Syntax})";
            return null;
        }
        if ((denseAlpha == null) != (denseBeta == null))
        {
            problem = $"network '{spec}' needs both dense-alpha and dense-beta, or neither (expected {Syntax})";
            return null;
        }
        name ??= defaultName;
        // Names become headings and CSV fields: keep them plain.
        if (!NamePattern().IsMatch(name))
        {
            problem = $"network '{spec}': name '{name}' must be letters, digits, '.', '_' or '-'";
            return null;
        }
        return new AlphaBetaNetwork(name, alpha.Value, beta.Value) { DenseAlpha = denseAlpha, DenseBeta = denseBeta };
    }

    public override string ToString() => DenseAlpha is double a && DenseBeta is double b
        ? string.Create(CultureInfo.InvariantCulture, $"{Name} (alpha = {Alpha * 1e6:0.###} us, beta = {Beta:0.###e0} s/B = {BytesPerSecond / 1e9:0.###} GB/s; dense allreduce: alpha = {a * 1e6:0.###} us, beta = {b:0.###e0} s/B = {1 / b / 1e9:0.###} GB/s)")
        : string.Create(CultureInfo.InvariantCulture, $"{Name} (alpha = {Alpha * 1e6:0.###} us, beta = {Beta:0.###e0} s/B = {BytesPerSecond / 1e9:0.###} GB/s)");

    [GeneratedRegex("^[A-Za-z0-9._-]+$")]
    private static partial Regex NamePattern();
}
