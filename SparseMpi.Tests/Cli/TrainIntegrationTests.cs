using SparseMpi.Tests.Support;

namespace SparseMpi.Tests.Cli;

/// <summary>The train verb under real mpiexec on the real Fashion-MNIST files.</summary>
[TestFixture, Category("mpi")]
public class TrainIntegrationTests
{
    [Test]
    public void DenseOneEpochOnFourRanksLearnsWithIdenticalParameters()
    {
        using var run = new RunDirectory();
        var r = ProgramRunner.Run($"train --compressor none --epochs 1 --out {run.Path}", ranks: 4);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        var s = run.Summary();
        Assert.That((double)s["test_accuracy"]!, Is.GreaterThanOrEqualTo(0.80), r.ToString());
        Assert.That((int)s["ranks"]!, Is.EqualTo(4));
        Assert.That((int)s["d"]!, Is.EqualTo(784 * 256 + 256 + 256 * 10 + 10));
        Assert.That((long)s["steps"]!, Is.EqualTo(60000 / 4 / 64));
        foreach (string phase in new[] { "compute", "select", "wait", "comm", "apply" })
            Assert.That((double)s["ms_per_step"]![phase]!, Is.GreaterThanOrEqualTo(0));
        // The program itself fails when ranks disagree; the hash is there for the record.
        Assert.That((string)s["parameter_hash"]!, Has.Length.EqualTo(16));
        Assert.That(File.ReadLines(run["metrics.jsonl"]).Count(), Is.GreaterThan(10));
        Assert.That(File.ReadLines(run["metrics.csv"]).First(), Does.StartWith("step,epoch,loss"));
    }

    [TestCase(1), TestCase(3)]
    public void ShortRunsOnOtherRankCountsSucceed(int ranks)
    {
        using var run = new RunDirectory();
        var r = ProgramRunner.Run($"train --compressor none --max-steps 20 --out {run.Path}", ranks);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That((long)run.Summary()["steps"]!, Is.EqualTo(20));
    }

    [Test]
    public void HostfileFromTheRepositoryLaunchesTraining()
    {
        // What `make run HOSTFILE=hostfiles/localhost` passes to mpiexec.
        using var run = new RunDirectory();
        string hostfile = Path.Combine(ScriptRunner.RepoRoot, "hostfiles", "localhost");
        var r = ProgramRunner.Run($"train --max-steps 10 --out {run.Path}", 4, launcherOptions: $"--hostfile {hostfile}");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That((int)run.Summary()["ranks"]!, Is.EqualTo(4));
    }

    [Test]
    public void MpichRunsTraining()
    {
        using var run = new RunDirectory();
        var r = ProgramRunner.Run($"train --compressor none --max-steps 20 --out {run.Path}", 2, Launcher.Mpich);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That((string)run.Summary()["mpi_library"]!, Does.Contain("MPICH"));
    }

    [Test]
    public void SameSeedSameRanksGivesBitIdenticalParameters()
    {
        using var a = new RunDirectory();
        using var b = new RunDirectory();
        Assert.That(ProgramRunner.Run($"train --compressor none --max-steps 30 --out {a.Path}", 2).ExitCode, Is.EqualTo(0));
        Assert.That(ProgramRunner.Run($"train --compressor none --max-steps 30 --out {b.Path}", 2).ExitCode, Is.EqualTo(0));
        Assert.That((string)a.Summary()["parameter_hash"]!, Is.EqualTo((string)b.Summary()["parameter_hash"]!));
        using var c = new RunDirectory();
        Assert.That(ProgramRunner.Run($"train --compressor none --max-steps 30 --seed 2 --out {c.Path}", 2).ExitCode, Is.EqualTo(0));
        Assert.That((string)c.Summary()["parameter_hash"]!, Is.Not.EqualTo((string)a.Summary()["parameter_hash"]!));
    }
}
