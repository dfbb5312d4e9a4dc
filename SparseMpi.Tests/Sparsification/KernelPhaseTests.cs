using NUnit.Framework;
using SparseMpi.Sparsification;

namespace SparseMpi.Tests.Sparsification;

/// <summary>
/// The pieces bench-topk times one by one: the k-th largest key (four interleaved histograms, any length)
/// and the exact route run phase by phase, which must select exactly what one call selects, or the phase
/// timings would describe some other computation.
/// </summary>
public class KernelPhaseTests
{
    static (int Value, int Greater, int Equal) Expected(int[] keys, int k)
    {
        var sorted = keys.OrderDescending().ToArray();
        int value = sorted[k - 1];
        return (value, keys.Count(x => x > value), keys.Count(x => x == value));
    }

    [Test]
    public void KthLargestKeyMatchesASortForEveryLengthAndRank()
    {
        var random = new Random(11);
        var histogram = new int[KthLargestKey.HistogramLength];
        for (int n = 1; n <= 70; n++)
            foreach (int spread in new[] { 1, 5, 1 << 12, int.MaxValue })
            {
                var keys = Enumerable.Range(0, n).Select(_ => random.Next(0, spread)).ToArray();
                for (int k = 1; k <= n; k++)
                {
                    var r = KthLargestKey.Find(keys.ToArray(), k, histogram);
                    Assert.That((r.Value, r.Greater, r.Equal), Is.EqualTo(Expected(keys, k)), $"n={n} spread={spread} k={k}");
                }
            }
    }

    [TestCase(65_537, 107)]
    [TestCase(100_003, 50_000)]
    [TestCase(62_073, 33_554)]
    public void KthLargestKeyMatchesASortOnLargeSets(int n, int k)
    {
        var random = new Random(n);
        var keys = Enumerable.Range(0, n).Select(_ => MagnitudeKey.Of((float)(random.NextDouble() * 8 - 4))).ToArray();
        var r = KthLargestKey.Find(keys.ToArray(), k, new int[KthLargestKey.HistogramLength]);
        Assert.That((r.Value, r.Greater, r.Equal), Is.EqualTo(Expected(keys, k)));
    }

    [Test]
    public void ThePhasesSelectWhatOneCallSelects([ValueSource(typeof(Reference), nameof(Reference.Paths))] VectorPath path,
        [Values(1_048_579, 300_007)] int d)
    {
        var x = Reference.Normal(d, seed: 5);
        int k = d / 1000;
        var selector = MagnitudeSelector.Exact(path);
        var (idx, val) = (new int[k], new float[k]);
        int n = selector.Select(x, k, 0, idx, val);

        var engine = selector.Engine;
        var (threshold, limit) = engine.SamplePhase(x, k);
        int count = engine.FilterPhase(x, threshold, limit);
        Assert.That(count, Is.InRange(k, limit), "the sampled threshold leaves between k and the limit candidates");
        var (phaseIdx, phaseVal) = (new int[k], new float[k]);
        int m = engine.FinishPhase(count, k, phaseIdx, phaseVal);
        Assert.That(m, Is.EqualTo(n));
        Assert.That(phaseIdx, Is.EqualTo(idx));
        Assert.That(phaseVal, Is.EqualTo(val));
    }
}
