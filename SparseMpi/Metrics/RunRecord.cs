using System.Text.Json;
using System.Text.Json.Nodes;

namespace SparseMpi.Metrics;

/// <summary>A finished run read back from its directory: summary.json and the per-step metrics.jsonl.</summary>
public sealed class RunRecord
{
    public required string Directory { get; init; }
    public required string Label { get; init; }
    public required JsonNode Summary { get; init; }
    public required IReadOnlyList<StepRecord> Steps { get; init; }
    public required IReadOnlyList<EpochResult> Epochs { get; init; }

    /// <summary>
    /// Every test evaluation with its step and wall seconds: evaluations.jsonl, or for a run from before that file
    /// existed, the epoch results (which always carried their wall seconds).
    /// </summary>
    public IReadOnlyList<EvaluationRecord> Evaluations { get; init; } = [];

    /// <summary>A hogwild run (summary "mode": "hogwild")?</summary>
    public bool IsHogwild => (string?)Summary["mode"] == "hogwild";

    /// <summary>
    /// Test accuracy against updates, one update being one mini-batch gradient applied: a hogwild run's
    /// accuracy_over_updates, or a synchronous run's epoch results at steps x ranks (the same samples seen).
    /// </summary>
    public IReadOnlyList<AccuracyPoint> UpdatePoints => IsHogwild
        ? Summary["accuracy_over_updates"]?.Deserialize<List<AccuracyPoint>>(Json.Line) ?? []
        : Epochs.Select(e => new AccuracyPoint(e.Step * ((int?)Summary["ranks"] ?? 1), e.TestAccuracy, e.TestLoss, e.WallSeconds)).ToList();

    /// <summary>Hogwild: updates with staleness 0, 1, 2, ...; empty for synchronous runs.</summary>
    public long[] StalenessHistogram => Summary["staleness"]?["histogram"]?.Deserialize<long[]>(Json.Line) ?? [];

    /// <summary>Steps per epoch, from the summary (steps / epochs reached).</summary>
    public double StepsPerEpoch => Epochs.Count > 0 && Epochs[0].Step > 0 ? Epochs[0].Step / (double)Epochs[0].Epoch : 1;

    public static RunRecord Load(string directory, string? label = null)
    {
        string summaryPath = Path.Combine(directory, "summary.json");
        if (!File.Exists(summaryPath)) throw new UsageException($"{directory}: no summary.json (is it a finished run directory?)");
        JsonNode summary;
        try { summary = Json.ReadFile(summaryPath); }
        catch (JsonException e) { throw new UsageException($"{summaryPath} is not valid JSON: {e.Message}"); }
        var steps = new List<StepRecord>();
        string metricsPath = Path.Combine(directory, "metrics.jsonl");
        bool hogwild = (string?)summary["mode"] == "hogwild";
        if (File.Exists(metricsPath))
        {
            int number = 0;
            // A finished run has no torn line (a resume drops the torn last line of a crash first), so a line that
            // is not a record is damage: plotting around it would draw wrong curves without a word.
            foreach (string line in File.ReadLines(metricsPath))
            {
                number++;
                if (string.IsNullOrWhiteSpace(line)) continue;
                // Hogwild runs log accuracy points (keyed by updates), synchronous runs step records.
                string key = hogwild ? "updates" : "step";
                string? problem = null;
                try
                {
                    if (JsonNode.Parse(line) is not JsonObject o) problem = "not a JSON object";
                    else if (o[key] is not JsonValue v || !v.TryGetValue(out long _)) problem = $"no integer \"{key}\"";
                    else if (!hogwild) steps.Add(o.Deserialize<StepRecord>(Json.Line)!);
                }
                catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
                {
                    problem = e.Message.Split('\n')[0].TrimEnd('.');
                }
                if (problem != null)
                    throw new UsageException($"{metricsPath} line {number}: not a metrics record ({problem})");
            }
        }
        var epochs = summary["epoch_results"]?.Deserialize<List<EpochResult>>(Json.Line) ?? [];
        return new RunRecord
        {
            Directory = directory,
            Label = label ?? DefaultLabel(directory, summary),
            Summary = summary,
            Steps = steps,
            Epochs = epochs,
            Evaluations = hogwild ? [] : EvaluationsOf(directory, epochs),
        };
    }

    static List<EvaluationRecord> EvaluationsOf(string directory, List<EpochResult> epochs)
    {
        var records = EvaluationLog.Read(directory);
        return records.Count > 0 ? records : epochs.Select(e => new EvaluationRecord
        {
            Step = e.Step, Epoch = e.Epoch, WallSeconds = e.WallSeconds, TestAccuracy = e.TestAccuracy, TestLoss = e.TestLoss,
            TrainLoss = e.TrainLoss, CumulativeBytesSent = e.CumulativeBytesSent,
        }).ToList();
    }

    /// <summary>"topk 0.001 ef" style label from the summary, falling back to the directory name.</summary>
    static string DefaultLabel(string directory, JsonNode s)
    {
        string? compressor = (string?)s["compressor"];
        if (compressor == null) return Path.GetFileName(Path.TrimEndingDirectorySeparator(directory));
        if ((string?)s["mode"] == "hogwild")
        {
            string delay = (int?)s["in_flight"] is > 0 and int depth ? $", {depth} in flight"
                : (double?)s["delay_ms"] is > 0 and double ms ? $", {(string?)s["delay_mode"]} {ms:0.##} ms {(string?)s["delay_dist"]}" : "";
            return $"hogwild {(compressor == "none" ? "dense" : $"{compressor} {(double)s["density"]!:0.####}")}" +
                ((string?)s["lr_policy"] == "staleness-aware" ? " lr/tau" : "") + delay + $", mean staleness {(double)s["staleness"]!["mean"]!:0.#}";
        }
        if (compressor == "none") return "dense";
        string label = compressor;
        if ((string?)s["k_rule"] == "dynamic") label += $" dynamic {(string?)s["cost_model"]}";
        else if (s["density"] is JsonNode d) label += $" {(double)d:0.####}";
        if (s["error_feedback"] is JsonNode ef && !(bool)ef) label += " no-EF";
        return label;
    }
}
