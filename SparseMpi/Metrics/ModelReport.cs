using System.Globalization;
using System.Text;
using SparseMpi.CostModels;

namespace SparseMpi.Metrics;

/// <summary>
/// The predicted scaling tables (model.md, model.csv): for each network, each scaling mode and P = 1, 2, 4, ...
/// up to <see cref="MaxRanks"/>, the modelled step of every method side by side, and where each sparse method
/// stops paying off. Speedup is predicted samples/s over the predicted samples/s of dense on 1 rank (the
/// sequential baseline, so dense and sparse curves compare directly), or of the method itself when no dense
/// run was given.
/// </summary>
public sealed class ModelReport(IReadOnlyList<ModelInputs> methods, IReadOnlyList<AlphaBetaNetwork> networks, StepTimeModel model, int maxRanks = ModelReport.MaxRanks)
{
    public const int MaxRanks = 1024;
    static readonly CultureInfo C = CultureInfo.InvariantCulture;

    ModelInputs? DenseMethod => methods.FirstOrDefault(m => m.Dense);

    /// <summary>P = 1, 2, 4, ... up to the table's maximum and the mode's limit (one sample per rank for strong).</summary>
    public IEnumerable<int> RankCounts(ModelInputs m, ScalingMode mode)
    {
        int limit = Math.Min(maxRanks, StepTimeModel.MaxRanks(m, mode));
        for (int p = 1; p <= limit; p *= 2) yield return p;
    }

    public IEnumerable<PredictedStep> Predictions() =>
        from net in networks
        from mode in new[] { ScalingMode.Weak, ScalingMode.Strong }
        from m in methods
        from p in RankCounts(m, mode)
        select model.Predict(m, net, mode, p);

    /// <summary>What <see cref="Speedup"/> is relative to, for axis labels.</summary>
    public string SpeedupLabel => DenseMethod != null ? "speedup over dense on 1 rank" : "speedup over the same method on 1 rank";

    /// <summary>The predicted speedup of a step (see the type's summary for the baseline).</summary>
    public double Speedup(PredictedStep s) =>
        s.SamplesPerSecond / model.Predict(DenseMethod ?? s.Method, s.Network, s.Mode, 1).SamplesPerSecond;

    /// <summary>Dense step time over this step's time (above 1: this method is faster); null without a dense method.</summary>
    public double? DenseOverThis(PredictedStep s) =>
        DenseMethod is { } dense && s.Ranks <= StepTimeModel.MaxRanks(dense, s.Mode)
            ? model.Predict(dense, s.Network, s.Mode, s.Ranks).StepMs / s.StepMs : null;

    public List<Crossover> Crossovers() =>
        DenseMethod is not { } dense ? [] :
            [.. from net in networks from m in methods where !m.Dense && m.D == dense.D select model.Crossover(m, dense, net)];

    public string Csv()
    {
        var table = new TextTable([
            ("network", "network"), ("alpha", "alpha_seconds"), ("beta", "beta_seconds_per_byte"), ("scaling", "scaling"),
            ("method", "method"), ("ranks", "ranks"), ("compute", "ms_compute"), ("local", "ms_local"), ("comm", "ms_comm"),
            ("step", "ms_step"), ("samples/s", "samples_per_second"), ("speedup", "speedup"), ("dense/this", "dense_time_over_this"),
        ]);
        foreach (var s in Predictions())
            table.Add(Cell.Text(s.Network.Name), Cell.Number(s.Network.Alpha, "G3"), Cell.Number(s.Network.Beta, "G3"),
                Cell.Text(Mode(s.Mode)), Cell.Text(s.Method.Method), Cell.Integer(s.Ranks), Cell.Number(s.ComputeMs, "F3"),
                Cell.Number(s.LocalMs, "F3"), Cell.Number(s.CommMs, "F3"), Cell.Number(s.StepMs, "F3"),
                Cell.Number(s.SamplesPerSecond, "F0"), Cell.Number(Speedup(s), "F2"), Cell.Number(DenseOverThis(s), "F3"));
        return table.Csv();
    }

