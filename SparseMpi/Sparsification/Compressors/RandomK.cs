using SparseMpi.Collectives;

namespace SparseMpi.Sparsification;

/// <summary>
/// Random-k sparsification (Stich et al.): k distinct indices drawn uniformly, a pure function of
/// (seed, step, rank), so a run is reproducible from --seed and ranks differ from one another. Values are
/// sent unscaled (with error feedback the residual carries the rest). Ascending indices.
/// It reads only the k entries it picks, so a non-finite entry elsewhere is caught by the error-feedback
/// accumulation pass (<see cref="ErrorFeedback.Step"/>), not here; a picked non-finite entry throws.
/// </summary>
public sealed class RandomK(ulong seed, int rank) : ICompressor
{
    public string Name => "randomk";
    public ulong Seed { get; } = seed;
    public int Rank { get; } = rank;

    public int MaxSelected(int k) => k;

    public int Select(ReadOnlySpan<float> acc, int k, long step, Span<int> indices, Span<float> values)
    {
        int d = acc.Length;
        SelectionArguments.CheckK(k, d);
        SelectionArguments.CheckOutput(k, indices, values);
        var rng = new SplitMix64(StreamSeed(Seed, step, Rank));
        var idx = indices[..k];
        if ((long)k * 16 >= d) SelectSequentially(ref rng, d, idx);
        else DrawSortDeduplicate(ref rng, d, idx);

        for (int j = 0; j < k; j++)
        {
            float v = acc[idx[j]];
            if (!float.IsFinite(v)) throw new NonFiniteGradientException(step, idx[j], v);
            values[j] = v;
        }
        return k;
    }

    /// <summary>Knuth's selection sampling (Algorithm S): exact and already sorted; O(d), so for dense k.</summary>
    static void SelectSequentially(ref SplitMix64 rng, int d, Span<int> idx)
    {
        int k = idx.Length, n = 0;
        for (int i = 0; i < d && n < k; i++)
            if (rng.NextBelow((ulong)(d - i)) < (ulong)(k - n)) idx[n++] = i;
    }

    /// <summary>
    /// For sparse k: draw k indices, sort, drop repeats, redraw the missing ones (about k^2/2d, so a round
    /// or two), O(k log k) and no memory beyond the output.
    /// </summary>
    static void DrawSortDeduplicate(ref SplitMix64 rng, int d, Span<int> idx)
    {
        int k = idx.Length, n = 0;
        while (n < k)
        {
            for (int j = n; j < k; j++) idx[j] = (int)rng.NextBelow((ulong)d);
            idx.Sort();
            n = 1;
            for (int j = 1; j < k; j++)
                if (idx[j] != idx[n - 1]) idx[n++] = idx[j];
        }
    }

    static ulong StreamSeed(ulong seed, long step, int rank)
    {
        ulong h = SplitMix64.Mix(seed ^ 0x5EED_0F_70_9Cul);
        h = SplitMix64.Mix(h ^ (ulong)step);
        return SplitMix64.Mix(h ^ (uint)rank);
    }
}
