using CommandLine;

namespace SparseMpi.Cli;

public static class Program
{
    /// <summary>Every verb of the program; add new verbs here.</summary>
    static readonly Type[] Verbs =
    [
        typeof(CheckMpiVerb),
        typeof(CheckSparseVerb),
        typeof(BenchCommVerb),
    ];

    public static int Main(string[] args)
    {
        var parser = new Parser(s =>
        {
            s.HelpWriter = Console.Error;
            s.CaseInsensitiveEnumValues = true;
            s.AutoVersion = false;
        });
        var parsed = parser.ParseArguments(args, Verbs);
        if (parsed is not Parsed<object> { Value: IVerb verb })
            return 2; // CommandLineParser already printed what was wrong
        string? problem = verb.Validate();
        if (problem != null)
        {
            Console.Error.WriteLine($"sparsempi: error: {problem}");
            return 2;
        }
        try
        {
            return verb.Run();
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"sparsempi: error: {e.Message}");
            return 1;
        }
    }
}
