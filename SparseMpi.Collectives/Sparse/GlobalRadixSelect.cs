namespace SparseMpi.Collectives.Sparse;

/// <summary>
/// The exact k-th largest magnitude over keys spread across ranks (each owner holds its region's reduced sums),
/// without moving them: a radix select on the 32-bit magnitude keys, one byte per round from the top, each round
/// one MPI_Allreduce of a 256-bin histogram (int counts) of the keys that still match the chosen prefix. Four rounds of
/// 1 KiB, whatever k and P; every rank walks the same summed histograms, so every rank gets the same answer.
/// </summary>
public sealed class GlobalRadixSelect
{
    public const int Rounds = 4;
    const int Bins = 256;
    readonly int[] _histogram = new int[Bins]; // counts fit: the keys number at most d < 2^31 over all ranks

    /// <summary>Bytes one rank sends (and receives) for one select, ring model.</summary>
    public static long BytesPerSelect(int ranks) => Rounds * RingModel.AllreduceBytes(ranks, 4L * Bins);

    /// <summary>
    /// Collective: the key T of the k-th largest of all ranks' <paramref name="keys"/> (k in 1..their total), and
    /// <paramref name="tiesToTake"/>: how many of the keys equal to T belong to the top k (the other top-k keys are
    /// greater than T).
    /// </summary>
    public int Select(Communicator comm, ReadOnlySpan<int> keys, long k, out long tiesToTake)
    {
        long need = k;
        int prefix = 0, mask = 0;
        for (int round = 0; round < Rounds; round++)
        {
            int shift = 8 * (Rounds - 1 - round);
            Array.Clear(_histogram);
            foreach (int key in keys)
                if ((key & mask) == prefix) _histogram[(key >> shift) & 0xFF]++;
            comm.Allreduce<int>(_histogram, ReduceOp.Sum);
            int bin = PickBin(_histogram, ref need);
            prefix |= bin << shift;
            mask |= 0xFF << shift;
        }
        tiesToTake = need;
        return prefix;
    }

    /// <summary>
    /// One round's walk: from the highest bin down, the bin that holds the need-th largest key; need becomes the
    /// rank of that key within its bin. Throws when the histogram holds fewer than need keys.
    /// </summary>
    public static int PickBin(ReadOnlySpan<int> histogram, ref long need)
    {
        for (int bin = histogram.Length - 1; bin >= 0; bin--)
        {
            if (histogram[bin] >= need) return bin;
            need -= histogram[bin];
        }
        throw new InvalidOperationException("fewer keys than k: the caller must handle a total of at most k itself");
    }
}
