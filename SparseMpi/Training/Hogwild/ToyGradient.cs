using SparseMpi.Collectives;

namespace SparseMpi.Training.Hogwild;

/// <summary>
/// The test mode's update (hidden option --toy-gradient): update u of rank r adds <see cref="Entries"/> small
/// integers in -8..8 (never 0) at pseudo-random positions. Starting from zero parameters, every partial sum is
/// an integer far below 2^24, so float addition is exact and the final parameters are the same for every order
/// of the same updates: with atomic writes they must equal the serial sum bit for bit, and any lost or doubled
/// update shows.
/// </summary>
public static class ToyGradient
{
    public const int Entries = 16;

    /// <summary>Writes update (<paramref name="rank"/>, <paramref name="update"/>) for d parameters; returns the entry count.</summary>
    public static int Fill(int rank, long update, int d, Span<int> indices, Span<float> values)
    {
        ulong state = SplitMix64.Mix(((ulong)(uint)rank << 40) ^ (ulong)update ^ 0x70F_0000_0000_0000ul);
        for (int j = 0; j < Entries; j++)
        {
            state = SplitMix64.Mix(state + SplitMix64.Gamma); // chained on its own output, unlike SplitMix64.Next
            indices[j] = (int)(state % (ulong)d);
            int magnitude = 1 + (int)((state >> 32) % 8);
            values[j] = (state >> 63) == 0 ? magnitude : -magnitude;
        }
        return Entries;
    }

    /// <summary>The serial sum of updates 0..counts[r]-1 of every rank r, from zero.</summary>
    public static float[] SerialSum(int d, IReadOnlyList<long> updatesPerRank)
    {
        var sum = new float[d];
        Span<int> indices = stackalloc int[Entries];
        Span<float> values = stackalloc float[Entries];
        for (int r = 0; r < updatesPerRank.Count; r++)
            for (long u = 0; u < updatesPerRank[r]; u++)
            {
                int n = Fill(r, u, d, indices, values);
                for (int j = 0; j < n; j++) sum[indices[j]] += values[j];
            }
        return sum;
    }
}
