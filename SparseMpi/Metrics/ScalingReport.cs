
namespace SparseMpi.Metrics;

/// <summary>One row of the measured scaling table: a run and its speedup over the same method on one rank.</summary>
public sealed record ScalingRow(ScalingPoint Point, double? Speedup, double? Efficiency);

/// <summary>
/// The measured scaling table: runs grouped by method (dense first, then the sparse methods by name) and
/// sorted by ranks. Speedup is throughput, samples/s at P ranks over samples/s of the same method's 1-rank run,
/// so it means the same for strong scaling (fixed global batch) and weak scaling (fixed per-rank batch);
/// efficiency = speedup / P.
/// </summary>
public static class ScalingReport
{
    public static List<ScalingRow> Rows(IReadOnlyList<ScalingPoint> points)
    {
        var rows = new List<ScalingRow>();
        foreach (var method in Methods(points))
        {
            var runs = method.OrderBy(p => p.Ranks).ToList();
            for (int i = 1; i < runs.Count; i++)
                if (runs[i].Ranks == runs[i - 1].Ranks)
                    throw new UsageException($"{runs[i - 1].Directory} and {runs[i].Directory} are both '{method.Key}' on {runs[i].Ranks} ranks: " +
                        "give one scaling series per report (e.g. the strong and the weak job separately)");
            ScalingPoint? one = runs.FirstOrDefault(p => p.Ranks == 1);
            foreach (var p in runs)
            {
                double? speedup = one != null && one.SamplesPerSecond > 0 ? p.SamplesPerSecond / one.SamplesPerSecond : null;
                rows.Add(new ScalingRow(p, speedup, speedup / p.Ranks));
            }
        }
        return rows;
    }

    /// <summary>The runs by method: dense first (the baseline), then the others in ordinal order of their names.</summary>
    public static IEnumerable<IGrouping<string, ScalingPoint>> Methods(IEnumerable<ScalingPoint> points) =>
        points.GroupBy(p => p.Method).OrderBy(g => g.First().Dense ? 0 : 1).ThenBy(g => g.Key, StringComparer.Ordinal);

    public static TextTable Table(IReadOnlyList<ScalingRow> rows)
    {
        var table = new TextTable([
            ("method", "method"), ("ranks", "ranks"), ("global batch", "global_batch"), ("samples/s", "samples_per_second"),
            ("speedup", "speedup"), ("efficiency", "efficiency"), ("ms/step", "ms_total"), ("compute", "ms_compute"),
            ("select", "ms_select"), ("wait", "ms_wait"), ("comm", "ms_comm"), ("apply", "ms_apply"), ("bytes/step/rank", "bytes_per_step_per_rank"),
            ("test accuracy", "test_accuracy"),
        ]);
        foreach (var (p, speedup, efficiency) in rows)
            table.Add(Cell.Text(p.Method), Cell.Integer(p.Ranks), Cell.Integer(p.GlobalBatch), Cell.Number(p.SamplesPerSecond, "F0"),
                Cell.Number(speedup, "F2"), Cell.Number(efficiency, "F2"), Cell.Number(p.MsPerStep.Total, "F2"),
                Cell.Number(p.MsPerStep.Compute, "F2"), Cell.Number(p.MsPerStep.Select, "F2"), Cell.Number(p.MsPerStep.Wait, "F2"), Cell.Number(p.MsPerStep.Comm, "F2"),
                Cell.Number(p.MsPerStep.Apply, "F2"), Cell.Bytes(p.BytesPerStep), Cell.Number(p.TestAccuracy, "F4"));
        return table;
    }

    /// <summary>scaling.md: the table and how to read it.</summary>
    public static string Markdown(IReadOnlyList<ScalingRow> rows, string title) =>
        $"# {title}\n\n" +
        "Measured. Speedup = samples/s over samples/s of the same method on 1 rank; efficiency = speedup / ranks. " +
        "ms/step is the mean over steps on rank 0 (compute: forward and backward; select: top-k or the dense " +
        "finiteness check; wait: the small agreement allgather before the exchange (loss, non-finite flag, message length per rank), where ranks wait for the slowest (0 in runs made before it was timed apart); comm: the exchange, including the sparse decode and scatter-add; " +
        "apply: the parameter update). bytes/step/rank: what rank 0 sent per step in the ring model (0 on 1 rank).\n\n" +
        Table(rows).Markdown() +
        (rows.Any(r => r.Speedup == null) ? "\n– : no 1-rank run of that method to compare with.\n" : "");
}
