using SparseMpi.Tests.Support;

namespace SparseMpi.Tests.Cli;

/// <summary>Checkpoint and resume under real mpiexec: exact continuation, and refusals.</summary>
[TestFixture, Category("mpi")]
public class CheckpointTests
{
    // 60000 / 4 ranks / 512 = 29 steps per epoch: two short epochs with a reshuffle in between.
    const string Config = "--compressor topk --density 0.01 --batch-size 512 --model mlp";

    [Test]
    public void TwoEpochsEqualOneEpochPlusResumeBitForBit()
    {
        using var straight = new RunDirectory();
        using var resumed = new RunDirectory();
        var a = ProgramRunner.Run($"train {Config} --epochs 2 --out {straight.Path}", 4);
        Assert.That(a.ExitCode, Is.EqualTo(0), a.ToString());
        var b1 = ProgramRunner.Run($"train {Config} --epochs 1 --checkpoint-every 10 --out {resumed.Path}", 4);
        Assert.That(b1.ExitCode, Is.EqualTo(0), b1.ToString());
        Assert.That(CheckpointFiles.LatestStep(resumed.Path), Is.EqualTo(29), "a checkpoint at the end of the run");
        Assert.That(Directory.GetDirectories(Path.Combine(resumed.Path, "checkpoints")), Has.Length.EqualTo(1), "older checkpoints are removed");
        var b2 = ProgramRunner.Run($"train {Config} --epochs 2 --resume {resumed.Path}", 4);
        Assert.That(b2.ExitCode, Is.EqualTo(0), b2.ToString());
        var sa = straight.Summary();
        var sb = resumed.Summary();
        Assert.That((long)sb["resumed_from_step"]!, Is.EqualTo(29));
        Assert.That((string)sb["parameter_hash"]!, Is.EqualTo((string)sa["parameter_hash"]!), "resumed run differs from the uninterrupted one");
        Assert.That((long)sb["bytes_sent_per_rank"]!, Is.EqualTo((long)sa["bytes_sent_per_rank"]!));
        var steps = File.ReadLines(Path.Combine(resumed.Path, "metrics.jsonl")).Select(l => (long)System.Text.Json.Nodes.JsonNode.Parse(l)!["step"]!).ToList();
        Assert.That(steps, Is.Ordered.Ascending.And.Unique, "metrics read as one run");
    }

    [Test]
    public void ResumingAFinishedRunIsRefusedAndKeepsItsResults()
    {
        // Checkpointed() ends at step 10 = its --max-steps: nothing is left to train.
        using var run = Checkpointed();
        string summary = File.ReadAllText(Path.Combine(run.Path, "summary.json"));
        var r = ProgramRunner.Run($"train {Config} --max-steps 10 --resume {run.Path}", 2, timeoutSeconds: 120);
        BadInputTests.AssertOneLineError(r, "the run already ended at step 10");
        Assert.That(File.ReadAllText(Path.Combine(run.Path, "summary.json")), Is.EqualTo(summary), "the finished run's summary was overwritten");
    }

    RunDirectory Checkpointed()
    {
        var run = new RunDirectory();
        var r = ProgramRunner.Run($"train {Config} --max-steps 10 --checkpoint-every 10 --out {run.Path}", 2);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        return run;
    }

    [Test]
    public void ResumeWithAnotherConfigurationIsRefused()
    {
        using var run = Checkpointed();
        var r = ProgramRunner.Run($"train {Config} --lr 0.2 --max-steps 20 --resume {run.Path}", 2, timeoutSeconds: 120);
        BadInputTests.AssertOneLineError(r, "different configuration");
        Assert.That(r.Stdout + r.Stderr, Does.Contain("lr=0.2"));
    }

    [Test]
    public void ResumeWithAnotherRankCountIsRefused()
    {
        using var run = Checkpointed();
        var r = ProgramRunner.Run($"train {Config} --max-steps 20 --resume {run.Path}", 3, timeoutSeconds: 120);
        BadInputTests.AssertOneLineError(r, "written by 2 ranks, this run has 3");
    }

    [Test]
    public void CorruptCheckpointIsRefused()
    {
        using var run = Checkpointed();
        string file = Path.Combine(CheckpointFiles.LatestDirectory(run.Path), "rank-0001.bin");
        byte[] bytes = File.ReadAllBytes(file);
        bytes[bytes.Length / 2] ^= 0x40;
        File.WriteAllBytes(file, bytes);
        var r = ProgramRunner.Run($"train {Config} --max-steps 20 --resume {run.Path}", 2, timeoutSeconds: 120);
        BadInputTests.AssertOneLineError(r, "is corrupt");
    }

    [Test]
    public void NonFiniteGradientStopsWithStepAndLeavesLastCheckpointIntact()
    {
        using var run = new RunDirectory();
        var r = ProgramRunner.Run($"train {Config} --max-steps 30 --checkpoint-every 5 --fault-nan-step 12 --out {run.Path}", 2, timeoutSeconds: 120);
        BadInputTests.AssertOneLineError(r, "non-finite loss or gradient at step 12");
        Assert.That(r.Stdout + r.Stderr, Does.Contain("last checkpoint (step 10) is intact"));
        Assert.That(CheckpointFiles.LatestStep(run.Path), Is.EqualTo(10));
        // The checkpoint loads and training continues from it.
        var resumed = ProgramRunner.Run($"train {Config} --max-steps 15 --resume {run.Path}", 2);
        Assert.That(resumed.ExitCode, Is.EqualTo(0), resumed.ToString());
    }

    [TestCase("none"), TestCase("topk")]
    public void DivergingLearningRateStopsCleanly(string compressor)
    {
        using var run = new RunDirectory();
        var r = ProgramRunner.Run($"train --compressor {compressor} --lr 1e30 --max-steps 50 --out {run.Path}", 4, timeoutSeconds: 120);
        BadInputTests.AssertOneLineError(r, "non-finite loss or gradient at step");
    }
}
