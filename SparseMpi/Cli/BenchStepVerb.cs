using System.Globalization;
using System.Text.Json;
using CommandLine;
using SparseMpi.Benchmarks;
using SparseMpi.Collectives;
using SparseMpi.Collectives.Sparse;
using SparseMpi.Metrics;

namespace SparseMpi.Cli;

/// <summary>
/// <c>bench-step</c>: the whole synchronous step of training (select, agree, exchange, apply) on synthetic
/// gradients of a given d, the model's compute replaced by a sleep (<see cref="StepBenchmark"/>). Run it under
/// mpiexec; rank 0 prints one line per case and writes the JSON.
/// </summary>
[Verb("bench-step", HelpText = "What-if for the communication part of a training step, not training: the synchronous step (select, agree, exchange, apply) on synthetic gradients of d floats, the model's compute replaced by a sleep of --compute-ms (sleeping ranks use no CPU, so many ranks on a small machine stand for as many accelerators; the network part is real). Run under mpiexec.")]
public sealed class BenchStepVerb : IMpiVerb
{
    [Option('d', Default = 5824522, HelpText = "Parameters of the synthetic model (5824522: --model mlp --hidden 2048,2048; 203530: the default mlp).")]
    public int D { get; set; } = 5824522;

    [Option("compressor", Default = "topk", HelpText = "none (dense MPI_Allreduce of d floats, as train --compressor none), topk, topk-approx or randomk, with error feedback and momentum as in train.")]
    public string Compressor { get; set; } = "topk";

    [Option("density", Default = "0.01", HelpText = "Comma-separated densities k/d in (0, 1]; one measurement per density and exchange.")]
    public string Density { get; set; } = "0.01";

    [Option("exchange", Default = "allgather", HelpText = "Comma-separated exchanges, as train --exchange (allgather, allreduce, ssar-rd, ssar-split, dsar-split).")]
    public string Exchange { get; set; } = "allgather";

    [Option("format", Default = "int32:fp32", HelpText = "Wire format index:value of the allgather exchange (index int32|delta, value fp32|fp16|bf16).")]
    public string Format { get; set; } = "int32:fp32";

    [Option("compute-ms", Default = 0.0, HelpText = "Milliseconds each rank sleeps per step in place of the model's compute (take ms_per_step.compute of a real run's summary.json): bench-step is a what-if for the communication part, not training.")]
    public double ComputeMs { get; set; }

    [Option("steps", Default = 20, HelpText = "Timed steps per case (median, min and max are reported).")]
    public int Steps { get; set; } = 20;

    [Option("warmup", Default = 3, HelpText = "Untimed steps before the timed ones.")]
    public int Warmup { get; set; } = 3;

    [Option("seed", Default = 1UL, HelpText = "Seed of the synthetic gradients (rank r uses its own streams).")]
    public ulong Seed { get; set; } = 1;

    [Option("json", HelpText = "Also write the rows as a JSON array to this file (rank 0, atomically).")]
    public string? Json { get; set; }

    public bool Dense => Compressor == "none";

    /// <summary>The exchanges asked for (empty when the list does not parse: Validate says why).</summary>
    public IReadOnlyList<string> Exchanges => StepBenchOptions.ParseExchanges(Exchange, out _) ?? [];

    StepBenchOptions? _options;

    public string? Validate()
    {
        if (D < 1) return $"--d must be at least 1 (got {D})";
        if (!StepBenchOptions.Compressors.Contains(Compressor)) return $"bench-step: unknown compressor '{Compressor}'; valid: {string.Join(", ", StepBenchOptions.Compressors)}";
        var densities = CommBenchOptions.ParseDensities(Density, out string? problem);
        if (densities == null) return problem!.Replace("--densities", "--density");
        var exchanges = StepBenchOptions.ParseExchanges(Exchange, out problem);
        if (exchanges == null) return problem;
        if (!WireFormat.TryParse(Format, out var format))
            return $"--format: '{Format}' is not index:value with index int32|delta and value fp32|fp16|bf16";
        if (!(ComputeMs >= 0 && ComputeMs <= 1e6)) return $"--compute-ms must be a number of milliseconds in [0, 1000000] (got {ComputeMs.ToString(CultureInfo.InvariantCulture)})";
        if (Steps < 1) return $"--steps must be at least 1 (got {Steps})";
        if (Warmup < 0) return $"--warmup must be 0 or more (got {Warmup})";
        if (OutputPaths.FileProblem("--json", Json) is string jsonProblem) return jsonProblem;
        if (OptionTables.BenchStep.Problem(this) is string modeProblem) return modeProblem;
        if (!Dense && densities.FirstOrDefault(x => Math.Round(D * x) < 1) is double tooSmall and > 0)
            return $"--density: {tooSmall.ToString(CultureInfo.InvariantCulture)} gives k = round(d * density) = 0 of --d {D}; k must be at least 1";
        _options = new StepBenchOptions(D, Compressor, densities, exchanges, format, ComputeMs, Steps, Warmup, Seed);
        return null;
    }

    public int Run() => MpiSession.Run(mpi =>
    {
        var options = _options ?? throw new InvalidOperationException("Validate must run before Run");
        var world = mpi.World;
        Preflight.SameOnAllRanks(world, CollectiveSelfCheck.StableHash(options.Canonical), "the bench-step options");
        if (!options.Dense && options.Exchanges.Contains("allgather"))
        {
            int maxK = options.Densities.Max(x => SyntheticSparse.CountFor(options.D, x));
            long allMessages = world.Size * SparseCodec.MaxMessageBytes(maxK, options.Format);
            if (allMessages > int.MaxValue)
                throw new CollectiveUsageException($"--d {options.D} at density {options.Densities.Max()} on {world.Size} ranks needs up to {allMessages} bytes in one allgatherv; MPI counts stop at 2 GiB", world.Rank == 0);
        }
        bool root = world.Rank == 0;
        if (root) Console.WriteLine($"bench-step: {StepBenchmark.Note} ({options.ComputeMs.ToString("0.###", CultureInfo.InvariantCulture)} ms); d = {options.D}, {world.Size} ranks");
        var rows = new StepBenchmark(mpi, options).Run();
        if (root)
        {
            var c = CultureInfo.InvariantCulture;
            foreach (var r in rows)
                Console.WriteLine(string.Create(c,
                    $"{r.Exchange,-16} density {r.Density,-8:0.######} k {r.K,-9} step {r.MsStep.Median,9:F3} ms = compute {r.MsCompute.Median:F3} + select {r.MsSelect.Median:F3} + wait {r.MsWait.Median:F3} + comm {r.MsComm.Median:F3} + apply {r.MsApply.Median:F3}; sent {ResultsTable.Bytes(r.BytesSentPerRank)}/rank/step"));
            if (Json != null) AtomicFile.WriteAllText(Json, JsonSerializer.Serialize(rows, Metrics.Json.Indented) + "\n");
        }
        return rows.All(r => r.IdenticalParameters) ? 0 : 1;
    });
}
