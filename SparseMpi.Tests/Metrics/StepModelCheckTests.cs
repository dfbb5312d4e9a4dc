using System.Text.Json;
using SparseMpi.Benchmarks;
using SparseMpi.Collectives.Sparse;
using SparseMpi.CostModels;
using SparseMpi.Metrics;
using SparseMpi.Tests.Cli;
using SparseMpi.Tests.Support;

namespace SparseMpi.Tests.Metrics;

/// <summary>report --bench-step: bench-step rows predicted from one network's alpha-beta fit, beside the measurement.</summary>
public class StepModelCheckTests
{
    static readonly AlphaBetaNetwork TenGbit = new("10gbit", 2e-5, 8e-10);

    static StepBenchRow Row(int ranks, string exchange, int d, double kMean, double? fillIn, double comm, double step) => new()
    {
        Ranks = ranks, Nodes = 4, D = d, Density = kMean / d, K = (int)kMean, KMean = kMean, Exchange = exchange, FillIn = fillIn,
        MsCompute = new(10, 10, 11), MsSelect = new(2, 2, 3), MsWait = new(1, 1, 2), MsComm = new(comm, comm, comm), MsApply = new(0.5, 0.5, 0.6),
        MsStep = new(step, step, step),
    };

    [Test]
    public void TheDenseRowIsTheRingAllreducesAlphaBetaCostPlusTheMeasuredLocalPhases()
    {
        var notes = new List<string>();
        var p = StepModelCheck.Predict([Row(4, StepBenchRow.DenseExchange, 1_000_000, 1_000_000, null, 10, 25)], TenGbit, notes).Single();
        Assert.That(notes, Is.Empty);
        Assert.That(p.Algorithm, Is.EqualTo("allreduce"));
        double comm = 1e3 * ExchangeCostModel.Seconds("allreduce", ExchangeShape.Uniform(4, 1_000_000, 1_000_000, 1), 2e-5, 8e-10);
        // The ring allreduce's bandwidth term: 2 (P-1)/P · 4d bytes = 6 MB at 0.8 ns/B = 4.8 ms, plus its latencies.
        Assert.That(comm, Is.GreaterThan(4.8).And.LessThan(4.8 + 1e3 * 2e-5 * 2 * 4));
        Assert.That(p.CommMs, Is.EqualTo(comm).Within(1e-12));
        Assert.That(p.WaitMs, Is.EqualTo(1e3 * 2e-5 * 2).Within(1e-12), "alpha · ceil(log2 4)");
        Assert.That(p.StepMs, Is.EqualTo(10 + 2 + 0.5 + p.WaitMs + comm).Within(1e-12));
        Assert.That(p.StepError, Is.EqualTo(p.StepMs / 25 - 1).Within(1e-12));
        Assert.That(p.CommError, Is.EqualTo(comm / 10 - 1).Within(1e-12));
    }

    [Test]
    public void ANetworkWithADensePairPredictsTheDenseRowFromItAndTheSparseRowsFromTheSparsePair()
    {
        // The sparse pair 10x slower per byte (decode folded in), the dense pair the links'.
        var net = new AlphaBetaNetwork("fitted", 1e-4, 8e-9) { DenseAlpha = 2e-5, DenseBeta = 8e-10 };
        var rows = new[] { Row(4, StepBenchRow.DenseExchange, 1_000_000, 1_000_000, null, 10, 25), Row(4, "allgather", 1_000_000, 1000, 1, 1, 15) };
        var p = StepModelCheck.Predict(rows, net, []);
        var denseShape = ExchangeShape.Uniform(4, 1_000_000, 1_000_000, 1);
        Assert.That(p[0].CommMs, Is.EqualTo(1e3 * ExchangeCostModel.Seconds("allreduce", denseShape, 2e-5, 8e-10)).Within(1e-12));
        Assert.That(p[0].CommMs, Is.LessThan(1e3 * ExchangeCostModel.Seconds("allreduce", denseShape, 1e-4, 8e-9) / 5), "not the sparse pair");
        Assert.That(p[1].CommMs, Is.EqualTo(1e3 * ExchangeCostModel.Seconds("allgather", ExchangeShape.Uniform(4, 1_000_000, 1000, 1), 1e-4, 8e-9)).Within(1e-12));
        Assert.That(p[0].WaitMs, Is.EqualTo(1e3 * 1e-4 * 2).Within(1e-12), "the agreement's few bytes are a sparse-sized message");
    }

