using ScottPlot;
using ScottPlot.TickGenerators;

namespace SparseMpi.Metrics;

/// <summary>How an axis maps its values: as they are, or as log10 / log2 with labels in the original units.</summary>
public enum AxisScale { Linear, Log10, Log2 }

/// <summary>One labelled line of a plot; colour and pattern default to the palette's next colour and a solid line.</summary>
public sealed record Series(string Label, IReadOnlyList<(double X, double Y)> Points, Color? Color = null, LinePattern? Pattern = null);

/// <summary>One bar of a stacked bar plot: its tick label and its segments from the bottom up.</summary>
public sealed record StackedBar(string Label, IReadOnlyList<double> Segments);

/// <summary>
/// PNG plots comparing runs: test accuracy and training loss against epochs and against bytes sent per rank
/// (bytes on a log axis: ScottPlot has no log switch, so log10 is plotted with log minor ticks).
/// </summary>
public static class RunPlots
{
    public const int Width = 900, Height = 560;

    /// <summary>Writes the six standard comparison plots (epochs, bytes, wall seconds) into <paramref name="outDir"/>; returns their paths.</summary>
    public static List<string> WriteAll(IReadOnlyList<RunRecord> runs, string outDir, string prefix = "")
    {
        var written = new List<string>
        {
            Save(Lines(runs, "Test accuracy against epochs", "epoch", "test accuracy",
                r => r.Epochs.Select(e => ((double)e.Epoch, e.TestAccuracy)), logX: false), outDir, prefix + "accuracy_vs_epochs.png"),
            Save(Lines(runs, "Training loss against epochs", "epoch", "training loss (mean over ranks)",
                r => r.Steps.Select(s => (s.Step / r.StepsPerEpoch, s.Loss)), logX: false), outDir, prefix + "loss_vs_epochs.png"),
            Save(Lines(runs, "Test accuracy against bytes sent per rank", "bytes sent per rank", "test accuracy",
                r => r.Epochs.Select(e => ((double)e.CumulativeBytesSent, e.TestAccuracy)), logX: true), outDir, prefix + "accuracy_vs_bytes.png"),
            Save(Lines(runs, "Training loss against bytes sent per rank", "bytes sent per rank", "training loss (smoothed)",
                r => ResultsTable.Smoothed(r).Select(p => ((double)p.Step.CumulativeBytesSent, p.Loss)), logX: true), outDir, prefix + "loss_vs_bytes.png"),
        };
        // Against the wall clock: what a run costs in time, evaluation included. Runs from before the step records
        // carried wall seconds (0 there) draw only their accuracy, from the epoch results.
        written.Add(Save(Lines(runs, "Test accuracy against wall-clock time", "wall seconds since the run started", "test accuracy",
            r => r.Evaluations.Select(e => (e.WallSeconds, e.TestAccuracy)), logX: false), outDir, prefix + "accuracy_vs_wall.png"));
        written.Add(Save(Lines(runs, "Training loss against wall-clock time", "wall seconds since the run started", "training loss (smoothed)",
            r => ResultsTable.Smoothed(r).Where(p => p.Step.WallSeconds > 0).Select(p => (p.Step.WallSeconds, p.Loss)), logX: false),
            outDir, prefix + "loss_vs_wall.png"));
        // Runs of the dynamic-sparsity experiment: loss against modelled cost, and k over steps.
        if (runs.Any(r => (string?)r.Summary["k_rule"] == "dynamic"))
        {
            written.Add(Save(Lines(runs, "Training loss against payload bits per rank", "payload bits per rank", "training loss (smoothed)",
                r => ResultsTable.Smoothed(r).Select(p => (p.Step.CostPayloadBits, p.Loss)), logX: true), outDir, prefix + "loss_vs_payload_bits.png"));
            written.Add(Save(Lines(runs, "Training loss against packet bits per rank", "packet bits per rank", "training loss (smoothed)",
                r => ResultsTable.Smoothed(r).Select(p => (p.Step.CostPacketBits, p.Loss)), logX: true), outDir, prefix + "loss_vs_packet_bits.png"));
            if (runs.Any(r => r.Steps.Any(s => s.CostMpiSeconds > 0)))
                written.Add(Save(Lines(runs, "Training loss against modelled MPI time per rank", "modelled MPI seconds per rank", "training loss (smoothed)",
                    r => ResultsTable.Smoothed(r).Select(p => (p.Step.CostMpiSeconds, p.Loss)), logX: true), outDir, prefix + "loss_vs_mpi_seconds.png"));
            written.Add(Save(Lines(runs, "k sent per step (rank 0)", "step", "k",
                r => r.Steps.Select(s => ((double)s.Step, (double)s.K)), logX: false, logY: true), outDir, prefix + "k_over_steps.png"));
        }
        if (AssumptionPlots.Any(runs)) written.AddRange(AssumptionPlots.Write(runs, outDir, prefix)); // train --log-assumption
        return written;
    }

