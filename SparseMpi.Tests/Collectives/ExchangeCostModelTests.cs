using SparseMpi.Collectives.Sparse;

namespace SparseMpi.Tests.Collectives;

/// <summary>
/// The per-algorithm alpha-beta model behind --exchange auto (no MPI): byte and latency counts worked out by hand
/// from what each exchange sends, the overlap model of partial sums, who wins where, and the start-up fit's line.
/// </summary>
public class ExchangeCostModelTests
{
    static ExchangeShape Shape(int p, int d, long k, double f) => ExchangeShape.Uniform(p, d, k, f);

    [Test]
    public void LatenciesAndBytesOnFourRanksByHand()
    {
        // P = 4, d = 1000, k = 10 on every rank, disjoint (f = 1).
        var s = Shape(4, 1000, 10, 1);
        Assert.That(ExchangeCostModel.Latencies("allgather", 4), Is.EqualTo(2 + 3));   // lengths by recursive doubling, ring allgatherv
        Assert.That(ExchangeCostModel.Latencies("allreduce", 4), Is.EqualTo(6));       // ring reduce-scatter + allgather
        Assert.That(ExchangeCostModel.Latencies("ssar-rd", 4), Is.EqualTo(4));         // two rounds of size + stream
        Assert.That(ExchangeCostModel.Latencies("ssar-split", 4), Is.EqualTo(2 + 3 + 2 + 3));
        Assert.That(ExchangeCostModel.Latencies("dsar-split", 4), Is.EqualTo(2 + 3 + 3));
        Assert.That(ExchangeCostModel.Latencies("ssar-rd", 3), Is.EqualTo(2 + 4), "a fold and an unfold when P is no power of two");
        // The other three messages of 24 + 80 bytes, and the 4-byte lengths.
        Assert.That(ExchangeCostModel.Bytes("allgather", s), Is.EqualTo(12 + 3 * 104));
        Assert.That(ExchangeCostModel.Bytes("allreduce", s), Is.EqualTo(2 * 0.75 * 4000));
        // Round 1: a 10-pair stream; round 2: the 20-pair sum of two ranks; 8 bytes of size and count per round.
        Assert.That(ExchangeCostModel.Bytes("ssar-rd", s), Is.EqualTo(8 + 80 + 8 + 160));
        // Reduce: counts + 3/4 of 10 pairs; gather: sizes + 3 ranges of 10 pairs (+ their 4-byte counts).
        Assert.That(ExchangeCostModel.Bytes("ssar-split", s), Is.EqualTo(12 + 60 + 12 + 3 * (4 + 80)));
        Assert.That(ExchangeCostModel.Bytes("dsar-split", s), Is.EqualTo(12 + 60 + 3000));
        // Identical selections (f = 1/P): the partial sums stay at 10 pairs.
        var same = Shape(4, 1000, 10, 0.25);
        Assert.That(ExchangeCostModel.Bytes("ssar-rd", same), Is.EqualTo(8 + 80 + 8 + 80));
        Assert.That(ExchangeCostModel.Bytes("ssar-split", same), Is.EqualTo(12 + 60 + 12 + 3 * (4 + 20)));
        Assert.That(ExchangeCostModel.Bytes("allgather", same), Is.EqualTo(ExchangeCostModel.Bytes("allgather", s)), "the allgather moves every pair whatever the overlap");
    }

    [Test]
    public void OneRankCostsNothingAndTiesGoToTheFirst()
    {
        foreach (string a in ExchangeCostModel.Algorithms)
            Assert.That(ExchangeCostModel.Seconds(a, Shape(1, 1000, 10, 1), 1e-5, 1e-9), Is.Zero, a);
        var fit = ExchangeCostFit.Uniform(1, 1e-5, 1e-9);
        Assert.That(fit.Cheapest(Shape(1, 1000, 10, 1), new double[5]), Is.EqualTo(0), "allgather: the first of equals");
    }

