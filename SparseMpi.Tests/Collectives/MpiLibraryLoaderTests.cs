using SparseMpi.Collectives.Native;

namespace SparseMpi.Tests.Collectives;

public class MpiLibraryLoaderTests
{
    static Func<string, string?> Env(params (string Key, string Value)[] vars) =>
        name => vars.FirstOrDefault(v => v.Key == name).Value;

    [Test]
    public void OpenMpiLauncherPrefersOpenMpi() =>
        Assert.That(MpiLibraryLoader.Candidates(Env(("OMPI_COMM_WORLD_SIZE", "4")))[0], Is.EqualTo("libmpi.so.40"));

    [Test]
    public void HydraLauncherPrefersMpich() =>
        Assert.That(MpiLibraryLoader.Candidates(Env(("PMI_RANK", "0"), ("PMI_SIZE", "2")))[0], Is.EqualTo("libmpich.so.12"));

    [Test]
    public void SingletonTriesOpenMpiThenMpich() =>
        Assert.That(MpiLibraryLoader.Candidates(Env()), Is.EqualTo(new[] { "libmpi.so.40", "libmpich.so.12", "libmpi.so.12" }));

    [Test]
    public void OverrideWins() =>
        Assert.That(MpiLibraryLoader.Candidates(Env(("SPARSEMPI_MPI_LIB", "/opt/x/libmpi.so"), ("OMPI_COMM_WORLD_SIZE", "2"))),
            Is.EqualTo(new[] { "/opt/x/libmpi.so" }));
}
