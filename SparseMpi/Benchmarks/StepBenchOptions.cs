using System.Globalization;
using SparseMpi.Collectives.Sparse;

namespace SparseMpi.Benchmarks;

/// <summary>
/// The parsed, checked settings of one bench-step run: one measurement per (exchange, density), or one of the
/// dense allreduce when <see cref="Dense"/>.
/// </summary>
public sealed record StepBenchOptions(int D, string Compressor, IReadOnlyList<double> Densities, IReadOnlyList<string> Exchanges,
    WireFormat Format, double ComputeMs, int Steps, int Warmup, ulong Seed)
{
    /// <summary>The compressors bench-step runs: the training step's host rules that need no further setting.</summary>
    public static readonly string[] Compressors = ["none", "topk", "topk-approx", "randomk"];

    /// <summary>The training step's defaults: they decide which entries are sent, not what the step costs.</summary>
    public const double Lr = 0.05, Momentum = 0.9;

    public bool Dense => Compressor == "none";

    /// <summary>The same string on every rank exactly when the ranks agree on the settings.</summary>
    public string Canonical => string.Join(";", D.ToString(CultureInfo.InvariantCulture), Compressor,
        string.Join(",", Densities.Select(x => x.ToString("R", CultureInfo.InvariantCulture))), string.Join(",", Exchanges), Format,
        ComputeMs.ToString("R", CultureInfo.InvariantCulture), Steps, Warmup, Seed);

    /// <summary>Parses a comma-separated list of exchange names; null and a message on a bad one.</summary>
    public static IReadOnlyList<string>? ParseExchanges(string text, out string? problem)
    {
        problem = null;
        var list = new List<string>();
        foreach (string part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!GradientExchanges.Names.Contains(part))
            {
                problem = $"--exchange: '{part}' is not one of {string.Join(", ", GradientExchanges.Names)}";
                return null;
            }
            if (!list.Contains(part)) list.Add(part);
        }
        if (list.Count == 0) problem = "--exchange: give at least one exchange, e.g. allgather,ssar-rd";
        return problem == null ? list : null;
    }
}
