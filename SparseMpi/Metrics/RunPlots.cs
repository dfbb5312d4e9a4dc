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
    public static List<string> WriteAll(IReadOnlyList<RunRecord> runs, string outDir)
    {
        var written = new List<string>
        {
            Save(Lines(runs, "Test accuracy against epochs", "epoch", "test accuracy",
                r => r.Epochs.Select(e => ((double)e.Epoch, e.TestAccuracy)), logX: false), outDir, "accuracy_vs_epochs.png"),
            Save(Lines(runs, "Training loss against epochs", "epoch", "training loss (mean over ranks)",
                r => r.Steps.Select(s => (s.Step / r.StepsPerEpoch, s.Loss)), logX: false), outDir, "loss_vs_epochs.png"),
            Save(Lines(runs, "Test accuracy against bytes sent per rank", "bytes sent per rank", "test accuracy",
                r => r.Epochs.Select(e => ((double)e.CumulativeBytesSent, e.TestAccuracy)), logX: true), outDir, "accuracy_vs_bytes.png"),
            Save(Lines(runs, "Training loss against bytes sent per rank", "bytes sent per rank", "training loss (smoothed)",
                r => ResultsTable.Smoothed(r).Select(p => ((double)p.Step.CumulativeBytesSent, p.Loss)), logX: true), outDir, "loss_vs_bytes.png"),
        };
        // Runs of the dynamic-sparsity experiment: loss against modelled cost, and k over steps.
        if (runs.Any(r => (string?)r.Summary["k_rule"] == "dynamic"))
        {
            written.Add(Save(Lines(runs, "Training loss against payload bits per rank", "payload bits per rank", "training loss (smoothed)",
                r => ResultsTable.Smoothed(r).Select(p => (p.Step.CostPayloadBits, p.Loss)), logX: true), outDir, "loss_vs_payload_bits.png"));
            written.Add(Save(Lines(runs, "Training loss against packet bits per rank", "packet bits per rank", "training loss (smoothed)",
                r => ResultsTable.Smoothed(r).Select(p => (p.Step.CostPacketBits, p.Loss)), logX: true), outDir, "loss_vs_packet_bits.png"));
            if (runs.Any(r => r.Steps.Any(s => s.CostMpiSeconds > 0)))
                written.Add(Save(Lines(runs, "Training loss against modelled MPI time per rank", "modelled MPI seconds per rank", "training loss (smoothed)",
                    r => ResultsTable.Smoothed(r).Select(p => (p.Step.CostMpiSeconds, p.Loss)), logX: true), outDir, "loss_vs_mpi_seconds.png"));
            written.Add(Save(Lines(runs, "k sent per step (rank 0)", "step", "k",
                r => r.Steps.Select(s => ((double)s.Step, (double)s.K)), logX: false, logY: true), outDir, "k_over_steps.png"));
        }
        return written;
    }

    /// <summary>One line per run; <paramref name="logX"/> plots log10 of x with decade labels.</summary>
    public static Plot Lines(IReadOnlyList<RunRecord> runs, string title, string xLabel, string yLabel,
        Func<RunRecord, IEnumerable<(double X, double Y)>> points, bool logX, bool logY = false)
    {
        var plt = NewPlot(title, xLabel, yLabel);
        var palette = new ScottPlot.Palettes.Category10();
        for (int i = 0; i < runs.Count; i++)
        {
            var pts = points(runs[i]).Where(p => double.IsFinite(p.Y) && (!logX || p.X > 0) && (!logY || p.Y > 0)).ToArray();
            if (pts.Length == 0) continue;
            double[] xs = pts.Select(p => logX ? Math.Log10(p.X) : p.X).ToArray();
            double[] ys = pts.Select(p => logY ? Math.Log10(p.Y) : p.Y).ToArray();
            var line = plt.Add.Scatter(xs, ys, palette.GetColor(i));
            line.LegendText = runs[i].Label;
            line.MarkerSize = pts.Length <= 20 ? 6 : 0;
            line.LineWidth = 2;
        }
        if (logX) UseLogTicks(plt.Axes.Bottom);
        if (logY) UseLogTicks(plt.Axes.Left);
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
