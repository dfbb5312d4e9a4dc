using System.Numerics;

namespace SparseMpi.Collectives.Sparse;

/// <summary>
/// nnz of an exchange's sum, the numerator of the fill-in f = nnz(sum) / Σk that <see cref="AutoExchange"/> reads
/// and the metrics record. Every rank holds the same bits of the sum, so every rank counts the same nnz. When the
/// exchange wrote only <see cref="IGradientExchange.Touched"/> the count costs O(Σk): a bitset of d bits (allocated
/// once) removes the repeats (the allgather lists an entry once per rank that sent it); when it wrote all of the
/// sum it is one vectorised O(d) pass, no more than applying that sum costs anyway. Entries whose values cancelled
/// to exactly zero do not count (they move nothing in a dense switch either).
/// </summary>
public sealed class FillInCounter
{
    readonly ulong[] _seen;

    public FillInCounter(int d)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(d);
        _seen = new ulong[(d + 63) / 64];
        Dimension = d;
    }

    public int Dimension { get; }

    /// <summary>Non-zero entries of <paramref name="sum"/> after <paramref name="exchange"/>'s last exchange (before its ResetOutput).</summary>
    public long NonZeros(IGradientExchange exchange, ReadOnlySpan<float> sum)
    {
        if (sum.Length != Dimension) throw new ArgumentException($"sum has length {sum.Length}, the counter has d = {Dimension}");
        return exchange.WroteAll ? CountNonZero(sum) : CountDistinctNonZero(exchange.Touched, sum);
    }

    /// <summary>nnz / Σk; NaN when no rank sent anything (nothing to fill in).</summary>
    public static double FillIn(long nonZeros, long totalK) => totalK > 0 ? (double)nonZeros / totalK : double.NaN;

    long CountDistinctNonZero(ReadOnlySpan<int> touched, ReadOnlySpan<float> sum)
    {
        long n = 0;
        foreach (int i in touched)
        {
            ref ulong word = ref _seen[i >> 6];
            ulong bit = 1UL << (i & 63);
            if ((word & bit) != 0) continue;
            word |= bit;
            if (sum[i] != 0f) n++;
        }
        foreach (int i in touched) _seen[i >> 6] = 0; // O(Σk): only the words touched
        return n;
    }

    /// <summary>Entries of <paramref name="sum"/> other than ±0, in one vectorised pass.</summary>
    public static long CountNonZero(ReadOnlySpan<float> sum)
    {
        long zeros = 0;
        int i = 0;
        if (Vector.IsHardwareAccelerated && sum.Length >= Vector<float>.Count)
        {
            var counts = Vector<int>.Zero;
            for (; i <= sum.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                // -1 per lane equal to zero (IEEE: -0 too); a lane counts at most d / lanes < 2^31 times.
                counts -= Vector.Equals(new Vector<float>(sum.Slice(i, Vector<float>.Count)), Vector<float>.Zero);
            }
            for (int lane = 0; lane < Vector<int>.Count; lane++) zeros += counts[lane];
        }
        for (; i < sum.Length; i++) if (sum[i] == 0f) zeros++;
        return sum.Length - zeros;
    }
}