    public string Markdown(string title, IReadOnlyList<string> notes)
    {
        var sb = new StringBuilder();
        sb.Append(C, $"# {title}\n\n");
        sb.Append("Predicted, not measured: the alpha-beta (Hockney) model of a ring allreduce (dense) and of an allgather of the ");
        sb.Append("packed messages (sparse), with d, k, message size and local step times measured in the runs below; no overlap of ");
        sb.Append("compute and communication, one rank per core or GPU, a flat network. Formulas, sources and assumptions: docs/scaling.md.\n\n");
        sb.Append(model.PairNanoseconds > 0
            ? string.Create(C, $"Sparse decode and scatter-add of the P·k received pairs: modelled, {model.PairNanoseconds:G3} ns per pair (--pair-ns).\n\n")
            : "Sparse decode and scatter-add of the P·k received pairs: not modelled (--pair-ns 0).\n\n");
        sb.Append(DenseMethod != null
            ? "Speedup: predicted samples/s over dense on 1 rank. dense/sparse: dense step time over sparse step time (below 1, in bold: dense is faster).\n\n"
            : "Speedup: predicted samples/s over the same method on 1 rank.\n\n");

        sb.Append("## Measured inputs\n\n");
        var inputs = new TextTable([("method", ""), ("d", ""), ("k", ""), ("message bytes", ""), ("bytes/entry", ""), ("message from", ""),
            ("batch/rank (1 rank)", ""), ("compute ms", ""), ("select ms", ""), ("apply ms", "")]);
        foreach (var m in methods)
            inputs.Add(Cell.Text(m.Method), Cell.Integer(m.D), Cell.Number(m.K, "0.#"), Cell.Number(m.MessageBytes, "0"),
                Cell.Number(m.BytesPerEntry, "0.##"), Cell.Text(m.MessageSource), Cell.Integer(m.BatchPerRank),
                Cell.Number(m.ComputeMs, "F3"), Cell.Number(m.SelectMs, "F3"), Cell.Number(m.ApplyMs, "F3"));
        sb.Append(inputs.Markdown());
        if (notes.Count > 0) sb.Append('\n').AppendJoin("", notes.Select(n => $"- {n}\n"));
        sb.Append('\n');

        var crossovers = Crossovers();
        if (crossovers.Count > 0)
        {
            sb.Append("## Where sparse pays off\n\n");
            sb.Append("The rank counts P at which sparse is faster than dense. P* = 8d / (m + 4) equates the bandwidth terms of the ");
            sb.Append("two exchanges (m: message bytes; the same on every network). The comm columns add the latency terms, against ");
            sb.Append("the ring allreduce of the model and, for comparison, Rabenseifner's allreduce (log2 P latency). The step ");
            sb.Append("columns compare whole steps (compute, select, apply and the pair cost included). Searched up to ");
            sb.Append(string.Create(C, $"{StepTimeModel.SearchLimit} ranks, strong scaling down to one sample per rank.\n\n"));
            var t = new TextTable([("method", ""), ("network", ""), ("P* (bandwidth)", ""), ("comm vs ring", ""), ("comm vs Rabenseifner", ""),
                ("step, weak", ""), ("step, strong", "")]);
            foreach (var x in crossovers)
                t.Add(Cell.Text(x.Method), Cell.Text(x.Network.Name), Cell.Number(x.BandwidthRanks, "0.#"), Cell.Text(x.Comm.ToString()),
                    Cell.Text(x.CommRabenseifner.ToString()), Cell.Text(x.WeakStep.ToString()), Cell.Text(x.StrongStep.ToString()));
            sb.Append(t.Markdown()).Append('\n');
        }

        var sparse = methods.Where(m => !m.Dense && m.K > 0).ToList();
        if (sparse.Count > 0)
        {
            sb.Append("## The exact exchanges, per algorithm\n\n");
            sb.Append("Communication ms per step of each exact exchange (`--exchange`; ExchangeCostModel, docs/scaling.md \"per-algorithm cost\") ");
            sb.Append("at the method's k, int32:fp32, with one alpha and beta for all and fill-in 1 (disjoint selections: the worst case ");
            sb.Append("for the sparse allreduces); `auto` names the cheapest, what `--exchange auto` would choose on such a network. ");
            sb.Append("Local decode and merge work is not in these columns (auto's start-up fit puts it into each algorithm's beta).\n\n");
            foreach (var m in sparse)
                foreach (var net in networks)
                {
                    sb.Append(C, $"### {m.Method} on {net.Name}\n\n");
                    sb.Append(ExchangeTable(m, net).Markdown()).Append('\n');
                }
        }

        foreach (var net in networks)
        {
            sb.Append($"## {net}\n\n");
            foreach (var mode in new[] { ScalingMode.Weak, ScalingMode.Strong })
            {
                sb.Append(mode == ScalingMode.Weak
                    ? "### Weak scaling (per-rank batch fixed: compute per step constant)\n\n"
                    : "### Strong scaling (global batch fixed: compute per step / P)\n\n");
                sb.Append(WideTable(net, mode).Markdown()).Append('\n');
            }
        }
        return sb.ToString();
    }

