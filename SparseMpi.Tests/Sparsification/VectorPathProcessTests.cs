using NUnit.Framework;
using System.Text.Json;
using SparseMpi.Sparsification;
using SparseMpi.Tests.Support;

namespace SparseMpi.Tests.Sparsification;

/// <summary>
/// Every vector path as production runs it: the program is started with the runtime's ISA switches, reports
/// which path it chose, and checks its kernels against the brute-force reference in-process.
/// </summary>
public class VectorPathProcessTests
{
    public static IEnumerable<TestCaseData> Settings()
    {
        yield return new TestCaseData(new Dictionary<string, string>(), VectorPaths.Best).SetName("SelfTest_Default");
        yield return new TestCaseData(new Dictionary<string, string> { ["DOTNET_EnableAVX512"] = "0" },
            Min(VectorPath.Vector256)).SetName("SelfTest_Avx512Off");
        yield return new TestCaseData(new Dictionary<string, string> { ["DOTNET_EnableAVX512"] = "0", ["DOTNET_EnableAVX2"] = "0" },
            Min(VectorPath.Vector128)).SetName("SelfTest_Avx2Off");
        yield return new TestCaseData(new Dictionary<string, string> { ["DOTNET_EnableHWIntrinsic"] = "0" },
            VectorPath.Scalar).SetName("SelfTest_HWIntrinsicOff");
    }

    static VectorPath Min(VectorPath p) => p < VectorPaths.Best ? p : VectorPaths.Best;

    [TestCaseSource(nameof(Settings))]
    public void SelfTestPassesOnThePathTheRuntimeAllows(Dictionary<string, string> env, VectorPath expected)
    {
        var run = ProgramRunner.Run("selftest-topk --seed 3", launcher: Launcher.None, env: env, timeoutSeconds: 120);
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Stdout, Does.Match($@"isa={expected} passed=[1-9]\d* failed=0"), run.ToString());
    }
}

public class BenchTopKVerbTests
{
    [Test]
    public void WritesTheJsonSummaryAtomically()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"bench-topk-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            string json = Path.Combine(dir, "bench.json");
            var run = ProgramRunner.Run($"bench-topk --d 200003 --density 0.01 --repeat 3 --seed 4 --json {json}",
                launcher: Launcher.None, timeoutSeconds: 120);
            Assert.That(run.ExitCode, Is.Zero, run.ToString());
            Assert.That(run.Stdout, Does.Contain("torch_set_equal = True"), run.ToString());
            Assert.That(run.Stdout, Does.Match(@"exact by phase: sample \d+\.\d+ ms, filter \d+\.\d+ ms \(\d+\.\d+x of the memory pass\), finish"), run.ToString());
            Assert.That(Directory.GetFiles(dir), Is.EqualTo(new[] { json }), "no temporary file is left behind");

            using var doc = JsonDocument.Parse(File.ReadAllText(json));
            var root = doc.RootElement;
            Assert.That(root.GetProperty("d").GetInt32(), Is.EqualTo(200003));
            Assert.That(root.GetProperty("k").GetInt32(), Is.EqualTo(2000));
            Assert.That(root.GetProperty("isa").GetString(), Is.EqualTo(VectorPaths.Best.ToString()));
            foreach (string name in new[] { "memory_pass", "exact", "approx", "fused_ef", "accumulate", "accumulate_pass", "torch_topk",
                         "exact_sample", "exact_filter", "exact_finish" })
                Assert.That(root.GetProperty("ms").GetProperty(name).GetDouble(), Is.GreaterThan(0), name);
            foreach (string name in new[] { "exact_vs_memory_pass", "approx_vs_memory_pass", "fused_ef_vs_memory_pass", "exact_speedup_vs_torch",
                         "fused_ef_vs_accumulate", "fused_ef_vs_accumulate_pass", "filter_vs_memory_pass" })
                Assert.That(root.GetProperty(name).GetDouble(), Is.GreaterThan(0), name);
            Assert.That(root.GetProperty("torch_set_equal").GetBoolean(), Is.True);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [TestCase("--d 0", "--d must be at least 1")]
    [TestCase("--density 0", "--density must be in (0, 1]")]
    [TestCase("--density 1.5", "--density must be in (0, 1]")]
    [TestCase("--repeat 0", "--repeat must be at least 1")]
    [TestCase("--json /nonexistent-dir/x.json", "--json: directory /nonexistent-dir does not exist")]
    public void RejectsBadOptionsWithOneLine(string options, string message)
    {
        var run = ProgramRunner.Run($"bench-topk {options}", launcher: Launcher.None, timeoutSeconds: 60);
        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(run.Stderr.Trim().Split('\n'), Has.Length.EqualTo(1), run.ToString());
        Assert.That(run.Stderr, Does.StartWith($"sparsempi: error: {message}"));
    }
}
