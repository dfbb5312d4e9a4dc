using ScottPlot;

namespace SparseMpi.Metrics;

/// <summary>
/// Runs with <c>train --log-assumption</c>: Alistarh et al.'s assumption against steps. One plot of every run's
/// <c>||acc - TopK(acc)|| / ||acc||</c> (largest over ranks, solid) with its random-k value <c>sqrt(1 - k/d)</c>
/// (dashed, the run's colour), one of xi, one of xi relative to <c>||TopK(mean acc)||</c>. Steps without a measurement (null) are left out.
/// </summary>
public static class AssumptionPlots
{
    /// <summary>Whether any run measured the assumption.</summary>
    public static bool Any(IReadOnlyList<RunRecord> runs) => runs.Any(r => r.Steps.Any(s => s.Xi != null || s.TopkResidualRatio != null));

    public static List<string> Write(IReadOnlyList<RunRecord> runs, string outDir, string prefix)
    {
        var palette = new ScottPlot.Palettes.Category10();
        var ratio = new List<Series>();
        for (int i = 0; i < runs.Count; i++)
        {
            var steps = runs[i].Steps;
            ratio.Add(new Series(runs[i].Label + ": top-k", Points(steps, s => s.TopkResidualRatio), palette.GetColor(i)));
            ratio.Add(new Series(runs[i].Label + ": random-k sqrt(1-k/d)", Points(steps, s => s.RandomkBound), palette.GetColor(i), LinePattern.Dashed));
        }
        var xi = runs.Select((r, i) => new Series(r.Label, Points(r.Steps, s => s.Xi), palette.GetColor(i))).ToList();
        var xiTopK = runs.Select((r, i) => new Series(r.Label, Points(r.Steps, s => s.XiTopk), palette.GetColor(i))).ToList();
        return
        [
            RunPlots.Save(RunPlots.Lines(ratio, "||acc - TopK(acc)|| / ||acc|| (largest over ranks) and random-k's value", "step",
                "residual ratio", AxisScale.Linear, AxisScale.Linear, Alignment.LowerRight), outDir, prefix + "topk_residual_ratio.png"),
            RunPlots.Save(RunPlots.Lines(xi, "xi = ||TopK(mean acc) - mean TopK(acc)|| / ||mean acc||", "step", "xi",
                AxisScale.Linear, AxisScale.Linear), outDir, prefix + "xi.png"),
            RunPlots.Save(RunPlots.Lines(xiTopK, "||TopK(mean acc) - mean TopK(acc)|| / ||TopK(mean acc)||", "step", "xi relative to TopK(mean acc)",
                AxisScale.Linear, AxisScale.Linear), outDir, prefix + "xi_topk.png"),
        ];
    }

    static List<(double X, double Y)> Points(IReadOnlyList<StepRecord> steps, Func<StepRecord, double?> value) =>
        steps.Where(s => value(s) != null).Select(s => ((double)s.Step, value(s)!.Value)).ToList();
}
