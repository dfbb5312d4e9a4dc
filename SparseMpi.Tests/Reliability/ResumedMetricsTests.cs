using System.Text.Json.Nodes;
using SparseMpi.Tests.Support;

namespace SparseMpi.Tests.Reliability;

/// <summary>
/// Metrics after a resume (issue 17, row 9): an interrupted and resumed run's metrics.jsonl and metrics.csv equal
/// the uninterrupted run's record for record, apart from wall times. Before the fix a resume kept the record of the
/// checkpoint's own step (which the resumed run writes again) and the early end's final record.
/// </summary>
[TestFixture, Category("mpi")]
public class ResumedMetricsTests
{
    const string Run = "train --model logreg --log-every 10";

    static readonly string[] Timings = ["ms_compute", "ms_select", "ms_wait", "ms_comm", "ms_apply", "samples_per_second", "wall_seconds"];

    [Test]
    public void StoppedByMaxStepsThenResumed() => AssertSameMetrics(
        $"{Run} --max-steps 35 --checkpoint-every 20", $"{Run} --max-steps 60 --checkpoint-every 20");

    // The fault stops the run at step 45 after the checkpoint of step 40 and the record of step 40 are written: a
    // crash between a checkpoint and the next, as a killed job leaves it.
    [Test]
    public void CrashedAfterACheckpointThenResumed() => AssertSameMetrics(
        $"{Run} --max-steps 60 --checkpoint-every 20 --fault-nan-step 45", $"{Run} --max-steps 60 --checkpoint-every 20", firstFails: true);

    static void AssertSameMetrics(string first, string resume, bool firstFails = false)
    {
        using var whole = new RunDirectory();
        using var parts = new RunDirectory();
        var w = ProgramRunner.Run($"{Run} --max-steps 60 --out {whole.Path}", 2, timeoutSeconds: 120);
        Assert.That(w.ExitCode, Is.EqualTo(0), w.ToString());
        var a = ProgramRunner.Run($"{first} --out {parts.Path}", 2, timeoutSeconds: 120);
        Assert.That(a.ExitCode, firstFails ? Is.Not.EqualTo(0) : Is.EqualTo(0), a.ToString());
        var b = ProgramRunner.Run($"{resume} --resume {parts.Path}", 2, timeoutSeconds: 120);
        Assert.That(b.ExitCode, Is.EqualTo(0), b.ToString());

        var expected = JsonLines(whole["metrics.jsonl"]);
        var actual = JsonLines(parts["metrics.jsonl"]);
        Assert.That(actual.Select(r => (long)r["step"]!), Is.EqualTo(expected.Select(r => (long)r["step"]!)), "one record per logged step");
        Assert.That(expected.Select(r => (long)r["step"]!), Is.EqualTo(new long[] { 0, 10, 20, 30, 40, 50, 59 }));
        for (int i = 0; i < expected.Count; i++)
            Assert.That(actual[i].ToJsonString(), Is.EqualTo(expected[i].ToJsonString()), $"record {i}");

        var expectedCsv = CsvRows(whole["metrics.csv"]);
        var actualCsv = CsvRows(parts["metrics.csv"]);
        Assert.That(actualCsv, Is.EqualTo(expectedCsv));
        Assert.That(parts.Summary()["parameter_hash"]!.ToString(), Is.EqualTo(whole.Summary()["parameter_hash"]!.ToString()));
    }

    static List<JsonObject> JsonLines(string path) => File.ReadAllLines(path).Where(l => l.Length > 0).Select(l =>
    {
        var o = JsonNode.Parse(l)!.AsObject();
        foreach (string t in Timings) o.Remove(t);
        return o;
    }).ToList();

    /// <summary>The CSV rows (header included) without the timing columns.</summary>
    static List<string> CsvRows(string path)
    {
        var lines = File.ReadAllLines(path).Where(l => l.Length > 0).ToList();
        string[] header = lines[0].Split(',');
        var keep = Enumerable.Range(0, header.Length).Where(i => !Timings.Contains(header[i])).ToArray();
        return lines.Select(l => string.Join(",", keep.Select(i => l.Split(',')[i]))).ToList();
    }
}
