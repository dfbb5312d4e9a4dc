namespace SparseMpi.Benchmarks;

/// <summary>
/// One measured (density, format) of bench-comm; serialised to JSON with snake_case names. Definitions:
/// <list type="bullet">
/// <item>ms_*: median over the timed rounds of the slowest rank's time in that round (MPI_Wtime, barrier
/// before each round); *_min the fastest round. Sparse: encode + allgather of the lengths + allgatherv +
/// decode and scatter-add of all P messages into d floats + clearing the touched entries. Dense: one
/// MPI_Allreduce (sum) of d floats. ms_sparse_encode/communicate/decode split the sparse time into phases.</item>
/// <item>bytes_sparse_per_rank: a rank's packed message (24-byte header + payload), mean over ranks.
/// bytes_dense_per_rank: the dense vector, 4d. These compare the formats.</item>
/// <item>bytes_*_sent/received_per_rank: what each rank moves under a ring algorithm, mean over ranks, with the
/// 4-byte length/flag allgather: allgather receives the other P-1 messages and sends P-1 messages; ring
/// allreduce sends and receives 2 (P-1)/P · 4d.</item>
/// </list>
/// </summary>
public sealed record CommBenchRow
{
    /// <summary>The exchange measured (its --exchange name); ms_sparse, bytes_sparse_* and correct are its.</summary>
    public string Exchange { get; init; } = "allgather";
    /// <summary>auto: the algorithm it ran in the checked exchange after the timed rounds; null for the others.</summary>
    public string? Chosen { get; init; }
    /// <summary>nnz of the sum / Σ over ranks of k, measured on the checked exchange (1/P: identical selections; 1: disjoint).</summary>
    public double FillIn { get; init; }
    /// <summary>oktopk: the entries of the sum its global top-k applied in the checked exchange (about k); null for the exact exchanges.</summary>
    public int? Applied { get; init; }
    /// <summary>The selections' shared fraction (--overlap); null for independent random selections.</summary>
    public double? Overlap { get; init; }
    /// <summary>
    /// The alpha-beta prediction of ms_sparse (auto: of the algorithm it chose) from the run's cost fit
    /// (ExchangeCostModel with the measured fill-in); null without a fit, and for allgather formats other than int32:fp32.
    /// </summary>
    public double? MsPredicted { get; init; }
    public int Ranks { get; init; }
    public int D { get; init; }
    public double Density { get; init; }
    public int K { get; init; }
    /// <summary>The smallest and largest k over ranks: both K for synthetic selections; a replayed step's own (--from-run).</summary>
    public int KMin { get; init; }
    public int KMax { get; init; }
    /// <summary>--from-run: the run directory and step whose recorded selections were replayed (then k is their mean); null: synthetic.</summary>
    public string? FromRun { get; init; }
    public long? FromStep { get; init; }
    public string IndexFormat { get; init; } = "";
    public string ValueFormat { get; init; } = "";
    public double MsSparse { get; init; }
    public double MsDense { get; init; }
    public double Speedup { get; init; }
    public double MsSparseMin { get; init; }
    public double MsDenseMin { get; init; }
    /// <summary>Phases of the sparse exchange (median of the per-round max over ranks, so they need not add up to ms_sparse):
    /// packing this rank's message; the MPI calls (allgather of lengths + allgatherv, including waiting for the
    /// slowest rank); decoding and scatter-adding all P messages. ms_sparse also includes clearing the touched entries.</summary>
    public double MsSparseEncode { get; init; }
    public double MsSparseCommunicate { get; init; }
    public double MsSparseDecode { get; init; }
    /// <summary>ResetOutput: clearing only the entries the exchange wrote (part of ms_sparse).</summary>
    public double MsSparseReset { get; init; }
    /// <summary>For comparison, not part of any exchange: zeroing all d floats of the sum, as a naive reset would.</summary>
    public double MsZeroAllD { get; init; }
    public double BytesSparsePerRank { get; init; }
    public long BytesDensePerRank { get; init; }
    public double BytesSparseSentPerRank { get; init; }
    public double BytesSparseReceivedPerRank { get; init; }
    public long BytesDenseSentPerRank { get; init; }
    public long BytesDenseReceivedPerRank { get; init; }
    /// <summary>bytes_sparse_per_rank of int32:fp32 at the same density divided by this format's (0 when int32:fp32 was not run).</summary>
    public double ByteReductionVsInt32Fp32 { get; init; }
    public bool Correct { get; init; }
    public int Repeat { get; init; }
    public string Timing { get; init; } = CommBenchmark.TimingRule;
}
