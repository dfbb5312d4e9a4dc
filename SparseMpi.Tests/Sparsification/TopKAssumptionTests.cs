using SparseMpi.Sparsification;

namespace SparseMpi.Tests.Sparsification;

/// <summary>
/// The two quantities of Alistarh et al.'s assumption (<see cref="TopKAssumption"/>) on cases small enough to check
/// by hand, and the cases where they are known exactly: xi = 0 when every rank holds the same accumulator.
/// </summary>
[TestFixture]
public class TopKAssumptionTests
{
    [Test]
    public void ResidualRatioOfAHandCheckedAccumulator()
    {
        // acc = (3, 0, 0, 4), k = 1: TopK keeps the 4, the residual is (3, 0, 0, 0): 3 / 5.
        float[] acc = [3, 0, 0, 4];
        var (indices, values) = TopK(acc, 1);
        Assert.That(indices, Is.EqualTo(new[] { 3 }));
        float[] residual = [3, 0, 0, 0];
        Assert.That(TopKAssumption.ResidualRatio(residual, values), Is.EqualTo(0.6).Within(1e-15));
        Assert.That(TopKAssumption.RandomKBound(1, 4), Is.EqualTo(Math.Sqrt(0.75)).Within(1e-15));
        Assert.That(TopKAssumption.RandomKBound(4, 4), Is.Zero);
        Assert.That(TopKAssumption.ResidualRatio(new float[4], []), Is.NaN, "an all-zero accumulator has no ratio");
        Assert.Throws<ArgumentOutOfRangeException>(() => TopKAssumption.RandomKBound(5, 4));
    }

    [Test]
    public void XiOfTwoHandCheckedRanks()
    {
        // Rank 0: acc (3, 0, 0, 4), TopK_1 = (0, 0, 0, 4); rank 1: acc (0, 2, 0, 1), TopK_1 = (0, 2, 0, 0).
        // mean acc = (1.5, 1, 0, 2.5), TopK_1(mean) = (0, 0, 0, 2.5); mean TopK = sum / 2 = (0, 1, 0, 2).
        // TopK(mean) - mean TopK = (0, -1, 0, 0.5): xi^2 = 1.25 / (1.5^2 + 1 + 2.5^2) = 1.25 / 9.5.
        float[] mean = [1.5f, 1, 0, 2.5f];
        float[] sum = [0, 2, 0, 4];
        var (top, _) = TopK(mean, 1);
        Assert.That(top, Is.EqualTo(new[] { 3 }));
        Assert.That(TopKAssumption.Xi(mean, top, sum, 0.5), Is.EqualTo(Math.Sqrt(1.25 / 9.5)).Within(1e-15));
        var divergence = TopKAssumption.Divergence(mean, top, sum, 0.5);
        Assert.That(divergence.Difference, Is.EqualTo(Math.Sqrt(1.25)).Within(1e-15));
        Assert.That(divergence.TopKNorm, Is.EqualTo(2.5).Within(1e-15));
        Assert.That(divergence.XiOfTopK, Is.EqualTo(Math.Sqrt(1.25) / 2.5).Within(1e-15), "relative to ||TopK(mean)||");
        // Disjoint selections that miss the mean's top entirely: TopK(mean) = (0, 0, 0, 2.5), sum / 2 = (1.5, 1, 0, 0).
        Assert.That(TopKAssumption.Xi(mean, top, [3, 2, 0, 0], 0.5), Is.EqualTo(Math.Sqrt((2.25 + 1 + 6.25) / 9.5)).Within(1e-15));
        Assert.That(TopKAssumption.Xi(new float[4], [], new float[4], 0.5), Is.NaN, "a zero mean has no xi");
        Assert.Throws<ArgumentException>(() => TopKAssumption.Xi(mean, [3, 1], sum, 0.5), "indices must be ascending");
    }

    [TestCase(1), TestCase(3), TestCase(8)]
    public void XiIsExactlyZeroWhenEveryRankHasTheSameAccumulator(int ranks)
    {
        var rng = new Random(7);
        const int d = 5000, k = 50;
        var acc = new float[d];
        for (int i = 0; i < d; i++) acc[i] = (float)(rng.NextDouble() - 0.5) * 1e-3f;
        var (indices, values) = TopK(acc, k);
        // The exchange's sum of P equal selections, and the mean of P equal accumulators (as the probe computes them).
        var sum = new float[d];
        for (int r = 0; r < ranks; r++)
            for (int j = 0; j < k; j++) sum[indices[j]] += values[j];
        var mean = new float[d];
        for (int r = 0; r < ranks; r++)
            for (int i = 0; i < d; i++) mean[i] += acc[i];
        for (int i = 0; i < d; i++) mean[i] *= 1f / ranks;
        var (meanTop, _) = TopK(mean, k);
        double xi = TopKAssumption.Xi(mean, meanTop, sum, 1.0 / ranks);
        // P = 1, or a power of two, rounds nothing; P = 3 may round the mean and the sum / P differently in the last bit.
        double xiTopK = TopKAssumption.Divergence(mean, meanTop, sum, 1.0 / ranks).XiOfTopK;
        if ((ranks & (ranks - 1)) == 0) Assert.That(new[] { xi, xiTopK }, Is.All.Zero);
        else Assert.That(new[] { xi, xiTopK }, Is.All.LessThan(1e-6));
    }

    [Test]
    public void TopKIsNeverWorseThanRandomKForAnyVector()
    {
        // The first half of the assumption holds for every vector: the d - k smallest entries hold at most (d - k)/d of the energy.
        var rng = new Random(3);
        foreach (int d in new[] { 10, 1000, 20000 })
            foreach (int k in new[] { 1, d / 10, d / 2 })
            {
                var acc = new float[d];
                for (int i = 0; i < d; i++) acc[i] = (float)(rng.NextDouble() * rng.NextDouble() - 0.25);
                var (indices, values) = TopK(acc, k);
                var residual = (float[])acc.Clone();
                foreach (int i in indices) residual[i] = 0;
                Assert.That(TopKAssumption.ResidualRatio(residual, values), Is.LessThanOrEqualTo(TopKAssumption.RandomKBound(k, d) + 1e-12), $"d={d} k={k}");
            }
    }

    static (int[] Indices, float[] Values) TopK(float[] x, int k)
    {
        var indices = new int[k];
        var values = new float[k];
        int n = MagnitudeSelector.Exact().Select(x, k, 0, indices, values);
        Assert.That(n, Is.EqualTo(k));
        return (indices, values);
    }
}
