namespace SparseMpi.Benchmarks;

/// <summary>Median, fastest and slowest of one phase over the timed steps, in milliseconds.</summary>
public sealed record PhaseSpread(double Median, double Min, double Max);

/// <summary>
/// One measured (exchange, density) of bench-step, serialised with snake_case names: what the report's step-time
/// model needs next to its prediction (P, d, density, k, exchange, per-phase ms, bytes per rank, the spread).
/// <list type="bullet">
/// <item>ms_*: over the timed steps, of the slowest rank's time in each step (<see cref="StepBenchmark.TimingRule"/>).
/// compute: the gradient copy plus the sleep that stands for the model's compute (--compute-ms); select:
/// momentum, error feedback, top-k and packing; wait: the agreement allgather (where ranks wait for the slowest);
/// comm: the exchange; apply: the update of the parameters; step: all of it, wall clock.</item>
/// <item>bytes_*_per_rank: what one rank sends and receives per step as the exchange counts it, mean over ranks
/// and steps.</item>
/// </list>
/// </summary>
public sealed record StepBenchRow
{
    /// <summary>Always said: the model's compute is a sleep, so this is a what-if for the communication part.</summary>
    public string Note { get; init; } = StepBenchmark.Note;
    public int Ranks { get; init; }
    public int Nodes { get; init; }
    public int[] RanksPerNode { get; init; } = [];
    public int D { get; init; }
    public string Compressor { get; init; } = "";
    /// <summary>k / d asked for (1 for dense).</summary>
    public double Density { get; init; }
    /// <summary>Entries each rank selects per step (d for dense).</summary>
    public int K { get; init; }
    /// <summary>The mean over ranks and timed steps of the entries a rank actually sent.</summary>
    public double KMean { get; init; }
    /// <summary><see cref="Exchange"/> of --compressor none.</summary>
    public const string DenseExchange = "dense-allreduce";

    /// <summary>The exchange by name, or <see cref="DenseExchange"/> for --compressor none.</summary>
    public string Exchange { get; init; } = "";
    /// <summary>
    /// Mean fill-in nnz(sum) / Σk over the timed steps that counted it (the training rule counts it every
    /// <see cref="StepBenchmark.FillInEvery"/> steps); null for dense, or when no timed step counted it.
    /// </summary>
    public double? FillIn { get; init; }
    public string WireFormat { get; init; } = "";
    public double ComputeMsAsked { get; init; }
    public int Steps { get; init; }
    public int Warmup { get; init; }
    public PhaseSpread MsCompute { get; init; } = new(0, 0, 0);
    public PhaseSpread MsSelect { get; init; } = new(0, 0, 0);
    public PhaseSpread MsWait { get; init; } = new(0, 0, 0);
    public PhaseSpread MsComm { get; init; } = new(0, 0, 0);
    public PhaseSpread MsApply { get; init; } = new(0, 0, 0);
    public PhaseSpread MsStep { get; init; } = new(0, 0, 0);
    public double BytesSentPerRank { get; init; }
    public double BytesReceivedPerRank { get; init; }
    /// <summary>Whether every rank ended with bit-identical parameters (the training step's own check).</summary>
    public bool IdenticalParameters { get; init; }
    public string MpiLibrary { get; init; } = "";
    public string Timing { get; init; } = StepBenchmark.TimingRule;
    public Training.RunPlacement? Placement { get; init; }
}
