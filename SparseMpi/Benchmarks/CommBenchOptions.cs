using System.Globalization;
using SparseMpi.Collectives.Sparse;

namespace SparseMpi.Benchmarks;

/// <summary>
/// The parsed, checked settings of one bench-comm run. <paramref name="Exchanges"/>: null for the default
/// comparison (the sparse allgather in every format against the dense allreduce); else the exchanges measured,
/// one row each per density (the allgather one per format). <paramref name="Overlap"/>: null for independent
/// random selections per rank (the default), else <see cref="OverlapSelection"/>'s shared fraction.
/// <paramref name="Network"/>: a given (alpha, beta) for the predictions instead of a fit made in the run.
/// <paramref name="FromRunDirectory"/>/<paramref name="FromStep"/>: replay a training run's recorded selections
/// (--from-run; null step: the last recorded) instead of synthetic ones; loaded collectively at the start of the
/// run, then <see cref="Replaying"/> sets d, the one density and <see cref="FromRun"/> from the files.
/// </summary>
public sealed record CommBenchOptions(int D, IReadOnlyList<double> Densities, IReadOnlyList<WireFormat> Formats, int Repeat, int Warmup, ulong Seed,
    IReadOnlyList<string>? Exchanges = null, double? Overlap = null, (double Alpha, double Beta)? Network = null,
    string? FromRunDirectory = null, long? FromStep = null)
{
    /// <summary>The recorded selections replayed (after <see cref="Replaying"/>); null: synthetic selections.</summary>
    public RecordedRun? FromRun { get; init; }

    /// <summary>These options replaying <paramref name="run"/>: its d, and its Σk/(P·d) as the one density.</summary>
    public CommBenchOptions Replaying(RecordedRun run) => this with { D = run.D, Densities = [run.Density], FromRun = run };

    /// <summary>What runs: the exchanges asked for, or the allgather alone (against the dense baseline every row carries).</summary>
    public IReadOnlyList<string> ExchangeList => Exchanges ?? ["allgather"];

    /// <summary>Predictions need a cost fit: made when exchanges were asked for or a network was given.</summary>
    public bool Predicts => Exchanges != null || Network != null;

    /// <summary>The same string on every rank exactly when the ranks agree on the settings.</summary>
    public string Canonical => string.Join(";",
        D.ToString(CultureInfo.InvariantCulture),
        string.Join(",", Densities.Select(x => x.ToString("R", CultureInfo.InvariantCulture))),
        string.Join(",", Formats), Repeat, Warmup, Seed, string.Join(",", Exchanges ?? ["default"]),
        Overlap?.ToString("R", CultureInfo.InvariantCulture) ?? "independent",
        Network is var (a, b) ? $"{a:R},{b:R}" : "fit",
        FromRunDirectory == null ? "synthetic" : $"{Path.GetFullPath(FromRunDirectory)}@{FromStep?.ToString(CultureInfo.InvariantCulture) ?? "last"}");

    /// <summary>
    /// Parses <c>allgather,ssar-rd</c> or <c>all</c> (the exact exchanges and auto; name <c>oktopk</c> besides, e.g.
    /// <c>all,oktopk</c>); null and a message on a bad list.
    /// </summary>
    public static IReadOnlyList<string>? ParseExchanges(string text, out string? problem)
    {
        problem = null;
        var list = new List<string>();
        foreach (string part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            string name = part.ToLowerInvariant();
            if (name == "all")
            {
                foreach (string n in GradientExchanges.Names) if (!list.Contains(n)) list.Add(n);
                continue;
            }
            if (!GradientExchanges.All.Contains(name))
            {
                problem = $"--exchanges: '{part}' is not an exchange; valid: {string.Join(", ", GradientExchanges.All)}, or 'all'";
                return null;
            }
            if (!list.Contains(name)) list.Add(name);
        }
        if (list.Count == 0) problem = "--exchanges: give at least one exchange, e.g. allgather,ssar-split (or 'all')";
        return problem == null ? list : null;
    }

    /// <summary>Parses <c>0.0001,0.001</c>; null and a message on a bad list.</summary>
    public static IReadOnlyList<double>? ParseDensities(string text, out string? problem)
    {
        problem = null;
        var list = new List<double>();
        foreach (string part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out double density) || !(density > 0 && density <= 1))
            {
                problem = $"--densities: '{part}' is not a density in (0, 1]";
                return null;
            }
            list.Add(density);
        }
        if (list.Count == 0) problem = "--densities: give at least one density, e.g. 0.001,0.01";
        return problem == null ? list : null;
    }

    /// <summary>Parses <c>int32:fp32,delta:fp16</c> or <c>all</c>; null and a message on a bad list.</summary>
    public static IReadOnlyList<WireFormat>? ParseFormats(string text, out string? problem)
    {
        problem = null;
        if (text.Trim().Equals("all", StringComparison.OrdinalIgnoreCase)) return WireFormat.All;
        var list = new List<WireFormat>();
        foreach (string part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!WireFormat.TryParse(part, out var format))
            {
                problem = $"--formats: '{part}' is not index:value with index int32|delta and value fp32|fp16|bf16 (or 'all')";
                return null;
            }
            if (!list.Contains(format)) list.Add(format);
        }
        if (list.Count == 0) problem = "--formats: give at least one format, e.g. int32:fp32,delta:fp16";
        return problem == null ? list : null;
    }
}
