using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using NUnit.Framework;
using SparseMpi.Tests.Support;

namespace SparseMpi.Tests.Collectives;

/// <summary>
/// <c>--hierarchy node</c> under a real mpiexec. check-sparse runs every exact exchange among node leaders over the
/// sparse-allreduce cases (k per rank with k = 0 on one rank, full and no overlap, d = 997 and 20011, k = d, a node
/// sum that crosses the dense switch, k = 0 everywhere): within the rounding bound of the exact sum, bitwise equal
/// on every rank and from one exchange to the next. One machine is one node, so the multi-rank cases group ranks in
/// blocks (<c>--ranks-per-node</c>) for the leaders' exchange to run on several ranks; the real node split is what
/// the default (0) and the emulated-cluster test use.
/// </summary>
[TestFixture, Category("mpi")]
public class HierarchicalExchangeMpiTests
{
    // (launcher, ranks, ranks per node, node leaders expected): 5 ranks in blocks of 2 leave one node of one rank;
    // blocks of 1 are the inner exchange plus trivial steps; 0 is the real split (one node here).
    [TestCase(Launcher.OpenMpi, 1, 0, 1)]
    [TestCase(Launcher.OpenMpi, 2, 1, 2)]
    [TestCase(Launcher.OpenMpi, 3, 2, 2)]
    [TestCase(Launcher.OpenMpi, 4, 0, 1)]
    [TestCase(Launcher.OpenMpi, 5, 2, 3)]
    [TestCase(Launcher.OpenMpi, 8, 2, 4)]
    [TestCase(Launcher.Mpich, 2, 1, 2)]
    [TestCase(Launcher.Mpich, 4, 2, 2)]
    public void CheckSparsePassesWithEveryExchangeAmongNodeLeaders(Launcher launcher, int ranks, int ranksPerNode, int leaders)
    {
        // The flat checks are CheckSparsePassesOnEveryRank's at the same rank counts; only the grouping differs here.
        var run = ProgramRunner.Run($"check-sparse --ranks-per-node {ranksPerNode} --hierarchy-only", ranks, launcher, timeoutSeconds: 300);
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        string grouping = ranksPerNode > 0 ? $"blocks of {ranksPerNode}" : "node";
        Assert.That(run.Stdout, Does.Contain($"check-sparse: --hierarchy {grouping}: {leaders} node leaders of {ranks} ranks"), run.ToString());
        var pass = Regex.Match(run.Stdout, $@"check-sparse: all (\d+) checks passed on {ranks} ranks");
        Assert.That(pass.Success, Is.True, run.ToString());
        Assert.That(run.Stderr, Does.Not.Contain("FAILED"));
    }
}

