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
        AssertOneLineError(r, "ranks disagree on the train options: --lr (rank 0: 0.05; rank 1: 0.1)");
    }

    // A rank that alone refuses its command line (MPMD, a per-rank wrapper) used to exit quietly while the
    // others waited for it in MPI_Init: a hang. It now meets them in the first collective and says why.
    [TestCase(Launcher.OpenMpi), TestCase(Launcher.Mpich)]
    public void ARankThatAloneRefusesItsOptionsEndsTheJob(Launcher launcher)
    {
        using var run = new RunDirectory();
        var r = ProgramRunner.RunMpmd([$"train --max-steps 5 --out {run.Path}", $"train --max-steps 5 --out {run.Path} --lr -1"],
            launcher, timeoutSeconds: 120);
        AssertOneLineError(r, "on rank 1: --lr must be a positive finite number");
    }

    [TestCase(Launcher.OpenMpi), TestCase(Launcher.Mpich)]
    public void ARankWithAnUnknownOptionEndsTheJob(Launcher launcher)
    {
        using var run = new RunDirectory();
        var r = ProgramRunner.RunMpmd([$"hogwild --updates 20 --out {run.Path}", $"hogwild --updates 20 --out {run.Path} --bogus"],
            launcher, timeoutSeconds: 120);
        AssertOneLineError(r, "on rank 1: unknown option '--bogus'");
    }

    [Test]
    public void AllRanksRefusingSayItOnce() =>
        AssertOneLineError(ProgramRunner.Run("train --lr -1", 4, Launcher.Mpich, timeoutSeconds: 120), "--lr must be a positive finite number");

    [Test]
    public void RanksRunningDifferentVerbs()
    {
        using var run = new RunDirectory();
        var r = ProgramRunner.RunMpmd([$"train --max-steps 5 --out {run.Path}", "check-mpi"], timeoutSeconds: 120);
        AssertOneLineError(r, "ranks run different verbs");
    }

    [Test]
    public void HogwildIntoAFileIsRefusedBeforeAnyWork()
    {
        using var run = new RunDirectory();
        string file = Path.Combine(run.Path, "a-file");
        File.WriteAllText(file, "");
        AssertOneLineError(ProgramRunner.Run($"hogwild --model logreg --updates 20 --out {file}", 2, timeoutSeconds: 120), "--out");
    }

    [TestCase("train --model logreg --out {0}/sub", "is a file, not a directory")]
    [TestCase("plot {1} --out {0}", "is a file, not a directory")]
    [TestCase("report {1} --out {0}/sub", "is a file, not a directory")]
    [TestCase("bench-topk -d 65536 --json /proc/sparsempi-test.json", "cannot write in /proc")]
    [TestCase("fit-mpi-cost --model logreg --json /proc/sparsempi-test.json", "cannot write in /proc")]
    public void AnOutputThatCannotBeWrittenIsOneLineBeforeAnyWork(string command, string expected)
    {
        using var run = new RunDirectory();
        string file = Path.Combine(run.Path, "a-file");
        File.WriteAllText(file, "");
        string finishedRun = Path.Combine(ScriptRunner.RepoRoot, "docs/results/scaling/runs/topk-0.01/ranks-1");
        var r = ProgramRunner.Run(string.Format(command, file, finishedRun), 1, Launcher.None, timeoutSeconds: 60);
        AssertOneLineError(r, expected);
        Assert.That(r.Elapsed.TotalSeconds, Is.LessThan(20), "refused only after the work");
    }

    [Test]
    public void DensityThatRoundsToNoEntryIsRefused() =>
        AssertOneLineError(ProgramRunner.Run("train --model logreg --density 1e-9", 2, timeoutSeconds: 120), "gives k = round(d * density) = 0");

    [Test]
    public void FixedKWithTheDynamicRuleIsRefused() =>
        AssertOneLineError(ProgramRunner.Run("train --k-rule dynamic --k 10", 1, Launcher.None, timeoutSeconds: 60), "--k is the fixed rule's k");

    [TestCase("train --lr 1e39", "--lr must be a positive finite number")] // finite as a double, infinite as the float it trains with
    [TestCase("train --compressor topk --threshold 0.1", "--compressor topk would ignore it")]
    [TestCase("hogwild --compressor none --threshold 0.1", "--compressor none would ignore it")]
    [TestCase("train --k-max 100", "--k-max bounds the dynamic rule")]
    [TestCase("train --epochs 2 5", "unexpected argument '5'")]
    [TestCase("selftest-topk --large maybe", "unexpected argument 'maybe'")]
    [TestCase("bench-topk --d 4096 --repeat 1 4096", "unexpected argument '4096'")] // --d is the short option d
    [TestCase("train --exchange allreduce --index-format delta", "--exchange allreduce sends dense fp32")]
    [TestCase("train --compressor none --value-format fp16", "--compressor none sends dense fp32")]
    [TestCase("train --compressor none --warmup-epochs 2", "--compressor none has none")]
    public void ValuesTheRunWouldMisuseAreRefused(string command, string expected) =>
        AssertOneLineError(ProgramRunner.Run(command, 1, Launcher.None, timeoutSeconds: 60), expected);

    [Test]
    public void ShortOnlyOptionsAreNamedInErrors() =>
        AssertOneLineError(ProgramRunner.Run("train -k 5 --k 6", 1, Launcher.None, timeoutSeconds: 60), "option '--k' is given twice");
}
