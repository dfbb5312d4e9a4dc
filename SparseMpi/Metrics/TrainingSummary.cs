namespace SparseMpi.Metrics;

/// <summary>
/// What every training run's summary.json states about its setting, synchronous (<see cref="RunSummary"/>) or
/// Hogwild (<see cref="HogwildSummary"/>), so that plots and reports read both the same way.
/// </summary>
public abstract class TrainingSummary
{
    public int Ranks { get; set; }
    public string Model { get; set; } = "";
    /// <summary>The mlp's hidden widths (--hidden); null for the other models.</summary>
    public int[]? Hidden { get; set; }
    public int D { get; set; }
    public string Compressor { get; set; } = "";
    /// <summary>k / d each rank sends per step or writes per update (1 for dense); after any warm-up.</summary>
    public double Density { get; set; }
    public int K { get; set; }
    public bool ErrorFeedback { get; set; }
    public int BatchSizePerRank { get; set; }
    public double Lr { get; set; }
    public double Momentum { get; set; }
    public long Seed { get; set; }
    /// <summary>Nodes, ranks per node and the transport between nodes (<see cref="Training.RunPlacement"/>).</summary>
    public Training.RunPlacement? Placement { get; set; }
}
