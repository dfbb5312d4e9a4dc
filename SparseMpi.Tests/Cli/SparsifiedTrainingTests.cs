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
        Assert.That(r2.ExitCode, Is.EqualTo(0), r2.ToString());
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
