using SparseMpi.Benchmarks;
using SparseMpi.Collectives.Sparse;
using SparseMpi.CostModels;

namespace SparseMpi.Metrics;

/// <summary>
/// One bench-step row predicted from an alpha-beta fit of the network and set beside its measurement. The local
/// phases (compute, select, apply) are taken as measured: the model's claim is about the network, and the local
/// phases are what a real run of the model measures; wait and comm are predicted:
/// <list type="bullet">
/// <item>wait: the agreement allgather of a few bytes per rank, alpha·ceil(log2 P) (it also absorbs the ranks'
/// skew, which no network model holds);</item>
/// <item>comm: <see cref="ExchangeCostModel.Seconds"/> of the row's exchange at its k per rank and fill-in
/// (the dense allreduce is the "allreduce" algorithm's d floats, on the network's dense pair where it has one:
/// <see cref="AlphaBetaNetwork.Dense"/>).</item>
/// </list>
/// </summary>
public sealed record StepPrediction(StepBenchRow Measured, string Algorithm, double FillIn, bool FillInMeasured,
    double WaitMs, double CommMs)
{
    public double StepMs => Measured.MsCompute.Median + Measured.MsSelect.Median + WaitMs + CommMs + Measured.MsApply.Median;

    /// <summary>predicted / measured − 1 (NaN when nothing was measured).</summary>
    public static double Error(double predicted, double measured) => measured > 0 ? predicted / measured - 1 : double.NaN;

    public double CommError => Error(CommMs, Measured.MsComm.Median);
    public double StepError => Error(StepMs, Measured.MsStep.Median);
}

/// <summary>
/// <c>report --bench-step FILE... --network N</c>: the step-time model against bench-step's measurements, a row per
/// (ranks, exchange, density) with every phase measured and the predicted wait, comm and step beside it, and the
/// error; the markdown ends with how many rows are within <see cref="Tolerance"/>.
/// </summary>
public static class StepModelCheck
{
    /// <summary>The bound the scaling study holds its model to: |predicted / measured − 1| ≤ 25%.</summary>
    public const double Tolerance = 0.25;

    public static List<StepPrediction> Predict(IEnumerable<StepBenchRow> rows, AlphaBetaNetwork net, List<string> notes)
    {
        var predictions = new List<StepPrediction>();
        foreach (var row in rows)
        {
            string algorithm = row.Exchange == StepBenchRow.DenseExchange ? "allreduce" : row.Exchange;
            if (!ExchangeCostModel.Modelled.Contains(algorithm))
            {
                notes.Add($"{row.Exchange} at {row.Ranks} ranks, density {row.Density}: not predicted (no single cost: auto runs a different algorithm per step)");
                continue;
            }
            bool measured = row.FillIn is not null || algorithm == "allreduce";
            double fillIn = algorithm == "allreduce" ? 1 : row.FillIn ?? 1;
            if (!measured) notes.Add($"{row.Exchange} at {row.Ranks} ranks, density {row.Density}: no fill-in measured, predicted at 1 (disjoint)");
            long k = (long)Math.Round(row.KMean);
            var shape = ExchangeShape.Uniform(row.Ranks, row.D, k, fillIn);
            var links = net.For(algorithm); // the dense allreduce on the dense pair, where the network has one
            double comm = 1e3 * ExchangeCostModel.Seconds(algorithm, shape, links.Alpha, links.Beta);
            double wait = 1e3 * net.Alpha * CollectiveCost.CeilLog2(row.Ranks);
            predictions.Add(new StepPrediction(row, algorithm, fillIn, measured, wait, comm));
        }
        return predictions;
    }

    public static TextTable Table(IEnumerable<StepPrediction> predictions)
    {
        var table = new TextTable([
            ("ranks", "ranks"), ("nodes", "nodes"), ("d", "d"), ("density", "density"), ("exchange", "exchange"), ("fill-in", "fill_in"),
            ("compute ms", "ms_compute"), ("select ms", "ms_select"), ("apply ms", "ms_apply"),
            ("wait ms", "ms_wait"), ("wait predicted", "ms_wait_predicted"),
            ("comm ms", "ms_comm"), ("comm predicted", "ms_comm_predicted"), ("comm error", "comm_error"),
            ("step ms", "ms_step"), ("step predicted", "ms_step_predicted"), ("step error", "step_error"),
        ]);
        foreach (var p in predictions)
        {
            var m = p.Measured;
            table.Add(Cell.Integer(m.Ranks), Cell.Integer(m.Nodes), Cell.Integer(m.D), Cell.Number(m.Density, "0.####"), Cell.Text(m.Exchange),
                p.FillInMeasured ? Cell.Number(p.FillIn, "0.###") : new Cell($"{p.FillIn:0.###} (assumed)", p.FillIn.ToString("R", System.Globalization.CultureInfo.InvariantCulture)),
                Cell.Number(m.MsCompute.Median, "0.00"), Cell.Number(m.MsSelect.Median, "0.00"), Cell.Number(m.MsApply.Median, "0.00"),
                Cell.Number(m.MsWait.Median, "0.00"), Cell.Number(p.WaitMs, "0.00"),
                Cell.Number(m.MsComm.Median, "0.00"), Cell.Number(p.CommMs, "0.00"), Percent(p.CommError),
                Cell.Number(m.MsStep.Median, "0.00"), Cell.Number(p.StepMs, "0.00"), Percent(p.StepError));
        }
        return table;
    }

    public static string Markdown(IReadOnlyList<StepPrediction> predictions, AlphaBetaNetwork net, string title, IEnumerable<string> notes)
    {
        var sb = new System.Text.StringBuilder();
        sb.AppendLine($"# {title}: step time predicted against bench-step").AppendLine();
        sb.AppendLine($"Network {net}. Measured: bench-step's median over the timed steps of the slowest rank; compute, select and " +
            "apply enter the prediction as measured, wait (alpha·ceil(log2 P)) and comm (the exchange's alpha-beta cost at the " +
            "row's k and fill-in) are predicted. Error: predicted / measured − 1.").AppendLine();
        sb.Append(Table(predictions).Markdown()).AppendLine();
        int within = predictions.Count(p => Math.Abs(p.StepError) <= Tolerance);
        int commWithin = predictions.Count(p => Math.Abs(p.CommError) <= Tolerance);
        sb.AppendLine($"Step time within {Tolerance * 100:0}%: {within} of {predictions.Count} rows; comm within {Tolerance * 100:0}%: {commWithin} of {predictions.Count}.");
        if (predictions.Count > 0)
        {
            var worst = predictions.MaxBy(p => Math.Abs(p.StepError))!;
            sb.AppendLine($"Largest step error: {worst.StepError:+0.0%;-0.0%} ({worst.Measured.Exchange}, {worst.Measured.Ranks} ranks, density {worst.Measured.Density}).");
        }
        foreach (string note in notes) sb.AppendLine().Append("- ").AppendLine(note);
        return sb.ToString();
    }

    static Cell Percent(double fraction) =>
        double.IsNaN(fraction) ? Cell.Number(null, "") : new Cell(fraction.ToString("+0.0%;-0.0%", System.Globalization.CultureInfo.InvariantCulture),
            fraction.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
}
