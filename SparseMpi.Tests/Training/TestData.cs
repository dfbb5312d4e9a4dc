using SparseMpi.Training.Data;

namespace SparseMpi.Tests.Training;

/// <summary>
/// The real Fashion-MNIST, loaded once for all tests that need it. No skipping when it is absent: `make deps`
/// installs the Debian package, and a missing data set must fail the run, not hide the tests.
/// </summary>
static class TestData
{
    static readonly Lazy<FashionMnist> Loaded = new(() => FashionMnist.Load(FashionMnist.DefaultDirectory));

    public static FashionMnist FashionMnist => Loaded.Value;
}
