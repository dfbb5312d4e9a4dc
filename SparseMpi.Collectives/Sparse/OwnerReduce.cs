namespace SparseMpi.Collectives.Sparse;

/// <summary>
/// The reduce phase the split exchanges share (<see cref="SplitAllgatherExchange"/> with equal ranges,
/// <see cref="OkTopkExchange"/> with balanced regions): a selection is cut at the region boundaries (the indices
/// ascend, so do the owners), the pairs travel to their owners as (index, value bits) packed in one long (an
/// MPI_Alltoallv placed rank q's block before rank q + 1's), and the owner sums them in that rank order into its
/// slice, which is all zero between exchanges. The first value at an entry is copied, never added to a zero, so
/// -0 and the bits of a lone contribution survive.
/// </summary>
internal sealed class OwnerReduce
{
    readonly float[] _slice;
    readonly int[] _present; // per slice entry: the reduction that last wrote it (no clearing per step)
    int _stamp;
    GrowableBuffer<int> _entries;

    /// <param name="length">the slice's length: the owner's range, or d when the region moves (indices are slice positions plus an offset).</param>
    public OwnerReduce(int length)
    {
        _slice = new float[length];
        _present = new int[length];
    }

    /// <summary>The reduced values, at slice positions (index - offset).</summary>
    public Span<float> Slice => _slice;

    /// <summary>The slice positions the last <see cref="Sum"/> wrote, in first-seen order.</summary>
    public ReadOnlySpan<int> Entries(int count) => _entries.Array.AsSpan(0, count);

    /// <summary>Per region q (boundaries <paramref name="rangeStart"/>, P + 1), where its ascending indices start and how many.</summary>
    public static void Split(ReadOnlySpan<int> indices, ReadOnlySpan<int> rangeStart, Span<int> offsets, Span<int> counts)
    {
        for (int q = 0, j = 0; q < counts.Length; q++)
        {
            int first = j;
            while (j < indices.Length && indices[j] < rangeStart[q + 1]) j++;
            offsets[q] = first;
            counts[q] = j - first;
        }
    }

    /// <summary>
    /// Sums the received pairs (every index in [<paramref name="lo"/>, <paramref name="hi"/>)) in their order into
    /// the slice at index - <paramref name="offset"/>; returns how many distinct entries (see <see cref="Entries"/>).
    /// </summary>
    public int Sum(ReadOnlySpan<long> received, int lo, int hi, int offset, string region)
    {
        int stamp = ++_stamp;
        if (stamp == int.MaxValue) { Array.Clear(_present); _stamp = stamp = 1; }
        var entries = _entries.Get(Math.Min(received.Length, hi - lo));
        int n = 0;
        foreach (long pair in received)
        {
            var (index, value) = Unpair(pair);
            if (index < lo || index >= hi) throw new MalformedMessageException($"index {index} outside this rank's {region}");
            int local = index - offset;
            if (_present[local] != stamp)
            {
                _present[local] = stamp;
                _slice[local] = value;
                entries[n++] = local;
            }
            else _slice[local] += value;
        }
        return n;
    }

    /// <summary>Zeroes what the last <see cref="Sum"/> wrote (its first <paramref name="count"/> entries).</summary>
    public void Clear(int count)
    {
        foreach (int local in Entries(count)) _slice[local] = 0f;
    }

    public static long Pair(int index, float value) => (uint)index | ((long)BitConverter.SingleToInt32Bits(value) << 32);
    public static (int Index, float Value) Unpair(long pair) => ((int)(uint)pair, BitConverter.Int32BitsToSingle((int)(pair >> 32)));
}
