using System.Globalization;
using CommandLine;
using SparseMpi.Benchmarks;
using SparseMpi.Collectives;
using SparseMpi.Collectives.Sparse;

namespace SparseMpi.Cli;

/// <summary>
/// <c>bench-comm</c>: times the sparse allgather exchange (every wire format asked for) against a dense
/// MPI_Allreduce of the same d floats, at several densities, checks every sparse sum, and reports bytes per
/// rank. Run it under mpiexec; rank 0 prints the table and writes the JSON.
/// </summary>
[Verb("bench-comm", HelpText = "Benchmark the sparse allgather exchange (or every exchange, --exchanges) against a dense allreduce of d floats (run under mpiexec).")]
public sealed class BenchCommVerb : IMpiVerb
{
    [Option('d', Default = 16777216, HelpText = "Length of the dense vector (floats).")]
    public int D { get; set; } = 16777216;

    [Option("densities", Default = "0.0001,0.001,0.01,0.1", HelpText = "Comma-separated densities k/d in (0, 1]; k = round(d * density).")]
    public string Densities { get; set; } = "0.0001,0.001,0.01,0.1";

    [Option("formats", Default = "all", HelpText = "Comma-separated wire formats index:value (index int32|delta, value fp32|fp16|bf16), or 'all' (the six combinations).")]
    public string Formats { get; set; } = "all";

    [Option("repeat", Default = 10, HelpText = "Timed rounds per measurement (the median is reported).")]
    public int Repeat { get; set; } = 10;

    [Option("warmup", Default = 2, HelpText = "Untimed rounds before the timed ones.")]
    public int Warmup { get; set; } = 2;

    [Option("seed", Default = 1UL, HelpText = "Seed of the random sparse vectors (rank r uses stream r).")]
    public ulong Seed { get; set; } = 1;

    [Option("exchanges", HelpText = "Comma-separated exchanges to measure, one row each per density (the allgather one per format), with the alpha-beta prediction beside: allgather, allreduce, ssar-rd, ssar-split, dsar-split, auto, or 'all'. Default: the sparse allgather per format against the dense allreduce, without predictions.")]
    public string? Exchanges { get; set; }

    [Option("overlap", HelpText = "Fraction in [0, 1] of each rank's k indices drawn from one set shared by all ranks, the rest disjoint per rank (0: fill-in 1, the worst case; 1: identical sets, fill-in 1/P). Default: independent random sets.")]
    public double? Overlap { get; set; }

    [Option("from-run", HelpText = "Replay a training run's recorded selections (train --record-selections N wrote them to DIR/selections/) instead of synthetic ones: d, each rank's k, indices and values are the run's; run it on as many ranks as the run had. Replaces -d, --densities, --overlap and --seed.")]
    public string? FromRun { get; set; }

    [Option("from-step", HelpText = "With --from-run: the recorded step to replay (default: the last one recorded).")]
    public long? FromStep { get; set; }

    [Option("mpi-alpha", HelpText = "Latency (seconds per message) for the predictions, with --mpi-beta, instead of fitting every exchange in the run.")]
    public double? MpiAlpha { get; set; }

    [Option("mpi-beta", HelpText = "Seconds per byte for the predictions, with --mpi-alpha.")]
    public double? MpiBeta { get; set; }

    [Option("json", HelpText = "Also write the rows as a JSON array to this file (rank 0, atomically).")]
    public string? Json { get; set; }

    CommBenchOptions? _options;

