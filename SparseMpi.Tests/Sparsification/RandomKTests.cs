using NUnit.Framework;
using SparseMpi.Sparsification;

namespace SparseMpi.Tests.Sparsification;

public class RandomKTests
{
    static int[] Pick(RandomK r, int d, int k, long step)
    {
        var x = Reference.Normal(d, 1);
        var idx = new int[k];
        var val = new float[k];
        Assert.That(r.Select(x, k, step, idx, val), Is.EqualTo(k));
        Reference.AssertSignedValues(x, idx, val);
        return idx;
    }

    [TestCase(1000, 1)]
    [TestCase(1000, 10)]
    [TestCase(1000, 62)]   // sparse branch
    [TestCase(1000, 63)]   // sequential branch
    [TestCase(1000, 999)]
    [TestCase(1000, 1000)]
    [TestCase(1, 1)]
    [TestCase(5_000_000, 5000)]
    public void PicksKDistinctAscendingIndicesInRange(int d, int k)
    {
        var idx = Pick(new RandomK(42, 0), d, k, step: 3);
        Assert.That(idx, Is.Ordered.Ascending.And.Unique);
        Assert.That(idx, Is.All.InRange(0, d - 1));
    }

    [Test]
    public void IsAFunctionOfSeedStepAndRank()
    {
        Assert.That(Pick(new RandomK(7, 2), 100_000, 100, 5), Is.EqualTo(Pick(new RandomK(7, 2), 100_000, 100, 5)));
        Assert.That(Pick(new RandomK(7, 2), 100_000, 100, 5), Is.Not.EqualTo(Pick(new RandomK(7, 3), 100_000, 100, 5)), "rank");
        Assert.That(Pick(new RandomK(7, 2), 100_000, 100, 5), Is.Not.EqualTo(Pick(new RandomK(7, 2), 100_000, 100, 6)), "step");
        Assert.That(Pick(new RandomK(7, 2), 100_000, 100, 5), Is.Not.EqualTo(Pick(new RandomK(8, 2), 100_000, 100, 5)), "seed");
    }

    [Test]
    public void CoversIndicesUniformly()
    {
        // 2000 draws of 10 out of 100: each index is expected 200 times (sd ~13.4); 5 sd either side.
        var counts = new int[100];
        var r = new RandomK(1, 0);
        for (int step = 0; step < 2000; step++)
            foreach (int i in Pick(r, 100, 10, step)) counts[i]++;
        Assert.That(counts, Is.All.InRange(133, 267));
    }

    [Test]
    public void ReportsAPickedNonFiniteEntry()
    {
        var x = new float[4];
        x[2] = float.NaN;
        var e = Assert.Throws<NonFiniteGradientException>(() => new RandomK(1, 0).Select(x, 4, 17, new int[4], new float[4]));
        Assert.That(e!.Step, Is.EqualTo(17));
        Assert.That(e.Index, Is.EqualTo(2));
    }

    [Test]
    public void KOutsideOneToDIsRejected() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new RandomK(1, 0).Select(new float[5], 6, 0, new int[6], new float[6]));
}
