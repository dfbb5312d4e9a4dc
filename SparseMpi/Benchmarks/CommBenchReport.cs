using System.Globalization;
using System.Text;
using System.Text.Json;
using SparseMpi.Metrics;

namespace SparseMpi.Benchmarks;

/// <summary>Rank 0's output of bench-comm: an OSU-micro-benchmark-style table, and the rows as a JSON array.</summary>
public static class CommBenchReport
{
    static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    public static string Table(IReadOnlyList<CommBenchRow> rows, CommBenchOptions options, int ranks, string library, Collectives.Sparse.ExchangeCostFit? fit = null)
    {
        var s = new StringBuilder();
        s.AppendLine("# SparseMpi bench-comm: sparse allgather exchange vs MPI_Allreduce (sum) of d floats");
        s.AppendLine($"# {library}");
        s.AppendLine($"# ranks {ranks}, d {options.D}, repeat {options.Repeat}, warmup {options.Warmup}, seed {options.Seed}");
        s.AppendLine($"# ms: {CommBenchmark.TimingRule} (MPI_Wtime, barrier before each round)");
        s.AppendLine("# sparse: encode + allgather of lengths + allgatherv + decode and scatter-add of all ranks into d floats + clear of the touched entries");
        if (rows.Count > 0)
            s.AppendLine(string.Format(CultureInfo.InvariantCulture, "# reset: ms_sparse includes clearing only the touched entries (column reset); zeroing all d floats instead costs {0:F3} ms", rows[0].MsZeroAllD));
        s.AppendLine("# enc/comm/dec: phases of ms_sparse (each the median of the per-round max over ranks): pack, MPI calls (with waiting), decode + scatter-add");
        s.AppendLine("# msg_B: one rank's packed message (24 B header + payload), mean over ranks; x_smaller: int32:fp32 msg_B / this msg_B");
        s.AppendLine("# recv_B: bytes each rank receives (sparse: the other ranks' messages; dense: ring allreduce 2(P-1)/P*4d); sent is the same in the ring model");
        s.AppendLine("# correct: allgather: sum bitwise equal to the local rank-order reference on every rank and across ranks; the others: within the rounding bound of it, and bitwise equal across ranks");
        s.AppendLine("# exchange: what ms_sparse/msg_B/recv_B measure (auto: [its choice]); fill: nnz(sum) / sum of k; pred_ms: alpha-beta prediction of ms_sparse (" +
            (fit == null ? "no cost fit in this run: give --exchanges or --mpi-alpha/--mpi-beta" : fit.Source == "given" ? "from --mpi-alpha/--mpi-beta" : "fitted in this run") + ")");
        if (options.Overlap is double overlap)
            s.AppendLine(string.Format(CultureInfo.InvariantCulture, "# overlap {0}: that fraction of each rank's k indices is shared by all ranks, the rest disjoint per rank", overlap));
        if (options.FromRun is { } run)
            s.AppendLine(string.Format(CultureInfo.InvariantCulture, "# from-run {0} step {1}: every rank's recorded selection (k {2}..{3}; density: sum of k / (P d), k: their mean)",
                run.Directory, run.Step, Enumerable.Range(0, run.Ranks).Min(run.KOf), run.MaxK));
        if (fit != null)
            foreach (string line in fit.Describe().Split('\n')) s.AppendLine("# " + line);
        s.AppendLine(string.Format(CultureInfo.InvariantCulture, "# {0,-22} {1,-9} {2,9} {3,-11} {4,12} {5,9} {6,13} {7,13} {8,11} {9,10} {10,8} {11,7} {12,8} {13,8} {14,8} {15,8} {16,7} {17,9}",
            "exchange", "density", "k", "format", "msg_B", "x_smaller", "recv_B", "dense_recv_B", "ms_sparse", "ms_dense", "speedup", "correct", "enc", "comm", "dec", "reset", "fill", "pred_ms"));
        foreach (var row in rows)
            s.AppendLine(string.Format(CultureInfo.InvariantCulture, "  {0,-22} {1,-9:G6} {2,9} {3,-11} {4,12:F0} {5,9:F2} {6,13:F0} {7,13} {8,11:F3} {9,10:F3} {10,8:F2} {11,7} {12,8:F3} {13,8:F3} {14,8:F3} {15,8:F3} {16,7:F4} {17,9}",
                row.Chosen is string chosen ? $"{row.Exchange}[{chosen}]" : row.Exchange,
                row.Density, row.K, $"{row.IndexFormat}:{row.ValueFormat}", row.BytesSparsePerRank, row.ByteReductionVsInt32Fp32,
                row.BytesSparseReceivedPerRank, row.BytesDenseReceivedPerRank, row.MsSparse, row.MsDense, row.Speedup, row.Correct ? "yes" : "NO",
                row.MsSparseEncode, row.MsSparseCommunicate, row.MsSparseDecode, row.MsSparseReset, row.FillIn,
                row.MsPredicted is double predicted ? predicted.ToString("F3", CultureInfo.InvariantCulture) : "-"));
        return s.ToString();
    }

    /// <summary>Writes the rows as a JSON array, atomically (readers never see a half-written file).</summary>
    public static void WriteJson(string path, IReadOnlyList<CommBenchRow> rows) =>
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(rows, Json));
}