    /// <summary>
    /// Hogwild comparisons: test accuracy against updates (synchronous runs join at steps x ranks), and the
    /// staleness distributions (fraction of updates per staleness value, as steps).
    /// </summary>
    public static List<string> WriteHogwild(IReadOnlyList<RunRecord> runs, string outDir, string prefix = "")
    {
        var accuracy = Lines(runs, "Test accuracy against updates", "updates (mini-batch gradients applied)", "test accuracy",
            r => r.UpdatePoints.Select(p => ((double)p.Updates, p.TestAccuracy)), logX: false);
        accuracy.ShowLegend(Alignment.LowerRight);
        var written = new List<string> { Save(accuracy, outDir, prefix + "accuracy_vs_updates.png") };
        var hogwild = runs.Where(r => r.IsHogwild).ToList();
        if (hogwild.Count > 0)
        {
            var histogram = Lines(hogwild, "Staleness of updates", "staleness (updates applied between snapshot and write)", "fraction of updates",
                r => Fractions(r.StalenessHistogram), logX: false);
            foreach (var line in histogram.GetPlottables().OfType<ScottPlot.Plottables.Scatter>())
            {
                line.ConnectStyle = ConnectStyle.StepHorizontal;
                line.MarkerSize = 0;
            }
            written.Add(Save(histogram, outDir, prefix + "staleness_histogram.png"));
        }
        return written;
    }

    static IEnumerable<(double X, double Y)> Fractions(long[] counts)
    {
        double total = counts.Sum();
        return counts.Select((c, s) => ((double)s, total > 0 ? c / total : 0));
    }

    /// <summary>One line per run; <paramref name="logX"/> plots log10 of x with decade labels.</summary>
    public static Plot Lines(IReadOnlyList<RunRecord> runs, string title, string xLabel, string yLabel,
        Func<RunRecord, IEnumerable<(double X, double Y)>> points, bool logX, bool logY = false) =>
        Lines(runs.Select(r => new Series(r.Label, points(r).ToList())).ToList(), title, xLabel, yLabel,
            logX ? AxisScale.Log10 : AxisScale.Linear, logY ? AxisScale.Log10 : AxisScale.Linear);

