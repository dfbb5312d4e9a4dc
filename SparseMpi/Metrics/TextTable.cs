using System.Globalization;
using System.Text;

namespace SparseMpi.Metrics;

/// <summary>One cell of a <see cref="TextTable"/>: rounded text for people, full precision for scripts.</summary>
public readonly record struct Cell(string Markdown, string Csv)
{
    static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public static Cell Text(string text) => new(text, text);

    /// <summary>
    /// A number: markdown rounded with <paramref name="format"/>, CSV round-trippable. Null or NaN (no value,
    /// e.g. a speedup without a 1-rank run) is "–" in markdown and empty in CSV.
    /// </summary>
    public static Cell Number(double? value, string format) =>
        value is double v && !double.IsNaN(v) ? new(v.ToString(format, C), v.ToString("R", C)) : new("–", "");

    public static Cell Integer(long value) => new(value.ToString(C), value.ToString(C));

    /// <summary>A byte count: "1.22 MB" in markdown, the exact number in CSV.</summary>
    public static Cell Bytes(double value) => new(ResultsTable.Bytes(value), value.ToString("R", C));
}

/// <summary>
/// A table written twice from one definition, as markdown (for reading) and as CSV (for scripts), so the two
/// never disagree on columns. Each column has a markdown heading and a snake_case CSV name.
/// </summary>
public sealed class TextTable(IReadOnlyList<(string Heading, string CsvName)> columns)
{
    readonly List<Cell[]> _rows = [];

    public void Add(params Cell[] cells)
    {
        if (cells.Length != columns.Count) throw new ArgumentException($"row has {cells.Length} cells for {columns.Count} columns");
        _rows.Add(cells);
    }

    public string Markdown()
    {
        var sb = new StringBuilder();
        sb.AppendLine("| " + string.Join(" | ", columns.Select(c => c.Heading)) + " |");
        sb.AppendLine("|" + string.Concat(columns.Select(_ => "---|")));
        foreach (var row in _rows) sb.AppendLine("| " + string.Join(" | ", row.Select(c => c.Markdown)) + " |");
        return sb.ToString();
    }

    public string Csv()
    {
        var sb = new StringBuilder();
        sb.AppendLine(string.Join(",", columns.Select(c => Quote(c.CsvName))));
        foreach (var row in _rows) sb.AppendLine(string.Join(",", row.Select(c => Quote(c.Csv))));
        return sb.ToString();
    }

    /// <summary>RFC 4180: quote a field holding a comma, quote or line break; double the quotes inside.</summary>
    static string Quote(string field) =>
        field.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + field.Replace("\"", "\"\"") + "\"" : field;
}
