using SparseMpi.Collectives;
using SparseMpi.Metrics;

namespace SparseMpi.Training.Hogwild;

/// <summary>
/// Counts of update staleness (updates applied to the shared parameters between an update's snapshot and its
/// write), one bin per integer value up to <see cref="Bins"/> - 1 and one overflow bin. Allocated once; adding
/// is a counter increment, so recording every update costs nothing worth measuring. Merged across ranks with
/// two allreduces, after which percentiles are exact (unless they fall into the overflow bin).
/// </summary>
public sealed class StalenessHistogram
{
    public const int Bins = 1 << 16;
    readonly long[] _counts = new long[Bins + 1]; // the last one counts values >= Bins
    long _sum, _max = -1;

    public long Count { get; private set; }
    public long Max => _max;
    public double Mean => Count == 0 ? double.NaN : (double)_sum / Count;

    public void Add(long staleness)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(staleness);
        _counts[Math.Min(staleness, Bins)]++;
        _sum += staleness;
        Count++;
        if (staleness > _max) _max = staleness;
    }

    /// <summary>The smallest s such that at least <paramref name="q"/> of all updates had staleness &lt;= s (nearest rank).</summary>
    public long Percentile(double q)
    {
        if (Count == 0) return -1;
        if (!(q >= 0 && q <= 1)) throw new ArgumentOutOfRangeException(nameof(q));
        long rank = Math.Max(1, (long)Math.Ceiling(q * Count));
        long seen = 0;
        for (int s = 0; s < Bins; s++)
        {
            seen += _counts[s];
            if (seen >= rank) return s;
        }
        return _max; // in the overflow bin: the maximum is the best exact statement left
    }

    /// <summary>Counts for staleness 0..Max (the overflow bin folded into the last entry when Max >= Bins).</summary>
    public long[] ToArray()
    {
        if (_max < 0) return [];
        int length = (int)Math.Min(_max, Bins) + 1;
        return _counts.AsSpan(0, length).ToArray();
    }

    /// <summary>The summary's <c>staleness</c> block (the same in real runs and in the simulation).</summary>
    public StalenessSummary ToSummary() => new(Mean, Percentile(0.5), Percentile(0.9), Percentile(0.99), Max, Count, ToArray());

    /// <summary>Makes this histogram the sum of every rank's (collective over <paramref name="comm"/>).</summary>
    public void MergeAcross(Communicator comm)
    {
        comm.Allreduce<long>(_counts, ReduceOp.Sum);
        Span<long> sums = [_sum, Count];
        comm.Allreduce(sums, ReduceOp.Sum);
        _sum = sums[0];
        Count = sums[1];
        _max = comm.Allreduce(_max, ReduceOp.Max);
    }
}
