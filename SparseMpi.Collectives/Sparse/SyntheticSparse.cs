namespace SparseMpi.Collectives.Sparse;

/// <summary>
/// Reproducible random sparse vectors for benchmarks and self-checks: any rank can regenerate any other rank's
/// vector from (seed, stream), so the sum can be checked locally without communication. O(k), never O(d).
/// </summary>
public static class SyntheticSparse
{
    /// <summary>
    /// Fills <paramref name="indices"/> with k = indices.Length distinct ascending indices in 0..d-1 and
    /// <paramref name="values"/> with standard normal values. The indices come from stars and bars: k sorted
    /// positions among n = d - k + 1 slots (drawn as normalised cumulative exponential gaps, so sorted without a
    /// sort), the i-th shifted by i.
    /// </summary>
    public static void Fill(ulong seed, ulong stream, int d, Span<int> indices, Span<float> values)
    {
        int k = indices.Length;
        if (values.Length != k) throw new ArgumentException($"{k} indices but {values.Length} values");
        if (k > d) throw new ArgumentException($"k = {k} > d = {d}");
        var rng = new SplitMix64(Mix(seed, stream));
        var pass = rng; // the gaps are drawn twice: once for their total, once to place them
        double total = 0;
        for (int i = 0; i <= k; i++) total += pass.NextExponential();
        long slots = (long)d - k + 1;
        double cumulative = 0;
        for (int i = 0; i < k; i++)
        {
            cumulative += rng.NextExponential();
            long slot = Math.Min(slots - 1, (long)(cumulative / total * slots));
            indices[i] = (int)(slot + i);
        }
        var normal = new SplitMix64(Mix(seed, ~stream));
        for (int i = 0; i < k; i++) values[i] = (float)normal.NextNormal();
    }

    /// <summary>Round(d * density), at most d; the k of a density the way bench-comm and the trainer count it.</summary>
    public static int CountFor(int d, double density) => (int)Math.Min(d, Math.Round(d * density, MidpointRounding.AwayFromZero));

    static ulong Mix(ulong seed, ulong stream) => new SplitMix64(seed ^ (stream * SplitMix64.Gamma + 0x632BE59BD9B4E019UL)).Next();
}
