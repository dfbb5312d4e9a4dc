namespace SparseMpi.Collectives.Sparse;

/// <summary>The flag protocol of the exchanges: a rank announces trouble by sending a negative length.</summary>
internal static class RankFlags
{
    public const int Flagged = -1;

    /// <summary>The ranks whose gathered length is negative, ascending (an empty array when none: no allocation).</summary>
    public static int[] Collect(ReadOnlySpan<int> lengths)
    {
        int flagged = 0;
        foreach (int length in lengths) if (length < 0) flagged++;
        if (flagged == 0) return [];
        var ranks = new int[flagged];
        for (int r = 0, n = 0; r < lengths.Length; r++) if (lengths[r] < 0) ranks[n++] = r;
        return ranks;
    }
}
