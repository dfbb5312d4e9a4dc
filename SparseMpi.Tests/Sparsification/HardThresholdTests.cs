using NUnit.Framework;
using SparseMpi.Sparsification;

namespace SparseMpi.Tests.Sparsification;

public class HardThresholdTests
{
    static IEnumerable<VectorPath> Paths => Reference.Paths();

    [Test]
    public void SelectsEveryEntryAtOrAboveTau([ValueSource(nameof(Paths))] VectorPath path, [Values(10, 4099, 100_001)] int d)
    {
        var x = Reference.Normal(d, seed: 8);
        const float tau = 2.5f;
        var expected = Enumerable.Range(0, d).Where(i => MathF.Abs(x[i]) >= tau).ToArray();
        var idx = new int[d];
        var val = new float[d];
        int n = MagnitudeSelector.Threshold(tau, path).Select(x, d, 0, idx, val);
        Assert.That(idx[..n], Is.EqualTo(expected));
        Reference.AssertSignedValues(x, idx.AsSpan(0, n), val.AsSpan(0, n));
    }

    [Test]
    public void TauItselfIsIncluded()
    {
        float[] x = [0.5f, -1f, 1f, 0.999f];
        var idx = new int[4];
        int n = MagnitudeSelector.Threshold(1f).Select(x, 4, 0, idx, new float[4]);
        Assert.That(idx[..n], Is.EqualTo(new[] { 1, 2 }));
    }

    [Test]
    public void MaySelectNothing()
    {
        Assert.That(MagnitudeSelector.Threshold(10f).Select(Reference.Normal(1000, 1), 10, 0, new int[10], new float[10]), Is.Zero);
    }

    [Test]
    public void CapsTheCountAtKWithTheLargest([ValueSource(nameof(Paths))] VectorPath path, [Values(0f, 0.5f)] float tau)
    {
        var x = Reference.Normal(200_003, seed: 6);
        int k = 123;
        var idx = new int[k];
        int n = MagnitudeSelector.Threshold(tau, path).Select(x, k, 0, idx, new float[k]);
        Assert.That(n, Is.EqualTo(k));
        Assert.That(idx, Is.EqualTo(Reference.TopK(x, k)));
    }

    [TestCase(-1f)]
    [TestCase(float.NaN)]
    [TestCase(float.PositiveInfinity)]
    public void RejectsBadTau(float tau) => Assert.Throws<ArgumentOutOfRangeException>(() => MagnitudeSelector.Threshold(tau));
}
