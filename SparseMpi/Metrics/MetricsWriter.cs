using System.Globalization;
using System.Text.Json;

namespace SparseMpi.Metrics;

/// <summary>
/// Appends per-step records to DIR/metrics.jsonl and DIR/metrics.csv (rank 0 only). Lines are flushed as they
/// are written, so a crashed run keeps every step it logged. On resume, records the resumed run will write again
/// are dropped first, so the files read as one uninterrupted run: exactly one record per logged step.
/// </summary>
public sealed class MetricsWriter : IDisposable
{
    static readonly string[] Columns =
        ["step", "epoch", "loss", "lr", "k", "density", "bytes_sent", "bytes_received", "ms_compute", "ms_select",
         "ms_wait", "ms_comm", "ms_apply", "cumulative_bytes_sent", "samples_per_second", "exchange", "predicted_comm_ms", "fill_in"];

    readonly StreamWriter _jsonl;
    readonly StreamWriter _csv;
    readonly int _logEvery;

    /// <param name="resumeAfterStep">The checkpoint's step (steps done), or -1 for a fresh run.</param>
    /// <param name="logEvery">The run's --log-every: which records an uninterrupted run has before that step.</param>
    public MetricsWriter(string directory, long resumeAfterStep = -1, int logEvery = 1)
    {
        _logEvery = logEvery;
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
            r.CumulativeBytesSent.ToString(c), r.SamplesPerSecond.ToString("F1", c),
            r.Exchange ?? "", r.PredictedCommMs?.ToString("F3", c) ?? "", r.FillIn?.ToString("R", c) ?? ""));
    }

    /// <summary>
    /// Whether a record of step <paramref name="s"/> (0-based index of the step it logs) survives a resume from a
    /// checkpoint after <paramref name="stepsDone"/> steps: the resumed run writes step stepsDone and later again,
    /// and a run that ended early (--max-steps) wrote a final record at a step that is not a multiple of
    /// --log-every, which the uninterrupted run does not have.
    /// </summary>
    bool Kept(long s, long stepsDone) => s < stepsDone && s % _logEvery == 0;

    void TruncateAfter(string path, long step, bool header)
    {
        if (!File.Exists(path)) return;
        var kept = new List<string>();
        bool first = true;
        foreach (string line in File.ReadLines(path))
        {
            if (header && first) { kept.Add(line); first = false; continue; }
            first = false;
            if (StepOf(line, header) is long s && Kept(s, step)) kept.Add(line);
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
