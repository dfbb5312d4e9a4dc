using SparseMpi.Metrics;
using SparseMpi.Tests.Support;
using SparseMpi.CostModels;

namespace SparseMpi.Tests.Metrics;

/// <summary>The alpha-beta costs, the crossovers and the step-time model against values worked out by hand.</summary>
public class AlphaBetaModelTests
{
    static readonly AlphaBetaNetwork TenGbE = new("10gbe", 2e-5, 8e-10);

    [Test]
    public void CollectiveCostsMatchTheFormulas()
    {
        // P = 8, n = 4e6 B: ring allreduce 2·7·2e-5 + 2·7/8·4e6·8e-10 = 2.8e-4 + 5.6e-3.
        Assert.That(CollectiveCost.RingAllreduce(8, 4e6, TenGbE), Is.EqualTo(5.88e-3).Within(1e-15));
        // Rabenseifner: 2·log2(8)·2e-5 + the same bytes = 1.2e-4 + 5.6e-3.
        Assert.That(CollectiveCost.RabenseifnerAllreduce(8, 4e6, TenGbE), Is.EqualTo(5.72e-3).Within(1e-15));
        // Ring allgather of 1e4 B per rank: 7·(2e-5 + 8e-6).
        Assert.That(CollectiveCost.RingAllgather(8, 1e4, TenGbE), Is.EqualTo(1.96e-4).Within(1e-15));
        // Recursive doubling of the 4-byte lengths: 3·2e-5 + 7·4·8e-10.
        Assert.That(CollectiveCost.RecursiveDoublingAllgather(8, 4, TenGbE), Is.EqualTo(6e-5 + 2.24e-8).Within(1e-15));
        // One rank communicates nothing.
        Assert.That(CollectiveCost.DenseExchange(1, 1_000_000, TenGbE), Is.Zero);
        Assert.That(CollectiveCost.SparseExchange(1, 1e4, TenGbE), Is.Zero);
    }

    [Test]
    public void ExchangesOnFourRanksByHand()
    {
        var net = new AlphaBetaNetwork("n", 1e-6, 1e-9);
        // Dense, d = 1000: 2·3·1e-6 + 2·3/4·4000·1e-9 = 6e-6 + 6e-6.
        Assert.That(CollectiveCost.DenseExchange(4, 1000, net), Is.EqualTo(12e-6).Within(1e-18));
        // Sparse, 104-byte messages: lengths 2·1e-6 + 3·4·1e-9, messages 3·(1e-6 + 104·1e-9).
        Assert.That(CollectiveCost.SparseExchange(4, 104, net), Is.EqualTo(5.324e-6).Within(1e-18));
    }

    [TestCase(1, 0)]
    [TestCase(2, 1)]
    [TestCase(3, 2)]
    [TestCase(4, 2)]
    [TestCase(5, 3)]
    [TestCase(1024, 10)]
    [TestCase(1025, 11)]
    public void CeilLog2(int p, int expected) => Assert.That(CollectiveCost.CeilLog2(p), Is.EqualTo(expected));

    [Test]
    public void BandwidthCrossoverIsEightDOverMessagePlusLength()
    {
        // 8·1000 / (104 + 4).
        Assert.That(CollectiveCost.BandwidthCrossover(1000, 104), Is.EqualTo(8000.0 / 108).Within(1e-12));
        // The MLP of the study: d = 203530, k = 2035 int32:fp32 pairs, m = 24 + 8·2035 = 16304: P* ≈ 1/density.
        Assert.That(CollectiveCost.BandwidthCrossover(203530, 16304), Is.EqualTo(99.84).Within(0.01));
    }

