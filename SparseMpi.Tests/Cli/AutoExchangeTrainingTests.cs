using System.Text.Json.Nodes;
using SparseMpi.Tests.Support;

namespace SparseMpi.Tests.Cli;

/// <summary>
/// Training with --exchange auto under real mpiexec (the program fails when the ranks' parameters differ, so a
/// choice made differently on two ranks fails the run), and the exchange / predicted_comm_ms / fill_in records
/// every compressed run now carries.
/// </summary>
[TestFixture, Category("mpi")]
public class AutoExchangeTrainingTests
{
    static readonly string[] Exact = ["allgather", "allreduce", "ssar-rd", "ssar-split", "dsar-split"];

    [TestCase(2, "0.01")]
    [TestCase(3, "0.1")]
    public void AutoTrainsWithIdenticalRanksAndRecordsItsChoices(int ranks, string density)
    {
        using var run = new RunDirectory();
        const int steps = 12;
        var r = ProgramRunner.Run($"train --exchange auto --density {density} --max-steps {steps} --log-every 1 --out {run.Path}", ranks);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        foreach (string a in Exact) Assert.That(r.Stdout, Does.Contain($"exchange cost (fitted, {ranks} ranks): {a}"), "rank 0 prints the fit");
        Assert.That(r.Stdout, Does.Match(@"per message; fit within \d+%\)"), "with the fit's own error");

        var records = File.ReadAllLines(run["metrics.jsonl"]).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.That(records, Has.Count.EqualTo(steps));
        foreach (var record in records)
        {
            Assert.That(Exact, Does.Contain((string)record["exchange"]!), record.ToJsonString());
            Assert.That((double)record["predicted_comm_ms"]!, Is.GreaterThan(0), record.ToJsonString());
            Assert.That((double)record["fill_in"]!, Is.InRange(1.0 / ranks - 1e-12, 1.0 + 1e-12), record.ToJsonString());
        }
        Assert.That(File.ReadLines(run["metrics.csv"]).First(), Does.EndWith(",exchange,predicted_comm_ms,fill_in"));

        var s = run.Summary();
        Assert.That((string)s["exchange"]!, Is.EqualTo("auto"));
        var chosen = s["exchange_chosen"]!.AsObject();
        Assert.That(chosen.Sum(c => (long)c.Value!), Is.EqualTo(steps), "every step's choice counted");
        foreach (var (name, count) in chosen)
            Assert.That(records.Count(x => (string)x["exchange"]! == name), Is.EqualTo((long)count!), $"the summary's count of {name} is the metrics'");
        Assert.That((double)s["fill_in_mean"]!, Is.EqualTo(records.Average(x => (double)x["fill_in"]!)).Within(1e-9));
        var fit = s["exchange_cost_fit"]!.AsArray();
        Assert.That(fit.Select(x => (string)x!["algorithm"]!), Is.EqualTo(Exact));
        Assert.That((int)s["exchange_cost_fit_ranks"]!, Is.EqualTo(ranks), "fitted on every rank");
        foreach (var row in fit)
        {
            Assert.That((double)row!["fixed_seconds"]!, Is.GreaterThanOrEqualTo(0));
            Assert.That((double)row["seconds_per_byte"]!, Is.GreaterThanOrEqualTo(0));
            Assert.That((double)row["relative_error"]!, Is.GreaterThanOrEqualTo(0), "the fit's own error, auto's choice margin");
        }
        Assert.That(fit.Any(x => (double)x!["fixed_seconds"]! > 0), "the timings are not all zero");
    }

    [Test]
    public void AutoCountsItsFillInOnTheLoggedStepsOnly()
    {
        // The count is a pass over the received entries; auto makes it every --log-every exchanges (step 0
        // first), where the metrics record it, and steers by the last count in between.
        using var run = new RunDirectory();
        var r = ProgramRunner.Run($"train --exchange auto --density 0.01 --max-steps 10 --log-every 3 --out {run.Path}", 2);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        var records = File.ReadAllLines(run["metrics.jsonl"]).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.That(records.Select(x => (long)x["step"]!), Is.EqualTo(new long[] { 0, 3, 6, 9 }));
        foreach (var record in records)
            Assert.That((double)record["fill_in"]!, Is.InRange(0.5 - 1e-12, 1.0 + 1e-12), record.ToJsonString());
        Assert.That((double)run.Summary()["fill_in_mean"]!, Is.EqualTo(records.Average(x => (double)x["fill_in"]!)).Within(1e-9));
    }

    [Test]
    public void EveryCompressedRunRecordsItsExchangeAndFillIn()
    {
        using var sparse = new RunDirectory();
        var a = ProgramRunner.Run($"train --exchange ssar-split --max-steps 6 --log-every 1 --out {sparse.Path}", 2);
        Assert.That(a.ExitCode, Is.EqualTo(0), a.ToString());
        foreach (string line in File.ReadAllLines(sparse["metrics.jsonl"]))
        {
            var record = JsonNode.Parse(line)!;
            Assert.That((string)record["exchange"]!, Is.EqualTo("ssar-split"));
            Assert.That(record["predicted_comm_ms"], Is.Null, "only auto predicts");
            Assert.That((double)record["fill_in"]!, Is.InRange(0.5, 1.0));
        }
        var s = sparse.Summary();
        Assert.That((long)s["exchange_chosen"]!["ssar-split"]!, Is.EqualTo(6));
        Assert.That(s["exchange_cost_fit"], Is.Null);
        Assert.That(s["exchange_cost_fit_ranks"], Is.Null);

        using var dense = new RunDirectory();
        var b = ProgramRunner.Run($"train --compressor none --max-steps 3 --out {dense.Path}", 2);
        Assert.That(b.ExitCode, Is.EqualTo(0), b.ToString());
        Assert.That(JsonNode.Parse(File.ReadLines(dense["metrics.jsonl"]).First())!["exchange"], Is.Null);
        Assert.That(dense.Summary()["exchange_chosen"]!.AsObject(), Is.Empty);
        Assert.That(dense.Summary()["fill_in_mean"], Is.Null);
    }

    [Test]
    public void AutoTakesNoWireFormat()
    {
        var r = ProgramRunner.Run("train --exchange auto --index-format delta --max-steps 1", 2, timeoutSeconds: 60);
        Assert.That(r.ExitCode, Is.Not.EqualTo(0), r.ToString());
        Assert.That(r.Stderr, Does.Contain("sparsempi: error: --index-format is the sparse allgather's wire format; the sparse allreduces and auto"), r.ToString());
    }
}
