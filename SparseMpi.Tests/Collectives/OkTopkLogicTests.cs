using NUnit.Framework;
using SparseMpi.Collectives.Sparse;

namespace SparseMpi.Tests.Collectives;

/// <summary>Ok-Topk's pieces that need no MPI: the balanced regions, the radix select's walk, the threshold band.</summary>
public class OkTopkLogicTests
{
    [Test]
    public void EqualRegionsCoverTheIndexSpace()
    {
        var starts = new int[4];
        BalancedRegions.Equal(10, starts);
        Assert.That(starts, Is.EqualTo(new[] { 0, 3, 6, 10 }));
    }

    [Test]
    public void ARankProposesBoundariesThatSplitItsSelectionEvenly()
    {
        int[] selected = [1, 2, 3, 50, 51, 52, 90, 91, 92];
        var proposal = new long[2];
        BalancedRegions.Propose(selected, 100, proposal);
        Assert.That(proposal, Is.EqualTo(new long[] { 50, 90 }), "the (q·n/P)-th selected index: 3 entries per region");
        BalancedRegions.Propose([], 100, proposal);
        Assert.That(proposal, Is.EqualTo(new long[] { 33, 66 }), "an empty selection proposes the equal split");
    }

    [Test]
    public void AveragedProposalsBalanceTheUnionOfSelections()
    {
        // Two ranks whose selections crowd into the start of the space: the equal split would give region 0 everything.
        int d = 1000, p = 2;
        int[] a = Enumerable.Range(0, 100).ToArray(), b = Enumerable.Range(10, 100).ToArray();
        var sums = new long[p - 1];
        var proposal = new long[p - 1];
        foreach (var s in new[] { a, b })
        {
            BalancedRegions.Propose(s, d, proposal);
            sums[0] += proposal[0];
        }
        var starts = new int[p + 1];
        BalancedRegions.FromSums(sums, p, d, starts);
        Assert.That(starts, Is.EqualTo(new[] { 0, 55, 1000 }));
        int inFirst = a.Count(i => i < starts[1]) + b.Count(i => i < starts[1]);
        Assert.That(inFirst, Is.EqualTo(100), "each region holds half of the 200 selected entries");
    }

    [Test]
    public void DecreasingBoundariesAreRefused() =>
        Assert.Throws<MalformedMessageException>(() => BalancedRegions.FromSums([60, 20], 1, 100, new int[4]));

    [Test]
    public void PickBinFindsTheBinOfTheKthLargestAndItsRankThere()
    {
        var histogram = new int[256];
        histogram[200] = 3; histogram[100] = 5; histogram[7] = 2;
        long need = 1;
        Assert.That(GlobalRadixSelect.PickBin(histogram, ref need), Is.EqualTo(200));
        Assert.That(need, Is.EqualTo(1));
        need = 4;
        Assert.That(GlobalRadixSelect.PickBin(histogram, ref need), Is.EqualTo(100));
        Assert.That(need, Is.EqualTo(1), "the 4th largest is the largest in bin 100");
        need = 10;
        Assert.That(GlobalRadixSelect.PickBin(histogram, ref need), Is.EqualTo(7));
        Assert.That(need, Is.EqualTo(2));
        need = 11;
        Assert.Throws<InvalidOperationException>(() => GlobalRadixSelect.PickBin(histogram, ref need));
    }

    [Test]
    public void TheBandIsTwoThirdsToFourThirdsOfK()
    {
        Assert.That(ThresholdBand.IsBelow(66, 100), Is.True);
        Assert.That(ThresholdBand.IsBelow(67, 100), Is.False);
        Assert.That(ThresholdBand.IsAbove(133, 100), Is.False);
        Assert.That(ThresholdBand.IsAbove(134, 100), Is.True);
    }

    [Test]
    public void AThresholdIsKeptInTheBandLoweredBelowAndExactAbove()
    {
        int key = ThresholdBand.Key(1.0f);
        var scratch = new int[16];
        Assert.That(ThresholdBand.Adjusted(key, 3, 3, [1f, 2f, 3f], scratch), Is.EqualTo(key), "in the band: kept");
        Assert.That(ThresholdBand.Adjusted(key, 1, 3, [5f], scratch), Is.EqualTo(ThresholdBand.Key(0.8f)), "below: lowered by 0.8");
        float[] passed = [-9f, 1f, 4f, -2f, 7f];
        Assert.That(ThresholdBand.Adjusted(key, 5, 3, passed, scratch), Is.EqualTo(ThresholdBand.Key(4f)), "above: the 3rd largest magnitude");
        Assert.That(ThresholdBand.Lowered(0), Is.EqualTo(0));
        Assert.That(ThresholdBand.Key(-2.5f), Is.EqualTo(ThresholdBand.Key(2.5f)));
    }
}
