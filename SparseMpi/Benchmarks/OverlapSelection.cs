using SparseMpi.Collectives.Sparse;

namespace SparseMpi.Benchmarks;

/// <summary>
/// bench-comm's <c>--overlap F</c> selections: of each rank's k indices, s = round(F·k) come from one set shared by
/// every rank and k - s are the rank's own, never among the shared ones. The own parts are disjoint across ranks
/// wherever they fit (P·(k-s) within the d-s other entries: rank q takes k-s of the positions ≡ q mod P of that
/// complement), so F = 0 gives fill-in 1 and F = 1 gives 1/P exactly; where they cannot fit they are drawn
/// independently in the complement (and collide as random sets do). Any rank can regenerate any rank's selection
/// from (seed, rank); O(k), never O(d). Values are standard normal, independent per rank.
/// </summary>
public static class OverlapSelection
{
    const ulong SharedStream = 0x5AA2ED00_00000000UL, ValueStream = 0x7A1E0000_00000000UL;

    /// <summary>Whether every rank's own part is disjoint from every other's for these sizes.</summary>
    public static bool Disjoint(int ranks, int d, int k, double overlap)
    {
        int s = SharedCount(k, overlap);
        return (long)(k - s) <= (d - s) / Math.Max(1, ranks);
    }

    public static int SharedCount(int k, double overlap) => (int)Math.Round(k * overlap, MidpointRounding.AwayFromZero);

    /// <summary>Rank <paramref name="rank"/>'s k = indices.Length indices (ascending) and values.</summary>
    public static void Fill(ulong seed, int rank, int ranks, int d, double overlap, Span<int> indices, Span<float> values)
    {
        int k = indices.Length;
        if (values.Length != k) throw new ArgumentException($"{k} indices but {values.Length} values");
        if (k > d) throw new ArgumentException($"k = {k} > d = {d}");
        int s = SharedCount(k, overlap), own = k - s, pool = d - s;
        var shared = new int[s];
        var mine = new int[own];
        var scratch = new float[Math.Max(s, own)];
        SyntheticSparse.Fill(seed, SharedStream, d, shared, scratch.AsSpan(0, s));
        if (Disjoint(ranks, d, k, overlap))
        {
            SyntheticSparse.Fill(seed, (ulong)rank, pool / ranks, mine, scratch.AsSpan(0, own));
            for (int j = 0; j < own; j++) mine[j] = mine[j] * ranks + rank; // ascending, below pool
        }
        else SyntheticSparse.Fill(seed, (ulong)rank, pool, mine, scratch.AsSpan(0, own));

        // Positions in the complement of the shared set -> indices: skip every shared index at or below.
        for (int j = 0, below = 0; j < own; j++)
        {
            while (below < s && shared[below] <= mine[j] + below) below++;
            mine[j] += below;
        }
        // Merge the two ascending, disjoint lists.
        for (int a = 0, b = 0, o = 0; o < k; o++)
            indices[o] = b >= own || (a < s && shared[a] < mine[b]) ? shared[a++] : mine[b++];
        var dummy = new int[k];
        SyntheticSparse.Fill(seed, ValueStream | (ulong)rank, k, dummy, values);
    }
}
