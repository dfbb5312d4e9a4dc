using System.Text.Json;
using System.Text.RegularExpressions;
using NUnit.Framework;
using SparseMpi.Tests.Support;

namespace SparseMpi.Tests.Collectives;

/// <summary>
/// The sparse and dense exchanges under a real mpiexec: the hidden check-sparse verb runs every case (k per
/// rank, k = 0, full and no overlap, odd d, k = d, every format, mixed formats, flags) against a local
/// reference on each rank; bench-comm runs once at a tiny size and its JSON is checked.
/// </summary>
public class SparseExchangeMpiTests
{
    [TestCase(Launcher.OpenMpi, 1)]
    [TestCase(Launcher.OpenMpi, 2)]
    [TestCase(Launcher.OpenMpi, 3)]
    [TestCase(Launcher.OpenMpi, 4)]
    [TestCase(Launcher.Mpich, 2)]
    [TestCase(Launcher.Mpich, 4)]
    public void CheckSparsePassesOnEveryRank(Launcher launcher, int ranks)
    {
        var run = ProgramRunner.Run("check-sparse", ranks, launcher, timeoutSeconds: 120);
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        var pass = Regex.Match(run.Stdout, $@"check-sparse: all (\d+) checks passed on {ranks} ranks");
        Assert.That(pass.Success, Is.True, run.ToString());
        Assert.That(int.Parse(pass.Groups[1].Value), Is.GreaterThan(300), "every format x case ran");
        Assert.That(run.Stderr, Does.Not.Contain("FAILED"));
    }

    [Test]
    public void BenchCommWritesCorrectRowsForEveryDensityAndFormat()
    {
        string json = Path.Combine(Path.GetTempPath(), $"bench-comm-{Guid.NewGuid():N}.json");
        try
        {
            var run = ProgramRunner.Run($"bench-comm --d 100000 --repeat 2 --warmup 1 --json {json}", ranks: 2, timeoutSeconds: 120);
            Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
            Assert.That(run.Stdout, Does.StartWith("# SparseMpi bench-comm"));
            Assert.That(run.Stdout, Does.Contain("median over rounds of the max over ranks"));

            var rows = JsonDocument.Parse(File.ReadAllText(json)).RootElement.EnumerateArray().ToList();
            Assert.That(rows, Has.Count.EqualTo(4 * 6), "4 default densities x 6 formats");
            foreach (var row in rows)
            {
                foreach (string field in new[] { "ranks", "d", "density", "k", "index_format", "value_format", "ms_sparse", "ms_dense", "speedup",
                                                 "bytes_sparse_per_rank", "bytes_dense_per_rank", "correct" })
                    Assert.That(row.TryGetProperty(field, out _), Is.True, $"field {field}");
                Assert.That(row.GetProperty("correct").GetBoolean(), Is.True, row.ToString());
                Assert.That(row.GetProperty("ranks").GetInt32(), Is.EqualTo(2));
                Assert.That(row.GetProperty("d").GetInt32(), Is.EqualTo(100_000));
                Assert.That(row.GetProperty("k").GetInt32(), Is.EqualTo((int)Math.Round(100_000 * row.GetProperty("density").GetDouble())));
                Assert.That(row.GetProperty("bytes_dense_per_rank").GetInt64(), Is.EqualTo(400_000));
                Assert.That(row.GetProperty("ms_sparse").GetDouble(), Is.GreaterThan(0));
                Assert.That(row.GetProperty("ms_dense").GetDouble(), Is.GreaterThan(0));
            }
            var at1Percent = rows.Where(r => r.GetProperty("density").GetDouble() == 0.01).ToDictionary(
                r => $"{r.GetProperty("index_format").GetString()}:{r.GetProperty("value_format").GetString()}",
                r => r.GetProperty("bytes_sparse_per_rank").GetDouble());
            Assert.That(at1Percent["int32:fp32"], Is.EqualTo(24 + 1000 * 8), "header + 1000 pairs of 8 bytes");
            Assert.That(at1Percent["int32:fp32"] / at1Percent["delta:fp16"], Is.GreaterThan(2.0), "delta:fp16 at least halves the message");
            Assert.That(Directory.GetFiles(Path.GetDirectoryName(json)!, $".{Path.GetFileName(json)}.*"), Is.Empty, "no temporary file left behind");
        }
        finally
        {
            File.Delete(json);
        }
    }

    [TestCase("--densities 0.001,2", "--densities: '2' is not a density in (0, 1]")]
    [TestCase("--formats delta:fp8", "--formats: 'delta:fp8' is not index:value")]
    [TestCase("--d 0", "--d must be at least 1")]
    [TestCase("--repeat 0", "--repeat must be at least 1")]
    public void BenchCommRejectsBadOptionsBeforeMpiWork(string arguments, string message)
    {
        var run = ProgramRunner.Run($"bench-comm {arguments}", ranks: 2, timeoutSeconds: 60);
        Assert.That(run.ExitCode, Is.Not.EqualTo(0), run.ToString());
        Assert.That(run.Stderr, Does.Contain($"sparsempi: error: {message}"), run.ToString());
        Assert.That(run.Stdout, Does.Not.Contain("# SparseMpi bench-comm"));
    }
}