    [Test]
    public void RecursiveDoublingSwitchesToDenseWhenThePartialSumFillsIn()
    {
        // P = 16, d = 1e6, k = 1e5 disjoint: partial sums of 1, 2, 4 ranks are sparse (8 B per pair), of 8 ranks
        // 8e5 pairs >= d/2: dense, 4d bytes.
        var s = Shape(16, 1_000_000, 100_000, 1);
        Assert.That(ExchangeCostModel.Bytes("ssar-rd", s), Is.EqualTo(4 * 8 + 8e5 + 1.6e6 + 3.2e6 + 4e6));
        Assert.That(ExchangeCostModel.Bytes("ssar-rd", s), Is.LessThan(ExchangeCostModel.Bytes("allgather", s)));
    }

    [Test]
    public void OverlapModelOfPartialSums()
    {
        Assert.That(ExchangeCostModel.UnionOf(Shape(8, 10_000, 100, 1), 4), Is.EqualTo(400).Within(1e-9), "disjoint: m·k");
        Assert.That(ExchangeCostModel.UnionOf(Shape(8, 10_000, 100, 1.0 / 8), 4), Is.EqualTo(100).Within(1e-9), "identical: k");
        // f = 0.5 on 3 ranks: o = 3·0.5/2 = 0.75 shared, nnz(2) = 100·(0.75 + 2·0.25).
        Assert.That(ExchangeCostModel.UnionOf(Shape(3, 10_000, 100, 0.5), 2), Is.EqualTo(125).Within(1e-9));
        Assert.That(ExchangeCostModel.UnionOf(Shape(8, 500, 100, 1), 8), Is.EqualTo(500), "at most d");
        var mixed = ExchangeShape.Of(100, [3, 0, 5], 1);
        Assert.That((mixed.TotalK, mixed.MaxK, mixed.MinK, mixed.Ranks), Is.EqualTo((8L, 5L, 0L, 3)));
    }

    /// <summary>Costs that make every algorithm's prediction its FixedSeconds (no per-byte term), with its fit error.</summary>
    static ExchangeCostFit Flat(params (double Seconds, double Error)[] costs) =>
        new(4, "fitted", ExchangeCostModel.Algorithms.Select((a, i) => new AlgorithmCost(a, costs[i].Seconds, 0, costs[i].Error)));

    [Test]
    public void AChallengerCheaperByLessThanTheFitsErrorDoesNotReplaceTheIncumbent()
    {
        var s = Shape(4, 1000, 10, 1);
        var predictions = new double[5];
        // allgather 10 ms (fit within 5%), ssar-rd 9 ms (within 15%): 10% cheaper, inside ssar-rd's 15%.
        var close = Flat((10e-3, 0.05), (50e-3, 0), (9e-3, 0.15), (50e-3, 0), (50e-3, 0));
        Assert.That(close.Cheapest(s, predictions), Is.EqualTo(2), "the cheapest prediction is ssar-rd");
        Assert.That(close.Choose(s, predictions, incumbent: 0), Is.EqualTo(0), "within the larger fit error: keep the allgather");
        Assert.That(close.Choose(s, predictions, incumbent: 2), Is.EqualTo(2), "the incumbent is the cheapest: keep it");
        Assert.That(close.Choose(s, predictions, incumbent: -1), Is.EqualTo(2), "no incumbent: the cheapest");
        // ssar-rd 8 ms: 1.15 x 8 = 9.2 < 10, so it wins past the margin.
        var clear = Flat((10e-3, 0.05), (50e-3, 0), (8e-3, 0.15), (50e-3, 0), (50e-3, 0));
        Assert.That(clear.Choose(s, predictions, incumbent: 0), Is.EqualTo(2));
        // The margin is the larger of the two errors: the incumbent's 30% keeps it against 8 ms too.
        var shaky = Flat((10e-3, 0.30), (50e-3, 0), (8e-3, 0.15), (50e-3, 0), (50e-3, 0));
        Assert.That(shaky.Choose(s, predictions, incumbent: 0), Is.EqualTo(0));
        // Given costs (no error known): the cheapest, as before.
        Assert.That(ExchangeCostFit.Uniform(8, 2e-5, 8e-10).Choose(Shape(8, 1_000_000, 500_000, 1), predictions, incumbent: 0),
            Is.EqualTo(Array.IndexOf(ExchangeCostModel.Algorithms, "allreduce")));
    }

