using System.Text.Json;

namespace SparseMpi.Metrics;

/// <summary>
/// Appends <see cref="EvaluationRecord"/>s to DIR/evaluations.jsonl (rank 0 only), flushed line by line. A file of
/// its own, so metrics.jsonl stays one record per logged step. On resume, evaluations after the checkpoint's step
/// are dropped first (the resumed run makes them again), so the file reads as one run.
/// </summary>
public sealed class EvaluationLog : IDisposable
{
    public const string FileName = "evaluations.jsonl";

    readonly StreamWriter _writer;

    /// <param name="resumeAfterStep">The checkpoint's step (steps done), or -1 for a fresh run.</param>
    public EvaluationLog(string directory, long resumeAfterStep = -1)
    {
        Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, FileName);
        if (resumeAfterStep >= 0 && File.Exists(path))
        {
            // The checkpoint after step s is written after the evaluation at s: that one stays.
            var kept = File.ReadLines(path).Where(line => StepOf(line) is long s && s <= resumeAfterStep).ToList();
            AtomicFile.WriteAllText(path, kept.Count == 0 ? "" : string.Join("\n", kept) + "\n");
        }
        _writer = new StreamWriter(path, append: resumeAfterStep >= 0) { AutoFlush = true };
    }

    public void Write(EvaluationRecord record) => _writer.WriteLine(JsonSerializer.Serialize(record, Json.Line));

    /// <summary>The records of a run directory, in file order; empty when it has none (a run before this file existed).</summary>
    public static List<EvaluationRecord> Read(string directory)
    {
        string path = Path.Combine(directory, FileName);
        var records = new List<EvaluationRecord>();
        if (!File.Exists(path)) return records;
        int number = 0;
        foreach (string line in File.ReadLines(path))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            try { records.Add(JsonSerializer.Deserialize<EvaluationRecord>(line, Json.Line) ?? throw new JsonException("null")); }
            catch (JsonException e) { throw new UsageException($"{path} line {number}: not an evaluation record ({e.Message.Split('\n')[0].TrimEnd('.')})"); }
        }
        return records;
    }

    static long? StepOf(string line)
    {
        try { return JsonDocument.Parse(line).RootElement.GetProperty("step").GetInt64(); }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException) { return null; } // a torn last line
    }

    public void Dispose() => _writer.Dispose();
}