    [Test]
    public void SparseRowsUseTheirMeasuredFillInAndAutoIsNotPredicted()
    {
        var notes = new List<string>();
        var predictions = StepModelCheck.Predict([
            Row(8, "ssar-rd", 1 << 20, 1000, 0.5, 3, 20),
            Row(8, "ssar-rd", 1 << 20, 1000, 1.0, 3, 20),
            Row(8, "allgather", 1 << 20, 1000, null, 3, 20),
            Row(8, "auto", 1 << 20, 1000, 0.5, 3, 20),
        ], TenGbit, notes);
        Assert.That(predictions.Select(p => p.Measured.Exchange), Is.EqualTo(new[] { "ssar-rd", "ssar-rd", "allgather" }));
        Assert.That(predictions[0].CommMs, Is.LessThan(predictions[1].CommMs), "overlapping selections (fill-in 0.5) move fewer bytes");
        Assert.That(predictions[2].FillInMeasured, Is.False);
        Assert.That(notes, Has.Some.Contains("auto at 8 ranks").And.Some.Contains("allgather at 8 ranks, density 0.0009").And.Some.Contains("predicted at 1"));
    }

    [Test]
    public void ReportWritesTheTableAndCountsTheRowsWithinTheBound()
    {
        using var dir = new RunDirectory();
        // comm measured exactly as predicted in the first row (step within 25%), 3x the prediction in the second.
        double comm = 1e3 * ExchangeCostModel.Seconds("allgather", ExchangeShape.Uniform(4, 1 << 20, 1000, 1), 2e-5, 8e-10);
        double wait = 1e3 * 2e-5 * 2, local = 10 + 2 + 0.5;
        StepBenchRow[] rows = [Row(4, "allgather", 1 << 20, 1000, 1, comm, local + wait + comm), Row(4, "allgather", 1 << 20, 1000, 1, 3 * comm, 3 * (local + wait + comm))];
        File.WriteAllText(dir["bench.json"], JsonSerializer.Serialize(rows, Json.Indented));
        var r = ProgramRunner.Run($"report --bench-step {dir["bench.json"]} --network 10gbit:alpha=2e-5,beta=8e-10 --out {dir["out"]}",
            launcher: Launcher.None, timeoutSeconds: 60);
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        string md = File.ReadAllText(dir["out/step-model.md"]);
        Assert.That(md, Does.Contain("Step time within 25%: 1 of 2 rows; comm within 25%: 1 of 2."));
        Assert.That(md, Does.Contain("| +0.0% |").And.Contain("-66.7%"));
        var csv = File.ReadAllLines(dir["out/step-model.csv"]);
        Assert.That(csv, Has.Length.EqualTo(3));
        Assert.That(csv[0], Does.StartWith("ranks,nodes,d,density,exchange,fill_in,ms_compute").And.EndWith("ms_step,ms_step_predicted,step_error"));
        Assert.That(File.Exists(dir["out/scaling.md"]), Is.False, "no runs given: no scaling table");
    }

    [Test]
    public void BenchStepNeedsExactlyOneNetworkAndItsOwnJson()
    {
        using var dir = new RunDirectory();
        File.WriteAllText(dir["bench.json"], JsonSerializer.Serialize(new[] { Row(4, "allgather", 1000, 10, 1, 1, 2) }, Json.Indented));
        File.WriteAllText(dir["other.json"], "{\"rows\": 3}");
        BadInputTests.AssertOneLineError(ProgramRunner.Run($"report --bench-step {dir["bench.json"]} --out {dir["out"]}", launcher: Launcher.None, timeoutSeconds: 60),
            "--bench-step predicts from one network's fit: give exactly one --network (got 0)");
        BadInputTests.AssertOneLineError(ProgramRunner.Run($"report --bench-step {dir["other.json"]} --network a:alpha=1e-5,beta=1e-9 --out {dir["out"]}", launcher: Launcher.None, timeoutSeconds: 60),
            "not valid JSON");
        BadInputTests.AssertOneLineError(ProgramRunner.Run($"report --bench-step {dir["missing.json"]} --network a:alpha=1e-5,beta=1e-9 --out {dir["out"]}", launcher: Launcher.None, timeoutSeconds: 60),
            "no such file");
        BadInputTests.AssertOneLineError(ProgramRunner.Run($"report --out {dir["out"]}", launcher: Launcher.None, timeoutSeconds: 60),
            "give run directories (RUN_DIR), --bench-step files, or both");
        Assert.That(Directory.Exists(dir["out"]), Is.False, "nothing is written for bad input");
    }
}
