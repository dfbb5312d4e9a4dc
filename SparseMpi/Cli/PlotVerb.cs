using CommandLine;
using SparseMpi.Metrics;

namespace SparseMpi.Cli;

/// <summary><c>plot</c>: compares finished runs in PNG plots (accuracy and loss against epochs and bytes).</summary>
[Verb("plot", HelpText = "Plot test accuracy and training loss of runs against epochs, bytes sent and wall seconds (PNG); with hogwild runs, accuracy against updates and staleness histograms.")]
public sealed class PlotVerb : IVerb
{
    [Value(0, MetaName = "RUN_DIR", Min = 1, HelpText = "Run directories (each with summary.json and metrics.jsonl).")]
    public IEnumerable<string> Runs { get; set; } = [];

    [Option("out", Required = true, HelpText = "Directory for the PNG files.")]
    public string Out { get; set; } = "";

    [Option("labels", Separator = ',', HelpText = "Legend labels, one per run (default: from each run's summary).")]
    public IEnumerable<string> Labels { get; set; } = [];

    [Option("target-loss", HelpText = "Add to the table the steps and modelled cost each run needed to reach this (smoothed) training loss.")]
    public double? TargetLoss { get; set; }

    [Option("target-accuracy", HelpText = "Add to the table the wall seconds and step at which each run's test accuracy first reached this (in (0, 1]; evaluations every --eval-every steps of train, else at epoch ends).")]
    public double? TargetAccuracy { get; set; }

    [Option("title", Default = "Results", HelpText = "Heading of results.md.")]
    public string Title { get; set; } = "Results";

    [Option("prefix", Default = "", HelpText = "Prepended to every PNG file name (to keep several comparisons in one directory).")]
    public string Prefix { get; set; } = "";

    public string? Validate()
    {
        if (TargetLoss is double t && !(t > 0 && double.IsFinite(t))) return $"--target-loss must be a positive number (got {t})";
        if (TargetAccuracy is double a && !(a > 0 && a <= 1)) return $"--target-accuracy must be a test accuracy in (0, 1] (got {a})";
        // The prefix is joined to --out: a separator or '..' would write the plots outside it.
        if (Prefix.IndexOfAny(['/', '\\']) >= 0 || Prefix.Contains(".."))
            return $"--prefix '{Prefix}' must be a plain file-name prefix (no '/', '\\' or '..'): the files go into --out";
        var runs = Runs.ToList();
        foreach (string r in runs)
            if (!File.Exists(Path.Combine(r, "summary.json"))) return $"{r}: no summary.json (not a finished run directory)";
        int labels = Labels.Count();
        if (labels != 0 && labels != runs.Count) return $"--labels has {labels} labels for {runs.Count} runs";
        return OutputPaths.DirectoryProblem("--out", Out);
    }

    public int Run()
    {
        var labels = Labels.ToList();
        var runs = Runs.Select((r, i) => RunRecord.Load(r, labels.Count > 0 ? labels[i] : null)).ToList();
        // Hogwild runs have no epochs: they are compared against updates (with any synchronous reference runs,
        // labelled as such unless --labels says otherwise).
        bool hogwild = runs.Any(r => r.IsHogwild);
        if (hogwild && labels.Count == 0)
            runs = runs.Select(r => r.IsHogwild ? r : new RunRecord
            {
                Directory = r.Directory, Summary = r.Summary, Steps = r.Steps, Epochs = r.Epochs,
                Label = $"sync {r.Label}, lr {(double?)r.Summary["lr"]}",
            }).ToList();
        var paths = hogwild ? RunPlots.WriteHogwild(runs, Out, Prefix) : RunPlots.WriteAll(runs, Out, Prefix);
        foreach (string path in paths) Console.WriteLine($"wrote {path}");
        if (hogwild) return 0;
        string table = $"# {Title}\n\n" + (TargetLoss is double t ? $"Target training loss (smoothed): {t}\n\n" : "") +
            (TargetAccuracy is double a ? $"Target test accuracy: {a}\n\n" : "") + ResultsTable.Markdown(runs, TargetLoss, TargetAccuracy);
        string tablePath = Path.Combine(Out, Prefix + "results.md");
        AtomicFile.WriteAllText(tablePath, table);
        Console.WriteLine($"wrote {tablePath}");
        Console.Write(table);
        return 0;
    }
}
