using CommandLine;
using SparseMpi.Benchmarks;

namespace SparseMpi.Cli;

/// <summary><c>bench-topk</c>: the options of <see cref="TopKBenchmark"/>.</summary>
[Verb("bench-topk", HelpText = "Benchmark the top-k kernels (exact, approximate, fused error feedback) against a memory pass and torch.topk.")]
public sealed class BenchTopKVerb : IVerb
{
    [Option('d', Default = 33554432, HelpText = "Vector length (number of floats).")]
    public int D { get; set; }

    [Option("density", Default = 0.001, HelpText = "Fraction of entries selected: k = max(1, round(d * density)).")]
    public double Density { get; set; }

    [Option("repeat", Default = 21, HelpText = "Timed rounds; medians are reported.")]
    public int Repeat { get; set; }

    [Option("json", HelpText = "Write the results as a JSON object to this file.")]
    public string? Json { get; set; }

    [Option("seed", Default = 1, HelpText = "Seed of the random data.")]
    public int Seed { get; set; }

    long K => Math.Max(1, (long)Math.Round(D * Density));

    public string? Validate()
    {
        if (D < 1) return $"--d must be at least 1 (got {D})";
        if (!(Density > 0 && Density <= 1)) return $"--density must be in (0, 1] (got {Density})";
        if (K < 1 || K > D) return $"k = max(1, round(d * density)) = {K} is outside 1..{D}";
        if (Repeat < 1) return $"--repeat must be at least 1 (got {Repeat})";
        return OutputPaths.FileProblem("--json", Json);
    }

    public int Run() => new TopKBenchmark(D, (int)K, Density, Repeat, Seed, Json).Run();
}
