using System.Text.Json.Nodes;
using NUnit.Framework;
using SparseMpi.Tests.Support;

namespace SparseMpi.Tests.Cli;

/// <summary>
/// Training with <c>--exchange oktopk</c> under a real mpiexec: the ranks end with identical parameters (the
/// trainer checks the hash and fails otherwise), the global survivors' count stays in its band on real gradients,
/// a resumed run ends with the same bits as an uninterrupted one (thresholds and regions are checkpointed), and
/// the configuration records the global top-k.
/// </summary>
[TestFixture, Category("mpi")]
public class OkTopkTrainingTests
{
    const string Common = "train --compressor topk --density 0.01 --exchange oktopk --batch-size 128";

    static List<JsonNode> Metrics(RunDirectory run) =>
        File.ReadLines(run["metrics.jsonl"]).Select(l => JsonNode.Parse(l)!).ToList();

    [TestCase(2), TestCase(3)]
    public void TrainsWithIdenticalRanksAndKeepsTheGlobalCountInItsBand(int ranks)
    {
        using var run = new RunDirectory();
        using var split = new RunDirectory();
        var r = ProgramRunner.Run($"{Common} --max-steps 100 --threshold-refresh 16 --log-every 1 --out {run.Path}", ranks);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString()); // the program itself fails when ranks' parameters differ
        var steps = Metrics(run);
        Assert.That(steps, Has.Count.EqualTo(100));
        long k = (long)steps[0]["k"]!; // the exact top-k on step 0
        var global = steps.Select(s => (long)s["global_k"]!).ToList();
        Assert.That(global[0], Is.EqualTo(k), "step 0 refreshes: exactly the global top-k");
        Assert.That(global.Max(), Is.LessThanOrEqualTo(4 * k / 3), "above the band the threshold is recomputed exactly");
        int inBand = global.Count(g => 3 * g >= 2 * k && 3 * g <= 4 * k);
        Assert.That(inBand, Is.GreaterThanOrEqualTo(70), $"steps with the global count in [2k/3, 4k/3]: {string.Join(",", global)}");
        Assert.That((double)run.Summary()["test_accuracy"]!, Is.GreaterThan(0.6));
        Assert.That((string)run.Summary()["configuration"]!, Does.EndWith(";exchange=oktopk;global-topk=oktopk;threshold-refresh=16;repartition=64"));

        // It changes the math: not the same parameters as the exact sum of the selections.
        var exact = ProgramRunner.Run($"train --compressor topk --density 0.01 --exchange ssar-split --batch-size 128 --max-steps 100 --out {split.Path}", ranks);
        Assert.That(exact.ExitCode, Is.EqualTo(0), exact.ToString());
        Assert.That((string)run.Summary()["parameter_hash"]!, Is.Not.EqualTo((string)split.Summary()["parameter_hash"]!));
    }

    [Test]
    public void OnOneRankWithExactThresholdsItIsTheAllgathersTopK()
    {
        // One rank, every threshold exact: the local selection is the exact top-k, the global top-k of that sum is all
        // of it, nothing returns to the residual, so the whole pipeline (regions, reduce, radix select, gather, apply)
        // must give the allgather's bits.
        using var gather = new RunDirectory();
        using var ok = new RunDirectory();
        var a = ProgramRunner.Run($"train --compressor topk --density 0.01 --batch-size 128 --max-steps 40 --out {gather.Path}", 1);
        var b = ProgramRunner.Run($"{Common} --threshold-refresh 1 --max-steps 40 --out {ok.Path}", 1);
        foreach (var r in new[] { a, b }) Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That((string)ok.Summary()["parameter_hash"]!, Is.EqualTo((string)gather.Summary()["parameter_hash"]!));
    }

    [Test]
    public void ResumeIsBitIdentical()
    {
        using var whole = new RunDirectory();
        using var split = new RunDirectory();
        // Refresh every 8 steps and a checkpoint at 50: the resumed run starts between refreshes, on thresholds
        // learnt before it, and repartitions at step 64 from the restored regions and counter.
        const string options = $"{Common} --threshold-refresh 8"; // the default momentum 0.9 with masking: u is restored too
        var a = ProgramRunner.Run($"{options} --max-steps 70 --out {whole.Path}", 3);
        var b = ProgramRunner.Run($"{options} --max-steps 50 --checkpoint-every 50 --out {split.Path}", 3);
        var c = ProgramRunner.Run($"{options} --max-steps 70 --resume {split.Path}", 3);
        foreach (var r in new[] { a, b, c }) Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That((string)split.Summary()["parameter_hash"]!, Is.EqualTo((string)whole.Summary()["parameter_hash"]!));
    }

    [TestCase("--compressor topk --threshold-refresh 0", "--threshold-refresh must be at least 1")]
    [TestCase("--compressor randomk", "--exchange oktopk selects by its own re-used top-k threshold")]
    [TestCase("--compressor topk --k-rule dynamic", "--exchange oktopk keeps a fixed global k")]
    [TestCase("--compressor topk --select-kernel torch", "--exchange oktopk runs on the host SIMD kernel only")]
    public void BadCombinationsAreRefusedWithOneLine(string extra, string message)
    {
        using var run = new RunDirectory();
        var r = ProgramRunner.Run($"train --exchange oktopk {extra} --max-steps 2 --out {run.Path}", 1);
        Assert.That(r.ExitCode, Is.Not.EqualTo(0));
        Assert.That(r.Stderr, Does.Contain("sparsempi: error: " + message), r.ToString());
    }

    [Test]
    public void TheRefreshPeriodIsRefusedWithoutOkTopk()
    {
        using var run = new RunDirectory();
        var r = ProgramRunner.Run($"train --compressor topk --density 0.01 --threshold-refresh 8 --max-steps 2 --out {run.Path}", 1);
        Assert.That(r.ExitCode, Is.Not.EqualTo(0));
        Assert.That(r.Stderr, Does.Contain("sparsempi: error: --threshold-refresh is Ok-Topk's exact-threshold period"), r.ToString());
    }
}
