using SparseMpi.Tests.Cli;
using SparseMpi.Tests.Support;

namespace SparseMpi.Tests.Reliability;

/// <summary>
/// The MPI library is checked, not trusted (issue 17, rows 5-6): a library that is not MPI, or an MPI that is not
/// the launcher's, is one error line before anything is written, never a stack trace or N independent 1-rank runs.
/// </summary>
[TestFixture, Category("mpi")]
public class MpiLibraryCheckTests
{
    const string NotMpi = "/usr/lib/x86_64-linux-gnu/libz.so.1";

    [TestCase(Launcher.None, 1)]
    [TestCase(Launcher.OpenMpi, 2)]
    public void ALibraryWithoutTheMpiEntryPointsIsOneLine(Launcher launcher, int ranks)
    {
        if (!File.Exists(NotMpi)) Assert.Ignore($"{NotMpi} is not installed here");
        using var run = new RunDirectory();
        string outDir = run["out"];
        var r = ProgramRunner.Run($"train --model logreg --max-steps 3 --out {outDir}", ranks, launcher,
            new Dictionary<string, string> { ["SPARSEMPI_MPI_LIB"] = NotMpi }, timeoutSeconds: 60);
        BadInputTests.AssertOneLineError(r, "is not an MPI library (it does not export MPI_Init_thread)");
        Assert.That(Directory.Exists(outDir), Is.False, "nothing may be written");
    }

    // Each process of a launcher that is not its library's initialises as its own 1-rank world; before the check
    // both wrote the same run directory at once and exited 0.
    [TestCase(Launcher.OpenMpi, "libmpich.so.12")]
    [TestCase(Launcher.Mpich, "libmpi.so.40")]
    public void AnMpiThatIsNotTheLaunchersIsOneLineBeforeAnyOutput(Launcher launcher, string library)
    {
        using var run = new RunDirectory();
        string outDir = run["out"];
        var r = ProgramRunner.Run($"train --model logreg --max-steps 3 --out {outDir}", 2, launcher,
            new Dictionary<string, string> { ["SPARSEMPI_MPI_LIB"] = library }, timeoutSeconds: 120);
        BadInputTests.AssertOneLineError(r, $"the launcher started 2 ranks but MPI ({library}) sees 1");
        Assert.That(r.Stdout, Does.Not.Contain("train:"), "no training output before the check");
        Assert.That(Directory.Exists(outDir), Is.False, "nothing may be written");
    }
}
