using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SparseMpi.Tests.Support;
using SparseMpi.Training;

namespace SparseMpi.Tests.Cli;

/// <summary>
/// train in the setting of Khirirat et al. under real mpiexec: l2-regularised softmax regression, full-batch
/// gradient descent at step 1/L from x0 = 0. On a smooth convex f every such step must lower f (descent lemma):
/// dense on 4 ranks (the mean of the shards' gradients is the gradient), and direct top-k compression of the
/// gradient on one rank with the dynamic rule (f drops by at least ||T_k(g)||^2 / (2L) per step).
/// </summary>
[TestFixture, Category("mpi")]
public class PaperSettingRunTests
{
    const string Setting = "train --model logreg --l2 0.1 --batch-size full --train-samples 256 --step-size inverse-L --init zero --momentum 0 --log-every 1 --epochs 25";

    static double[] Objectives(RunDirectory run) =>
        File.ReadLines(run["metrics.jsonl"]).Select(l => (double)JsonNode.Parse(l)!["objective"]!).ToArray();

    static void AssertStrictlyDecreasing(double[] f)
    {
        Assert.That(f, Has.Length.EqualTo(25));
        Assert.That(f[0], Is.EqualTo(Math.Log(10)).Within(1e-6), "f(0) = ln 10: uniform softmax, no penalty");
        for (int t = 1; t < f.Length; t++) Assert.That(f[t], Is.LessThan(f[t - 1]), $"f went up at step {t}: {f[t - 1]} -> {f[t]}");
    }

    [Test]
    public void DenseGradientDescentAtOneOverLDecreasesTheObjectiveEveryStep()
    {
        using var run = new RunDirectory();
        var r = ProgramRunner.Run($"{Setting} --compressor none --out {run.Path}", 4);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        var f = Objectives(run);
        AssertStrictlyDecreasing(f);
        var s = run.Summary();
        Assert.That((bool)s["full_batch"]!, Is.True);
        // The certificate is taken after the last update (one descent step past the last logged f), in double.
        double last = (double)s["final_objective_float64"]!, norm = (double)s["final_gradient_norm_float64"]!;
        Assert.That(last, Is.LessThan(f[^1]).And.GreaterThan(f[^1] - 2 * (f[^2] - f[^1])), "one step further than the last logged f");
        Assert.That((double)s["suboptimality_bound"]!, Is.EqualTo(norm * norm / (2 * 0.1)).Within(1e-12));
        Assert.That((long)s["batch_size_per_rank"]!, Is.EqualTo(64), "256 images over 4 ranks");
        // The L the 4 ranks computed with an allreduce is the one a single caller computes over all 256 images.
        double expected = SmoothnessBound.LargestEigenvalueOfGram(Training.TestData.FashionMnist.Train.Slice(0, 256), 0, 1, _ => { }) / 512 + 0.1;
        double l = (double)s["smoothness_l"]!;
        Assert.That(l, Is.EqualTo(expected).Within(1e-8 * expected));
        Assert.That((double)s["lr"]!, Is.EqualTo(1 / l).Within(1e-12));
        Assert.That(Regex.Match(r.Stdout, @"step size 1/L: L = (\S+)").Groups[1].Value, Is.EqualTo(l.ToString("R", CultureInfo.InvariantCulture)));
    }

    [Test]
    public void DirectTopKCompressionWithTheDynamicRuleDecreasesTheObjectiveEveryStep()
    {
        using var run = new RunDirectory();
        var r = ProgramRunner.Run($"{Setting} --error-feedback false --k-rule dynamic --index-bits log2d --out {run.Path}", 1);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        AssertStrictlyDecreasing(Objectives(run));
        var s = run.Summary();
        Assert.That((string)s["index_bits"]!, Is.EqualTo("log2d"));
        // Both index prices accounted: 13 + 32 bits per entry against 64 bits, the same 224-bit header per step.
        double wire = (double)s["cost_payload_bits"]!, log2d = (double)s["cost_payload_log2d_bits"]!;
        Assert.That(log2d - 25 * 224, Is.EqualTo((wire - 25 * 224) * 45 / 64).Within(1e-6 * wire));
    }

    [Test]
    public void AResumedRunEndsWithTheUninterruptedRunsParametersAndCosts()
    {
        // 10 steps against 5 + resume 5: the same bits, and the log2d payload total (not in the checkpoint,
        // derived on resume from the wire total) the same.
        const string sparse = "train --model logreg --l2 0.1 --batch-size full --train-samples 256 --step-size inverse-L --init zero --momentum 0 --error-feedback false --k-rule dynamic --log-every 1";
        using var straight = new RunDirectory();
        using var resumed = new RunDirectory();
        Assert.That(ProgramRunner.Run($"{sparse} --epochs 10 --out {straight.Path}", 2).ExitCode, Is.EqualTo(0));
        var first = ProgramRunner.Run($"{sparse} --epochs 5 --checkpoint-every 5 --out {resumed.Path}", 2);
        Assert.That(first.ExitCode, Is.EqualTo(0), first.ToString());
        var second = ProgramRunner.Run($"{sparse} --epochs 10 --resume {resumed.Path}", 2);
        Assert.That(second.ExitCode, Is.EqualTo(0), second.ToString());
        var a = straight.Summary();
        var b = resumed.Summary();
        Assert.That((string)b["parameter_hash"]!, Is.EqualTo((string)a["parameter_hash"]!));
        Assert.That((double)b["cost_payload_log2d_bits"]!, Is.EqualTo((double)a["cost_payload_log2d_bits"]!).Within(1e-9 * (double)a["cost_payload_log2d_bits"]!));
        Assert.That((double)b["final_objective"]!, Is.EqualTo((double)a["final_objective"]!));
    }

    [Test]
    public void FullBatchNeedsShardsCoveringEveryImage() =>
        BadInputTests.AssertOneLineError(ProgramRunner.Run("train --model logreg --batch-size full --train-samples 258 --max-steps 1", 4, timeoutSeconds: 120),
            "--batch-size full needs the 258 training images to split evenly over 4 ranks");

    [Test]
    public void MoreTrainSamplesThanTheSetAreRefused() =>
        BadInputTests.AssertOneLineError(ProgramRunner.Run("train --model logreg --train-samples 60001 --max-steps 1", 2, timeoutSeconds: 120),
            "--train-samples 60001 is more than the 60000 training images");
}
