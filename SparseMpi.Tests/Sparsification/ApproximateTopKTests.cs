using NUnit.Framework;
using SparseMpi.Sparsification;

namespace SparseMpi.Tests.Sparsification;

public class ApproximateTopKTests
{
    static IEnumerable<VectorPath> Paths => Reference.Paths();

    static void AssertWithinBounds(MagnitudeSelector approx, float[] x, int[] order, int k, string what)
    {
        var idx = new int[approx.MaxSelected(k)];
        var val = new float[idx.Length];
        int n = approx.Select(x, k, 0, idx, val);
        Assert.That(n, Is.InRange(k, k + k / 2), $"{what}: count");
        var selected = idx[..n];
        for (int j = 1; j < n; j++) Assert.That(selected[j], Is.GreaterThan(selected[j - 1]), $"{what}: strictly ascending");
        var taken = new bool[x.Length];
        float smallestTaken = float.PositiveInfinity;
        foreach (int i in selected) { taken[i] = true; smallestTaken = MathF.Min(smallestTaken, MathF.Abs(x[i])); }
        foreach (int i in Reference.TopK(order, k)) Assert.That(taken[i], $"{what}: misses {i} of the exact top-k");
        // Nothing left out is larger than anything taken: the selection is a magnitude threshold.
        float largestLeft = 0;
        for (int i = 0; i < x.Length; i++) if (!taken[i]) largestLeft = MathF.Max(largestLeft, MathF.Abs(x[i]));
        Assert.That(largestLeft, Is.LessThanOrEqualTo(smallestTaken), $"{what}: threshold shape");
        Reference.AssertSignedValues(x, selected, val.AsSpan(0, n));
    }

    [Test]
    public void ReturnsBetweenKAndOneAndAHalfKAscending([ValueSource(nameof(Paths))] VectorPath path,
        [Values(1, 2)] int seed, [Values(1000, 65537, 150_001)] int d)
    {
        var approx = MagnitudeSelector.Approximate(path);
        var x = Reference.Normal(d, seed);
        var order = Reference.SelectionOrder(x);
        foreach (int k in new[] { 1, 2, 10, d / 1000 + 1, d / 10, d })
            AssertWithinBounds(approx, x, order, k, $"d={d} k={k}");
    }

    [Test]
    public void BoundsHoldOnAdversarialInputs([ValueSource(typeof(TestVectors), nameof(TestVectors.Kinds))] string kind)
    {
        var approx = MagnitudeSelector.Approximate();
        foreach (int d in new[] { 1, 33, 70_001 })
        {
            var x = TestVectors.Make(kind, d, seed: 3);
            var order = Reference.SelectionOrder(x);
            foreach (int k in new[] { 1, d / 7 + 1, d })
                AssertWithinBounds(approx, x, order, k, $"{kind} d={d} k={k}");
        }
    }

    [Test]
    public void UsuallySendsMoreThanKWhenTheSampleAllows()
    {
        // The point of the approximation is skipping the exact finish: on plain data most calls must
        // return the sampled-threshold set as it is (more than k), not fall back to exactly k.
        var approx = MagnitudeSelector.Approximate();
        int above = 0;
        for (int seed = 0; seed < 10; seed++)
        {
            var x = Reference.Normal(500_000, seed);
            var idx = new int[approx.MaxSelected(500)];
            if (approx.Select(x, 500, 0, idx, new float[idx.Length]) > 500) above++;
        }
        Assert.That(above, Is.GreaterThanOrEqualTo(5));
    }

    [Test]
    public void NeedsOneAndAHalfKOfOutputRoom()
    {
        var approx = MagnitudeSelector.Approximate();
        Assert.That(approx.MaxSelected(100), Is.EqualTo(150));
        Assert.Throws<ArgumentException>(() => approx.Select(new float[1000], 100, 0, new int[100], new float[100]));
        Assert.Throws<ArgumentOutOfRangeException>(() => approx.Select(new float[10], 11, 0, new int[20], new float[20]));
    }
}
