using NUnit.Framework;
using SparseMpi.Training.Data;
using SparseMpi.Collectives;

namespace SparseMpi.Tests.Training;

/// <summary>
/// The generators must match their published definitions bit for bit: every shuffle of every run depends on
/// them. Expected values come from a separate implementation of the reference algorithms.
/// </summary>
public class RandomTests
{
    [Test]
    public void SplitMix64MatchesReference()
    {
        var random = new SplitMix64(0);
        Assert.That(new[] { random.Next(), random.Next(), random.Next() },
            Is.EqualTo(new[] { 0xe220a8397b1dcdafUL, 0x6e789e6aa1b965f4UL, 0x06c45d188009454fUL }));
    }

    [TestCase(0UL, 0x99ec5f36cb75f2b4UL, 0xbf6e1f784956452aUL, 0x1a5f849d4933e6e0UL)]
    [TestCase(12345UL, 0xbe6a36374160d49bUL, 0x214aaa0637a688c6UL, 0xf69d16de9954d388UL)]
    public void Xoshiro256StarStarMatchesReference(ulong seed, ulong first, ulong second, ulong third)
    {
        var random = new Xoshiro256StarStar(seed);
        Assert.That(new[] { random.NextUInt64(), random.NextUInt64(), random.NextUInt64() },
            Is.EqualTo(new[] { first, second, third }));
    }

    [Test]
    public void NextBelowIsUniformAndInRange()
    {
        const uint bound = 7;
        const int draws = 70000;
        var random = new Xoshiro256StarStar(42);
        var counts = new int[bound];
        for (int i = 0; i < draws; i++)
            counts[random.NextBelow(bound)]++;   // out of range would throw here

        // Chi-square with 6 degrees of freedom: 22.5 is its 0.999 quantile.
        double expected = (double)draws / bound;
        double chiSquare = counts.Sum(c => (c - expected) * (c - expected) / expected);
        Assert.That(chiSquare, Is.LessThan(22.5));
    }
}
