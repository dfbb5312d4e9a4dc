namespace SparseMpi.Metrics;

/// <summary>
/// What one logged training step measured on rank 0 (times) and across ranks (k and bytes). One line of
/// metrics.jsonl and metrics.csv.
/// </summary>
public sealed class StepRecord
{
    public long Step { get; set; }
    public int Epoch { get; set; }
    /// <summary>Mean training loss over ranks of this step's mini-batches.</summary>
    public double Loss { get; set; }
    public double Lr { get; set; }
    /// <summary>Entries this rank (rank 0) sent; d for dense.</summary>
    public long K { get; set; }
    /// <summary>k / d of rank 0.</summary>
    public double Density { get; set; }
    /// <summary>k of every rank this step (from the exchanged message lengths).</summary>
    public long[] KPerRank { get; set; } = [];
    /// <summary>Entries of the sum applied this step, with a global top-k exchange (oktopk); absent otherwise (not in the CSV).</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public long? GlobalK { get; set; }
    public long BytesSent { get; set; }
    public long BytesReceived { get; set; }
    public double MsCompute { get; set; }
    public double MsSelect { get; set; }
    /// <summary>Waiting for the slowest rank (the agreement allgather before the exchange).</summary>
    public double MsWait { get; set; }
    public double MsComm { get; set; }
    public double MsApply { get; set; }
    /// <summary>Cumulative bytes this rank has sent since step 0 (for loss-against-bytes plots).</summary>
    public long CumulativeBytesSent { get; set; }
    public double SamplesPerSecond { get; set; }
    /// <summary>Cumulative modelled cost per rank so far (see <c>CommunicationCost</c>); mpi is 0 unless fitted.</summary>
    public double CostPayloadBits { get; set; }
    public double CostPacketBits { get; set; }
    public double CostMpiSeconds { get; set; }
    /// <summary>The payload cost with ceil(log2 d)-bit indices (the paper's count), cumulative per rank.</summary>
    public double CostPayloadLog2dBits { get; set; }
    /// <summary>
    /// f(x_t), the full objective at this step's parameters before its update: the mean loss over all training
    /// samples (--train-samples) + l2/2 ||w||^2. Null when not computed (training on the full set with mini-batches).
    /// </summary>
    public double? Objective { get; set; }
    /// <summary>Seconds since the run started when this step ended (continued across --resume); 0 in runs before it was logged.</summary>
    public double WallSeconds { get; set; }
    /// <summary>The exchange that ran this step (--exchange name; with auto, its choice); null for dense training.</summary>
    public string? Exchange { get; set; }
    /// <summary>With --exchange auto: the chosen exchange's predicted time (alpha-beta fit of this communicator); else null.</summary>
    public double? PredictedCommMs { get; set; }
    /// <summary>nnz of the summed update / Σ over ranks of k (1/P: identical selections; 1: disjoint); null for dense training.</summary>
    public double? FillIn { get; set; }
    /// <summary>
    /// --log-assumption (Alistarh et al.'s assumption, measured on the logged steps; null otherwise, JSONL only):
    /// the largest ||acc - TopK(acc)|| / ||acc|| over ranks, beside random-k's sqrt(1 - k/d).
    /// </summary>
    public double? TopkResidualRatio { get; set; }
    public double? RandomkBound { get; set; }
    /// <summary>--log-assumption: ||TopK(mean acc) - mean TopK(acc)|| / ||mean acc|| (mean over ranks); null otherwise.</summary>
    public double? Xi { get; set; }
    /// <summary>--log-assumption: the same difference / ||TopK(mean acc)|| (how far the applied update is from a single machine's top-k); null otherwise.</summary>
    public double? XiTopk { get; set; }
}
