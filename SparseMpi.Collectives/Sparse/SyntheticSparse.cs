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

    static ulong Mix(ulong seed, ulong stream) => new SplitMix64(seed ^ (stream * 0x9E3779B97F4A7C15UL + 0x632BE59BD9B4E019UL)).Next();

    /// <summary>SplitMix64 (Steele et al.): tiny, fast, and the same sequence on every platform and .NET version.</summary>
    struct SplitMix64(ulong state)
    {
        ulong _state = state;

        public ulong Next()
        {
            ulong z = _state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        /// <summary>Uniform in (0, 1]: never 0, so its logarithm is finite.</summary>
        public double NextUnit() => ((Next() >> 11) + 1) * (1.0 / (1UL << 53));

        public double NextExponential() => -Math.Log(NextUnit());

        /// <summary>Box-Muller, one of the pair (simple; k normals per vector is cheap next to the exchange).</summary>
        public double NextNormal() => Math.Sqrt(-2.0 * Math.Log(NextUnit())) * Math.Cos(2.0 * Math.PI * NextUnit());
    }
}
