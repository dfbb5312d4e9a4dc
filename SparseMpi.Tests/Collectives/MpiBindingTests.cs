using SparseMpi.Tests.Support;

namespace SparseMpi.Tests.Collectives;

/// <summary>
/// The MPI binding under real launchers: every collective against a local reference (the check-mpi verb), with
/// Open MPI on 1..4 ranks and MPICH on 2 and 4, plus the singleton case and the library-selection rules.
/// </summary>
[TestFixture, Category("mpi")]
public class MpiBindingTests
{
    [TestCase(1), TestCase(2), TestCase(3), TestCase(4)]
    public void OpenMpiCollectivesMatchLocalReference(int ranks)
    {
        var r = ProgramRunner.Run("check-mpi", ranks, Launcher.OpenMpi, timeoutSeconds: 120);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Stdout, Does.Contain($"checks passed on {ranks} ranks"), r.ToString());
        Assert.That(r.Stdout, Does.Contain("(OpenMpi)"), r.ToString());
    }

    [TestCase(2), TestCase(4)]
    public void MpichCollectivesMatchLocalReference(int ranks)
    {
        var r = ProgramRunner.Run("check-mpi", ranks, Launcher.Mpich, timeoutSeconds: 120);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Stdout, Does.Contain($"checks passed on {ranks} ranks"), r.ToString());
        Assert.That(r.Stdout, Does.Contain("libmpich.so.12 (Mpich)"), r.ToString());
    }

    [Test]
    public void SingletonRunsWithoutLauncher()
    {
        var r = ProgramRunner.Run("check-mpi", launcher: Launcher.None, timeoutSeconds: 60);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Stdout, Does.Contain("checks passed on 1 ranks"), r.ToString());
    }

    [Test]
    public void MpichSingletonAllgathervHonoursDisplacements()
    {
        // MPICH 4.0 ignores the displacement of a one-rank Allgatherv; the binding must not.
        var r = ProgramRunner.Run("check-mpi", launcher: Launcher.None,
            env: new Dictionary<string, string> { ["SPARSEMPI_MPI_LIB"] = "libmpich.so.12" }, timeoutSeconds: 60);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Stdout, Does.Contain("(Mpich)").And.Contain("checks passed on 1 ranks"), r.ToString());
    }

    [Test]
    public void MissingLibraryIsOneClearLine()
    {
        var r = ProgramRunner.Run("check-mpi", launcher: Launcher.None,
            env: new Dictionary<string, string> { ["SPARSEMPI_MPI_LIB"] = "libdoes-not-exist.so.7" }, timeoutSeconds: 60);
        Assert.That(r.ExitCode, Is.Not.EqualTo(0));
        var lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(1), r.ToString());
        Assert.That(lines[0], Does.Contain("libdoes-not-exist.so.7").And.Contain("SPARSEMPI_MPI_LIB"));
    }
}
