using SparseMpi.Collectives;

namespace SparseMpi.Training.Data;

/// <summary>
/// Which training samples each rank visits in each epoch, for synchronous data-parallel SGD. Every epoch has a
/// fresh permutation of all samples that depends only on (seed, epoch), so every rank computes the same global
/// permutation without communicating; rank r takes every size-th element of it starting at r. The last
/// N mod size elements of the permutation are dropped so every rank has the same number of samples, hence the
/// same number of steps: a rank with one step more would wait forever in a collective. The dropped samples
/// differ from epoch to epoch, so none is left out for good.
/// </summary>
public sealed class ShardSampler
{
    readonly int[] _permutation;
    readonly int[] _shard;
    int _shardEpoch = -1;

    public long Seed { get; }
    public int Rank { get; }
    public int Size { get; }

    /// <summary>Samples per rank per epoch, the same on every rank.</summary>
    public int SamplesPerRank => _shard.Length;

    public ShardSampler(int sampleCount, long seed, int rank, int size)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(rank);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(rank, size);
        if (sampleCount < size)
            throw new UsageException($"{sampleCount} training samples cannot be shared by {size} ranks");
        Seed = seed;
        Rank = rank;
        Size = size;
        // Both buffers are allocated once; each epoch rewrites them in place.
        _permutation = new int[sampleCount];
        _shard = new int[sampleCount / size];
    }

    /// <summary>
    /// This rank's sample indices for <paramref name="epoch"/>, in visiting order. The span is valid until the
    /// next call with another epoch.
    /// </summary>
    public ReadOnlySpan<int> Shard(int epoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        if (epoch != _shardEpoch)
        {
            Permute(Seed, epoch, _permutation);
            for (int i = 0; i < _shard.Length; i++)
                _shard[i] = _permutation[Rank + i * Size];
            _shardEpoch = epoch;
        }
        return _shard;
    }

    /// <summary>
    /// Writes the global permutation of 0..order.Length-1 for (<paramref name="seed"/>, <paramref name="epoch"/>):
    /// a Fisher-Yates shuffle of the identity, so it does not depend on what the buffer held before.
    /// </summary>
    public static void Permute(long seed, int epoch, Span<int> order)
    {
        for (int i = 0; i < order.Length; i++)
            order[i] = i;
        var random = new Xoshiro256StarStar(EpochSeed(seed, epoch));
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = (int)random.NextBelow((uint)i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
    }

    /// <summary>
    /// One generator seed per (seed, epoch). Mixing twice keeps nearby pairs such as (1, 2) and (2, 1) from
    /// producing related streams.
    /// </summary>
    public static ulong EpochSeed(long seed, int epoch) =>
        SplitMix64.Mix(SplitMix64.Mix((ulong)seed) + (ulong)epoch);
}
