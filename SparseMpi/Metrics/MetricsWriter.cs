using System.Globalization;
using System.Text.Json;

namespace SparseMpi.Metrics;

/// <summary>
/// Appends per-step records to DIR/metrics.jsonl and DIR/metrics.csv (rank 0 only). Lines are flushed as they
/// are written, so a crashed run keeps every step it logged. On resume, records after the checkpoint's step are
/// dropped first, so the files read as one uninterrupted run.
/// </summary>
public sealed class MetricsWriter : IDisposable
{
    static readonly string[] Columns =
        ["step", "epoch", "loss", "lr", "k", "density", "bytes_sent", "bytes_received", "ms_compute", "ms_select",
         "ms_wait", "ms_comm", "ms_apply", "cumulative_bytes_sent", "samples_per_second"];

    readonly StreamWriter _jsonl;
    readonly StreamWriter _csv;

    public MetricsWriter(string directory, long resumeAfterStep = -1)
    {
        Directory.CreateDirectory(directory);
        string jsonlPath = Path.Combine(directory, "metrics.jsonl");
        string csvPath = Path.Combine(directory, "metrics.csv");
        if (resumeAfterStep >= 0)
        {
            TruncateAfter(jsonlPath, resumeAfterStep, header: false);
            TruncateAfter(csvPath, resumeAfterStep, header: true);
        }
        bool append = resumeAfterStep >= 0;
        _jsonl = new StreamWriter(jsonlPath, append) { AutoFlush = true };
        bool csvExists = append && File.Exists(csvPath) && new FileInfo(csvPath).Length > 0;
        _csv = new StreamWriter(csvPath, append) { AutoFlush = true };
        if (!csvExists) _csv.WriteLine(string.Join(",", Columns));
    }

    public void Write(StepRecord r)
    {
        _jsonl.WriteLine(JsonSerializer.Serialize(r, Json.Line));
        var c = CultureInfo.InvariantCulture;
        _csv.WriteLine(string.Join(",",
            r.Step.ToString(c), r.Epoch.ToString(c), r.Loss.ToString("R", c), r.Lr.ToString("R", c), r.K.ToString(c),
            r.Density.ToString("R", c), r.BytesSent.ToString(c), r.BytesReceived.ToString(c),
            r.MsCompute.ToString("F3", c), r.MsSelect.ToString("F3", c), r.MsWait.ToString("F3", c), r.MsComm.ToString("F3", c), r.MsApply.ToString("F3", c),
            r.CumulativeBytesSent.ToString(c), r.SamplesPerSecond.ToString("F1", c)));
    }

    static void TruncateAfter(string path, long step, bool header)
    {
        if (!File.Exists(path)) return;
        var kept = new List<string>();
        bool first = true;
        foreach (string line in File.ReadLines(path))
        {
            if (header && first) { kept.Add(line); first = false; continue; }
            first = false;
            if (StepOf(line, header) is long s && s <= step) kept.Add(line);
        }
        AtomicFile.WriteAllText(path, kept.Count == 0 ? "" : string.Join("\n", kept) + "\n");
    }

    static long? StepOf(string line, bool csv)
    {
        if (csv) return long.TryParse(line.Split(',')[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out long s) ? s : null;
        try { return JsonDocument.Parse(line).RootElement.GetProperty("step").GetInt64(); }
        catch (JsonException) { return null; } // a torn last line of a crashed run
    }

    public void Dispose()
    {
        _jsonl.Dispose();
        _csv.Dispose();
    }
}