    /// <summary>
    /// One line per series. Points a log axis cannot show (x or y &lt;= 0) and non-finite values are left out.
    /// Series without a colour take the next one of the palette, in order.
    /// </summary>
    public static Plot Lines(IReadOnlyList<Series> series, string title, string xLabel, string yLabel, AxisScale x, AxisScale y,
        Alignment legend = Alignment.UpperRight)
    {
        var plt = NewPlot(title, xLabel, yLabel);
        var palette = new ScottPlot.Palettes.Category10();
        for (int i = 0; i < series.Count; i++)
        {
            var pts = series[i].Points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y) && (x == AxisScale.Linear || p.X > 0) && (y == AxisScale.Linear || p.Y > 0)).ToArray();
            if (pts.Length == 0) continue;
            var line = plt.Add.Scatter(pts.Select(p => Scaled(p.X, x)).ToArray(), pts.Select(p => Scaled(p.Y, y)).ToArray(),
                series[i].Color ?? palette.GetColor(i));
            line.LegendText = series[i].Label;
            line.MarkerSize = pts.Length <= 20 ? 6 : 0;
            line.LineWidth = 2;
            line.LinePattern = series[i].Pattern ?? LinePattern.Solid;
        }
        UseTicks(plt.Axes.Bottom, x);
        UseTicks(plt.Axes.Left, y);
        plt.ShowLegend(legend);
        return plt;
    }

    static double Scaled(double v, AxisScale scale) => scale switch
    {
        AxisScale.Log10 => Math.Log10(v),
        AxisScale.Log2 => Math.Log2(v),
        _ => v,
    };

    static void UseTicks(IAxis axis, AxisScale scale)
    {
        if (scale == AxisScale.Log10) UseLogTicks(axis);
        else if (scale == AxisScale.Log2) UseLog2Ticks(axis);
    }

    /// <summary>
    /// Stacked bars, one per entry of <paramref name="bars"/> from left to right (a null entry leaves a gap between
    /// groups); segment j of every bar has the colour and legend entry of <paramref name="segmentNames"/>[j].
    /// </summary>
    public static Plot StackedBars(IReadOnlyList<StackedBar?> bars, IReadOnlyList<string> segmentNames, string title, string xLabel, string yLabel)
    {
        var plt = NewPlot(title, xLabel, yLabel);
        var palette = new ScottPlot.Palettes.Category10();
        var ticks = new NumericManual();
        var plotted = new List<Bar>();
        for (int i = 0; i < bars.Count; i++)
        {
            if (bars[i] is not StackedBar bar) continue;
            double baseline = 0;
            for (int j = 0; j < bar.Segments.Count; j++)
            {
                double v = double.IsFinite(bar.Segments[j]) ? Math.Max(0, bar.Segments[j]) : 0;
                plotted.Add(new Bar { Position = i, ValueBase = baseline, Value = baseline + v, FillColor = palette.GetColor(j), Size = 0.8 });
                baseline += v;
            }
            ticks.AddMajor(i, bar.Label);
        }
        plt.Add.Bars(plotted);
        plt.Axes.Bottom.TickGenerator = ticks;
        plt.Axes.Margins(bottom: 0);
        for (int j = 0; j < segmentNames.Count; j++)
            plt.Legend.ManualItems.Add(new LegendItem { LabelText = segmentNames[j], FillColor = palette.GetColor(j) });
        plt.ShowLegend(Alignment.UpperLeft);
        return plt;
    }

    public static Plot NewPlot(string title, string xLabel, string yLabel)
    {
        var plt = new Plot();
        plt.Font.Set("DejaVu Sans"); // with no font configured, text silently disappears
        plt.Title(title);
        plt.XLabel(xLabel);
        plt.YLabel(yLabel);
        return plt;
    }

    /// <summary>Labels a log10 axis with powers of ten and log-spaced minor ticks.</summary>
    public static void UseLogTicks(IAxis axis) =>
        axis.TickGenerator = new NumericAutomatic
        {
            MinorTickGenerator = new LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = v => FormatPowerOfTen(Math.Pow(10, v)),
        };

    /// <summary>
    /// Labels a log2 axis (rank counts 1, 2, 4, ...) with the plain numbers at whole powers of two: rank counts
    /// read better as 64 than as 10^1.8.
    /// </summary>
    public static void UseLog2Ticks(IAxis axis) =>
        axis.TickGenerator = new NumericAutomatic
        {
            IntegerTicksOnly = true,
            LabelFormatter = v => Math.Pow(2, v).ToString("0.##", System.Globalization.CultureInfo.InvariantCulture),
        };

    static string FormatPowerOfTen(double v) => v switch
    {
        >= 1e12 => $"{v / 1e12:0.#}T",
        >= 1e9 => $"{v / 1e9:0.#}G",
        >= 1e6 => $"{v / 1e6:0.#}M",
        >= 1e3 => $"{v / 1e3:0.#}k",
        >= 0.01 => $"{v:0.##}",
        _ => v.ToString("0.#e0", System.Globalization.CultureInfo.InvariantCulture), // 0.001 read as "0" before
    };

    /// <summary>Renders to PNG in memory and writes it atomically.</summary>
    public static string Save(Plot plot, string outDir, string fileName)
    {
        string path = Path.Combine(outDir, fileName);
        byte[] png = plot.GetImageBytes(Width, Height, ImageFormat.Png);
        AtomicFile.WriteAllBytes(path, png);
        return path;
    }
}
