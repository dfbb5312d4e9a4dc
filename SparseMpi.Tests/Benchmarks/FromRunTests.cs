using System.Text.Json;
using System.Text.Json.Nodes;
using SparseMpi.Benchmarks;
using SparseMpi.Errors;
using SparseMpi.Tests.Support;
using SparseMpi.Training;

namespace SparseMpi.Tests.Benchmarks;

/// <summary>
/// train --record-selections and bench-comm --from-run: the files round-trip and refuse what is not theirs, and a
/// replay under real mpiexec sums the run's own selections (its k per rank, and the fill-in the run itself recorded
/// at that step).
/// </summary>
[TestFixture]
public class FromRunTests
{
    static void Write(string runDir, long step, int rank, int ranks, int d, int[] indices, float[]? values = null) =>
        SelectionFile.Write(Path.Combine(runDir, SelectionFile.DirectoryName, SelectionFile.FileName(step, rank)), d, rank, ranks, step,
            indices, values ?? indices.Select(i => i + 0.5f).ToArray());

    [Test]
    public void AFileRoundTripsAndItsNameParses()
    {
        using var run = new RunDirectory();
        Write(run.Path, 40, 1, 3, 1000, [0, 7, 999], [1.5f, -2f, float.Epsilon]);
        string path = run[$"selections/step-40-rank-1.bin"];
        var s = SelectionFile.Read(path);
        Assert.That((s.D, s.Rank, s.Ranks, s.Step), Is.EqualTo((1000, 1, 3, 40L)));
        Assert.That(s.Indices, Is.EqualTo(new[] { 0, 7, 999 }));
        Assert.That(s.Values, Is.EqualTo(new[] { 1.5f, -2f, float.Epsilon }));
        Assert.That(new FileInfo(path).Length, Is.EqualTo(32 + 3 * 8), "header + 8 bytes per pair");
        Assert.That(SelectionFile.Parse("step-40-rank-1.bin"), Is.EqualTo((40L, 1)));
        Assert.That(SelectionFile.Parse("step-x-rank-1.bin"), Is.Null);
        Assert.That(SelectionFile.Parse(".step-40-rank-1.bin.123.tmp"), Is.Null, "a temporary file of an interrupted write is no selection");
        Write(run.Path, 41, 0, 1, 5, []);
        Assert.That(SelectionFile.Read(run["selections/step-41-rank-0.bin"]).Indices, Is.Empty, "k = 0 is a selection");
    }

    [TestCase("truncated", "truncated?")]
    [TestCase("magic", "not a selection file")]
    [TestCase("descending", "is not ascending")]
    [TestCase("range", "is not ascending within [0, 1000)")]
    [TestCase("nan", "value 1 is not finite")]
    [TestCase("renamed", "not what its name says")]
    public void ABadFileIsOneClearMessage(string fault, string expected)
    {
        using var run = new RunDirectory();
        int[] indices = fault switch { "descending" => [5, 3], "range" => [5, 1000], _ => [3, 5] };
        float[] values = fault == "nan" ? [1f, float.NaN] : [1f, 2f];
        Write(run.Path, 10, 0, 1, 1000, indices, values);
        string path = run["selections/step-10-rank-0.bin"];
        if (fault == "truncated") File.WriteAllBytes(path, File.ReadAllBytes(path)[..^3]);
        if (fault == "magic") { var b = File.ReadAllBytes(path); b[0] = (byte)'X'; File.WriteAllBytes(path, b); }
        if (fault == "renamed") File.Move(path, path = run["selections/step-11-rank-0.bin"]);
        var e = Assert.Throws<InvalidDataException>(() => SelectionFile.Read(path))!;
        Assert.That(e.Message, Does.StartWith(path).And.Contain(expected));
    }

    [Test]
    public void ARecordedRunLoadsTheLastStepOrTheOneAskedForAndSaysWhatIsMissing()
    {
        using var run = new RunDirectory();
        var e = Assert.Throws<UsageException>(() => RecordedRun.Load(run.Path, null))!;
        Assert.That(e.Message, Does.Contain("no selections/ directory").And.Contain("--record-selections"));
        for (int rank = 0; rank < 2; rank++)
        {
            Write(run.Path, 0, rank, 2, 100, [rank, 10 + rank]);
            Write(run.Path, 20, rank, 2, 100, rank == 0 ? [1, 2, 3] : [50]);
        }
        Write(run.Path, 30, 0, 2, 100, [4]); // rank 1 died before writing step 30
        var last = RecordedRun.Load(run.Path, 20);
        Assert.That((last.Step, last.D, last.Ranks, last.KOf(0), last.KOf(1), last.MaxK, last.MeanK), Is.EqualTo((20L, 100, 2, 3, 1, 3, 2)));
        Assert.That(last.Density, Is.EqualTo(4.0 / 200));
        Assert.That(last.Indices[1], Is.EqualTo(new[] { 50 }));
        Assert.That(RecordedRun.Load(run.Path, 0).ContentHash, Is.Not.EqualTo(last.ContentHash));

        e = Assert.Throws<UsageException>(() => RecordedRun.Load(run.Path, null))!;
        Assert.That(e.Message, Does.Contain("step 30 was recorded on 2 ranks but the files of rank(s) 1 are missing"));
        e = Assert.Throws<UsageException>(() => RecordedRun.Load(run.Path, 7))!;
        Assert.That(e.Message, Does.Contain("--from-step 7").And.Contain("recorded steps: 0, 20, 30"));
        Write(run.Path, 30, 1, 2, 99, [4]);
        e = Assert.Throws<UsageException>(() => RecordedRun.Load(run.Path, 30))!;
        Assert.That(e.Message, Does.Contain("mixes runs"));
    }

