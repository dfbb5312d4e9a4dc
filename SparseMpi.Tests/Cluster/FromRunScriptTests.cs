using System.Text.Json;
using SparseMpi.Tests.Support;

namespace SparseMpi.Tests.Cluster;

/// <summary>
/// scripts/from-run-bench.sh (make bench-from-run) end to end at a trial size: a 4-rank training records its
/// selections, its own cluster session (2 nodes) replays the last step with bench-comm --from-run beside the
/// synthetic selections of the same d and density, and the table is made from the JSON.
/// </summary>
[TestFixture, Category("cluster"), NonParallelizable]
public class FromRunScriptTests
{
    [OneTimeSetUp]
    public void NeedsNamespaces() => EmulatedCluster.SkipUnlessNamespacesCanBeMade();

    [Test]
    public void ATrialRunReplaysTheRecordedStepBesideTheSyntheticSelections()
    {
        string outDir = Path.Combine(Path.GetTempPath(), $"from-run-{Guid.NewGuid():N}"), runs = outDir + "-runs";
        try
        {
            var env = new Dictionary<string, string>
            {
                ["OUT"] = outDir, ["RUNS"] = runs, ["P"] = "4", ["NODES"] = "2", ["MODELS"] = "mlp", ["DENSITIES"] = "0.01",
                ["STEPS"] = "7", ["REPEAT"] = "1", ["WARMUP"] = "0", ["EXCHANGES"] = "allgather,ssar-rd",
            };
            var r = ScriptRunner.Run(Path.Combine(ScriptRunner.RepoRoot, "scripts", "from-run-bench.sh"), [], env, timeoutSeconds: 240);
            Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
            foreach (string source in new[] { "recorded", "overlap0", "random" })
            {
                var rows = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, $"bench-mlp-0.01-{source}.json"))).RootElement.EnumerateArray().ToList();
                Assert.That(rows.Select(x => x.GetProperty("exchange").GetString()), Is.EqualTo(new[] { "allgather", "ssar-rd" }), source);
                Assert.That(rows.Select(x => x.GetProperty("correct").GetBoolean()), Has.All.True, source);
                Assert.That(rows.Select(x => x.GetProperty("d").GetInt32()), Has.All.EqualTo(203_530), "the synthetic rows take the run's d");
                Assert.That(rows[0].GetProperty("from_step").ValueKind, source == "recorded" ? Is.EqualTo(JsonValueKind.Number) : Is.EqualTo(JsonValueKind.Null));
            }
            var recorded = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "bench-mlp-0.01-recorded.json"))).RootElement[0];
            Assert.That(recorded.GetProperty("from_step").GetInt64(), Is.EqualTo(6), "the last recorded step of 7 (0, 2, 4, 6)");
            var fillIn = File.ReadAllLines(Path.Combine(outDir, "runs", "mlp-0.01", "fill_in.tsv"));
            Assert.That(fillIn, Is.Not.Empty, "the training's own fill-in per logged step");
            string table = File.ReadAllText(Path.Combine(outDir, "README.md"));
            Assert.That(table, Does.Contain("## mlp, density 0.01: d = 203530, P = 4, step 6 of the run"));
            Assert.That(table, Does.Contain("| allgather | recorded (real top-k) |").And.Contain("| ssar-rd | synthetic, disjoint (--overlap 0) |"));
            Assert.That(File.ReadAllText(Path.Combine(outDir, "commands.txt")), Does.Contain("--record-selections 2").And.Contain("bench-comm --from-run"));
        }
        finally
        {
            foreach (string dir in new[] { outDir, runs })
                if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }
}
