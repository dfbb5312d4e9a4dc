using NUnit.Framework;
using SparseMpi.Collectives.Sparse;

namespace SparseMpi.Tests.Collectives;

public class SyntheticSparseTests
{
    [TestCase(1_000_003, 0)]
    [TestCase(1_000_003, 1)]
    [TestCase(1_000_003, 1000)]
    [TestCase(1_000_003, 999_000)]
    [TestCase(50, 50)]
    public void IndicesAreDistinctAscendingInRange(int d, int k)
    {
        var indices = new int[k];
        var values = new float[k];
        SyntheticSparse.Fill(11, 2, d, indices, values);
        for (int i = 0; i < k; i++)
        {
            Assert.That(indices[i], Is.InRange(0, d - 1));
            if (i > 0) Assert.That(indices[i], Is.GreaterThan(indices[i - 1]));
        }
        Assert.That(values.All(float.IsFinite), Is.True);
    }

    [Test]
    public void SameSeedAndStreamSameVectorOtherStreamOtherVector()
    {
        int[] a = new int[500], b = new int[500], c = new int[500];
        float[] va = new float[500], vb = new float[500], vc = new float[500];
        SyntheticSparse.Fill(5, 1, 100_000, a, va);
        SyntheticSparse.Fill(5, 1, 100_000, b, vb);
        SyntheticSparse.Fill(5, 2, 100_000, c, vc);
        Assert.That(b, Is.EqualTo(a));
        Assert.That(vb, Is.EqualTo(va));
        Assert.That(c, Is.Not.EqualTo(a));
        Assert.That(vc, Is.Not.EqualTo(va));
    }

    [Test]
    public void IndicesSpreadOverTheWholeRangeAndValuesLookNormal()
    {
        const int d = 1_000_000, k = 100_000;
        var indices = new int[k];
        var values = new float[k];
        SyntheticSparse.Fill(9, 0, d, indices, values);
        Assert.That(indices.Count(i => i < d / 2), Is.InRange(k / 2 - 1000, k / 2 + 1000));
        double mean = values.Average(v => (double)v), variance = values.Average(v => (v - mean) * (v - mean));
        Assert.That(mean, Is.EqualTo(0).Within(0.02));
        Assert.That(variance, Is.EqualTo(1).Within(0.03));
    }

    [Test]
    public void CountForRoundsDensityTimesD()
    {
        Assert.That(SyntheticSparse.CountFor(16_777_216, 0.001), Is.EqualTo(16_777));
        Assert.That(SyntheticSparse.CountFor(16_777_216, 0.0001), Is.EqualTo(1_678));
        Assert.That(SyntheticSparse.CountFor(10, 1.0), Is.EqualTo(10));
        Assert.That(SyntheticSparse.CountFor(10, 0.05), Is.EqualTo(1)); // 0.5 rounds away from zero
    }
}
