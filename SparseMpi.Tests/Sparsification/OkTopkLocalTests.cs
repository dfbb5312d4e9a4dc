using NUnit.Framework;
using SparseMpi.Collectives.Sparse;
using SparseMpi.Sparsification;

namespace SparseMpi.Tests.Sparsification;

/// <summary>
/// Ok-Topk's local side, without MPI: the re-used threshold selection, and the residual identity when the exchange
/// applies only part of what a rank sent.
/// </summary>
public class OkTopkLocalTests
{
    static float[] Gradient(int d, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, d).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
    }

    static int Bits(float x) => BitConverter.SingleToInt32Bits(x);

    [Test]
    public void RefreshStepsSelectTheExactTopKAndLearnItsThreshold()
    {
        int d = 5000, k = 50;
        var acc = Gradient(d, 1);
        var selector = new ReusedThresholdSelector(refreshPeriod: 4);
        var (indices, values) = (new int[selector.MaxSelected(k)], new float[selector.MaxSelected(k)]);
        int n = selector.Select(acc, k, step: 0, indices, values);
        var exact = (new int[k], new float[k]);
        MagnitudeSelector.Exact().Select(acc, k, 0, exact.Item1, exact.Item2);
        Assert.That(n, Is.EqualTo(k));
        Assert.That(indices[..n], Is.EqualTo(exact.Item1));
        Assert.That(selector.LastExact, Is.True);
        Assert.That(selector.ThresholdKey, Is.EqualTo(exact.Item2.Min(v => ThresholdBand.Key(v))), "the k-th largest magnitude");
    }

    [Test]
    public void BetweenRefreshesEveryEntryReachingTheThresholdIsSelected()
    {
        int d = 5000, k = 50;
        var selector = new ReusedThresholdSelector(refreshPeriod: 4);
        var (indices, values) = (new int[selector.MaxSelected(k)], new float[selector.MaxSelected(k)]);
        selector.Select(Gradient(d, 1), k, 0, indices, values);
        int key = selector.ThresholdKey;
        var acc = Gradient(d, 2); // a fresh draw of the same distribution: about k pass
        int n = selector.Select(acc, k, 1, indices, values);
        var expected = Enumerable.Range(0, d).Where(i => ThresholdBand.Key(acc[i]) >= key).ToArray();
        Assert.That(selector.LastExact, Is.False);
        Assert.That(indices[..n], Is.EqualTo(expected));
        Assert.That(ThresholdBand.IsBelow(n, k) || ThresholdBand.IsAbove(n, k) ? selector.ThresholdKey != key : selector.ThresholdKey == key, Is.True);
    }

    [Test]
    public void TooManyPassingAreCappedAtFourThirdsKAndRaiseTheThreshold()
    {
        int d = 5000, k = 60;
        var selector = new ReusedThresholdSelector(refreshPeriod: 100);
        var (indices, values) = (new int[selector.MaxSelected(k)], new float[selector.MaxSelected(k)]);
        var acc = Gradient(d, 3);
        selector.Select(acc, k, 0, indices, values);
        var doubled = acc.Select(x => 4 * x).ToArray(); // every magnitude x4: far more than 4k/3 pass
        int n = selector.Select(doubled, k, 1, indices, values);
        Assert.That(n, Is.EqualTo(k + k / 3), "capped at the band's top");
        var top = (new int[k], new float[k]);
        MagnitudeSelector.Exact().Select(doubled, k, 0, top.Item1, top.Item2);
        Assert.That(selector.ThresholdKey, Is.EqualTo(top.Item2.Min(v => ThresholdBand.Key(v))), "raised to the exact k-th magnitude");
        n = selector.Select(doubled, k, 2, indices, values);
        Assert.That(n, Is.EqualTo(k), "the raised threshold lets exactly the top k through again");
    }

    [Test]
    public void TheThresholdSurvivesACheckpoint()
    {
        var selector = new ReusedThresholdSelector(8);
        selector.Select(Gradient(1000, 4), 10, 0, new int[13], new float[13]);
        using var stream = new MemoryStream();
        selector.WriteState(new BinaryWriter(stream));
        stream.Position = 0;
        var restored = new ReusedThresholdSelector(8);
        restored.ReadState(new BinaryReader(stream));
        Assert.That(restored.ThresholdKey, Is.EqualTo(selector.ThresholdKey).And.Not.Zero);
    }

    /// <summary>
    /// For every entry, bit for bit: residual after + the applied part of what this rank sent == acc, the residual
    /// before plus the lr-scaled (momentum-corrected) gradient; and u is masked only where the entry was applied.
    /// The reference accumulator comes from a twin memory that selects everything (k = d sends acc itself).
    /// </summary>
    [TestCase(0f), TestCase(0.9f)]
    public void DroppedEntriesReturnToTheResidualExactly(float momentum)
    {
        int d = 3000, k = 40;
        const float lr = 0.1f;
        var memory = new ErrorFeedback(d, momentum: momentum);
        var twin = new ErrorFeedback(d, momentum: momentum, maskMomentum: false);
        var selector = new ReusedThresholdSelector(refreshPeriod: 3);
        memory.KeepSentMomentum(selector.MaxSelected(k));
        var (indices, values) = (new int[selector.MaxSelected(k)], new float[selector.MaxSelected(k)]);
        var (allIndices, allValues) = (new int[d], new float[d]);
        var rng = new Random(7);
        for (int step = 0; step < 6; step++)
        {
            var grad = Gradient(d, 100 + step);
            memory.Residual.CopyTo(twin.Residual);
            if (momentum > 0) memory.Momentum.CopyTo(twin.Momentum);
            twin.Step(grad, lr, MagnitudeSelector.Exact(), d, step, allIndices, allValues); // allValues = acc
            var uBefore = twin.Momentum.ToArray();

            int n = memory.Step(grad, lr, selector, k, step, indices, values);
            // The exchange applied a part of what this rank sent (and entries other ranks sent).
            var applied = indices[..n].Where(_ => rng.Next(2) == 0).Concat([0, d - 1]).Distinct().Order().ToArray();
            memory.ReturnUnapplied(indices[..n], values[..n], applied);

            var appliedPart = new float[d];
            var appliedSet = applied.ToHashSet();
            for (int j = 0; j < n; j++) if (appliedSet.Contains(indices[j])) appliedPart[indices[j]] = values[j];
            for (int i = 0; i < d; i++)
            {
                bool mine = appliedPart[i] != 0f;
                float residual = memory.Residual[i];
                Assert.That(mine ? Bits(residual) == 0 && Bits(appliedPart[i]) == Bits(allValues[i]) : Bits(residual) == Bits(allValues[i]), Is.True,
                    $"step {step} entry {i}: residual {residual} + applied {appliedPart[i]} != acc {allValues[i]}");
                if (momentum > 0)
                    Assert.That(Bits(memory.Momentum[i]), Is.EqualTo(mine ? 0 : Bits(uBefore[i])), $"step {step} entry {i}: u masked only where applied");
            }
        }
    }
}
