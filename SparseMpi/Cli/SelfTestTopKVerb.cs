using CommandLine;
using SparseMpi.Sparsification;

namespace SparseMpi.Cli;

/// <summary>
/// Diagnostic: checks the top-k kernels against a brute-force reference on this process's widest vector path,
/// so tests can start the program with DOTNET_EnableAVX512=0 etc. and cover every path.
/// </summary>
[Verb("selftest-topk", Hidden = true, HelpText = "Diagnostic: check the top-k kernels against a brute-force reference on this process's vector path.")]
public sealed class SelfTestTopKVerb : IVerb
{
    [Option("seed", Default = 1, HelpText = "Seed of the test vectors.")]
    public int Seed { get; set; }

    [Option("large", Default = false, HelpText = "Also check vectors of about a million entries.")]
    public bool Large { get; set; }

    public string? Validate() => null;

    public int Run()
    {
        var report = TopKSelfTest.Run(VectorPath.Vector512, Seed, Large);
        foreach (string failure in report.Failures.Take(20)) Console.WriteLine($"FAIL {failure}");
        Console.WriteLine($"isa={report.Path} passed={report.Passed} failed={report.Failed}");
        return report.Failed == 0 ? 0 : 1;
    }
}
