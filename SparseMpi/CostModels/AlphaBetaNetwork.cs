using System.Globalization;
using System.Text.RegularExpressions;

namespace SparseMpi.CostModels;

/// <summary>
/// A network in Hockney's model: sending one message of n bytes between two ranks takes alpha + n·beta seconds
/// (alpha: latency, beta: seconds per byte = 1 / bandwidth).
/// </summary>
public sealed partial record AlphaBetaNetwork(string Name, double Alpha, double Beta)
{
    public const string Syntax = "[NAME:]alpha=SECONDS,beta=SECONDS_PER_BYTE[,name=NAME]";

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
        double? alpha = null, beta = null;
        foreach (string part in body.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = part.IndexOf('=');
            string key = eq < 0 ? part : part[..eq].Trim().ToLowerInvariant(), value = eq < 0 ? "" : part[(eq + 1)..].Trim();
            switch (key)
            {
                case "alpha" or "beta":
                    if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v) || v < 0 || (key == "beta" && v == 0))
                    {
                        problem = $"network '{spec}': {key} must be a {(key == "beta" ? "positive" : "non-negative")} number of seconds{(key == "beta" ? " per byte" : "")} (got '{value}')";
                        return null;
                    }
                    if (key == "alpha") alpha = v; else beta = v;
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
        name ??= defaultName;
        // Names become headings and CSV fields: keep them plain.
        if (!NamePattern().IsMatch(name))
        {
            problem = $"network '{spec}': name '{name}' must be letters, digits, '.', '_' or '-'";
            return null;
        }
        return new AlphaBetaNetwork(name, alpha.Value, beta.Value);
    }

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Name} (alpha = {Alpha * 1e6:0.###} us, beta = {Beta:0.###e0} s/B = {BytesPerSecond / 1e9:0.###} GB/s)");

    [GeneratedRegex("^[A-Za-z0-9._-]+$")]
    private static partial Regex NamePattern();
}
