using ScottPlot;
using SparseMpi.CostModels;

namespace SparseMpi.Metrics;

/// <summary>
/// The PNGs of <c>report</c>: measured throughput, speedup, step-time breakdown and bytes against ranks, and the
/// predicted speedup against ranks per network. Rank axes are log2 (1, 2, 4, ...).
/// </summary>
public static class ScalingPlots
{
    static readonly string[] Phases = ["compute", "select", "wait", "comm", "apply"];

    /// <summary>Writes the measured plots into <paramref name="outDir"/>; returns their paths.</summary>
    public static List<string> WriteMeasured(IReadOnlyList<ScalingRow> rows, string outDir)
    {
        var methods = rows.GroupBy(r => r.Point.Method).ToList();
        List<Series> PerMethod(Func<ScalingRow, double?> y) =>
            [.. methods.Select(g => new Series(g.Key, [.. g.Where(r => y(r) != null).Select(r => ((double)r.Point.Ranks, y(r)!.Value))]))];

        var speedup = PerMethod(r => r.Speedup);
        int maxRanks = rows.Max(r => r.Point.Ranks);
        speedup.Add(new Series("ideal", [(1, 1), (maxRanks, maxRanks)], Colors.Gray, LinePattern.Dashed));
        return
        [
            RunPlots.Save(RunPlots.Lines(PerMethod(r => r.Point.SamplesPerSecond), "Measured throughput against ranks", "ranks",
                "samples/s", AxisScale.Log2, AxisScale.Linear), outDir, "samples_per_second_vs_ranks.png"),
            RunPlots.Save(RunPlots.Lines(speedup, "Measured speedup over 1 rank of the same method", "ranks", "speedup",
                AxisScale.Log2, AxisScale.Linear, Alignment.UpperLeft), outDir, "speedup_vs_ranks.png"),
            RunPlots.Save(Breakdown(rows), outDir, "step_time_breakdown.png"),
            RunPlots.Save(RunPlots.Lines(PerMethod(r => r.Point.BytesPerStep), "Bytes sent per step per rank (ring model; none on 1 rank)",
                "ranks", "bytes per step per rank", AxisScale.Log2, AxisScale.Log10), outDir, "bytes_per_step_vs_ranks.png"),
        ];
    }

    /// <summary>Stacked ms per step by phase: one group of bars per rank count, the methods side by side in each.</summary>
    static Plot Breakdown(IReadOnlyList<ScalingRow> rows)
    {
        var methods = rows.Select(r => r.Point.Method).Distinct().ToList();
        var bars = new List<StackedBar?>();
        foreach (int ranks in rows.Select(r => r.Point.Ranks).Distinct().Order())
        {
            if (bars.Count > 0) bars.Add(null); // a gap between rank counts
            foreach (string method in methods)
                if (rows.FirstOrDefault(r => r.Point.Ranks == ranks && r.Point.Method == method) is { } row)
                {
                    var ms = row.Point.MsPerStep;
                    bars.Add(new StackedBar($"{method}\n{ranks} rank{(ranks == 1 ? "" : "s")}", [ms.Compute, ms.Select, ms.Wait, ms.Comm, ms.Apply]));
                }
        }
        return RunPlots.StackedBars(bars, Phases, "Measured time per step by phase (rank 0)", "method and ranks", "ms per step");
    }

    /// <summary>Predicted speedup against P for every network and method, one plot per scaling mode; returns the paths.</summary>
    public static List<string> WriteModel(ModelReport report, IReadOnlyList<AlphaBetaNetwork> networks, string outDir)
    {
        var palette = new ScottPlot.Palettes.Category10();
        LinePattern[] patterns = [LinePattern.Solid, LinePattern.Dashed, LinePattern.Dotted, LinePattern.DenselyDashed];
        var written = new List<string>();
        var predictions = report.Predictions().ToList();
        foreach (var mode in new[] { ScalingMode.Weak, ScalingMode.Strong })
        {
            var series = new List<Series>();
            var methods = predictions.Select(s => s.Method.Method).Distinct().ToList();
            int maxRanks = 1;
            for (int n = 0; n < networks.Count; n++)
                for (int m = 0; m < methods.Count; m++)
                {
                    var pts = predictions.Where(s => s.Mode == mode && s.Network == networks[n] && s.Method.Method == methods[m])
                        .Select(s => ((double)s.Ranks, report.Speedup(s))).ToList();
                    if (pts.Count == 0) continue;
                    maxRanks = Math.Max(maxRanks, (int)pts.Max(p => p.Item1));
                    // Colour by method, line pattern by network: the dense/sparse pair of one network reads as one style.
                    series.Add(new Series($"{methods[m]}, {networks[n].Name}", pts, palette.GetColor(m), patterns[n % patterns.Length]));
                }
            series.Add(new Series("ideal", [(1, 1), (maxRanks, maxRanks)], Colors.Gray, LinePattern.Dotted));
            string title = mode == ScalingMode.Weak
                ? "Predicted speedup, weak scaling (per-rank batch fixed)"
                : "Predicted speedup, strong scaling (global batch fixed)";
            written.Add(RunPlots.Save(RunPlots.Lines(series, title, "ranks P", report.SpeedupLabel, AxisScale.Log2, AxisScale.Log10, Alignment.UpperLeft),
                outDir, $"model_speedup_{ModelReport.Mode(mode)}.png"));
        }
        return written;
    }
}
