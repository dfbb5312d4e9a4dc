using SparseMpi.Tests.Support;

namespace SparseMpi.Tests.Cli;

/// <summary>
/// The GPU code path (<c>--select-kernel torch</c>: model, momentum and residual as device tensors, host copies for
/// MPI) run on CPU tensors under real mpiexec, against the SIMD path. No GPU was used.
/// </summary>
[TestFixture, Category("mpi")]
public class TorchKernelTrainingTests
{
    const string Steps = "--device cpu --max-steps 60 --checkpoint-every 60";

    [TestCase(2, "--compressor topk --density 0.01")]
    [TestCase(3, "--compressor topk --density 0.01")]
    [TestCase(3, "--compressor topk --k-rule dynamic --exchange allreduce")]
    [TestCase(2, "--compressor none")]
    public void TorchKernelLearnsAndEndsWithTheSimdKernelsParameters(int ranks, string options)
    {
        using var torchRun = new RunDirectory();
        using var simdRun = new RunDirectory();
        var t = ProgramRunner.Run($"train --select-kernel torch {options} {Steps} --out {torchRun.Path}", ranks);
        Assert.That(t.ExitCode, Is.EqualTo(0), t.ToString()); // the program itself fails when ranks' parameters differ
        var s = ProgramRunner.Run($"train --select-kernel simd {options} {Steps} --out {simdRun.Path}", ranks);
        Assert.That(s.ExitCode, Is.EqualTo(0), s.ToString());

        var summary = torchRun.Summary();
        Assert.That((string)summary["select_kernel"]!, Is.EqualTo("torch"));
        Assert.That((string)summary["device"]!, Is.EqualTo("cpu"));
        Assert.That((double)summary["test_accuracy"]!, Is.GreaterThan(0.5), "10 classes: chance is 0.1");

        float[] pt = CheckpointFiles.Parameters(torchRun.Path), ps = CheckpointFiles.Parameters(simdRun.Path);
        Assert.That(pt, Has.Length.EqualTo(ps.Length));
        double maxDiff = pt.Zip(ps).Max(p => Math.Abs(p.First - p.Second));
        Assert.That(maxDiff, Is.LessThanOrEqualTo(1e-6 * ps.Max(Math.Abs)), "the two kernels drifted apart");
        // Stronger, and why --select-kernel is not part of the configuration: the same bits.
        Assert.That((string)summary["parameter_hash"]!, Is.EqualTo((string)simdRun.Summary()["parameter_hash"]!),
            $"max |torch - simd| = {maxDiff}: the torch path no longer performs the SIMD path's float operations");
    }

    [Test]
    public void ResumeWithTheTorchKernelIsBitIdenticalAndCheckpointsMoveBetweenKernels()
    {
        const string config = "--device cpu --select-kernel torch --compressor topk --density 0.01 --batch-size 512";
        using var straight = new RunDirectory();
        using var resumed = new RunDirectory();
        var a = ProgramRunner.Run($"train {config} --max-steps 20 --out {straight.Path}", 2);
        Assert.That(a.ExitCode, Is.EqualTo(0), a.ToString());
        var b1 = ProgramRunner.Run($"train {config} --max-steps 10 --checkpoint-every 10 --out {resumed.Path}", 2);
        Assert.That(b1.ExitCode, Is.EqualTo(0), b1.ToString());
        var b2 = ProgramRunner.Run($"train {config} --max-steps 20 --resume {resumed.Path}", 2);
        Assert.That(b2.ExitCode, Is.EqualTo(0), b2.ToString());
        Assert.That((long)resumed.Summary()["resumed_from_step"]!, Is.EqualTo(10));
        string expected = (string)straight.Summary()["parameter_hash"]!;
        Assert.That((string)resumed.Summary()["parameter_hash"]!, Is.EqualTo(expected), "resumed run differs from the uninterrupted one");

        // The state layout is shared, so the SIMD kernel continues the torch kernel's checkpoint to the same bits.
        using var crossed = new RunDirectory();
        var c1 = ProgramRunner.Run($"train {config} --max-steps 10 --checkpoint-every 10 --out {crossed.Path}", 2);
        Assert.That(c1.ExitCode, Is.EqualTo(0), c1.ToString());
        var c2 = ProgramRunner.Run($"train {config.Replace("torch", "simd")} --max-steps 20 --resume {crossed.Path}", 2);
        Assert.That(c2.ExitCode, Is.EqualTo(0), c2.ToString());
        Assert.That((string)crossed.Summary()["parameter_hash"]!, Is.EqualTo(expected));
    }

    [Test]
    public void CudaWithoutAGpuIsOneClearLine() =>
        BadInputTests.AssertOneLineError(ProgramRunner.Run("train --device cuda --max-steps 5", 2, timeoutSeconds: 120),
            "--device cuda: no CUDA device is available");

    [TestCase("--device cuda --select-kernel simd", "--select-kernel simd works on host memory")]
    [TestCase("--select-kernel torch --compressor randomk", "--select-kernel torch implements --compressor topk and none")]
    [TestCase("--device tpu", "unknown --device 'tpu'")]
    public void ImpossibleCombinationsAreRefusedBeforeTraining(string options, string expected) =>
        BadInputTests.AssertOneLineError(ProgramRunner.Run($"train {options}", 2, timeoutSeconds: 60), expected);
}
