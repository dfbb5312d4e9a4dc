using SparseMpi.Tests.Support;

namespace SparseMpi.Tests.Cli;

/// <summary>train --k-rule dynamic under real mpiexec, for each cost model.</summary>
[TestFixture, Category("mpi")]
public class DynamicSparsityRunTests
{
    [TestCase("payload"), TestCase("packet"), TestCase("mpi")]
    public void DynamicRuleRunsAndReportsK(string costModel)
    {
        using var run = new RunDirectory();
        var r = ProgramRunner.Run($"train --model logreg --k-rule dynamic --cost-model {costModel} --max-steps 40 --log-every 1 --out {run.Path}", 3);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        var s = run.Summary();
        Assert.That((string)s["k_rule"]!, Is.EqualTo("dynamic"));
        Assert.That((string)s["cost_model"]!, Is.EqualTo(costModel));
        Assert.That((long)s["k_max"]!, Is.LessThanOrEqualTo(785), "k never exceeds k_max = 10% of d");
        Assert.That((double)s["k_mean"]!, Is.GreaterThan(0));
        Assert.That((double)s["rule_ms_per_step"]!, Is.GreaterThan(0));
        if (costModel == "mpi")
        {
            // All ranks fitted the same alpha and beta (the program checks and fails otherwise).
            Assert.That((double)s["mpi_alpha_seconds"]!, Is.Not.NaN);
            Assert.That((double)s["mpi_beta_seconds_per_byte"]!, Is.Not.NaN);
            Assert.That(r.Stdout, Does.Contain("mpi cost model: alpha ="));
        }
        var record = System.Text.Json.Nodes.JsonNode.Parse(File.ReadLines(run["metrics.jsonl"]).Last())!;
        Assert.That(record["k_per_rank"]!.AsArray(), Has.Count.EqualTo(3));
    }

    [Test]
    public void DynamicRuleNeedsAMagnitudeCompressor() =>
        BadInputTests.AssertOneLineError(ProgramRunner.Run("train --k-rule dynamic --compressor randomk", 2, timeoutSeconds: 60), "--k-rule dynamic needs --compressor topk");
}
