using NUnit.Framework;
using SparseMpi.Cli;
using SparseMpi.Training.Data;
using SparseMpi.CostModels;
using SparseMpi.Errors;

namespace SparseMpi.Tests.Training;

public class ShardSamplerTests
{
    static int[][] Shards(int n, long seed, int epoch, int size) =>
        Enumerable.Range(0, size).Select(rank => new ShardSampler(n, seed, rank, size).Shard(epoch).ToArray()).ToArray();

    [TestCase(1000, 1)]
    [TestCase(1000, 3)]
    [TestCase(1001, 4)]
    [TestCase(60000, 7)]
    public void ShardsAreDisjointEqualAndCoverAllButTheRemainder(int n, int size)
    {
        int[][] shards = Shards(n, seed: 5, epoch: 2, size);

        Assert.That(shards.Select(s => s.Length), Is.All.EqualTo(n / size));
        int[] all = shards.SelectMany(s => s).ToArray();
        Assert.That(all, Is.Unique);
        Assert.That(all, Has.Length.EqualTo(n - n % size));
        Assert.That(all, Is.All.InRange(0, n - 1));
    }

    [Test]
    public void ShardIsEveryRankThElementOfTheGlobalPermutation()
    {
        const int n = 103, size = 4, rank = 3;
        var permutation = new int[n];
        ShardSampler.Permute(seed: 9, epoch: 1, permutation);

        int[] shard = new ShardSampler(n, 9, rank, size).Shard(1).ToArray();

        Assert.That(shard, Is.EqualTo(Enumerable.Range(0, n / size).Select(i => permutation[rank + i * size])));
    }

    [Test]
    public void EveryRankComputesTheSameGlobalPermutation()
    {
        // Simulated ranks: separate samplers, each from the same (seed, epoch), built in a different order and
        // after visiting other epochs, must still agree on the union of shards with the global permutation.
        const int n = 500, size = 3;
        var permutation = new int[n];
        ShardSampler.Permute(seed: 77, epoch: 4, permutation);
        for (int rank = size - 1; rank >= 0; rank--)
        {
            var sampler = new ShardSampler(n, 77, rank, size);
            sampler.Shard(rank);   // a different epoch first: the result must not depend on history
            int[] shard = sampler.Shard(4).ToArray();
            Assert.That(shard, Is.EqualTo(Enumerable.Range(0, n / size).Select(i => permutation[rank + i * size])));
        }
    }

    [Test]
    public void PermutationIsAPermutation()
    {
        var permutation = new int[10000];
        ShardSampler.Permute(1, 0, permutation);
        Assert.That(permutation.Order(), Is.EqualTo(Enumerable.Range(0, 10000)));
        Assert.That(permutation, Is.Not.EqualTo(Enumerable.Range(0, 10000)));
    }

    [Test]
    public void EachEpochIsADifferentPermutation()
    {
        int[] epoch0 = Shards(1000, 3, 0, 2)[0];
        int[] epoch1 = Shards(1000, 3, 1, 2)[0];
        Assert.That(epoch1, Is.Not.EqualTo(epoch0));
        // Not merely rotated or reordered within the shard: the sets differ too.
        Assert.That(epoch1.Intersect(epoch0).Count(), Is.LessThan(epoch0.Length));
    }

    [Test]
    public void ReproducibleFromTheSeedAndDifferentForAnotherSeed()
    {
        Assert.That(Shards(1000, 11, 3, 4), Is.EqualTo(Shards(1000, 11, 3, 4)));
        Assert.That(Shards(1000, 12, 3, 4), Is.Not.EqualTo(Shards(1000, 11, 3, 4)));
    }

    [Test]
    public void TooFewSamplesForTheRanksIsAUsageError()
    {
        var e = Assert.Throws<UsageException>(() => new ShardSampler(3, 0, 0, 4))!;
        Assert.That(e.Message, Is.EqualTo("3 training samples cannot be shared by 4 ranks"));
    }
}
