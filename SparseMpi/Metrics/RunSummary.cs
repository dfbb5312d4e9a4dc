namespace SparseMpi.Metrics;

/// <summary>Test metrics at the end of one epoch.</summary>
public sealed record EpochResult(int Epoch, long Step, double TestAccuracy, double TestLoss, double TrainLoss,
    long CumulativeBytesSent, double WallSeconds);

/// <summary>Mean milliseconds per step of each phase on rank 0.</summary>
/// <remarks>wait is the time spent in the small agreement allgather before the exchange (loss, non-finite flag, message length per rank): it absorbs the load
/// imbalance (ranks arriving late), so comm is the exchange itself once every rank is there.</remarks>
public sealed record PhaseMeans(double Compute, double Select, double Wait, double Comm, double Apply, double Total);

/// <summary>One algorithm of auto's start-up fit: seconds = fixed_seconds + seconds_per_byte · bytes (docs/scaling.md).</summary>
public sealed record ExchangeCostRow(string Algorithm, double FixedSeconds, double SecondsPerByte, double AlphaSeconds, double RelativeError)
{
    public static List<ExchangeCostRow> Of(Collectives.Sparse.ExchangeCostFit fit) =>
        fit.Costs.Select(c => new ExchangeCostRow(c.Algorithm, c.FixedSeconds, c.SecondsPerByte, c.Alpha(fit.Ranks), c.RelativeError)).ToList();
}

/// <summary>DIR/summary.json of a training run: the machine-readable result (snake_case JSON).</summary>
public sealed class RunSummary : TrainingSummary
{
    /// <summary>index:value wire format of the sparse messages ("dense" for none).</summary>
    public string WireFormat { get; set; } = "";
    /// <summary>Rank 0's device ("cpu", "cuda:0") and top-k path ("simd" or "torch").</summary>
    public string Device { get; set; } = "";
    public string SelectKernel { get; set; } = "";
    public int WarmupEpochs { get; set; }
    public int Epochs { get; set; }
    public long Steps { get; set; }
    public long StepsThisRun { get; set; }
    /// <summary>True when a stop signal ended the run early (after a checkpoint at <see cref="Steps"/>); resume it with --resume.</summary>
    public bool Interrupted { get; set; }
    /// <summary>"SIGTERM" or "SIGUSR1" when <see cref="Interrupted"/>.</summary>
    public string? StopSignal { get; set; }
    public long? ResumedFromStep { get; set; }
    public double TestAccuracy { get; set; }
    public double FinalTrainLoss { get; set; }
    public long BytesSentPerRank { get; set; }
    /// <summary>MPI collective calls per training step on rank 0, counted (the agreement round and the exchange: 2).</summary>
    public double CollectivesPerStep { get; set; }
    /// <summary>What a dense ring allreduce of d floats per step would have sent over the same steps.</summary>
    public long DenseBytesPerRank { get; set; }
    /// <summary>dense_bytes_per_rank / bytes_sent_per_rank.</summary>
    public double CompressionRatio { get; set; }
    /// <summary>Over all steps and ranks: the k actually sent.</summary>
    public double KMean { get; set; }
    public long KMin { get; set; }
    public long KMax { get; set; }
    /// <summary>fixed, dynamic, or dense.</summary>
    public string KRule { get; set; } = "";
    /// <summary>The cost model the dynamic rule used (and the run accounted).</summary>
    public string CostModel { get; set; } = "";
    /// <summary>The fitted mpi cost model, where used.</summary>
    public double? MpiAlphaSeconds { get; set; }
    public double? MpiBetaSecondsPerByte { get; set; }
    /// <summary>Modelled communication per rank over the run: sum over steps of the mean over ranks of C(k).</summary>
    public double CostPayloadBits { get; set; }
    public double CostPacketBits { get; set; }
    public double? CostMpiSeconds { get; set; }
    public double CostPayloadLog2dBits { get; set; }
    /// <summary>--l2 (0: none); the objective is the mean loss + l2/2 ||w||^2.</summary>
    public double L2 { get; set; }
    /// <summary>With --step-size inverse-L: the smoothness bound L whose inverse was the step; else null.</summary>
    public double? SmoothnessL { get; set; }
    /// <summary>Training images used (--train-samples, or the whole set).</summary>
    public int TrainSamples { get; set; }
    /// <summary>--batch-size full: every step used each rank's whole shard.</summary>
    public bool FullBatch { get; set; }
    /// <summary>The payload model's index price the dynamic rule weighed ("32" or "log2d").</summary>
    public string IndexBits { get; set; } = "32";
    /// <summary>The objective at the last step's parameters (before its update), where computed.</summary>
    public double? FinalObjective { get; set; }
    /// <summary>Softmax regression with --l2: f at the final parameters (after the last update) in double, ||∇f|| there,
    /// and the bound f - f* &lt;= ||∇f||^2 / (2 l2) (<see cref="SparseMpi.Training.OptimalityCertificate"/>); else null.</summary>
    public double? FinalObjectiveFloat64 { get; set; }
    public double? FinalGradientNormFloat64 { get; set; }
    public double? SuboptimalityBound { get; set; }
    /// <summary>The dynamic rule's own time per step (beyond the selection pass), where used.</summary>
    public double? RuleMsPerStep { get; set; }
    /// <summary>The --exchange of a compressed run ("allgather", ..., "auto"); null for dense training.</summary>
    public string? Exchange { get; set; }
    /// <summary>Steps of this process per exchange that ran (with auto: how often each was chosen); empty for dense training.</summary>
    public SortedDictionary<string, long> ExchangeChosen { get; set; } = [];
    /// <summary>Mean over this process's steps of nnz(sum) / Σk (null when no step had a sparse sum).</summary>
    public double? FillInMean { get; set; }
    /// <summary>With --log-assumption: Alistarh et al.'s assumption over the measured steps; else null.</summary>
    public AssumptionSummary? Assumption { get; set; }
    /// <summary>With --exchange auto: the per-algorithm costs it fitted at start-up; else null.</summary>
    public List<ExchangeCostRow>? ExchangeCostFit { get; set; }
    /// <summary>With --exchange auto: the ranks that fit ran on (all; the node leaders with --hierarchy node); else null.</summary>
    public int? ExchangeCostFitRanks { get; set; }
    public double WallSeconds { get; set; }
    /// <summary>Seconds from process start to the first training step (max over ranks).</summary>
    public double StartupSeconds { get; set; }
    /// <summary>Unix time at which the first training step began (rank 0), to measure start-up from the launcher.</summary>
    public double FirstStepUnixTime { get; set; }
    public PhaseMeans? MsPerStep { get; set; }
    public double SamplesPerSecond { get; set; }
    public string ParameterHash { get; set; } = "";
    public string MpiLibrary { get; set; } = "";
    public string Configuration { get; set; } = "";
    public List<EpochResult> EpochResults { get; set; } = [];
}