    [Test]
    public void WithoutLatencyTheCommCrossoverIsTheBandwidthOne()
    {
        // alpha = 0: sparse is faster while (P-1)·108 < 2(P-1)/P·4000, i.e. P < 74.07: for P = 2..74.
        var net = new AlphaBetaNetwork("bw", 0, 1e-9);
        var inputs = Inputs();
        var x = new StepTimeModel(0).Crossover(inputs.TopK, inputs.Dense, net);
        Assert.That(x.Comm, Is.EqualTo(new FasterRange(2, 75)));
        Assert.That(x.CommRabenseifner, Is.EqualTo(new FasterRange(2, 75)));
    }

    [Test]
    public void LatencyMovesTheCommCrossover()
    {
        // alpha = 1e-6, beta = 1e-7 (worked out by hand at the edges): on 81 ranks sparse costs
        // 7e-6 + 80·4e-7 + 80·(1e-6 + 104e-7) = 951e-6 s against the ring's 160e-6 + 2·80/81·4000e-7 = 950.1e-6;
        // on 80 ranks 939.2e-6 against 948e-6. Rabenseifner's log2 latency ends it earlier, at 69.
        var net = new AlphaBetaNetwork("lat", 1e-6, 1e-7);
        var inputs = Inputs();
        var x = new StepTimeModel(0).Crossover(inputs.TopK, inputs.Dense, net);
        Assert.That(x.Comm, Is.EqualTo(new FasterRange(2, 81)));
        Assert.That(x.CommRabenseifner, Is.EqualTo(new FasterRange(2, 69)));
        // alpha-dominated: the allgather's (P-1)·alpha is half the ring allreduce's 2(P-1)·alpha, and 108 B per
        // rank never outweighs the difference, so sparse communication stays cheaper.
        var latencyBound = new StepTimeModel(0).Crossover(inputs.TopK, inputs.Dense, new AlphaBetaNetwork("l", 1e-6, 1e-9));
        Assert.That(latencyBound.Comm, Is.EqualTo(new FasterRange(2, null)));
    }

    [Test]
    public void StepCrossoverWeighsLocalCosts()
    {
        // alpha = 0, beta = 1e-6: weak steps dense 94 + 8(P-1)/P ms, sparse 96 + 0.108(P-1) ms. On 55 ranks
        // 101.832 < 101.855, on 56 ranks 101.940 >= 101.857. Strong scaling: compute 90/P on both sides, same P.
        var net = new AlphaBetaNetwork("slow", 0, 1e-6);
        var inputs = Inputs();
        var x = new StepTimeModel(0).Crossover(inputs.TopK, inputs.Dense, net);
        Assert.That(x.WeakStep, Is.EqualTo(new FasterRange(2, 56)));
        Assert.That(x.StrongStep, Is.EqualTo(new FasterRange(2, 56)));
        // 1 us per received pair adds P·10·1e-3 ms to sparse: it stops paying off at 51.
        Assert.That(new StepTimeModel(1000).Crossover(inputs.TopK, inputs.Dense, net).WeakStep, Is.EqualTo(new FasterRange(2, 51)));
    }

    [Test]
    public void PredictedStepsByHand()
    {
        var net = new AlphaBetaNetwork("n", 1e-6, 1e-9);
        var inputs = Inputs();
        var model = new StepTimeModel(2);
        // Weak, 4 ranks: compute 90 (the smaller 1-rank compute), select 2, apply 2, comm 0.012 ms.
        var dense = model.Predict(inputs.Dense, net, ScalingMode.Weak, 4);
        Assert.That((dense.ComputeMs, dense.LocalMs, dense.CommMs), Is.EqualTo((90.0, 4.0, 0.012)).Within(1e-12));
        Assert.That(dense.SamplesPerSecond, Is.EqualTo(4 * 128 / 0.094012).Within(1e-6));
        // Strong: compute 90 / 4; 128 samples per step.
        var strong = model.Predict(inputs.Dense, net, ScalingMode.Strong, 4);
        Assert.That(strong.StepMs, Is.EqualTo(22.5 + 4 + 0.012).Within(1e-12));
        Assert.That(strong.SamplesPerSecond, Is.EqualTo(128 / 0.026512).Within(1e-6));
        // Sparse: select 5 + apply 1 + 4·10 pairs · 2 ns = 8e-5 ms; comm 5.324e-3 ms.
        var sparse = model.Predict(inputs.TopK, net, ScalingMode.Weak, 4);
        Assert.That((sparse.ComputeMs, sparse.LocalMs, sparse.CommMs), Is.EqualTo((90.0, 6.00008, 0.005324)).Within(1e-12));
    }

