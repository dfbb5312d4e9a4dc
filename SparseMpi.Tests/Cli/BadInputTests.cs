using SparseMpi.Tests.Support;

namespace SparseMpi.Tests.Cli;

/// <summary>
/// Bad input under a real 4-rank mpiexec: one clear line on stderr, a non-zero exit, and no hang (the runner
/// kills and fails anything that outlives its timeout).
/// </summary>
[TestFixture, Category("mpi")]
public class BadInputTests
{
    /// <summary>
    /// The program's own output is exactly one "sparsempi: error:" line and no stack trace. (Open MPI's mpiexec
    /// adds its own banner about a non-zero exit unless run with -q; that is the launcher's, not ours.)
    /// </summary>
    internal static void AssertOneLineError(RunResult r, string expected)
    {
        Assert.That(r.ExitCode, Is.Not.EqualTo(0), r.ToString());
        string all = r.Stdout + r.Stderr;
        var ours = all.Split('\n').Where(l => l.StartsWith("sparsempi:")).ToArray();
        Assert.That(ours, Has.Length.EqualTo(1), r.ToString());
        Assert.That(ours[0], Does.StartWith("sparsempi: error:").And.Contain(expected), r.ToString());
        Assert.That(all, Does.Not.Contain("   at ").And.Not.Contain("Exception"), r.ToString());
    }

    [Test]
    public void UnknownModel() =>
        AssertOneLineError(ProgramRunner.Run("train --model resnet9000", 4, timeoutSeconds: 60), "unknown model 'resnet9000'");

    [Test]
    public void NegativeLearningRate() =>
        AssertOneLineError(ProgramRunner.Run("train --lr -0.1", 4, timeoutSeconds: 60), "--lr must be a positive");

    [Test]
    public void MissingDataDirectory() =>
        AssertOneLineError(ProgramRunner.Run("train --data /nonexistent/fmnist", 4, timeoutSeconds: 60), "/nonexistent/fmnist");

    [Test]
    public void TrailingOptionWithoutValueIsRefusedNotDefaulted() =>
        AssertOneLineError(ProgramRunner.Run("train --max-steps 5 --epochs", 2, timeoutSeconds: 60), "option '--epochs' needs a value");

    [Test]
    public void PlotWithoutRunDirectories() =>
        AssertOneLineError(ProgramRunner.Run("plot --out /tmp/nowhere", launcher: Launcher.None, timeoutSeconds: 60), "missing or extra positional arguments");

    [Test]
    public void UnknownCompressor() =>
        AssertOneLineError(ProgramRunner.Run("train --compressor gzip", 4, timeoutSeconds: 60), "unknown compressor 'gzip'");

    [Test]
    public void BatchLargerThanShard() =>
        AssertOneLineError(ProgramRunner.Run("train --batch-size 20000", 4, timeoutSeconds: 120), "batch size 20000");

    [Test]
    public void ResumeFromDirectoryWithoutCheckpoint()
    {
        using var run = new RunDirectory();
        AssertOneLineError(ProgramRunner.Run($"train --resume {run.Path}", 4, timeoutSeconds: 120), "no checkpoint there");
    }

    [Test]
    public void RanksThatDisagreeOnConfigurationStopTogether()
    {
        using var run = new RunDirectory();
        var r = ProgramRunner.RunMpmd([$"train --max-steps 5 --out {run.Path} --lr 0.05", $"train --max-steps 5 --out {run.Path} --lr 0.1"],
            timeoutSeconds: 120);
        AssertOneLineError(r, "ranks disagree on the training configuration");
    }
}
