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

    /// <summary>
    /// --exchanges all: one row per exchange and density (the allgather one per format), each checked, with its
    /// fill-in, bytes and the alpha-beta prediction of a fit made in the run; --overlap sets the fill-in exactly
    /// (the ranks' own indices are disjoint at these sizes): f = (F + P(1-F)) / P.
    /// </summary>
    [TestCase(2, 0.5)]
    [TestCase(3, 0.5)]
    [TestCase(3, 1.0)]
    [TestCase(3, 0.0)]
    public void BenchCommMeasuresEveryExchangeWithItsPrediction(int ranks, double overlap)
    {
        string json = Path.Combine(Path.GetTempPath(), $"bench-comm-{Guid.NewGuid():N}.json");
        try
        {
            var run = ProgramRunner.Run($"bench-comm --d 20000 --densities 0.001,0.1 --formats int32:fp32 --exchanges all --overlap {overlap.ToString(System.Globalization.CultureInfo.InvariantCulture)} " +
                $"--repeat 2 --warmup 1 --json {json}", ranks, timeoutSeconds: 180);
            Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
            Assert.That(run.Stdout, Does.Contain("exchange cost (fitted, " + ranks + " ranks): ssar-split"), "the fit is printed");
            var rows = JsonDocument.Parse(File.ReadAllText(json)).RootElement.EnumerateArray().ToList();
            var names = new[] { "allgather", "allreduce", "ssar-rd", "ssar-split", "dsar-split", "auto" };
            Assert.That(rows.Select(r => r.GetProperty("exchange").GetString()), Is.EquivalentTo(names.Concat(names)), "one row per exchange and density");
            double expectedFill = (overlap + ranks * (1 - overlap)) / ranks;
            foreach (var row in rows)
            {
                string exchange = row.GetProperty("exchange").GetString()!;
                int k = row.GetProperty("k").GetInt32();
                Assert.That(row.GetProperty("correct").GetBoolean(), Is.True, row.ToString());
                Assert.That(row.GetProperty("fill_in").GetDouble(), Is.EqualTo(expectedFill).Within(1e-9), row.ToString());
                Assert.That(row.GetProperty("overlap").GetDouble(), Is.EqualTo(overlap));
                Assert.That(row.GetProperty("ms_predicted").GetDouble(), Is.GreaterThan(0), row.ToString());
                Assert.That(row.GetProperty("ms_sparse").GetDouble(), Is.GreaterThan(0));
                double sent = row.GetProperty("bytes_sparse_per_rank").GetDouble(), received = row.GetProperty("bytes_sparse_received_per_rank").GetDouble();
                switch (exchange)
                {
                    case "allgather":
                        Assert.That(sent, Is.EqualTo(24 + 8 * k));
                        Assert.That(received, Is.EqualTo((ranks - 1) * (24 + 8 * k + 4)));
                        break;
                    case "allreduce":
                        Assert.That(sent, Is.EqualTo(4 * 20000));
                        Assert.That(received, Is.EqualTo(Math.Round(2.0 * (ranks - 1) / ranks * 80000)).Within(1));
                        break;
                    case "dsar-split":
                        Assert.That(received, Is.GreaterThan((ranks - 1) * 80000.0 / ranks), "the dense gather of the other ranks' ranges");
                        break;
                    case "auto":
                        Assert.That(names[..5], Does.Contain(row.GetProperty("chosen").GetString()), row.ToString());
                        break;
                    default: // the sparse allreduces send their k pairs, 8 bytes each, and receive less than the allgather's P-1 messages when the sets overlap
                        Assert.That(sent, Is.EqualTo(8 * k).Within(4));
                        if (overlap == 1) Assert.That(received, Is.LessThan((ranks - 1) * (24 + 8 * k)), row.ToString());
                        break;
                }
                if (exchange != "auto") Assert.That(row.TryGetProperty("chosen", out var c) && c.ValueKind != JsonValueKind.Null, Is.False);
            }
        }
        finally
        {
            File.Delete(json);
        }
    }

    [TestCase("--overlap 2", "--overlap must be a fraction in [0, 1] (got 2)")]
    [TestCase("--exchanges allgather,bogus", "--exchanges: 'bogus' is not an exchange; valid: allgather, allreduce, ssar-rd, ssar-split, dsar-split, auto")]
    [TestCase("--exchanges ssar-rd --formats delta:fp16", "--formats are the sparse allgather's wire formats")]
    [TestCase("--mpi-alpha 1e-5", "--mpi-alpha and --mpi-beta go together")]
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