    [Test]
    public void InputsComeFromTheRuns()
    {
        var inputs = Inputs();
        Assert.That(inputs.Dense.ComputeMs, Is.EqualTo(90), "compute: the least disturbed 1-rank run of any method");
        Assert.That((inputs.Dense.SelectMs, inputs.Dense.ApplyMs), Is.EqualTo((2.0, 2.0)));
        Assert.That((inputs.TopK.SelectMs, inputs.TopK.ApplyMs), Is.EqualTo((5.0, 1.0)));
        Assert.That((inputs.TopK.MessageBytes, inputs.TopK.BytesPerEntry, inputs.TopK.K), Is.EqualTo((104.0, 8.0, 10.0)));
        Assert.That(inputs.TopK.BatchPerRank, Is.EqualTo(128));
    }

    [Test]
    public void SpeedupIsOverDenseOnOneRank()
    {
        var inputs = Inputs();
        var net = new AlphaBetaNetwork("n", 1e-6, 1e-9);
        var report = new ModelReport([inputs.Dense, inputs.TopK], [net], new StepTimeModel(0), maxRanks: 4);
        var rows = report.Predictions().Where(s => s.Mode == ScalingMode.Weak).ToList();
        Assert.That(rows.Select(s => (s.Method.Method, s.Ranks)), Is.EqualTo(new[] { ("dense", 1), ("dense", 2), ("dense", 4), ("topk 0.01", 1), ("topk 0.01", 2), ("topk 0.01", 4) }));
        // Dense on 4 ranks: 4·128 samples in 94.012 ms against 128 in 94 ms.
        Assert.That(report.Speedup(rows[2]), Is.EqualTo(4 * 94 / 94.012).Within(1e-12));
        // topk on 1 rank: 96 ms against dense's 94.
        Assert.That(report.Speedup(rows[3]), Is.EqualTo(94.0 / 96).Within(1e-12));
        Assert.That(report.DenseOverThis(rows[3]), Is.EqualTo(94.0 / 96).Within(1e-12));
    }

    [Test]
    public void ModelListsEveryExactExchangeAndTheCheapestPerRankCount()
    {
        var inputs = Inputs();
        var net = new AlphaBetaNetwork("n", 1e-6, 1e-9);
        var report = new ModelReport([inputs.Dense, inputs.TopK], [net], new StepTimeModel(0), maxRanks: 4);
        string md = report.Markdown("t", []);
        Assert.That(md, Does.Contain("## The exact exchanges, per algorithm"));
        // topk 0.01 of the fixture: d = 1000, k = 10. P = 4 by hand (ExchangeCostModelTests): ssar-rd 4 latencies + 256 B is the least.
        Assert.That(md, Does.Contain("| 4 | 0.005 | 0.012 | 0.004 | 0.01 | 0.011 | ssar-rd |"));
        var dense = inputs.TopK with { K = 500, Method = "topk 0.5" }; // half of d: the dense allreduce's bytes, and its latencies
        var table = new ModelReport([dense], [new AlphaBetaNetwork("slow", 1e-7, 1e-8)], new StepTimeModel(0), maxRanks: 4).ExchangeTable(dense, new AlphaBetaNetwork("slow", 1e-7, 1e-8)).Markdown();
        Assert.That(table, Does.Contain("| allreduce |"), table);
    }

