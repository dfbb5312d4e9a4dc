using NUnit.Framework;
using SparseMpi.Sparsification;

namespace SparseMpi.Tests.Sparsification;

public class ExactTopKTests
{
    static IEnumerable<VectorPath> Paths => Reference.Paths();

    static IEnumerable<int> Ks(int d) => new[] { 1, 2, 5, d / 100 + 1, d / 2, d - 1, d }.Where(k => k >= 1 && k <= d).Distinct();

    static void AssertMatchesReference(MagnitudeSelector topk, float[] x, string what)
    {
        var order = Reference.SelectionOrder(x);
        foreach (int k in Ks(x.Length))
        {
            var idx = new int[k];
            var val = new float[k];
            int n = topk.Select(x, k, 0, idx, val);
            Assert.That(n, Is.EqualTo(k), $"{what} k={k}: count");
            Assert.That(idx, Is.EqualTo(Reference.TopK(order, k)), $"{what} k={k}: indices");
            Reference.AssertSignedValues(x, idx, val);
        }
    }

    [Test]
    public void MatchesReferenceForEverySmallLengthOnEveryPath([ValueSource(nameof(Paths))] VectorPath path)
    {
        var topk = MagnitudeSelector.Exact(path);
        Assert.That(topk.Path, Is.EqualTo(path));
        for (int d = 1; d <= 200; d++)
            AssertMatchesReference(topk, Reference.Normal(d, seed: d), $"d={d}");
    }

    [Test]
    public void MatchesReferenceAroundSampleAndBlockSizes(
        [ValueSource(nameof(Paths))] VectorPath path, [Values(1, 2)] int seed,
        [Values(1023, 4096, 65535, 65536, 65537, 150_001)] int d)
    {
        AssertMatchesReference(MagnitudeSelector.Exact(path), Reference.Normal(d, seed), $"d={d} seed={seed}");
    }

    [Test]
    public void MatchesReferenceOnAMillionEntries()
    {
        var x = Reference.Normal(1_000_003, seed: 9);
        var order = Reference.SelectionOrder(x);
        var topk = MagnitudeSelector.Exact();
        foreach (int k in new[] { 1, 1000, 500_001 })
        {
            var idx = new int[k];
            var val = new float[k];
            topk.Select(x, k, 0, idx, val);
            Assert.That(idx, Is.EqualTo(Reference.TopK(order, k)), $"k={k}");
        }
    }

    [Test]
    public void MatchesReferenceOnAdversarialInputs(
        [ValueSource(nameof(Paths))] VectorPath path,
        [ValueSource(typeof(TestVectors), nameof(TestVectors.Kinds))] string kind,
        [Values(1, 17, 4097, 70_001)] int d)
    {
        AssertMatchesReference(MagnitudeSelector.Exact(path), TestVectors.Make(kind, d, seed: 5), $"{kind} d={d}");
    }

    [Test]
    public void TiesGoToTheLowerIndex([ValueSource(nameof(Paths))] VectorPath path)
    {
        float[] x = [1, -3, 2, 3, -3, 0, 3];
        var idx = new int[2];
        var val = new float[2];
        MagnitudeSelector.Exact(path).Select(x, 2, 0, idx, val);
        Assert.That(idx, Is.EqualTo(new[] { 1, 3 }));
        Assert.That(val, Is.EqualTo(new[] { -3f, 3f }));
    }

    [Test]
    public void SignedZerosAreEqualMagnitudes()
    {
        float[] x = [-0f, 0f, -0f, 0f];
        var idx = new int[3];
        var val = new float[3];
        MagnitudeSelector.Exact().Select(x, 3, 0, idx, val);
        Assert.That(idx, Is.EqualTo(new[] { 0, 1, 2 }));
        Assert.That(float.IsNegative(val[0]) && !float.IsNegative(val[1]), "signs are kept");
    }

    [Test]
    public void ResultsAreTheSameOnEveryPath()
    {
        var x = Reference.Normal(300_007, seed: 4);
        int k = 777;
        var expected = Reference.TopK(x, k);
        foreach (var path in Paths)
        {
            var idx = new int[k];
            MagnitudeSelector.Exact(path).Select(x, k, 0, idx, new float[k]);
            Assert.That(idx, Is.EqualTo(expected), $"{path}");
        }
    }

    [Test]
    public void ReusingOneSelectorAcrossLengthsAndKsStaysCorrect()
    {
        var topk = MagnitudeSelector.Exact();
        foreach (int d in new[] { 100_000, 10, 70_000, 1, 200_000 })
        {
            var x = Reference.Normal(d, seed: d);
            foreach (int k in new[] { d, 1, Math.Max(1, d / 3) })
            {
                var idx = new int[k];
                topk.Select(x, k, 0, idx, new float[k]);
                Assert.That(idx, Is.EqualTo(Reference.TopK(x, k)), $"d={d} k={k}");
            }
        }
    }

    [TestCase(0, 10)]
    [TestCase(-1, 10)]
    [TestCase(11, 10)]
    [TestCase(1, 0)]
    public void KOutsideOneToDIsRejected(int k, int d)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            MagnitudeSelector.Exact().Select(new float[d], k, 0, new int[Math.Max(k, 1)], new float[Math.Max(k, 1)]));
        Assert.That(e!.Message, Does.Contain($"k must be between 1 and the vector length d = {d}"));
    }

    [Test]
    public void TooSmallOutputBuffersAreRejected()
    {
        Assert.Throws<ArgumentException>(() => MagnitudeSelector.Exact().Select(new float[10], 5, 0, new int[4], new float[5]));
        Assert.Throws<ArgumentException>(() => MagnitudeSelector.Exact().Select(new float[10], 5, 0, new int[5], new float[4]));
    }

    [Test]
    public void OutputBeyondTheCountIsLeftAlone()
    {
        var idx = Enumerable.Repeat(-7, 10).ToArray();
        MagnitudeSelector.Exact().Select(Reference.Normal(100, 1), 4, 0, idx, new float[10]);
        Assert.That(idx[4..], Is.All.EqualTo(-7));
    }

    [Test]
    public void GaussianDataTakesTheOnePassRoute()
    {
        // The fallbacks keep adversarial inputs correct; on gradient-like data they must not be what runs.
        var topk = MagnitudeSelector.Exact();
        foreach (int seed in new[] { 1, 2, 3, 4 })
            foreach (int k in new[] { 1, 30, 1000, 20_000 })
                topk.Select(Reference.Normal(1 << 20, seed), k, 0, new int[k], new float[k]);
        Assert.That(topk.Fallbacks, Is.Zero);
        Assert.That(topk.SecondPasses, Is.Zero);
    }

    [Test]
    public void SteadyStateSelectionDoesNotAllocate()
    {
        var x = Reference.Normal(1 << 20, seed: 2);
        var topk = MagnitudeSelector.Exact();
        var idx = new int[1000];
        var val = new float[1000];
        topk.Select(x, 1000, 0, idx, val); // grows the scratch once
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 5; i++) topk.Select(x, 1000, i, idx, val);
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan(1024));
    }
}
