using System.Text.Json.Nodes;
using SparseMpi.Tests.Support;

namespace SparseMpi.Tests.Cli;

/// <summary>
/// train --log-assumption under real mpiexec: the assumption's fields on the measured (logged) steps only, null on
/// the others and without the option; the extra collectives on those steps only (counted, collectives_per_step);
/// the same parameters as without it; xi = 0 on one rank; and the refusals.
/// </summary>
[TestFixture, Category("mpi")]
public class AssumptionLoggingTests
{
    static List<JsonNode> Records(RunDirectory run) => File.ReadAllLines(run["metrics.jsonl"]).Select(l => JsonNode.Parse(l)!).ToList();

    [Test]
    public void MeasuredOnLoggedStepsOnlyAndChangesNoParameter()
    {
        using var on = new RunDirectory();
        using var off = new RunDirectory();
        const int steps = 8, every = 3; // records at steps 0, 3, 6 (measured) and 7 (the run's last, not a multiple)
        var run1 = ProgramRunner.Run($"train --density 0.01 --max-steps {steps} --log-every {every} --log-assumption true --out {on.Path}", 2);
        Assert.That(run1.ExitCode, Is.EqualTo(0), run1.ToString());
        var b = ProgramRunner.Run($"train --density 0.01 --max-steps {steps} --log-every {every} --out {off.Path}", 2);
        Assert.That(b.ExitCode, Is.EqualTo(0), b.ToString());

        var s = on.Summary();
        long d = (long)s["d"]!;
        var records = Records(on);
        Assert.That(records.Select(r => (long)r["step"]!), Is.EqualTo(new long[] { 0, 3, 6, 7 }));
        foreach (var r in records)
        {
            if ((long)r["step"]! % every != 0)
            {
                foreach (string f in new[] { "topk_residual_ratio", "randomk_bound", "xi", "xi_topk" })
                {
                    Assert.That(r.AsObject().ContainsKey(f), $"{f} is written (null) on every record");
                    Assert.That(r[f], Is.Null, r.ToJsonString());
                }
                continue;
            }
            long k = (long)r["k"]!;
            double bound = (double)r["randomk_bound"]!, ratio = (double)r["topk_residual_ratio"]!, xi = (double)r["xi"]!;
            Assert.That(bound, Is.EqualTo(Math.Sqrt(1 - (double)k / d)).Within(1e-12), r.ToJsonString());
            Assert.That(ratio, Is.GreaterThan(0).And.LessThanOrEqualTo(bound + 1e-9), r.ToJsonString());
            Assert.That(xi, Is.GreaterThan(0).And.LessThan(2), "two ranks with different data select differently: " + r.ToJsonString());
            Assert.That((double)r["xi_topk"]!, Is.GreaterThan(xi), "||TopK(mean)|| < ||mean|| at density 0.01: " + r.ToJsonString());
        }
        // Two collectives a step (agreement, exchange) plus two on each of the 3 measured steps (the ratio's max, the mean acc).
        Assert.That((double)s["collectives_per_step"]!, Is.EqualTo((2.0 * steps + 2 * 3) / steps).Within(1e-12));
        Assert.That((double)off.Summary()["collectives_per_step"]!, Is.EqualTo(2.0).Within(1e-12));
        Assert.That((string)s["parameter_hash"]!, Is.EqualTo((string)off.Summary()["parameter_hash"]!), "measuring changes nothing");
        var measured = records.Where(r => r["xi"] != null).ToList();
        var a = s["assumption"]!;
        Assert.That((long)a["measured_steps"]!, Is.EqualTo(3));
        Assert.That((long)a["steps_above_randomk_bound"]!, Is.Zero);
        Assert.That((double)a["topk_residual_ratio_max"]!, Is.EqualTo(measured.Max(r => (double)r["topk_residual_ratio"]!)));
        Assert.That((double)a["xi_max"]!, Is.EqualTo(measured.Max(r => (double)r["xi"]!)));
        Assert.That((double)a["xi_mean"]!, Is.EqualTo(measured.Average(r => (double)r["xi"]!)).Within(1e-12));
        Assert.That((double)a["xi_topk_mean"]!, Is.EqualTo(measured.Average(r => (double)r["xi_topk"]!)).Within(1e-12));
        Assert.That(off.Summary()["assumption"], Is.Null);
        foreach (var r in Records(off)) Assert.That(r["xi"], Is.Null, "off by default");

        // The plot verb draws the assumption for runs that measured it, and not for others.
        using var plots = new RunDirectory();
        var p = ProgramRunner.Run($"plot {on.Path} --out {plots.Path}/with", launcher: Launcher.None);
        Assert.That(p.ExitCode, Is.EqualTo(0), p.ToString());
        foreach (string png in new[] { "topk_residual_ratio.png", "xi.png", "xi_topk.png" })
            Assert.That(new FileInfo(plots[$"with/{png}"]).Length, Is.GreaterThan(1000), png);
        var q = ProgramRunner.Run($"plot {off.Path} --out {plots.Path}/without", launcher: Launcher.None);
        Assert.That(q.ExitCode, Is.EqualTo(0), q.ToString());
        Assert.That(File.Exists(plots["without/xi.png"]), Is.False);
    }

