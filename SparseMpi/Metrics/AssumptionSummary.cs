namespace SparseMpi.Metrics;

/// <summary>summary.json's <c>assumption</c> (this process's steps; a resumed run counts the steps it ran).</summary>
public sealed class AssumptionSummary
{
    public long MeasuredSteps { get; set; }
    public double TopkResidualRatioMax { get; set; }
    public long StepsAboveRandomkBound { get; set; }
    public double? XiMean { get; set; }
    public double? XiMax { get; set; }
    public double? XiTopkMean { get; set; }
    public double? XiTopkMax { get; set; }
}
