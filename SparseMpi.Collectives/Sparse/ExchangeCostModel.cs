namespace SparseMpi.Collectives.Sparse;

/// <summary>
/// What one step's exchange looks like to the cost model, all from data every rank shares (the announcements and
/// the previous sum), so every rank predicts the same: P ranks, d, the total, largest and smallest k over ranks,
/// and the fill-in f = nnz(sum) / Σk (1/P: every rank selected the same entries; 1: disjoint selections).
/// </summary>
public readonly record struct ExchangeShape(int Ranks, int D, long TotalK, long MaxK, long MinK, double FillIn)
{
    /// <summary>The shape of a step with these k per rank (the announcements of k) and fill-in.</summary>
    public static ExchangeShape Of(int d, ReadOnlySpan<int> kPerRank, double fillIn)
    {
        long total = 0, max = 0, min = long.MaxValue;
        foreach (int k in kPerRank) { total += k; max = Math.Max(max, k); min = Math.Min(min, k); }
        return new ExchangeShape(kPerRank.Length, d, total, max, kPerRank.Length == 0 ? 0 : min, fillIn);
    }

    /// <summary>The same k on every rank.</summary>
    public static ExchangeShape Uniform(int ranks, int d, long k, double fillIn) => new(ranks, d, k * ranks, k, k, fillIn);
}

/// <summary>
/// Alpha-beta cost of each exact exchange, derived from what its class sends (see docs/scaling.md, "per-algorithm
/// cost"): <c>seconds = alpha · Latencies(P) + beta · Bytes(shape)</c>, where Latencies counts the messages on a
/// rank's critical path (ring steps P-1, recursive-doubling/Bruck steps ceil(log2 P)) and Bytes the bytes the
/// busiest rank receives (what bounds it on a full-duplex link; sends are symmetric in every algorithm here).
/// Local work that grows with the bytes (decode, merge, scatter-add) is folded into beta when beta is fitted per
/// algorithm (<see cref="ExchangeCostFit"/>). Pure arithmetic on shared inputs: the same on every rank.
/// <para>Partial sums of m ranks' selections are modelled by the overlap that reproduces the fill-in: a fraction
/// o of each rank's k indices is common to all ranks, the rest disjoint, so nnz(m) = k̄·(o + m(1-o)) and
/// f = (o + P(1-o))/P, i.e. o = P(1-f)/(P-1). bench-comm's <c>--overlap</c> draws exactly these sets.</para>
/// </summary>
public static class ExchangeCostModel
{
    /// <summary>The exact exchanges the model (and <c>auto</c>) knows, in <see cref="GradientExchanges.Names"/> order.</summary>
    public static readonly string[] Algorithms = ["allgather", "allreduce", "ssar-rd", "ssar-split", "dsar-split"];

    /// <summary>
    /// Every exchange the model has a cost for: the exact ones and Ok-Topk's global top-k (which <c>auto</c> does
    /// not choose: it changes the math). Modelled at its steady state: balanced regions, about k survivors, the
    /// exact threshold's radix select amortised over the refresh period.
    /// </summary>
    public static readonly string[] Modelled = [.. Algorithms, "oktopk"];

    /// <summary>Bytes of a sparse allgather message of k pairs in the only format <c>auto</c> sends, int32:fp32 (header + 8k).</summary>
    public static long AllgatherMessageBytes(long k) => SparseHeader.Size + 8L * k;

    /// <summary>Messages on a rank's critical path (the alpha terms) of <paramref name="algorithm"/> on P ranks.</summary>
    public static double Latencies(string algorithm, int p)
    {
        if (p <= 1) return 0;
        int log = CeilLog2(p);
        return algorithm switch
        {
            // Allgather of the lengths (short: recursive doubling), then a ring allgatherv of the messages.
            "allgather" => log + (p - 1),
            // Ring reduce-scatter + ring allgather.
            "allreduce" => 2.0 * (p - 1),
            // Per round a size and a stream by MPI_Sendrecv; a fold and an unfold (size + stream each) when P is no power of two.
            "ssar-rd" => 2.0 * FloorLog2(p) + (IsPowerOfTwo(p) ? 0 : 4),
            // Alltoall of counts (Bruck), pairwise alltoallv, allgather of sizes, ring allgatherv.
            "ssar-split" => 2.0 * log + 2.0 * (p - 1),
            // Alltoall of counts, alltoallv, ring allgatherv of d floats.
            "dsar-split" => log + 2.0 * (p - 1),
            // Allgather of the P×P counts, pairwise alltoallv, allgather of the survivor counts, ring allgatherv; the
            // radix select's 4 allreduces (2·log2 P each) every refresh period.
            "oktopk" => 2.0 * log + 2.0 * (p - 1) + 8.0 * log / OkTopkExchange.DefaultRefreshPeriod,
            _ => throw Unknown(algorithm),
        };
    }

