using System.Text.Json.Nodes;
using SparseMpi.Tests.Cli;
using SparseMpi.Tests.Support;

namespace SparseMpi.Tests.Benchmarks;

/// <summary>
/// bench-step (issue 16, item 3) under real mpiexec with a tiny d: the training step's rule and exchanges on
/// synthetic gradients, the compute slept. Checks the rows' fields, that the compute phase is the sleep, and the
/// bytes each exchange reports against what its messages must hold. No timing is judged beyond the sleep.
/// </summary>
[TestFixture, Category("mpi")]
public class BenchStepTests
{
    const int D = 4096;
    static readonly string[] Phases = ["ms_compute", "ms_select", "ms_wait", "ms_comm", "ms_apply", "ms_step"];

    static JsonArray Rows(RunDirectory dir) => JsonNode.Parse(File.ReadAllText(dir["step.json"]))!.AsArray();

    static void AssertCommonFields(JsonNode row, double computeMs, int steps = 4)
    {
        Assert.That((string)row["note"]!, Does.Contain("what-if for the communication part, not training"));
        Assert.That((int)row["ranks"]!, Is.EqualTo(2));
        Assert.That((int)row["nodes"]!, Is.EqualTo(1));
        Assert.That(row["ranks_per_node"]!.AsArray().Select(x => (int)x!), Is.EqualTo(new[] { 2 }));
        Assert.That((int)row["d"]!, Is.EqualTo(D));
        Assert.That((int)row["steps"]!, Is.EqualTo(steps));
        Assert.That((bool)row["identical_parameters"]!, Is.True);
        Assert.That(row["placement"]!["ranks"]!.AsArray(), Has.Count.EqualTo(2));
        foreach (string phase in Phases)
        {
            var p = row[phase]!;
            double min = (double)p["min"]!, median = (double)p["median"]!, max = (double)p["max"]!;
            Assert.That(min, Is.GreaterThanOrEqualTo(0), phase);
            Assert.That(median, Is.InRange(min, max), phase);
        }
        // The compute phase is the sleep (and a 16 kB copy): at least what was asked, not far beyond it.
        Assert.That((double)row["ms_compute"]!["min"]!, Is.GreaterThanOrEqualTo(computeMs));
        Assert.That((double)row["ms_compute"]!["median"]!, Is.LessThan(computeMs + 200));
        Assert.That((double)row["ms_step"]!["min"]!, Is.GreaterThanOrEqualTo(computeMs), "a step contains its compute");
    }

    [Test]
    public void TopKWithAllgatherAndSsarRdGivesRowsWithTheirBytes()
    {
        using var dir = new RunDirectory();
        // Steps 1..5 timed: the fill-in is counted on step 5 (every StepBenchmark.FillInEvery steps).
        var r = ProgramRunner.Run($"bench-step -d {D} --density 0.01 --exchange allgather,ssar-rd --compute-ms 20 --steps 5 --warmup 1 --json {dir["step.json"]}", 2);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Stdout, Does.Contain("what-if for the communication part, not training"));
        var rows = Rows(dir);
        Assert.That(rows.Select(x => (string)x!["exchange"]!), Is.EqualTo(new[] { "allgather", "ssar-rd" }));
        const int k = 41; // round(4096 * 0.01)
        foreach (var row in rows)
        {
            AssertCommonFields(row!, 20, steps: 5);
            Assert.That((int)row!["k"]!, Is.EqualTo(k));
            Assert.That((double)row["k_mean"]!, Is.EqualTo(k), "exact top-k sends k entries every step");
            Assert.That((double)row["density"]!, Is.EqualTo(0.01));
            Assert.That((string)row["compressor"]!, Is.EqualTo("topk"));
            Assert.That((double)row["fill_in"]!, Is.InRange(0.5, 1.0), "nnz(sum) / 2k on 2 ranks");
        }
        // Allgather on 2 ranks: a rank sends its 4-byte length and its message (24-byte header + k int32/fp32 pairs).
        Assert.That((double)rows[0]!["bytes_sent_per_rank"]!, Is.EqualTo(4 + 24 + 8 * k));
        Assert.That((string)rows[0]!["wire_format"]!, Is.EqualTo("int32:fp32"));
        // Recursive doubling on 2 ranks: one swap of k pairs with a small count header.
        Assert.That((double)rows[1]!["bytes_sent_per_rank"]!, Is.InRange(8 * k, 8 * k + 64));
        Assert.That((double)rows[1]!["bytes_received_per_rank"]!, Is.InRange(8 * k, 8 * k + 64));
    }

    [Test]
    public void DenseIsOneAllreduceRowOfDFloats()
    {
        using var dir = new RunDirectory();
        var r = ProgramRunner.Run($"bench-step -d {D} --compressor none --compute-ms 10 --steps 4 --warmup 1 --json {dir["step.json"]}", 2);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        var row = Rows(dir).Single()!;
        AssertCommonFields(row, 10);
        Assert.That((string)row["exchange"]!, Is.EqualTo("dense-allreduce"));
        Assert.That(row["fill_in"], Is.Null, "no selection to fill in");
        Assert.That((int)row["k"]!, Is.EqualTo(D));
        // Ring allreduce: 2 (P - 1) / P of the 4d bytes, so 4d on 2 ranks.
        Assert.That((double)row["bytes_sent_per_rank"]!, Is.EqualTo(4.0 * D));
    }

    [TestCase("--help"), TestCase("bench-step --help")]
    public void HelpSaysItIsAWhatIf(string arguments)
    {
        var r = ProgramRunner.Run(arguments, launcher: Launcher.None, timeoutSeconds: 60);
        string text = System.Text.RegularExpressions.Regex.Replace(r.Stdout + r.Stderr, @"\s+", " "); // the help wraps lines
        Assert.That(text, Does.Contain("what-if for the communication part").IgnoreCase.And.Contain("not training"));
    }

    [TestCase("--density 0.02 --compressor none", "--density sets a compressor's k; --compressor none")]
    [TestCase("--exchange ssar-rd --compressor none", "--exchange sums a compressor's selections")]
    [TestCase("--format delta:fp16 --exchange ssar-rd", "--format is the sparse allgather's wire format")]
    [TestCase("--exchange allgather,bogus", "--exchange: 'bogus' is not one of")]
    [TestCase("--density 0.01,2", "--density: '2' is not a density in (0, 1]")]
    [TestCase("-d 50 --density 0.001", "--density: 0.001 gives k = round(d * density) = 0 of --d 50")]
    [TestCase("--compute-ms -1", "--compute-ms must be a number of milliseconds")]
    [TestCase("--steps 0", "--steps must be at least 1")]
    [TestCase("--compressor threshold", "bench-step: unknown compressor 'threshold'")]
    [TestCase("--format int8:fp32", "--format: 'int8:fp32' is not index:value")]
    public void BadInputIsRefused(string options, string expected) =>
        BadInputTests.AssertOneLineError(ProgramRunner.Run($"bench-step {(options.StartsWith("-d ") ? "" : "-d 1024 ")}{options}", 2, timeoutSeconds: 60), expected);
}
