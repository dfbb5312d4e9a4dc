namespace SparseMpi.Sparsification;

/// <summary>
/// The safe fallback when the sampled threshold misled (too few or far too many candidates: all-equal
/// input, huge tie groups, mostly zeros, adversarial periodic data). Histograms of the magnitude key, 11 +
/// 11 + 9 bits from the top, find the exact k-th largest key in at most three passes over the vector. It is
/// about 5x a memory pass (measured with the design prototype), which is why it is the fallback and not the
/// main path. Level one also sees every element, so it is where non-finite input is caught on this route.
/// </summary>
internal sealed class RadixSelect
{
    readonly int[] _histogram = new int[KthLargestKey.Bins];

    /// <summary>The outcome of the first level: the top-11-bit bin holding the k-th largest key.</summary>
    public readonly record struct TopBin(int Bin, int Greater, int Count)
    {
        /// <summary>The smallest key in the bin: a filter threshold that catches exactly Greater + Count elements.</summary>
        public int Floor => Bin << 20;
    }

    /// <summary>First level; throws <see cref="NonFiniteGradientException"/> when x holds NaN or Inf.</summary>
    public TopBin FirstLevel(ReadOnlySpan<float> x, int k, long step)
    {
        var hist = _histogram.AsSpan();
        hist.Clear();
        foreach (float v in x) hist[MagnitudeKey.Of(v) >> 20]++;
        for (int b = MagnitudeKey.NonFiniteFloor >> 20; b < KthLargestKey.Bins; b++)
            if (hist[b] != 0) ThrowFirstNonFinite(x, step);
        int count = Pick(hist, k, out int bin, out int greater);
        return new TopBin(bin, greater, count);
    }

    /// <summary>
    /// The exact k-th largest key and the number of strictly greater keys, refining the first level with two
    /// more passes (11 then 9 bits).
    /// </summary>
    public (int Value, int Greater) Refine(ReadOnlySpan<float> x, int k, TopBin top)
    {
        var hist = _histogram.AsSpan();
        int greater = top.Greater;
        k -= top.Greater;

        hist.Clear();
        foreach (float v in x)
        {
            int key = MagnitudeKey.Of(v);
            if (key >> 20 == top.Bin) hist[(key >> 9) & 0x7FF]++;
        }
        Pick(hist, k, out int bin2, out int above2);
        greater += above2;
        k -= above2;
        int prefix = (top.Bin << 11) | bin2;

        hist.Clear();
        foreach (float v in x)
        {
            int key = MagnitudeKey.Of(v);
            if (key >> 9 == prefix) hist[key & 0x1FF]++;
        }
        Pick(hist[..512], k, out int bin3, out int above3);
        greater += above3;
        return ((prefix << 9) | bin3, greater);
    }

    /// <summary>Walks the histogram down from the top; returns the count of the bin holding the k-th.</summary>
    static int Pick(Span<int> hist, int k, out int bin, out int greater)
    {
        int b = hist.Length - 1;
        int above = 0;
        while (above + hist[b] < k) above += hist[b--];
        bin = b;
        greater = above;
        return hist[b];
    }

    public static void ThrowFirstNonFinite(ReadOnlySpan<float> x, long step)
    {
        for (int i = 0; i < x.Length; i++)
            if (MagnitudeKey.IsNonFinite(MagnitudeKey.Of(x[i])))
                throw new NonFiniteGradientException(step, i, x[i]);
    }
}
