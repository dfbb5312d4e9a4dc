using CommandLine;
using SparseMpi.Cli;
using SparseMpi.Tests.Support;

namespace SparseMpi.Tests.Cli;

/// <summary>
/// Ranks started with different options (an MPMD launch, as a broken job script or per-rank wrapper would) stop
/// together in the first collective with one line naming the options and ranks that differ, before anything is
/// written, under Open MPI and MPICH (issue 17, rows 1-4). These used to hang, trace or write into two directories.
/// </summary>
[TestFixture, Category("mpi")]
public class OptionAgreementTests
{
    /// <summary>
    /// Launches one rank per entry of <paramref name="perRank"/> ({0} is a fresh directory) and checks the one line,
    /// the exit code and that the directory is still empty (nothing written by any rank).
    /// </summary>
    static void AssertRanksStopTogether(Launcher launcher, string[] perRank, string expected)
    {
        using var run = new RunDirectory();
        var r = ProgramRunner.RunMpmd(perRank.Select(a => string.Format(a, run.Path)).ToList(), launcher, timeoutSeconds: 120);
        BadInputTests.AssertOneLineError(r, expected);
        Assert.That(Directory.EnumerateFileSystemEntries(run.Path), Is.Empty, "a rank wrote before the ranks agreed");
        Assert.That(r.Elapsed.TotalSeconds, Is.LessThan(60), r.ToString());
    }

    static readonly Launcher[] Launchers = [Launcher.OpenMpi, Launcher.Mpich];

    [TestCaseSource(nameof(Launchers))]
    public void MaxStepsThatDifferPerRank(Launcher launcher) => AssertRanksStopTogether(launcher,
        ["train --max-steps 5 --out {0}/run", "train --max-steps 7 --out {0}/run"],
        "ranks disagree on the train options: --max-steps (rank 0: 5; rank 1: 7)");

    [TestCaseSource(nameof(Launchers))]
    public void EpochsThatDifferPerRank(Launcher launcher) => AssertRanksStopTogether(launcher,
        ["train --epochs 1 --out {0}/run", "train --epochs 2 --out {0}/run"],
        "--epochs (rank 0: 1; rank 1: 2)");

    [TestCaseSource(nameof(Launchers))]
    public void CheckpointIntervalsThatDifferPerRank(Launcher launcher) => AssertRanksStopTogether(launcher,
        ["train --max-steps 20 --checkpoint-every 5 --out {0}/run", "train --max-steps 20 --checkpoint-every 0 --out {0}/run"],
        "--checkpoint-every (rank 0: 5; rank 1: 0)");

    [TestCaseSource(nameof(Launchers))]
    public void FitMpiCostRepeatsThatDifferPerRank(Launcher launcher) => AssertRanksStopTogether(launcher,
        ["fit-mpi-cost --model logreg --repeat 3 --json {0}/fit.json", "fit-mpi-cost --model logreg --repeat 5 --json {0}/fit.json"],
        "ranks disagree on the fit-mpi-cost options: --repeat (rank 0: 3; rank 1: 5)");

    [TestCaseSource(nameof(Launchers))]
    public void FitMpiCostModelsThatDifferPerRank(Launcher launcher) => AssertRanksStopTogether(launcher,
        ["fit-mpi-cost --model mlp --json {0}/fit.json", "fit-mpi-cost --model logreg --json {0}/fit.json"],
        "--model (rank 0: mlp; rank 1: logreg)");

    [TestCaseSource(nameof(Launchers))]
    public void OutputDirectoriesThatDifferPerRank(Launcher launcher) => AssertRanksStopTogether(launcher,
        ["train --max-steps 20 --checkpoint-every 5 --out {0}/A", "train --max-steps 20 --checkpoint-every 5 --out {0}/A",
         "train --max-steps 20 --checkpoint-every 5 --out {0}/B", "train --max-steps 20 --checkpoint-every 5 --out {0}/B"],
        "--out (ranks 0, 1: ");

