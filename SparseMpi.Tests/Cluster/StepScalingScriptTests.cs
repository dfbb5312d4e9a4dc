using SparseMpi.Tests.Support;

namespace SparseMpi.Tests.Cluster;

/// <summary>
/// scripts/step-scaling.sh (make bench-step-scaling) end to end at a trial size: its own cluster session, the link
/// check, fit-mpi-cost on the links, bench-step dense and top-k, and report --bench-step's table from that fit.
/// </summary>
[TestFixture, Category("cluster"), NonParallelizable]
public class StepScalingScriptTests
{
    [OneTimeSetUp]
    public void NeedsNamespaces() => EmulatedCluster.SkipUnlessNamespacesCanBeMade();

    [Test]
    public void ATrialRunWritesEveryRowAndTheModelsErrorTable()
    {
        string outDir = Path.Combine(Path.GetTempPath(), $"step-scaling-{Guid.NewGuid():N}");
        try
        {
            var env = new Dictionary<string, string>
            {
                ["OUT"] = outDir, ["NODES"] = "2", ["RPN"] = "1", ["D"] = "65536", ["PS"] = "2", ["DENSITIES"] = "0.01",
                ["EXCHANGES"] = "allgather", ["STEPS"] = "1", ["WARMUP"] = "1", ["COMPUTE_MS"] = "5",
            };
            var r = ScriptRunner.Run(Path.Combine(ScriptRunner.RepoRoot, "scripts", "step-scaling.sh"), [], env, timeoutSeconds: 180);
            Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
            foreach (string file in new[] { "fit-mpi-cost.json", "step-p2-dense.json", "step-p2-topk.json", "step-model.csv", "commands.txt", "linkcheck.txt" })
                Assert.That(File.Exists(Path.Combine(outDir, file)), file);
            string table = File.ReadAllText(Path.Combine(outDir, "step-model.md"));
            Assert.That(table, Does.Match(@"Network fitted \(alpha = [0-9.]+ us"), "the model is fitted-mpi-cost's fit of these links");
            Assert.That(table, Does.Match(@"dense allreduce: alpha = [0-9.]+ us, beta = \S+ s/B"), "the dense row on the allreduce's own fit (--dense-floats up to D)");
            Assert.That(table, Does.Match(@"Step time within 25%: \d+ of 2 rows"), "the dense and the top-k row, each with its error");
        }
        finally
        {
            if (Directory.Exists(outDir)) Directory.Delete(outDir, recursive: true);
        }
    }
}
