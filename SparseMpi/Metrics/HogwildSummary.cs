namespace SparseMpi.Metrics;

/// <summary>Test accuracy of a snapshot of the shared parameters taken when <paramref name="Updates"/> updates had been applied.</summary>
public sealed record AccuracyPoint(long Updates, double TestAccuracy, double TestLoss, double WallSeconds);

/// <summary>Staleness over all updates of all ranks: updates applied between an update's snapshot and its write.</summary>
public sealed record StalenessSummary(double Mean, long P50, long P90, long P99, long Max, long Count,
    /// <summary>histogram[s] = number of updates with staleness s, for s = 0..max.</summary>
    long[] Histogram);

/// <summary>DIR/summary.json of a hogwild run (snake_case JSON).</summary>
public sealed class HogwildSummary : TrainingSummary
{
    public string Mode { get; set; } = "hogwild";
    public string UpdateMode { get; set; } = "";
    public string LrPolicy { get; set; } = "";
    public double DelayMs { get; set; }
    /// <summary>--in-flight: deferred writes leave after this many further updates of the same rank (0: by time).</summary>
    public int InFlight { get; set; }
    public string DelayDist { get; set; } = "";
    public string DelayMode { get; set; } = "";
    /// <summary>Mean delay actually injected per update (sleep: slept; defer: time from ready to written), ms.</summary>
    public double DelayMsMeasured { get; set; }
    /// <summary>Most updates one rank held in flight at once (defer mode; 1 otherwise).</summary>
    public int PeakInFlight { get; set; }
    public bool ToyGradient { get; set; }
    /// <summary>The applied counter at the end: exactly the requested total unless the run failed.</summary>
    public long Updates { get; set; }
    public long[] UpdatesPerRank { get; set; } = [];
    public double UpdatesPerSecond { get; set; }
    /// <summary>CPU seconds of all ranks' processes during the loop (rank 0's evaluations included).</summary>
    public double CpuSeconds { get; set; }
    /// <summary>updates / cpu_seconds: the throughput measure that other load on the machine disturbs least.</summary>
    public double UpdatesPerCpuSecond { get; set; }
    /// <summary>Seconds from the start barrier to the end barrier (the asynchronous phase).</summary>
    public double LoopSeconds { get; set; }
    public double WallSeconds { get; set; }
    /// <summary>Seconds rank 0 spent evaluating snapshots during the loop (it did no updates meanwhile).</summary>
    public double EvalSeconds { get; set; }
    /// <summary>Mean milliseconds per update of each phase, over all ranks.</summary>
    public double MsSnapshot { get; set; }
    public double MsGradient { get; set; }
    public double MsWrite { get; set; }
    public StalenessSummary? Staleness { get; set; }
    /// <summary>--staleness-model of the delayed-gradient simulation (mode "staleness-simulation"); null in real runs.</summary>
    public string? StalenessModel { get; set; }
    /// <summary>--validation: training samples held out (the last ones); 0 when none.</summary>
    public int ValidationSamples { get; set; }
    /// <summary>Accuracy and loss on the held-out split at the end (null without --validation): what the lr is tuned on.</summary>
    public double? ValidationAccuracy { get; set; }
    public double? ValidationLoss { get; set; }
    /// <summary>
    /// Mean over all updates of the squared norm of the mini-batch gradient, taken at the parameters it was
    /// computed at (the stale snapshot x_{t - tau}): the ergodic gradient-norm measure of the convergence bounds, noise included.
    /// </summary>
    public double? GradNormSqMean { get; set; }
    /// <summary>Mean over all updates of the mini-batch loss at the point each gradient was computed.</summary>
    public double? MeanTrainLoss { get; set; }
    public long EvalEvery { get; set; }
    /// <summary>Test samples of each accuracy_over_updates point except the last (the final one uses all).</summary>
    public int EvalSamples { get; set; }
    public List<AccuracyPoint> AccuracyOverUpdates { get; set; } = [];
    /// <summary>After the last update, all workers stopped.</summary>
    public double TestAccuracy { get; set; }
    public double TestLoss { get; set; }
    /// <summary>Floats written into shared memory (entries of all updates) times 4 bytes.</summary>
    public long[] BytesWrittenPerRank { get; set; } = [];
    public long BytesWrittenTotal { get; set; }
    /// <summary>Toy mode only: entries that differ from the serial sum of all updates (0 = exact; racy writes may lose some).</summary>
    public long? ToyMismatchedEntries { get; set; }
    public string ParameterHash { get; set; } = "";
    public string MpiLibrary { get; set; } = "";
    public string Configuration { get; set; } = "";
}
