using System.Globalization;
using SparseMpi.Collectives.Sparse;

namespace SparseMpi.Benchmarks;

/// <summary>The parsed, checked settings of one bench-comm run.</summary>
public sealed record CommBenchOptions(int D, IReadOnlyList<double> Densities, IReadOnlyList<WireFormat> Formats, int Repeat, int Warmup, ulong Seed)
{
    /// <summary>The same string on every rank exactly when the ranks agree on the settings.</summary>
    public string Canonical => string.Join(";",
        D.ToString(CultureInfo.InvariantCulture),
        string.Join(",", Densities.Select(x => x.ToString("R", CultureInfo.InvariantCulture))),
        string.Join(",", Formats), Repeat, Warmup, Seed);

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
