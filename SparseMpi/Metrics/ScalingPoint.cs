using System.Text.Json.Nodes;

namespace SparseMpi.Metrics;

/// <summary>
/// One finished run seen as a point of a scaling study: its method (compressor and density, as
/// <see cref="RunRecord"/> labels it), rank count and the per-step figures of its summary.json.
/// </summary>
public sealed record ScalingPoint
{
    public required string Method { get; init; }
    public required string Directory { get; init; }
    public required string Model { get; init; }
    /// <summary>Dense allreduce (compressor none) rather than a sparse allgather.</summary>
    public required bool Dense { get; init; }
    /// <summary>index:value format of the sparse messages, "dense" for the allreduce.</summary>
    public required string WireFormat { get; init; }
    public required int Ranks { get; init; }
    public required int BatchPerRank { get; init; }
    public required long Steps { get; init; }
    public required int D { get; init; }
    /// <summary>Mean k sent per rank and step (d for dense).</summary>
    public required double KMean { get; init; }
    public required double SamplesPerSecond { get; init; }
    public required PhaseMeans MsPerStep { get; init; }
    /// <summary>Bytes rank 0 sent per step in the ring model of <c>ExchangeResult</c> (0 on one rank).</summary>
    public required double BytesPerStep { get; init; }
    public required double TestAccuracy { get; init; }

    public int GlobalBatch => Ranks * BatchPerRank;

    /// <summary>
    /// The mean packed message of one rank (24-byte header + k entries), recovered from the bytes rank 0 sent:
    /// in the ring model it sends the 4-byte length of, and the message of, every rank but its successor, so
    /// bytes per step = (P-1)(4 + message). Null on one rank (nothing is sent) and for dense.
    /// </summary>
    public double? MessageBytes => Dense || Ranks < 2 ? null : BytesPerStep / (Ranks - 1) - 4;

    public static ScalingPoint From(RunRecord run)
    {
        JsonNode s = run.Summary;
        string file = Path.Combine(run.Directory, RunDirectories.SummaryFile);
        double Required(JsonNode? node, string name, string path) =>
            Json.Number(node, name) ?? throw new UsageException($"{file}: no number '{path}' (not a training summary?)");
        string compressor = (string?)s["compressor"] ?? throw new UsageException($"{file}: no 'compressor' (not a training summary?)");
        JsonNode? ms = s["ms_per_step"];
        long steps = (long)Required(s, "steps", "steps");
        if (steps <= 0) throw new UsageException($"{file}: 'steps' is {steps}; a finished run has at least one step");
        return new ScalingPoint
        {
            Method = run.Label,
            Directory = run.Directory,
            Model = (string?)s["model"] ?? "",
            Dense = compressor == "none",
            WireFormat = (string?)s["wire_format"] ?? "",
            Ranks = (int)Required(s, "ranks", "ranks"),
            BatchPerRank = (int)Required(s, "batch_size_per_rank", "batch_size_per_rank"),
            Steps = steps,
            D = (int)Required(s, "d", "d"),
            KMean = Required(s, "k_mean", "k_mean"),
            SamplesPerSecond = Required(s, "samples_per_second", "samples_per_second"),
            // Runs written before the wait phase existed counted it in comm.
            MsPerStep = new PhaseMeans(Required(ms, "compute", "ms_per_step.compute"), Required(ms, "select", "ms_per_step.select"),
                Json.Number(ms, "wait") ?? 0, Required(ms, "comm", "ms_per_step.comm"), Required(ms, "apply", "ms_per_step.apply"), Required(ms, "total", "ms_per_step.total")),
            BytesPerStep = Required(s, "bytes_sent_per_rank", "bytes_sent_per_rank") / steps,
            TestAccuracy = Json.Number(s, "test_accuracy") ?? double.NaN,
        };
    }
}
