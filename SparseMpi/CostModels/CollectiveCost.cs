namespace SparseMpi.CostModels;

/// <summary>
/// Alpha-beta costs (seconds) of the two gradient exchanges on P ranks, from the collective algorithms' costs in
/// Thakur, Rabenseifner and Gropp, "Optimization of Collective Communication Operations in MPICH" (IJHPCA
/// 2005), and Patarasuk and Yuan (JPDC 2009) for the bandwidth-optimal ring allreduce. The local reduction
/// (gamma) term of the allreduce is left out: it is one streaming pass, small next to the network terms.
/// </summary>
public static class CollectiveCost
{
    /// <summary>Length of the per-rank message count the sparse exchange allgathers before the messages.</summary>
    public const int LengthBytes = 4;

    /// <summary>
    /// Ring allreduce of n bytes (reduce-scatter then allgather, P-1 steps each of n/P bytes):
    /// 2(P-1)·alpha + 2(P-1)/P·n·beta.
    /// </summary>
    public static double RingAllreduce(int p, double bytes, AlphaBetaNetwork net) =>
        2.0 * (p - 1) * net.Alpha + 2.0 * (p - 1) / p * bytes * net.Beta;

    /// <summary>Ring allgather of m bytes from every rank (P-1 steps of m bytes): (P-1)·alpha + (P-1)·m·beta.</summary>
    public static double RingAllgather(int p, double bytesPerRank, AlphaBetaNetwork net) =>
        (p - 1) * (net.Alpha + bytesPerRank * net.Beta);

    /// <summary>
    /// Recursive-doubling allgather of m bytes from every rank (ceil(log2 P) steps, doubling the data each
    /// step; MPI libraries use it, or Bruck's algorithm with the same step count, for short messages):
    /// ceil(log2 P)·alpha + (P-1)·m·beta.
    /// </summary>
    public static double RecursiveDoublingAllgather(int p, double bytesPerRank, AlphaBetaNetwork net) =>
        CeilLog2(p) * net.Alpha + (p - 1) * bytesPerRank * net.Beta;

    /// <summary>
    /// Rabenseifner's allreduce of n bytes (recursive-halving reduce-scatter, recursive-doubling allgather; P a
    /// power of two), what MPICH uses for long messages: 2·log2(P)·alpha + 2(P-1)/P·n·beta. Same bytes as the
    /// ring, logarithmic latency: used to show how much of the ring's verdict is its 2(P-1)·alpha.
    /// </summary>
    public static double RabenseifnerAllreduce(int p, double bytes, AlphaBetaNetwork net) =>
        2.0 * CeilLog2(p) * net.Alpha + 2.0 * (p - 1) / p * bytes * net.Beta;

    /// <summary>The dense exchange: one ring allreduce of d floats (on the network's dense pair where it has one).</summary>
    public static double DenseExchange(int p, long d, AlphaBetaNetwork net) => RingAllreduce(p, 4.0 * d, net.Dense);

    /// <summary>
    /// The sparse exchange as the code does it: an allgather of the 4-byte message lengths (short: recursive
    /// doubling), then a ring allgatherv of the packed messages (24-byte header + k entries).
    /// </summary>
    public static double SparseExchange(int p, double messageBytes, AlphaBetaNetwork net) =>
        RecursiveDoublingAllgather(p, LengthBytes, net) + RingAllgather(p, messageBytes, net);

    /// <summary>
    /// The rank count at which the bandwidth terms of the two exchanges are equal. Sparse sends
    /// (P-1)·(m + 4)·beta, the allreduce 2(P-1)/P·4d·beta; dividing both by (P-1)·beta leaves m + 4 = 8d/P, so
    /// P* = 8d / (m + 4), which with m ≈ k·b is 2d / (k·b/4): the allgather's bytes grow with P while the
    /// allreduce's stay below 2·4d. It does not depend on the network; latency moves the real crossover.
    /// </summary>
    public static double BandwidthCrossover(long d, double messageBytes) => 8.0 * d / (messageBytes + LengthBytes);

    /// <summary>
    /// The rank counts in [from, to] at which sparse is faster: the first P where <paramref name="sparseFaster"/>
    /// holds, and the first P after it where it no longer does (null: never / not up to <paramref name="to"/>).
    /// Rank counts are tried one by one: the latency terms (log2 P against P) and the local costs make the
    /// difference non-monotone, e.g. top-k's select costs more than dense's at small P and pays off later.
    /// </summary>
    public static FasterRange SparseFaster(Func<int, bool> sparseFaster, int from, int to)
    {
        int p = from;
        while (p <= to && !sparseFaster(p)) p++;
        if (p > to) return new FasterRange(null, null);
        int start = p;
        while (p <= to && sparseFaster(p)) p++;
        return new FasterRange(start, p > to ? null : p);
    }

    /// <summary>ceil(log2 P): the steps of recursive doubling (0 for one rank).</summary>
    public static int CeilLog2(int p) => p <= 1 ? 0 : 32 - (int)uint.LeadingZeroCount((uint)(p - 1));
}

/// <summary>
/// Rank counts at which sparse is faster: from <see cref="From"/> (null: never) up to, not including,
/// <see cref="Until"/> (null: to the end of the range searched).
/// </summary>
public readonly record struct FasterRange(int? From, int? Until)
{
    public override string ToString() =>
        From is not int a ? "never" : Until is int b ? (b == a + 1 ? $"P = {a}" : $"{a} <= P < {b}") : $"P >= {a}";
}
