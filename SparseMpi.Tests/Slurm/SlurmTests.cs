using System.Text.Json;
using SparseMpi.Tests.Support;

namespace SparseMpi.Tests.Slurm;

/// <summary>
/// The batch scripts in jobs/ under a real Slurm: runs scripts/slurm-test.sh (`make slurm-test`), which installs
/// Slurm if missing, starts a throw-away one-node cluster, submits the jobs through both launch paths (srun
/// --mpi=pmix and mpiexec inside the allocation), checks them and stops everything it started. This test adds
/// what the shell cannot do on a bare Debian: a full JSON parse of every trained run's summary.json.
/// </summary>
[TestFixture, Category("slurm")]
public class SlurmTests
{
    // The runs slurm-test.sh submits: train (4 ranks), strong scaling (1, 2, 4), weak (1, 2), a 2-task sweep, and
    // the train job it requeues while it trains (one run directory, resumed in place).
    const int ExpectedRuns = 1 + 3 + 2 + 2 + 1;

    [Test]
    public void JobScriptsRunUnderAOneNodeSlurm()
    {
        string runs = SlurmTestRun.RunsDirectory;
        try
        {
            var r = SlurmTestRun.Result();
            TestContext.Out.WriteLine(r.Stdout.Split('\n').LastOrDefault(l => l.StartsWith("slurm-test: passed")) ?? "");
            Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());

            string[] launched = Directory.GetFiles(runs, "launch.cmd", SearchOption.AllDirectories);
            Assert.That(launched, Has.Length.EqualTo(ExpectedRuns), r.ToString());
            foreach (string cmd in launched)
            {
                if (!File.ReadAllText(cmd).Contains(" train ")) continue;
                string summary = Path.Combine(Path.GetDirectoryName(cmd)!, "summary.json");
                using var doc = JsonDocument.Parse(File.ReadAllText(summary));
                Assert.That(doc.RootElement.ValueKind, Is.EqualTo(JsonValueKind.Object), summary);
            }
        }
        finally
        {
            if (Directory.Exists(runs)) Directory.Delete(runs, recursive: true);
        }
    }
}