    public string? Validate()
    {
        if (D < 1) return $"--d must be at least 1 (got {D})";
        var densities = CommBenchOptions.ParseDensities(Densities, out string? problem);
        if (densities == null) return problem;
        var formats = CommBenchOptions.ParseFormats(Formats, out problem);
        if (formats == null) return problem;
        IReadOnlyList<string>? exchanges = null;
        if (Exchanges != null && (exchanges = CommBenchOptions.ParseExchanges(Exchanges, out problem)) == null) return problem;
        if (Overlap is double f && !(f >= 0 && f <= 1)) return $"--overlap must be a fraction in [0, 1] (got {f.ToString(CultureInfo.InvariantCulture)})";
        if (MpiAlpha is double a && !(a >= 0 && double.IsFinite(a))) return $"--mpi-alpha must be a number of seconds >= 0 (got {a.ToString(CultureInfo.InvariantCulture)})";
        if (MpiBeta is double b && !(b > 0 && double.IsFinite(b))) return $"--mpi-beta must be a positive number of seconds per byte (got {b.ToString(CultureInfo.InvariantCulture)})";
        if (FromStep is < 0) return $"--from-step must not be negative (got {FromStep})";
        if (OptionTables.BenchComm.Problem(this) is string modeProblem) return modeProblem;
        if (FromRun != null && !Directory.Exists(FromRun)) return $"--from-run {FromRun}: no such run directory";
        if (Repeat < 1) return $"--repeat must be at least 1 (got {Repeat})";
        if (Warmup < 0) return $"--warmup must be 0 or more (got {Warmup})";
        if (OutputPaths.FileProblem("--json", Json) is string jsonProblem) return jsonProblem;
        if (FromRun == null && densities.FirstOrDefault(x => Math.Round(D * x) < 1) is double tooSmall and > 0)
            return $"--densities: {tooSmall.ToString(CultureInfo.InvariantCulture)} gives k = round(d * density) = 0 of --d {D}; k must be at least 1";
        _options = new CommBenchOptions(D, densities, formats, Repeat, Warmup, Seed, exchanges, Overlap,
            MpiAlpha is double alpha && MpiBeta is double beta ? (alpha, beta) : null, FromRun, FromStep);
        return null;
    }

    public int Run() => MpiSession.Run(mpi =>
    {
        var options = _options ?? throw new InvalidOperationException("Validate must run before Run");
        var world = mpi.World;
        Preflight.SameOnAllRanks(world, CollectiveSelfCheck.StableHash(options.Canonical), "the bench-comm options");
        if (options.FromRunDirectory is string runDirectory) options = Replay(world, options, runDirectory);
        int maxK = options.FromRun?.MaxK ?? options.Densities.Max(x => SyntheticSparse.CountFor(options.D, x));
        long allMessages = (long)world.Size * options.Formats.Max(f => SparseCodec.MaxMessageBytes(maxK, f));
        if (allMessages > int.MaxValue)
            throw new CollectiveUsageException($"--d {options.D} at density {options.Densities.Max()} on {world.Size} ranks needs up to {allMessages} bytes in one allgatherv; MPI counts stop at 2 GiB", world.Rank == 0);

        if (options.Overlap is double overlap && maxK > 0 && !OverlapSelection.Disjoint(world.Size, options.D, maxK, overlap) && world.Rank == 0)
            Console.Error.WriteLine($"bench-comm: note: at k = {maxK} the {world.Size} ranks' own indices cannot all be disjoint in d = {options.D}; where they cannot, they are drawn independently (the fill-in column says what resulted)");
        var bench = new CommBenchmark(mpi, options);
        var rows = bench.Run();
        if (world.Rank == 0)
        {
            Console.Write(CommBenchReport.Table(rows, options, world.Size, $"{mpi.LibraryName}: {mpi.LibraryVersion}", bench.Fit));
            if (Json != null) CommBenchReport.WriteJson(Json, rows);
        }
        return rows.All(x => x.Correct) ? 0 : 1;
    });

    /// <summary>Loads the recorded step on every rank (all stop together on a missing or bad file) and checks it fits this launch.</summary>
    static CommBenchOptions Replay(Communicator world, CommBenchOptions options, string runDirectory)
    {
        RecordedRun? run = null;
        Preflight.Agree(world, () => run = RecordedRun.Load(runDirectory, options.FromStep));
        Preflight.SameOnAllRanks(world, run!.ContentHash, $"the selections of --from-run {runDirectory} (each rank must read the same files)");
        if (run.Ranks != world.Size)
            throw new CollectiveUsageException($"--from-run {runDirectory}: step {run.Step} was recorded on {run.Ranks} ranks; replay it on as many (mpiexec -n {run.Ranks}), not {world.Size}", world.Rank == 0);
        return options.Replaying(run);
    }
}