    [Test]
    public void NetworkSyntax()
    {
        var named = AlphaBetaNetwork.TryParse("ib100:alpha=1.5e-6,beta=8e-11", "x", out string? problem);
        Assert.That(named, Is.EqualTo(new AlphaBetaNetwork("ib100", 1.5e-6, 8e-11)), problem);
        Assert.That(AlphaBetaNetwork.TryParse(" beta=8e-10 , alpha=2e-5, name=10gbe", "x", out _), Is.EqualTo(TenGbE));
        Assert.That(AlphaBetaNetwork.TryParse("alpha=0,beta=1e-9", "network1", out _), Is.EqualTo(new AlphaBetaNetwork("network1", 0, 1e-9)));
        Assert.That(AlphaBetaNetwork.TryParse("ib:alpha=1e-6", "x", out problem), Is.Null);
        Assert.That(problem, Does.Contain("needs both alpha and beta"));
        Assert.That(AlphaBetaNetwork.TryParse("alpha=1e-6,beta=0", "x", out problem), Is.Null);
        Assert.That(problem, Does.Contain("beta must be a positive number"));
        Assert.That(AlphaBetaNetwork.TryParse("alpha=1e-6,beta=1e-9,gamma=3", "x", out problem), Is.Null);
        Assert.That(problem, Does.Contain("unknown field 'gamma=3'"));
        Assert.That(AlphaBetaNetwork.TryParse("a b:alpha=1e-6,beta=1e-9", "x", out problem), Is.Null);
        Assert.That(problem, Does.Contain("name 'a b'"));
    }

    [Test]
    public void ADensePairIsParsedAndUsedOnlyForDenseVectors()
    {
        var net = AlphaBetaNetwork.TryParse("fitted:alpha=1e-4,beta=8e-9,dense-alpha=2e-5,dense-beta=8e-10", "x", out string? problem)!;
        Assert.That(net, Is.Not.Null, problem);
        Assert.That((net.Alpha, net.Beta, net.DenseAlpha, net.DenseBeta), Is.EqualTo((1e-4, 8e-9, (double?)2e-5, (double?)8e-10)));
        Assert.That(net.Dense, Is.EqualTo(new AlphaBetaNetwork("fitted", 2e-5, 8e-10)));
        Assert.That(net.For("allreduce"), Is.EqualTo(net.Dense));
        Assert.That(net.For("allgather"), Is.SameAs(net));
        Assert.That(CollectiveCost.DenseExchange(4, 1_000_000, net), Is.EqualTo(CollectiveCost.RingAllreduce(4, 4e6, net.Dense)));
        Assert.That(net.ToString(), Does.Contain("dense allreduce: alpha = 20 us"));
        // Without a dense pair dense vectors cost what sparse bytes do.
        var plain = new AlphaBetaNetwork("n", 1e-6, 1e-9);
        Assert.That(plain.Dense, Is.SameAs(plain));
        Assert.That(AlphaBetaNetwork.TryParse("alpha=1e-6,beta=1e-9,dense-beta=1e-10", "x", out problem), Is.Null);
        Assert.That(problem, Does.Contain("both dense-alpha and dense-beta"));
        Assert.That(AlphaBetaNetwork.TryParse("alpha=1e-6,beta=1e-9,dense-alpha=0,dense-beta=0", "x", out problem), Is.Null);
        Assert.That(problem, Does.Contain("dense-beta must be a positive number"));
    }

    /// <summary>The model inputs of <see cref="ScalingFixtures"/>' study.</summary>
    static (ModelInputs Dense, ModelInputs TopK) Inputs()
    {
        using var dir = new RunDirectory();
        var (dense, topk) = ScalingFixtures.WriteStudy(dir.Path);
        var points = RunDirectories.Expand([dense, topk]).Select(d => ScalingPoint.From(RunRecord.Load(d))).ToList();
        var notes = new List<string>();
        var inputs = ModelInputs.From(points, notes);
        Assert.That(notes, Is.Empty);
        return (inputs.Single(m => m.Dense), inputs.Single(m => !m.Dense));
    }
}
