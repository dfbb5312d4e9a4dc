using CommandLine;
using SparseMpi.Metrics;
using SparseMpi.CostModels;
using SparseMpi.Benchmarks;
using System.Text.Json;

namespace SparseMpi.Cli;

/// <summary>
/// <c>report</c>: the scaling study of finished runs. Measured: a table (scaling.md, scaling.csv) and PNGs of
/// throughput, speedup, step-time breakdown and bytes against ranks, methods side by side. With --network:
/// the alpha-beta prediction of dense against sparse up to 1024 ranks (model.md, model.csv, PNGs). With
/// --bench-step and one --network: each bench-step row predicted from that fit beside its measurement (step-model.md/csv).
/// </summary>
[Verb("report", HelpText = "Scaling table and plots of runs (dense and sparse side by side); with --network, predicted scaling to 1024 ranks.")]
public sealed class ReportVerb : IVerb
{
    [Value(0, MetaName = "RUN_DIR", HelpText = "Run directories, or directories whose subdirectories are runs (a scaling job's directory).")]
    public IEnumerable<string> Runs { get; set; } = [];

    [Option("out", Required = true, HelpText = "Directory for scaling.md/csv, model.md/csv and the PNG files.")]
    public string Out { get; set; } = "";

    [Option("network", HelpText = "Networks to predict for, each " + AlphaBetaNetwork.Syntax +
        " (alpha: latency in s, beta: s per byte); several after one --network, e.g. --network ib100:alpha=1.5e-6,beta=8e-11 10gbe:alpha=2e-5,beta=8e-10.")]
    public IEnumerable<string> Networks { get; set; } = [];

    [Option("pair-ns", Default = 0.0, HelpText = "Model: CPU nanoseconds per received sparse (index, value) pair to decode, scatter-add and apply (every rank handles P·k); 0 leaves it out.")]
    public double PairNanoseconds { get; set; }

    [Option("bench-step", HelpText = "bench-step JSON files: predict each row's step time from the one --network (its fit, e.g. fit-mpi-cost's " +
        "alpha and beta on these links) and the row's measured compute, select and apply, beside the measured phases and the error (step-model.md/csv).")]
    public IEnumerable<string> BenchStep { get; set; } = [];

    [Option("title", Default = "Scaling", HelpText = "Heading of scaling.md (model.md adds to it).")]
    public string Title { get; set; } = "Scaling";

    List<string> _runDirectories = [];
    readonly List<StepBenchRow> _benchRows = [];
    readonly List<AlphaBetaNetwork> _networks = [];

    public string? Validate()
    {
        if (!(PairNanoseconds >= 0 && double.IsFinite(PairNanoseconds))) return $"--pair-ns must be a non-negative number (got {PairNanoseconds})";
        foreach (string spec in Networks)
        {
            var net = AlphaBetaNetwork.TryParse(spec, $"network{_networks.Count + 1}", out string? problem);
            if (net == null) return problem;
            if (_networks.Any(n => n.Name == net.Name)) return $"two networks are named '{net.Name}'";
            _networks.Add(net);
        }
        if (!Runs.Any() && !BenchStep.Any()) return "give run directories (RUN_DIR), --bench-step files, or both";
        if (BenchStep.Any())
        {
            if (_networks.Count != 1) return $"--bench-step predicts from one network's fit: give exactly one --network (got {_networks.Count})";
            foreach (string file in BenchStep)
            {
                if (!File.Exists(file)) return $"--bench-step {file}: no such file";
                try
                {
                    var rows = JsonSerializer.Deserialize<List<StepBenchRow>>(File.ReadAllText(file), Json.Indented);
                    if (rows is not { Count: > 0 } || rows.Any(r => r.Ranks < 1 || r.D < 1 || r.Exchange.Length == 0))
                        return $"--bench-step {file}: not bench-step's JSON (an array of rows with ranks, d and exchange)";
                    _benchRows.AddRange(rows);
                }
                catch (JsonException e) { return $"--bench-step {file}: not valid JSON ({e.Message})"; }
            }
        }
        if (Runs.Any())
        {
            try { _runDirectories = RunDirectories.Expand(Runs); }
            catch (UsageException e) { return e.Message; }
        }
        return OutputPaths.DirectoryProblem("--out", Out);
    }

    public int Run()
    {
        var written = new List<string>();
        void Write(string name, string text)
        {
            string path = Path.Combine(Out, name);
            AtomicFile.WriteAllText(path, text);
            written.Add(path);
        }
        if (_benchRows.Count > 0)
        {
            var notes = new List<string>();
            var predictions = StepModelCheck.Predict(_benchRows, _networks[0], notes);
            string text = StepModelCheck.Markdown(predictions, _networks[0], Title, notes);
            Write("step-model.md", text);
            Write("step-model.csv", StepModelCheck.Table(predictions).Csv());
            Console.Write(text);
        }
        if (_runDirectories.Count > 0) ReportRuns(Write, written);
        foreach (string path in written) Console.WriteLine($"wrote {path}");
        return 0;
    }

    void ReportRuns(Action<string, string> Write, List<string> written)
    {
        // Everything that can fail on bad input is done before the first file is written.
        var points = _runDirectories.Select(d => ScalingPoint.From(RunRecord.Load(d))).ToList();
        var rows = ScalingReport.Rows(points);
        var notes = new List<string>();
        ModelReport? model = null;
        if (_networks.Count > 0)
        {
            var inputs = ModelInputs.From(points, notes);
            if (inputs.Count == 0) throw new UsageException($"--network: no method can be modelled: {string.Join("; ", notes)}");
            model = new ModelReport(inputs, _networks, new StepTimeModel(PairNanoseconds));
        }

        string scaling = ScalingReport.Markdown(rows, Title);
        Write("scaling.md", scaling);
        Write("scaling.csv", ScalingReport.Table(rows).Csv());
        written.AddRange(ScalingPlots.WriteMeasured(rows, Out));
        Console.Write(scaling);
        if (model != null)
        {
            Write("model.md", model.Markdown($"{Title}: predicted", notes));
            Write("model.csv", model.Csv());
            written.AddRange(ScalingPlots.WriteModel(model, _networks, Out));
            foreach (string note in notes) Console.WriteLine($"model: {note}");
            foreach (var x in model.Crossovers())
                Console.WriteLine($"model: {x.Method} on {x.Network.Name}: bandwidth P* = {x.BandwidthRanks:0.#}; sparse faster: comm {x.Comm}, " +
                    $"comm vs Rabenseifner {x.CommRabenseifner}, weak step {x.WeakStep}, strong step {x.StrongStep}");
        }
    }
}
