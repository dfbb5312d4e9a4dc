namespace SparseMpi.Collectives.Sparse;

/// <summary>
/// Ok-Topk's threshold re-use: a magnitude threshold learnt exactly on a refresh step is kept while the count it
/// lets through stays in [2k/3, 4k/3]. Outside, it is adjusted for the next step: below the band it is lowered by
/// <see cref="Decrease"/> (what passed tells nothing of the entries under it); above, it becomes the exact k-th
/// largest magnitude of what passed (a superset of the top k, so that value is known exactly and cheaply).
/// Used for both the local selection and the global threshold. Thresholds are magnitude keys (the float bits of
/// |x|, which order as the magnitudes do), so comparing needs no float math and every rank gets the same bits.
/// </summary>
public static class ThresholdBand
{
    /// <summary>The factor a threshold is multiplied by when too few entries passed it.</summary>
    public const float Decrease = 0.8f;

    /// <summary>count &lt; 2k/3.</summary>
    public static bool IsBelow(long count, long k) => 3 * count < 2 * k;

    /// <summary>count &gt; 4k/3.</summary>
    public static bool IsAbove(long count, long k) => 3 * count > 4 * k;

    /// <summary>The magnitude key of <paramref name="x"/>: its float bits with the sign cleared.</summary>
    public static int Key(float x) => BitConverter.SingleToInt32Bits(x) & 0x7FFF_FFFF;

    /// <summary>The key lowered by <see cref="Decrease"/> (0 stays 0: everything passes it).</summary>
    public static int Lowered(int key) => Key(BitConverter.Int32BitsToSingle(key) * Decrease);

    /// <summary>
    /// The k-th largest magnitude key of <paramref name="values"/> (k in 1..values.Length), using
    /// <paramref name="scratch"/> (at least values.Length long). O(n log n) on what passed a threshold, at most a
    /// few times k: only out-of-band steps pay it.
    /// </summary>
    public static int KthLargestKey(ReadOnlySpan<float> values, int k, Span<int> scratch)
    {
        if (k < 1 || k > values.Length) throw new ArgumentOutOfRangeException(nameof(k), k, $"k must be in 1..{values.Length}");
        var keys = scratch[..values.Length];
        for (int j = 0; j < values.Length; j++) keys[j] = Key(values[j]);
        keys.Sort();
        return keys[values.Length - k];
    }

    /// <summary>The next step's threshold after <paramref name="count"/> entries passed <paramref name="key"/>; <paramref name="passed"/> holds them.</summary>
    public static int Adjusted(int key, long count, int k, ReadOnlySpan<float> passed, Span<int> scratch) =>
        IsBelow(count, k) ? Lowered(key)
        : IsAbove(count, k) ? KthLargestKey(passed, k, scratch)
        : key;
}