    [Test]
    public void XiIsTheSameWhicheverExactExchangeSums()
    {
        // mean TopK(acc) is the exchange's sum / P: every exact exchange gives it (in another order of additions),
        // so step 0, where every rank's accumulator is the same in both runs, measures the same xi.
        var xi = new Dictionary<string, double>();
        foreach (string exchange in new[] { "allgather", "ssar-rd", "allreduce" })
        {
            using var run = new RunDirectory();
            var r = ProgramRunner.Run($"train --exchange {exchange} --max-steps 1 --log-assumption true --out {run.Path}", 3);
            Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
            xi[exchange] = (double)Records(run)[0]["xi"]!;
        }
        Assert.That(xi["allgather"], Is.GreaterThan(0));
        Assert.That(xi["ssar-rd"], Is.EqualTo(xi["allgather"]).Within(1e-6).Percent);
        Assert.That(xi["allreduce"], Is.EqualTo(xi["allgather"]).Within(1e-6).Percent);
    }

    [Test]
    public void XiIsZeroOnOneRank()
    {
        using var run = new RunDirectory();
        var r = ProgramRunner.Run($"train --density 0.001 --max-steps 4 --log-every 1 --log-assumption true --error-feedback false --out {run.Path}", 1);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        var records = Records(run);
        Assert.That(records, Has.Count.EqualTo(4));
        foreach (var x in records)
        {
            Assert.That((double)x["xi"]!, Is.Zero, "mean acc = acc and mean TopK(acc) = TopK(acc): " + x.ToJsonString());
            Assert.That((double)x["xi_topk"]!, Is.Zero, x.ToJsonString());
            Assert.That((double)x["topk_residual_ratio"]!, Is.GreaterThan(0).And.LessThan((double)x["randomk_bound"]!));
        }
    }

    [TestCase("--log-assumption true --compressor none", "--log-assumption measures a compressor's accumulator")]
    [TestCase("--log-assumption true --compressor topk-approx", "--compressor topk-approx selects other entries")]
    [TestCase("--log-assumption true --exchange oktopk", "--exchange oktopk applies a global top-k")]
    [TestCase("--log-assumption true --k-rule dynamic", "--k-rule dynamic chooses k per rank")]
    [TestCase("--log-assumption true --select-kernel torch", "the torch kernel keeps it on the device")]
    [TestCase("--log-assumption yes", "--log-assumption must be true or false (got 'yes')")]
    public void Refused(string options, string expected) =>
        BadInputTests.AssertOneLineError(ProgramRunner.Run($"train --max-steps 2 {options}", 2, timeoutSeconds: 60), expected);
}
