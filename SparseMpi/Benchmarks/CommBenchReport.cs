using System.Globalization;
using System.Text;
using System.Text.Json;

namespace SparseMpi.Benchmarks;

/// <summary>Rank 0's output of bench-comm: an OSU-micro-benchmark-style table, and the rows as a JSON array.</summary>
public static class CommBenchReport
{
    static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    public static string Table(IReadOnlyList<CommBenchRow> rows, CommBenchOptions options, int ranks, string library)
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
        s.AppendLine("# correct: sum bitwise equal to the local rank-order reference on every rank and across ranks");
        s.AppendLine(string.Format(CultureInfo.InvariantCulture, "# {0,-9} {1,9} {2,-11} {3,12} {4,9} {5,13} {6,13} {7,11} {8,10} {9,8} {10,7} {11,8} {12,8} {13,8} {14,8}",
            "density", "k", "format", "msg_B", "x_smaller", "recv_B", "dense_recv_B", "ms_sparse", "ms_dense", "speedup", "correct", "enc", "comm", "dec", "reset"));
        foreach (var row in rows)
            s.AppendLine(string.Format(CultureInfo.InvariantCulture, "  {0,-9} {1,9} {2,-11} {3,12:F0} {4,9:F2} {5,13:F0} {6,13} {7,11:F3} {8,10:F3} {9,8:F2} {10,7} {11,8:F3} {12,8:F3} {13,8:F3} {14,8:F3}",
                row.Density, row.K, $"{row.IndexFormat}:{row.ValueFormat}", row.BytesSparsePerRank, row.ByteReductionVsInt32Fp32,
                row.BytesSparseReceivedPerRank, row.BytesDenseReceivedPerRank, row.MsSparse, row.MsDense, row.Speedup, row.Correct ? "yes" : "NO",
                row.MsSparseEncode, row.MsSparseCommunicate, row.MsSparseDecode, row.MsSparseReset));
        return s.ToString();
    }

    /// <summary>Writes the rows as a JSON array; readers never see a half-written file (temporary file, then rename).</summary>
    public static void WriteJson(string path, IReadOnlyList<CommBenchRow> rows) =>
        Metrics.AtomicFile.WriteAllText(path, JsonSerializer.Serialize(rows, Json));
}
