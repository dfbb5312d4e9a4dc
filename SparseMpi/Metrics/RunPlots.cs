using ScottPlot;
using ScottPlot.TickGenerators;

namespace SparseMpi.Metrics;

/// <summary>
/// PNG plots comparing runs: test accuracy and training loss against epochs and against bytes sent per rank
/// (bytes on a log axis: ScottPlot has no log switch, so log10 is plotted with log minor ticks).
/// </summary>
public static class RunPlots
{
    public const int Width = 900, Height = 560;

    /// <summary>Writes the four standard comparison plots into <paramref name="outDir"/>; returns their paths.</summary>
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
            Save(Lines(runs, "Training loss against bytes sent per rank", "bytes sent per rank", "training loss",
                r => r.Steps.Select(s => ((double)s.CumulativeBytesSent, s.Loss)), logX: true), outDir, prefix + "loss_vs_bytes.png"),
        };
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
        Func<RunRecord, IEnumerable<(double X, double Y)>> points, bool logX)
    {
        var plt = NewPlot(title, xLabel, yLabel);
        var palette = new ScottPlot.Palettes.Category10();
        for (int i = 0; i < runs.Count; i++)
        {
            var pts = points(runs[i]).Where(p => double.IsFinite(p.Y) && (!logX || p.X > 0)).ToArray();
            if (pts.Length == 0) continue;
            double[] xs = pts.Select(p => logX ? Math.Log10(p.X) : p.X).ToArray();
            double[] ys = pts.Select(p => p.Y).ToArray();
            var line = plt.Add.Scatter(xs, ys, palette.GetColor(i));
            line.LegendText = runs[i].Label;
            line.MarkerSize = pts.Length <= 20 ? 6 : 0;
            line.LineWidth = 2;
        }
        if (logX) UseLogTicks(plt.Axes.Bottom);
        plt.ShowLegend(Alignment.UpperRight);
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

    static string FormatPowerOfTen(double v) => v switch
    {
        >= 1e12 => $"{v / 1e12:0.#}T",
        >= 1e9 => $"{v / 1e9:0.#}G",
        >= 1e6 => $"{v / 1e6:0.#}M",
        >= 1e3 => $"{v / 1e3:0.#}k",
        _ => $"{v:0.##}",
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
