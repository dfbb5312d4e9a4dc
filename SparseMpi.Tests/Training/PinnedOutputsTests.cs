using System.Runtime.InteropServices;
using NUnit.Framework;
using SparseMpi.Cli;
using SparseMpi.Collectives;
using SparseMpi.Collectives.Sparse;
using SparseMpi.Sparsification;
using SparseMpi.Training.Data;
using SparseMpi.Training.Hogwild;
using SparseMpi.Benchmarks;

namespace SparseMpi.Tests.Training;

/// <summary>
/// Outputs that runs and files depend on, recorded from the code before the generators and hashes were merged
/// into one copy each (commit 63484ed): the configuration hash a checkpoint stores, and every stream drawn from
/// --seed (shuffles, random-k, delays, toy updates, benchmark data). A change here changes the numbers of
/// existing runs or makes old checkpoints refuse to resume.
/// </summary>
public class PinnedOutputsTests
{
    static ulong Digest<T>(ReadOnlySpan<T> values) where T : unmanaged => Fnv1a.Hash(MemoryMarshal.AsBytes(values));

    // The configuration text is hashed per UTF-16 code unit, not per byte: "β" (U+03B2) shows the difference.
    [TestCase("", -3750763034362895579L)]
    [TestCase("train", -2384772934166613495L)]
    [TestCase("model=mlp;compressor=topk;density=0.01;momentum=0.9;β", 4978802655317078480L)]
    public void StringHashIsUnchanged(string text, long expected) =>
        Assert.That(CollectiveSelfCheck.StableHash(text), Is.EqualTo(expected));

    [TestCase(0UL, 0UL)]
    [TestCase(1UL, 6238072747940578789UL)]
    [TestCase(0xDEADBEEFUL, 5622224078331092714UL)]
    public void SplitMix64MixIsUnchanged(ulong z, ulong expected) =>
        Assert.That(SplitMix64.Mix(z), Is.EqualTo(expected));

    [TestCase(10, 14315419253571074936UL)] // k * 16 < d: draw, sort, deduplicate
    [TestCase(100, 11729993536494398061UL)] // k * 16 >= d: selection sampling
    public void RandomKSelectionIsUnchanged(int k, ulong expected)
    {
        var acc = Enumerable.Range(0, 1000).Select(i => (float)i).ToArray();
        var idx = new int[k];
        new RandomK(7, 1).Select(acc, k, 3, idx, new float[k]);
        Assert.That(Digest<int>(idx), Is.EqualTo(expected));
    }

    [Test]
    public void EpochPermutationIsUnchanged()
    {
        var order = new int[1000];
        ShardSampler.Permute(1, 2, order);
        Assert.That(Digest<int>(order), Is.EqualTo(17288194923084276405UL));
    }

    [Test]
    public void DelaySequenceIsUnchanged()
    {
        var delay = new UpdateDelay(5, "exp", 3, 1);
        var ms = Enumerable.Range(0, 8).Select(_ => delay.NextMs()).ToArray();
        Assert.That(Digest<double>(ms), Is.EqualTo(17920587581197008818UL));
    }

    [Test]
    public void ToyUpdateIsUnchanged()
    {
        var idx = new int[ToyGradient.Entries];
        var val = new float[ToyGradient.Entries];
        ToyGradient.Fill(2, 17, 203530, idx, val);
        Assert.Multiple(() =>
        {
            Assert.That(Digest<int>(idx), Is.EqualTo(1554538928333998912UL), "indices");
            Assert.That(Digest<float>(val), Is.EqualTo(16927068209142930040UL), "values");
        });
    }

    /// <summary>
    /// `hogwild --toy-gradient --updates 200` on 2 ranks, run before the merge: its parameters are the serial sum of
    /// the updates each rank made (153 and 47 in that run; the split varies run to run, the sum of a split must not).
    /// </summary>
    [Test]
    public void RecordedToyHogwildRunIsReproduced() =>
        Assert.That(Fnv1a.Hash(ToyGradient.SerialSum(203530, [153, 47])).ToString("x16"), Is.EqualTo("1ddf3fa3ca6e0ca5"));

    [Test]
    public void SyntheticSparseVectorIsUnchanged()
    {
        var idx = new int[50];
        var val = new float[50];
        SyntheticSparse.Fill(9, 4, 100000, idx, val);
        Assert.Multiple(() =>
        {
            Assert.That(Digest<int>(idx), Is.EqualTo(15143041993875050000UL), "indices");
            Assert.That(Digest<float>(val), Is.EqualTo(8432124042545163191UL), "values");
        });
    }

    [Test]
    public void BenchmarkDataIsUnchanged()
    {
        var x = new float[1001];
        GaussianFill.Fill(x, 5);
        Assert.That(Digest<float>(x), Is.EqualTo(5603886932997146257UL));
    }
}
