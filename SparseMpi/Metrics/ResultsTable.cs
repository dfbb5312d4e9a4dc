using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace SparseMpi.Metrics;

/// <summary>
/// A markdown table comparing runs: accuracy, loss, bytes and the per-step time breakdown; with a target
/// training loss, also the steps and the modelled communication each run needed to reach it. The loss is the
/// per-step mini-batch loss averaged over a centred window of 2 * 10 + 1 logged steps, so one lucky batch does
/// not count as reaching the target. With a target test accuracy, the wall seconds and step of the first
/// evaluation that reached it ("time to target"; as often as --eval-every evaluated, so no finer than that).
/// </summary>
public static class ResultsTable
{
    public const int HalfWindow = 10;

    public static string Markdown(IReadOnlyList<RunRecord> runs, double? targetLoss, double? targetAccuracy = null)
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append("| run | test accuracy | final train loss | bytes sent / rank | compression | k mean | ms compute | ms select | ms rule | ms wait | ms comm | ms apply |");
        if (targetLoss != null) sb.Append(" steps to target | payload bits to target | packet bits to target | mpi seconds to target | seconds to target loss |");
        if (targetAccuracy != null) sb.Append(" seconds to target accuracy | step at target accuracy |");
        sb.AppendLine();
        sb.Append("|---|---|---|---|---|---|---|---|---|---|---|---|");
        if (targetLoss != null) sb.Append("---|---|---|---|---|");
        if (targetAccuracy != null) sb.Append("---|---|");
        sb.AppendLine();
        foreach (var r in runs)
        {
            JsonNode s = r.Summary;
            JsonNode? ms = s["ms_per_step"];
            sb.Append(c, $"| {r.Label} | {D(s, "test_accuracy"):F4} | {D(s, "final_train_loss"):F4} | {Bytes(D(s, "bytes_sent_per_rank"))} | ");
            sb.Append(c, $"{D(s, "compression_ratio"):0.#}x | {D(s, "k_mean"):0.#} | {D(ms, "compute"):F2} | {D(ms, "select"):F2} | {(s["rule_ms_per_step"] is JsonNode rule ? ((double)rule).ToString("F3", c) : "–")} | {D(ms, "wait"):F2} | {D(ms, "comm"):F2} | {D(ms, "apply"):F2} |");
            if (targetLoss is double target)
            {
                var hit = FirstReaching(r, target);
                if (hit == null) sb.Append(" not reached | – | – | – | – |");
                else sb.Append(c, $" {hit.Step} | {hit.CostPayloadBits:0.###e0} | {hit.CostPacketBits:0.###e0} | {(hit.CostMpiSeconds > 0 ? hit.CostMpiSeconds.ToString("0.###e0", c) : "–")} | {(hit.WallSeconds > 0 ? hit.WallSeconds.ToString("F1", c) : "–")} |");
            }
            if (targetAccuracy is double accuracy)
            {
                var hit = FirstReachingAccuracy(r, accuracy);
                if (hit == null) sb.Append(" not reached | – |");
                else sb.Append(c, $" {hit.WallSeconds:F1} | {hit.Step} |");
            }
            sb.AppendLine();
        }
        return sb.ToString();
    }

    /// <summary>The first logged step at which the smoothed training loss is at or below <paramref name="target"/>.</summary>
    public static StepRecord? FirstReaching(RunRecord run, double target)
    {
        foreach (var (step, loss) in Smoothed(run))
            if (loss <= target) return step;
        return null;
    }

    /// <summary>The first evaluation whose test accuracy is at or above <paramref name="target"/>.</summary>
    public static EvaluationRecord? FirstReachingAccuracy(RunRecord run, double target) =>
        run.Evaluations.FirstOrDefault(e => e.TestAccuracy >= target);

    /// <summary>
    /// The training loss averaged over a centred window of logged steps (a causal average would lag by its
    /// length, and a lag in steps costs runs that send more per step more bits: a bias against large k).
    /// </summary>
    public static IEnumerable<(StepRecord Step, double Loss)> Smoothed(RunRecord run)
    {
        var steps = run.Steps;
        int n = steps.Count;
        double sum = 0;
        int lo = 0, hi = 0; // the window is steps[lo..hi)
        for (int i = 0; i < n; i++)
        {
            int from = Math.Max(0, i - HalfWindow), to = Math.Min(n, i + HalfWindow + 1);
            while (hi < to) sum += steps[hi++].Loss;
            while (lo < from) sum -= steps[lo++].Loss;
            yield return (steps[i], sum / (hi - lo));
        }
    }

    static double D(JsonNode? node, string name) => Json.Number(node, name) ?? double.NaN;

    public static string Bytes(double b) => b switch
    {
        >= 1e9 => $"{b / 1e9:F2} GB",
        >= 1e6 => $"{b / 1e6:F2} MB",
        >= 1e3 => $"{b / 1e3:F1} kB",
        _ => $"{b:F0} B",
    };
}
