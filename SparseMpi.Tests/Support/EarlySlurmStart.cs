using SparseMpi.Tests.Slurm;

// In the tests' root namespace, so that it runs once before every fixture of the assembly.
namespace SparseMpi.Tests;

/// <summary>Starts <see cref="SlurmTestRun"/> before the first test when `make test` asks for it (SPARSEMPI_SLURM_EARLY=1).</summary>
[SetUpFixture]
public class EarlySlurmStart
{
    [OneTimeSetUp]
    public void StartSlurmTestInTheBackground()
    {
        if (Environment.GetEnvironmentVariable("SPARSEMPI_SLURM_EARLY") == "1") SlurmTestRun.Start();
    }
}