/// <summary>
/// Training with <c>--hierarchy node</c>: every rank ends with the same parameters (the program checks the hash),
/// the run learns as the flat run does (only the order of float additions differs), a second run gives the same
/// bits, the node and leader collectives are counted, and the math configuration names the hierarchy.
/// </summary>
[TestFixture, Category("mpi")]
public class HierarchicalTrainingTests
{
    // Collectives per step on rank 0 (a leader, one node of all ranks here): the agreement round, the leaders'
    // allgather of announcements, the inner exchange's own (ssar-rd: none, point to point; allgather: one
    // allgatherv; allreduce: one allreduce; ssar-split: four on one leader), and the count and result broadcasts.
    [TestCase("ssar-rd", 2, 4.0)]
    [TestCase("allgather", 3, 5.0)]
    [TestCase("allreduce", 2, 5.0)]
    [TestCase("ssar-split", 4, 8.0)]
    [TestCase("dsar-split", 2, 7.0)]
    public void TrainsLikeTheFlatExchangeWithIdenticalRanks(string exchange, int ranks, double collectives)
    {
        using var flat = new RunDirectory();
        using var node = new RunDirectory();
        using var again = new RunDirectory();
        string common = $"--compressor topk --density 0.01 --max-steps 30 --batch-size 128 --exchange {exchange}";
        var a = ProgramRunner.Run($"train {common} --out {flat.Path}", ranks);
        var b = ProgramRunner.Run($"train {common} --hierarchy node --out {node.Path}", ranks);
        var c = ProgramRunner.Run($"train {common} --hierarchy node --out {again.Path}", ranks);
        foreach (var r in new[] { a, b, c }) Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString()); // fails itself when ranks differ
        var sa = flat.Summary();
        var sb = node.Summary();
        Assert.That((double)sb["collectives_per_step"]!, Is.EqualTo(collectives));
        Assert.That((double)sb["test_accuracy"]!, Is.EqualTo((double)sa["test_accuracy"]!).Within(0.03), "only the summation order differs");
        Assert.That((double)sb["k_mean"]!, Is.EqualTo((double)sa["k_mean"]!));
        Assert.That((string)again.Summary()["parameter_hash"]!, Is.EqualTo((string)sb["parameter_hash"]!), "the same bits on every run");
        Assert.That(File.ReadAllText(Path.Combine(node.Path, "summary.json")), Does.Contain("hierarchy=node"));
    }

    static readonly string[] Exact = ["allgather", "allreduce", "ssar-rd", "ssar-split", "dsar-split"];

    /// <summary>
    /// auto among the node leaders (issue 15): its fit is the leaders' (one machine is one node here, so one leader
    /// fits for 1 rank; HierarchyClusterTests runs two), every step records what the leaders ran, as the node
    /// exchanges are named, with auto's prediction, and every rank ends with the same parameters.
    /// </summary>
    [Test]
    public void AutoChoosesAmongTheNodeLeadersAndRecordsItsChoices()
    {
        using var run = new RunDirectory();
        const int ranks = 4, steps = 40;
        var r = ProgramRunner.Run($"train --compressor topk --density 0.01 --max-steps {steps} --batch-size 128 --exchange auto --hierarchy node --log-every 1 --out {run.Path}", ranks);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString()); // fails itself when ranks differ
        foreach (string a in Exact) Assert.That(r.Stdout, Does.Contain($"exchange cost (fitted, 1 ranks): {a}"), "rank 0, the leader, prints the leaders' fit");

        var records = File.ReadAllLines(run["metrics.jsonl"]).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.That(records, Has.Count.EqualTo(steps));
        var node = Exact.Select(a => $"{a}/node").ToArray();
        foreach (var record in records)
        {
            Assert.That(node, Does.Contain((string)record["exchange"]!), record.ToJsonString());
            Assert.That((double)record["predicted_comm_ms"]!, Is.GreaterThan(0), record.ToJsonString());
            // Over every rank's k, as for the other node exchanges (auto itself divides by the node sums' k).
            Assert.That((double)record["fill_in"]!, Is.InRange(1.0 / ranks - 1e-12, 1.0 + 1e-12), record.ToJsonString());
        }

        var s = run.Summary();
        Assert.That((string)s["exchange"]!, Is.EqualTo("auto"), "the --exchange, as for the other node exchanges");
        Assert.That((string)s["configuration"]!, Does.EndWith(";exchange=auto;hierarchy=node"));
        var chosen = s["exchange_chosen"]!.AsObject();
        Assert.That(chosen.Sum(c => (long)c.Value!), Is.EqualTo(steps), "every step's choice counted");
        foreach (var (name, count) in chosen)
            Assert.That(records.Count(x => (string)x["exchange"]! == name), Is.EqualTo((long)count!), $"the summary's count of {name} is the metrics'");
        Assert.That((double)s["fill_in_mean"]!, Is.EqualTo(records.Average(x => (double)x["fill_in"]!)).Within(1e-9));
        var fit = s["exchange_cost_fit"]!.AsArray();
        Assert.That(fit.Select(x => (string)x!["algorithm"]!), Is.EqualTo(Exact));
        Assert.That((int)s["exchange_cost_fit_ranks"]!, Is.EqualTo(1), "the fit is the node leaders' (one node)");
        Assert.That((double)s["test_accuracy"]!, Is.GreaterThan(0.5), "it learns");
    }

    [Test]
    public void TheTorchKernelGivesTheSameBitsAsTheSimdKernel()
    {
        using var simd = new RunDirectory();
        using var torch = new RunDirectory();
        const string common = "--compressor topk --density 0.01 --max-steps 30 --exchange allgather --hierarchy node";
        var a = ProgramRunner.Run($"train {common} --select-kernel simd --out {simd.Path}", 2);
        var b = ProgramRunner.Run($"train {common} --select-kernel torch --out {torch.Path}", 2);
        Assert.That(a.ExitCode, Is.EqualTo(0), a.ToString());
        Assert.That(b.ExitCode, Is.EqualTo(0), b.ToString());
        Assert.That((string)torch.Summary()["parameter_hash"]!, Is.EqualTo((string)simd.Summary()["parameter_hash"]!));
    }
}
