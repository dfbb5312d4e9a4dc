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
}