    /// <summary>Bytes the busiest rank receives in one exchange of this shape with <paramref name="algorithm"/>.</summary>
    public static double Bytes(string algorithm, in ExchangeShape s)
    {
        int p = s.Ranks;
        if (p <= 1) return 0;
        double d = s.D, q = (p - 1.0) / p;
        switch (algorithm)
        {
            case "allgather":
                // The lengths, then every other rank's message: the rank with the smallest message receives the most.
                return 4.0 * (p - 1) + (SparseHeader.Size * (double)p + 8.0 * s.TotalK) - AllgatherMessageBytes(s.MinK);
            case "allreduce":
                return 2 * q * 4 * d;
            case "ssar-rd":
            {
                int pof2 = 1 << FloorLog2(p);
                double perVirtualRank = (double)p / pof2; // a folded virtual rank starts with two ranks' selections
                double bytes = 0;
                for (int m = 1; m < pof2; m <<= 1) bytes += 8 + Stream(s, m * perVirtualRank); // size + count header + stream
                if (pof2 != p) bytes += 8 + 8.0 * s.MaxK + 8 + Stream(s, p); // the fold (a rank's selection) and the unfold (the result)
                return bytes;
            }
            case "ssar-split":
            {
                double reduce = Reduce(s, q);
                // Each owner's reduced range: f·Σk/P entries, sparse, or dense past the switch (8 nnz >= 4 length).
                double range = Math.Min(8 * Math.Min(d, s.FillIn * s.TotalK) / p, 4 * d / p);
                return reduce + 4.0 * (p - 1) + (p - 1) * (4 + range);
            }
            case "dsar-split":
                return Reduce(s, q) + 4 * d * q;
            case "oktopk":
            {
                // The P×P counts; the reduce into balanced regions (Σk/P pairs per owner, (P-1)/P of them from
                // others); about k survivors of the reduced sum gathered ((P-1)/P of them from others); the radix
                // select's 4 rounds of a 1 KiB histogram, amortised.
                double k = Math.Min(d, s.MaxK);
                return 4.0 * p * (p - 1) + 8.0 * s.TotalK * q / p + 8.0 * k * q + 4 * 2 * q * 1024.0 / OkTopkExchange.DefaultRefreshPeriod;
            }
            default:
                throw Unknown(algorithm);
        }
    }

    /// <summary>The reduce of the split allgathers: counts, then every range's pairs to its owner (the larger of the busiest send and receive).</summary>
    static double Reduce(in ExchangeShape s, double q)
    {
        int p = s.Ranks;
        double send = 8.0 * s.MaxK * q, receive = 8.0 * s.TotalK * q / p;
        return 4.0 * (p - 1) + Math.Max(send, receive);
    }

    /// <summary>Bytes of a recursive-doubling stream holding m ranks' selections: 8 per pair, or 4d once dense.</summary>
    static double Stream(in ExchangeShape s, double m)
    {
        double nnz = UnionOf(s, m);
        return nnz >= SparseStream.DenseSwitch(s.D) ? 4.0 * s.D : 8 * nnz;
    }

    /// <summary>nnz of the sum of m ranks' selections under the overlap model (see the type's summary), at most d.</summary>
    public static double UnionOf(in ExchangeShape s, double m)
    {
        double mean = s.Ranks > 0 ? (double)s.TotalK / s.Ranks : 0;
        if (s.Ranks <= 1) return Math.Min(s.D, mean);
        double o = Math.Clamp(s.Ranks * (1 - s.FillIn) / (s.Ranks - 1), 0, 1);
        return Math.Min(s.D, mean * (o + m * (1 - o)));
    }

    /// <summary>Predicted seconds with one network for every algorithm.</summary>
    public static double Seconds(string algorithm, in ExchangeShape s, double alpha, double beta) =>
        alpha * Latencies(algorithm, s.Ranks) + beta * Bytes(algorithm, s);

    static int CeilLog2(int p) => p <= 1 ? 0 : 32 - (int)uint.LeadingZeroCount((uint)(p - 1));
    static int FloorLog2(int p) => 31 - (int)uint.LeadingZeroCount((uint)p);
    static bool IsPowerOfTwo(int p) => (p & (p - 1)) == 0;
    static ArgumentException Unknown(string algorithm) =>
        new($"no cost model for exchange '{algorithm}'; known: {string.Join(", ", Modelled)}");
}
