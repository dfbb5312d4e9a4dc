using SparseMpi.Tests.Support;

namespace SparseMpi.Tests.Cli;

/// <summary>Top-k training with error feedback under real mpiexec: identical ranks, and the dense limit.</summary>
[TestFixture, Category("mpi")]
public class SparsifiedTrainingTests
{
    [TestCase("topk", 3), TestCase("topk-approx", 4), TestCase("randomk", 2), TestCase("threshold --threshold 0.0005", 4)]
    public void CompressedTrainingKeepsRanksIdenticalAndLearns(string compressor, int ranks)
    {
        using var run = new RunDirectory();
        var r = ProgramRunner.Run($"train --compressor {compressor} --density 0.01 --max-steps 120 --batch-size 128 --out {run.Path}", ranks);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString()); // the program itself fails when ranks' parameters differ
        var s = run.Summary();
        Assert.That((double)s["test_accuracy"]!, Is.GreaterThan(0.5), r.ToString());
        Assert.That((double)s["compression_ratio"]!, Is.GreaterThan(compressor.StartsWith("threshold") ? 1.0 : 10.0));
        Assert.That((long)s["bytes_sent_per_rank"]!, Is.LessThan((long)s["dense_bytes_per_rank"]!));
    }

    [Test]
    public void DensityOneWithErrorFeedbackEqualsDenseTraining()
    {
        // With k = d every entry is sent each step: p -= (sum of lr*u_r)/P, the dense update up to the order of
        // float sums. Momentum masking would zero u each step at k = d, so it is off here.
        using var dense = new RunDirectory();
        using var sparse = new RunDirectory();
        const string common = "--model logreg --max-steps 60 --checkpoint-every 60 --momentum 0.9";
        var a = ProgramRunner.Run($"train --compressor none {common} --out {dense.Path}", 4);
        var b = ProgramRunner.Run($"train --compressor topk --density 1 --momentum-masking false {common} --out {sparse.Path}", 4);
        Assert.That(a.ExitCode, Is.EqualTo(0), a.ToString());
        Assert.That(b.ExitCode, Is.EqualTo(0), b.ToString());
        float[] pa = CheckpointFiles.Parameters(dense.Path), pb = CheckpointFiles.Parameters(sparse.Path);
        Assert.That(pb, Has.Length.EqualTo(pa.Length));
        double maxDiff = pa.Zip(pb).Max(p => Math.Abs(p.First - p.Second));
        double scale = pa.Max(Math.Abs);
        Assert.That(maxDiff, Is.LessThan(1e-4 * scale), $"max |dense - sparse| = {maxDiff}, max |p| = {scale}");
    }

    /// <summary>
    /// Without error feedback nothing unsent is carried to the next step: a run whose residual is set to zero
    /// halfway (in its checkpoint, before resuming) ends bit for bit where the uninterrupted run ends. With error
    /// feedback the same surgery changes the result, so the check can tell a carried residual from a dropped one.
    /// (The residual buffer itself is not zero without feedback: the fused pass writes lr*u into it as scratch and
    /// the next step overwrites it, see ErrorFeedback.Residual; what matters is that no step reads it back.)
    /// </summary>
    [Test]
    public void WithoutErrorFeedbackTheResidualIsDropped()
    {
        using var ef = new RunDirectory();
        using var noEf = new RunDirectory();
        Assert.That(ProgramRunner.Run($"train --density 0.001 --max-steps 60 --out {ef.Path}", 2).ExitCode, Is.EqualTo(0));
        Assert.That(ProgramRunner.Run($"train --density 0.001 --error-feedback false --max-steps 60 --out {noEf.Path}", 2).ExitCode, Is.EqualTo(0));
        Assert.That((bool)ef.Summary()["error_feedback"]!, Is.True);
        Assert.That((bool)noEf.Summary()["error_feedback"]!, Is.False);
        Assert.That((string)ef.Summary()["parameter_hash"]!, Is.Not.EqualTo((string)noEf.Summary()["parameter_hash"]!));

        foreach (var (options, straight, residualMatters) in new[] { ("", ef, true), ("--error-feedback false", noEf, false) })
        {
            using var halves = new RunDirectory();
            var first = ProgramRunner.Run($"train --density 0.001 {options} --max-steps 30 --checkpoint-every 30 --out {halves.Path}", 2);
            Assert.That(first.ExitCode, Is.EqualTo(0), first.ToString());
            Assert.That(CheckpointFiles.ZeroResiduals(halves.Path), Is.GreaterThan(0), $"'{options}': the checkpoint holds a residual to drop");
            var second = ProgramRunner.Run($"train --density 0.001 {options} --max-steps 60 --resume {halves.Path}", 2);
            Assert.That(second.ExitCode, Is.EqualTo(0), second.ToString());
            string resumed = (string)halves.Summary()["parameter_hash"]!, uninterrupted = (string)straight.Summary()["parameter_hash"]!;
            if (residualMatters) Assert.That(resumed, Is.Not.EqualTo(uninterrupted), "with error feedback a zeroed residual changes the run");
            else Assert.That(resumed, Is.EqualTo(uninterrupted), "without error feedback the residual is never read back");
        }
    }

    [Test]
    public void WireFormatsAndAllreduceExchangeRun()
    {
        using var run = new RunDirectory();
        var r = ProgramRunner.Run($"train --index-format delta --value-format fp16 --max-steps 20 --out {run.Path}", 3);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That((string)run.Summary()["wire_format"]!, Is.EqualTo("delta:fp16"));
        using var run2 = new RunDirectory();
        var r2 = ProgramRunner.Run($"train --exchange allreduce --max-steps 20 --out {run2.Path}", 3);
        Assert.That(r2.ExitCode, Is.EqualTo(0), r2.ToString()); // the program itself fails when ranks' parameters differ

        // The same selection through the sparse allgather: the dense allreduce must apply the very same sum.
        using var run3 = new RunDirectory();
        var r3 = ProgramRunner.Run($"train --max-steps 20 --out {run3.Path}", 3);
        Assert.That(r3.ExitCode, Is.EqualTo(0), r3.ToString());
        var allreduce = run2.Summary();
        var allgather = run3.Summary();
        Assert.That((string)allreduce["parameter_hash"]!, Is.EqualTo((string)allgather["parameter_hash"]!),
            "the allreduce exchange of the same selection ends with the allgather's parameters");
        Assert.That((long)allreduce["k"]!, Is.EqualTo((long)allgather["k"]!));

        // Bytes: a dense ring allreduce of d floats per step, 2 (P-1)/P * 4d each way; so a compression ratio of 1.
        long d = (long)allreduce["d"]!, steps = (long)allreduce["steps"]!;
        long ring = (long)Math.Round(2.0 * (3 - 1) / 3 * 4 * d);
        Assert.That((long)allreduce["bytes_sent_per_rank"]!, Is.EqualTo(steps * ring));
        Assert.That((long)allreduce["dense_bytes_per_rank"]!, Is.EqualTo(steps * ring));
        Assert.That((double)allreduce["compression_ratio"]!, Is.EqualTo(1.0));
        Assert.That((long)allgather["bytes_sent_per_rank"]!, Is.LessThan(steps * ring));
    }

    [Test]
    public void MetricsHavePerStepBreakdownAndTensorBoardEvents()
    {
        using var run = new RunDirectory();
        var r = ProgramRunner.Run($"train --max-steps 25 --log-every 5 --out {run.Path}", 2);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        var lines = File.ReadAllLines(run["metrics.jsonl"]);
        Assert.That(lines, Has.Length.EqualTo(5 + 1)); // steps 0,5,...,20 and the last step 24
        var first = System.Text.Json.Nodes.JsonNode.Parse(lines[1])!;
        foreach (string f in new[] { "step", "epoch", "loss", "k", "density", "bytes_sent", "bytes_received", "ms_compute", "ms_select", "ms_wait", "ms_comm", "ms_apply", "k_per_rank" })
            Assert.That(first[f], Is.Not.Null, f);
        Assert.That(first["k_per_rank"]!.AsArray(), Has.Count.EqualTo(2));
        Assert.That(File.ReadAllLines(run["metrics.csv"]), Has.Length.EqualTo(7));
        var events = Directory.GetFiles(run["tensorboard"], "events.out.tfevents.*");
        Assert.That(events, Has.Length.EqualTo(1));
        Assert.That(new FileInfo(events[0]).Length, Is.GreaterThan(200));
    }
}
