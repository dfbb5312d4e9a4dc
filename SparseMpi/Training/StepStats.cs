namespace SparseMpi.Training;

/// <summary>What one step of an update rule did on this rank: times of its phases, entries and bytes.</summary>
public struct StepStats
{
    public double MsSelect;
    /// <summary>Waiting for the slowest rank: the small agreement allgather before the exchange (loss, non-finite flag, message length per rank).</summary>
    public double MsWait;
    public double MsComm;
    public double MsApply;
    /// <summary>Entries this rank sent (d when dense).</summary>
    public long K;
    public long BytesSent;
    public long BytesReceived;
    /// <summary>Entries of the sum applied, with a global top-k exchange (oktopk); null otherwise.</summary>
    public long? GlobalK;
    /// <summary>The exchange that ran (its --exchange name; auto's choice); null for the dense rules.</summary>
    public string? Exchange;
    /// <summary>auto: the chosen exchange's predicted milliseconds; null otherwise.</summary>
    public double? PredictedCommMs;
    /// <summary>nnz(sum) / Σk of this step's exchange (null for the dense rules or when every k was 0).</summary>
    public double? FillIn;
    /// <summary>--log-assumption, on a logged step: the largest ||acc - TopK(acc)|| / ||acc|| over ranks; else null.</summary>
    public double? TopKResidualRatio;
    /// <summary>--log-assumption, on a logged step: sqrt(1 - k/d), random-k's expected residual ratio; else null.</summary>
    public double? RandomKBound;
    /// <summary>--log-assumption, on a logged step: ||TopK(mean acc) - mean TopK(acc)|| / ||mean acc||; else null.</summary>
    public double? Xi;
    /// <summary>--log-assumption, on a logged step: the same difference / ||TopK(mean acc)||; else null.</summary>
    public double? XiOfTopK;
}