    /// <summary>
    /// The round trip under real mpiexec: a 2-rank dynamic-k training records steps 0, 5, 10 (k differs per rank),
    /// bench-comm replays the last and an earlier step with every exact exchange and Ok-Topk, and each row carries
    /// the run's d, its k range and the fill-in the training recorded at that step.
    /// </summary>
    [Test, Category("mpi")]
    public void BenchCommReplaysARecordedTrainingStep()
    {
        using var run = new RunDirectory();
        var train = ProgramRunner.Run($"train --k-rule dynamic --cost-model payload --max-steps 11 --log-every 5 --record-selections 5 --out {run.Path}", ranks: 2);
        Assert.That(train.ExitCode, Is.EqualTo(0), train.ToString());
        Assert.That(Directory.GetFiles(run["selections"]).Select(Path.GetFileName),
            Is.EquivalentTo(new[] { 0, 5, 10 }.SelectMany(s => new[] { $"step-{s}-rank-0.bin", $"step-{s}-rank-1.bin" })));
        using var plain = new RunDirectory(); // the README says recording changes no parameter
        var without = ProgramRunner.Run($"train --k-rule dynamic --cost-model payload --max-steps 11 --log-every 5 --out {plain.Path}", ranks: 2);
        Assert.That(without.ExitCode, Is.EqualTo(0), without.ToString());
        Assert.That((string)run.Summary()["parameter_hash"]!, Is.EqualTo((string)plain.Summary()["parameter_hash"]!), "recording changes no parameter");
        var records = File.ReadAllLines(run["metrics.jsonl"]).Select(l => JsonNode.Parse(l)!).ToDictionary(x => (long)x["step"]!);

        foreach (long step in new long[] { 10, 5 })
        {
            var files = Enumerable.Range(0, 2).Select(r => SelectionFile.Read(run[$"selections/step-{step}-rank-{r}.bin"])).ToArray();
            string json = run[$"bench-{step}.json"];
            string pick = step == 10 ? "" : $" --from-step {step}"; // 10 is the last recorded: the default
            var bench = ProgramRunner.Run($"bench-comm --from-run {run.Path}{pick} --exchanges allgather,ssar-rd,dsar-split,oktopk --formats int32:fp32 --repeat 1 --warmup 0 --json {json}", ranks: 2, timeoutSeconds: 120);
            Assert.That(bench.ExitCode, Is.EqualTo(0), bench.ToString());
            Assert.That(bench.Stdout, Does.Contain($"# from-run {run.Path} step {step}: every rank's recorded selection"));
            var rows = JsonDocument.Parse(File.ReadAllText(json)).RootElement.EnumerateArray().ToList();
            Assert.That(rows.Select(r => r.GetProperty("exchange").GetString()), Is.EquivalentTo(new[] { "allgather", "ssar-rd", "dsar-split", "oktopk" }));
            long totalK = files.Sum(f => (long)f.Indices.Length);
            foreach (var row in rows)
            {
                Assert.That(row.GetProperty("correct").GetBoolean(), Is.True, row.ToString());
                Assert.That(row.GetProperty("d").GetInt32(), Is.EqualTo(files[0].D).And.EqualTo(203_530), "the run's d");
                Assert.That(row.GetProperty("from_run").GetString(), Is.EqualTo(run.Path));
                Assert.That(row.GetProperty("from_step").GetInt64(), Is.EqualTo(step));
                Assert.That(row.GetProperty("k_min").GetInt32(), Is.EqualTo(files.Min(f => f.Indices.Length)));
                Assert.That(row.GetProperty("k_max").GetInt32(), Is.EqualTo(files.Max(f => f.Indices.Length)));
                Assert.That(row.GetProperty("density").GetDouble(), Is.EqualTo(totalK / (2.0 * 203_530)).Within(1e-15));
                if (row.GetProperty("exchange").GetString() == "oktopk") continue; // its sum is a global top-k: another fill-in
                Assert.That(row.GetProperty("fill_in").GetDouble(), Is.EqualTo((double)records[step]["fill_in"]!).Within(1e-12),
                    "the replay sums the very sets the training summed at that step");
            }
            Assert.That(rows.Select(r => r.GetProperty("ms_predicted").GetDouble()), Has.All.GreaterThan(0), "predicted at the mean k");
        }
        Assert.That(records[0]["k"], Is.Not.Null);

        var wrongRanks = ProgramRunner.Run($"bench-comm --from-run {run.Path} --repeat 1", ranks: 3, timeoutSeconds: 120);
        Assert.That(wrongRanks.ExitCode, Is.Not.EqualTo(0));
        Assert.That(wrongRanks.Stderr.Split('\n').Count(l => l.StartsWith("sparsempi: error:")), Is.EqualTo(1), wrongRanks.ToString());
        Assert.That(wrongRanks.Stderr, Does.Contain("step 10 was recorded on 2 ranks; replay it on as many (mpiexec -n 2), not 3"));
    }
}