    static readonly ExchangeCostFit TenGbE8 = ExchangeCostFit.Uniform(8, 2e-5, 8e-10);

    [Test]
    public void DenseAllreduceWinsAtHalfDensity()
    {
        var s = Shape(8, 1_000_000, 500_000, 1);
        Assert.That(ExchangeCostModel.Algorithms[TenGbE8.Cheapest(s, new double[5])], Is.EqualTo("allreduce"));
        Assert.That(TenGbE8.Predict("allreduce", s), Is.LessThan(TenGbE8.Predict("allgather", s) / 3));
    }

    [Test]
    public void AllgatherWinsAtTinyKOnFewRanks()
    {
        var fit = ExchangeCostFit.Uniform(3, 2e-5, 8e-10);
        var s = Shape(3, 1_000_000, 10, 1);
        Assert.That(ExchangeCostModel.Algorithms[fit.Cheapest(s, new double[5])], Is.EqualTo("allgather"));
    }

    [Test]
    public void SplitAllgatherBeatsTheAllgatherOnManyRanksOnlyWhenTheSelectionsOverlap()
    {
        // P = 32, d = 1e7, k = 1e4 (density 0.001): with fill-in 1/4 the split moves a quarter of the pairs in its
        // gather, which pays for its 2(P-1) latencies; disjoint, its gather moves what the allgather does, plus the reduce.
        var fit = ExchangeCostFit.Uniform(32, 2e-5, 8e-10);
        var overlapping = Shape(32, 10_000_000, 10_000, 0.25);
        Assert.That(fit.Predict("ssar-split", overlapping), Is.LessThan(fit.Predict("allgather", overlapping)));
        var disjoint = Shape(32, 10_000_000, 10_000, 1);
        Assert.That(fit.Predict("ssar-split", disjoint), Is.GreaterThan(fit.Predict("allgather", disjoint)));
    }

    [Test]
    public void FittedLineIsNonNegative()
    {
        Assert.That(ExchangeCalibration.NonNegativeLine([1, 2, 3], [5, 8, 11]), Is.EqualTo((2.0, 3.0)).Using<(double, double)>((a, b) =>
            Math.Abs(a.Item1 - b.Item1) < 1e-9 && Math.Abs(a.Item2 - b.Item2) < 1e-9));
        var (flatFixed, flatSlope) = ExchangeCalibration.NonNegativeLine([1, 2, 3], [3, 2, 1]);
        Assert.That(flatSlope, Is.Zero, "a falling line (noise) is flattened");
        Assert.That(flatFixed, Is.GreaterThan(1).And.LessThan(3));
        var (originFixed, originSlope) = ExchangeCalibration.NonNegativeLine([10, 20], [1, 3]);
        Assert.That(originFixed, Is.Zero, "a negative intercept is refitted through the origin");
        Assert.That(originSlope, Is.GreaterThan(0.1).And.LessThan(0.15));
        var (oneFixed, oneSlope) = ExchangeCalibration.NonNegativeLine([0, 0], [2, 2]);
        Assert.That((oneFixed, oneSlope), Is.EqualTo((2.0, 0.0)), "equal x (one rank): the mean, no slope");
    }

    [Test]
    public void GivenNetworkPredictsAlphaTimesLatenciesPlusBetaTimesBytes()
    {
        var s = Shape(4, 1000, 10, 1);
        var fit = ExchangeCostFit.Uniform(4, 1e-6, 1e-9);
        Assert.That(fit.Predict("allgather", s), Is.EqualTo(5e-6 + 324e-9).Within(1e-18));
        Assert.That(fit.CostOf("ssar-rd").Alpha(4), Is.EqualTo(1e-6).Within(1e-18));
        Assert.That(() => fit.Predict("oktopk-or-anything", s), Throws.ArgumentException);
    }
}