    [TestCaseSource(nameof(Launchers))]
    public void ResumeOnSomeRanksOnly(Launcher launcher)
    {
        using var resumed = new RunDirectory(); // an existing run directory: Validate accepts it, the ranks refuse
        AssertRanksStopTogether(launcher,
            [$"train --max-steps 20 --resume {resumed.Path}", $"train --max-steps 20 --resume {resumed.Path}",
             "train --max-steps 20 --out {0}/X", "train --max-steps 20 --out {0}/X"],
            $"--resume (ranks 0, 1: {resumed.Path}; ranks 2, 3: (none))");
        Assert.That(Directory.EnumerateFileSystemEntries(resumed.Path), Is.Empty, "the resumed directory was written");
    }

    [Test]
    public void HogwildUpdatesThatDifferPerRank() => AssertRanksStopTogether(Launcher.OpenMpi,
        ["hogwild --toy-gradient --updates 20 --out {0}/run", "hogwild --toy-gradient --updates 30 --out {0}/run"],
        "ranks disagree on the hogwild options: --updates (rank 0: 20; rank 1: 30)");

    /// <summary>Paths are compared as full paths: the same directory spelled two ways is the same option.</summary>
    [Test]
    public void TheSameDirectorySpelledTwoWaysAgrees()
    {
        using var run = new RunDirectory();
        string parent = Path.GetDirectoryName(run.Path)!, name = Path.GetFileName(run.Path);
        var r = ProgramRunner.RunMpmd([$"train --model logreg --max-steps 2 --out {run.Path}/out", $"train --model logreg --max-steps 2 --out {parent}/./{name}/out/"],
            timeoutSeconds: 120);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(File.Exists(run["out/summary.json"]), Is.True, r.ToString());
    }
}

/// <summary>The canonical option text and the disagreement line, without MPI.</summary>
[TestFixture]
public class OptionAgreementTextTests
{
    static IReadOnlyList<(string Name, string Value)> Options(params string[] args)
    {
        var parsed = new Parser(s => { s.HelpWriter = null; s.CaseInsensitiveEnumValues = true; s.AutoVersion = false; })
            .ParseArguments<TrainVerb, FitMpiCostVerb>(args);
        return OptionAgreement.Of(((Parsed<object>)parsed).Value);
    }

    [Test]
    public void EveryOptionOfTheVerbIsInTheText()
    {
        var names = Options("train").Select(o => o.Name).ToList();
        Assert.That(names, Is.EquivalentTo(OptionTable.OptionsOf(typeof(TrainVerb)).Select(x => x.Name)));
        Assert.That(names, Does.Contain("max-steps").And.Contain("epochs").And.Contain("checkpoint-every").And.Contain("out").And.Contain("resume"));
        Assert.That(Options("fit-mpi-cost").Select(o => o.Name), Is.EquivalentTo(new[] { "model", "index-format", "value-format", "repeat", "dense-floats", "json" }));
    }

    [Test]
    public void AnyChangedOptionChangesTheText()
    {
        var baseline = Options("train");
        foreach (string[] change in new string[][] { ["--max-steps", "7"], ["--epochs", "2"], ["--checkpoint-every", "5"], ["--out", "elsewhere"], ["--lr", "0.050000001"], ["--fault-nan-step", "3"] })
            Assert.That(Options(["train", .. change]), Is.Not.EqualTo(baseline), string.Join(" ", change));
        Assert.That(Options("train", "--out", "runs/train"), Is.EqualTo(baseline), "the default given explicitly is the same option");
        Assert.That(Options("train", "--out", "./runs/train/"), Is.EqualTo(baseline), "paths compare as full paths");
    }

    [Test]
    public void TheLineNamesEachDifferingOptionWithItsRanks()
    {
        string line = OptionAgreement.Describe("train", ["epochs", "out", "k"],
            [["1", "/a", "0"], ["1", "/a", "0"], ["1", "/b", "0"], ["2", "/b", "0"], ["1", "/b", "5"]]);
        Assert.That(line, Is.EqualTo("ranks disagree on the train options: --epochs (ranks 0-2, 4: 1; rank 3: 2), " +
            "--out (ranks 0, 1: /a; ranks 2-4: /b), --k (ranks 0-3: 0; rank 4: 5); start every rank with the same options"));
    }
}