    /// <summary>One row per P, the methods side by side: comm ms, step ms, speedup, and dense/sparse for sparse methods.</summary>
    TextTable WideTable(AlphaBetaNetwork net, ScalingMode mode)
    {
        var columns = new List<(string, string)> { ("P", "") };
        foreach (var m in methods)
        {
            columns.AddRange([($"{m.Method} comm ms", ""), ($"{m.Method} step ms", ""), ($"{m.Method} speedup", "")]);
            if (!m.Dense && DenseMethod != null) columns.Add(($"dense/{m.Method}", ""));
        }
        var table = new TextTable(columns);
        var ranks = methods.SelectMany(m => RankCounts(m, mode)).Distinct().Order();
        foreach (int p in ranks)
        {
            var cells = new List<Cell> { Cell.Integer(p) };
            foreach (var m in methods)
            {
                if (p > StepTimeModel.MaxRanks(m, mode))
                {
                    cells.AddRange(Enumerable.Repeat(Cell.Text("–"), !m.Dense && DenseMethod != null ? 4 : 3));
                    continue;
                }
                var s = model.Predict(m, net, mode, p);
                cells.AddRange([Cell.Number(s.CommMs, "0.###"), Cell.Number(s.StepMs, "0.###"), Cell.Number(Speedup(s), "0.##")]);
                if (!m.Dense && DenseOverThis(s) is double ratio)
                {
                    string text = ratio.ToString("0.###", C);
                    cells.Add(Cell.Text(ratio < 1 ? $"**{text}**" : text));
                }
            }
            table.Add([.. cells]);
        }
        return table;
    }

    /// <summary>One row per P = 2, 4, ... up to the table's maximum: every exact exchange's comm ms and the cheapest.</summary>
    public TextTable ExchangeTable(ModelInputs m, AlphaBetaNetwork net)
    {
        var algorithms = Collectives.Sparse.ExchangeCostModel.Algorithms;
        var table = new TextTable([("P", ""), .. algorithms.Select(a => ($"{a} ms", "")), ("auto", "")]);
        for (int p = 2; p <= maxRanks; p *= 2)
        {
            var shape = Collectives.Sparse.ExchangeShape.Uniform(p, (int)m.D, (long)Math.Round(m.K), 1);
            var ms = algorithms.Select(a => 1e3 * Collectives.Sparse.ExchangeCostModel.Seconds(a, shape, net.For(a).Alpha, net.For(a).Beta)).ToArray();
            int best = Array.IndexOf(ms, ms.Min());
            table.Add([Cell.Integer(p), .. ms.Select(x => Cell.Number(x, "0.###")), Cell.Text(algorithms[best])]);
        }
        return table;
    }

    public static string Mode(ScalingMode mode) => mode == ScalingMode.Weak ? "weak" : "strong";
}
