namespace SparseMpi.Collectives.Sparse;

/// <summary>What every <see cref="IGradientExchange"/> checks of its caller, and how the sparse ones reset their output.</summary>
internal static class ExchangeChecks
{
    public static void Sum(ReadOnlySpan<float> sum, int d)
    {
        if (sum.Length != d) throw new ArgumentException($"sum has length {sum.Length}, the exchange has d = {d}");
    }

    public static void Announcements(ReadOnlySpan<int> announcements, int ranks)
    {
        if (announcements.Length != ranks) throw new ArgumentException($"{announcements.Length} announcements for {ranks} ranks");
    }

    /// <summary>For the exchanges that announce k: this rank's announcement must be the k it packed.</summary>
    public static void AnnouncedK(ReadOnlySpan<int> announcements, int rank, int k)
    {
        if (announcements[rank] != k) throw new ArgumentException($"this rank packed k = {k} but announcements[{rank}] = {announcements[rank]}");
    }

    /// <summary>
    /// Zeroes what an exchange wrote: all of d when it wrote all (or touched more than d /
    /// <see cref="SparseAllgatherExchange.ClearAllDivisor"/> entries: one streaming memset beats scattered stores
    /// then), else only the touched entries.
    /// </summary>
    public static void ClearWritten(Span<float> sum, bool wroteAll, ReadOnlySpan<int> touched)
    {
        if (wroteAll || touched.Length > sum.Length / SparseAllgatherExchange.ClearAllDivisor) sum.Clear();
        else SparseScatter.Clear(sum, touched);
    }
}
