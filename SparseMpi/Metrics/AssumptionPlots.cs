using ScottPlot;

namespace SparseMpi.Metrics;

/// <summary>
/// Runs with <c>train --log-assumption</c>: Alistarh et al.'s assumption against steps. One plot of every run's
/// <c>1 - ||acc - TopK(acc)|| / ||acc||</c> (largest ratio over ranks, solid) with random-k's
/// <c>1 - sqrt(1 - k/d)</c> (dashed, the run's colour, log axis), one of xi, one of xi relative to <c>||TopK(mean acc)||</c>. Steps without a measurement (null) are left out.
/// </summary>
public static class AssumptionPlots
{
    /// <summary>Whether any run measured the assumption.</summary>
    public static bool Any(IReadOnlyList<RunRecord> runs) => runs.Any(r => r.Steps.Any(s => s.Xi != null || s.TopkResidualRatio != null));

    public static List<string> Write(IReadOnlyList<RunRecord> runs, string outDir, string prefix)
    {
        var palette = new ScottPlot.Palettes.Category10();
        // Plotted as 1 - ratio on a log axis: the ratios sit within 1e-4 of 1 at small densities, where a linear axis
        // cannot tell top-k from random-k. Top-k above its dashed line: it removes more of ||acc|| than random-k.
        var ratio = new List<Series>();
        for (int i = 0; i < runs.Count; i++)
        {
            var steps = runs[i].Steps;
            ratio.Add(new Series(runs[i].Label, Points(steps, s => 1 - s.TopkResidualRatio), palette.GetColor(i)));
            ratio.Add(new Series("", Points(steps, s => 1 - s.RandomkBound), palette.GetColor(i), LinePattern.Dashed)); // no legend entry
        }
        var xi = runs.Select((r, i) => new Series(r.Label, Points(r.Steps, s => s.Xi), palette.GetColor(i))).ToList();
        var xiTopK = runs.Select((r, i) => new Series(r.Label, Points(r.Steps, s => s.XiTopk), palette.GetColor(i))).ToList();
        return
        [
            RunPlots.Save(RunPlots.Lines(ratio, "1 - ||acc - TopK(acc)||/||acc|| (solid, worst rank) vs random-k 1 - sqrt(1-k/d) (dashed)",
                "step", "1 - residual ratio", AxisScale.Linear, AxisScale.Log10, Alignment.LowerRight), outDir, prefix + "topk_residual_ratio.png"),
            RunPlots.Save(RunPlots.Lines(xi, "xi = ||TopK(mean acc) - mean TopK(acc)|| / ||mean acc||", "step", "xi",
                AxisScale.Linear, AxisScale.Linear), outDir, prefix + "xi.png"),
            RunPlots.Save(RunPlots.Lines(xiTopK, "||TopK(mean acc) - mean TopK(acc)|| / ||TopK(mean acc)||", "step", "xi relative to TopK(mean acc)",
                AxisScale.Linear, AxisScale.Linear), outDir, prefix + "xi_topk.png"),
        ];
    }

    static List<(double X, double Y)> Points(IReadOnlyList<StepRecord> steps, Func<StepRecord, double?> value) =>
        steps.Where(s => value(s) != null).Select(s => ((double)s.Step, value(s)!.Value)).ToList();
}
