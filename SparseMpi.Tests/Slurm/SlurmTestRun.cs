using SparseMpi.Tests.Support;

namespace SparseMpi.Tests.Slurm;

/// <summary>
/// The one run of scripts/slurm-test.sh that <see cref="SlurmTests"/> checks. The script spends about a minute
/// of its 66 s waiting on Slurm (daemons coming up, the queue, a requeued job's credential expiry) and uses
/// about 6 CPU-seconds, so under `make test` (SPARSEMPI_SLURM_EARLY=1) it is started in the background when the
/// test run starts (<see cref="EarlySlurmStart"/>) and runs beside the other tests; the test then only waits for
/// it. Elsewhere (a filtered `dotnet test`) the test starts it itself. Either way the test asserts on the same
/// finished run.
/// </summary>
public static class SlurmTestRun
{
    /// <summary>Where the script's jobs write their runs (deleted by the test).</summary>
    public static string RunsDirectory { get; } =
        Path.Combine(Path.GetTempPath(), "sparsempi-slurm-runs-" + Guid.NewGuid().ToString("N")[..12]);

    static readonly Lazy<Task<RunResult>> Run = new(() => Task.Run(() =>
        // Installing the packages may wait for another dpkg user (up to 600 s, scripts/deps.sh); the Slurm part
        // bounds itself (SLURM_TEST_TIMEOUT, 150 s for the daemons and all jobs).
        ScriptRunner.Bash(new Dictionary<string, string> { ["SLURM_TEST_OUT"] = RunsDirectory }, 900, "scripts/slurm-test.sh")));

    /// <summary>Starts the run if it has not started (idempotent).</summary>
    public static void Start() => _ = Run.Value;

    /// <summary>The finished run (starting it first if nobody did).</summary>
    public static RunResult Result() => Run.Value.GetAwaiter().GetResult();
}
