namespace SparseMpi.Collectives.Sparse;

/// <summary>
/// Ok-Topk's balanced space repartition (Li and Hoefler, PPoPP'22): every rank proposes the P-1 inner region
/// boundaries from its own selected indices (boundary q is its (q·n/P)-th selected index, so each of its regions
/// holds about n/P of its entries), the proposals are summed over ranks (one MPI_Allreduce of P-1 longs) and
/// averaged. Averaging non-decreasing proposals gives non-decreasing boundaries, so every region is a valid
/// (possibly empty) range and the regions still ascend with the rank. Pure functions: tested without MPI.
/// </summary>
public static class BalancedRegions
{
    /// <summary>Equal ranges, the state before the first repartition: start q = floor(d·q/P).</summary>
    public static void Equal(int d, Span<int> rangeStart)
    {
        int p = rangeStart.Length - 1;
        for (int q = 0; q <= p; q++) rangeStart[q] = (int)((long)d * q / p);
    }

    /// <summary>
    /// This rank's proposal of the P-1 inner boundaries (<paramref name="proposal"/>.Length = P-1) from its
    /// ascending <paramref name="selected"/> indices; a rank that selected nothing proposes the equal split, so
    /// it does not pull the average towards 0.
    /// </summary>
    public static void Propose(ReadOnlySpan<int> selected, int d, Span<long> proposal)
    {
        int p = proposal.Length + 1;
        for (int q = 1; q < p; q++)
            proposal[q - 1] = selected.IsEmpty ? (long)d * q / p : selected[(int)((long)selected.Length * q / p)];
    }

    /// <summary>The boundaries from the summed proposals of <paramref name="ranks"/> ranks: start 0, the averages (floor), d.</summary>
    public static void FromSums(ReadOnlySpan<long> sums, int ranks, int d, Span<int> rangeStart)
    {
        int p = rangeStart.Length - 1;
        if (sums.Length != p - 1) throw new ArgumentException($"{sums.Length} summed boundaries for {p} regions");
        rangeStart[0] = 0;
        for (int q = 1; q < p; q++) rangeStart[q] = (int)Math.Clamp(sums[q - 1] / ranks, 0, d);
        rangeStart[p] = d;
        for (int q = 1; q <= p; q++)
            if (rangeStart[q] < rangeStart[q - 1]) throw new MalformedMessageException($"region boundaries decrease at region {q}");
    }
}
