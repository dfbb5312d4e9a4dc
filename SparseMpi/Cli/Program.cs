using CommandLine;

namespace SparseMpi.Cli;

public static class Program
{
    /// <summary>Every verb of the program; add new verbs here.</summary>
    static readonly Type[] Verbs =
    [
        typeof(TrainVerb),
        typeof(HogwildVerb),
        typeof(CheckMpiVerb),
        typeof(PlotVerb),
        typeof(FitMpiCostVerb),
        typeof(BenchTopKVerb),
        typeof(SelfTestTopKVerb),
        typeof(CheckSparseVerb),
        typeof(BenchCommVerb),
        typeof(ReportVerb),
    ];

    public static int Main(string[] args)
    {
        // Every rank parses the same command line: only rank 0 reports what is wrong with it, so an error is
        // one line, not one per rank. The other ranks exit quietly with 0: if they exited non-zero first,
        // mpiexec would kill rank 0 before its line got out; the job still fails with rank 0's code.
        bool reporter = LauncherEnvironment.Rank == 0;
        var parser = new Parser(s =>
        {
            s.HelpWriter = null; // help is written below: full text when asked for, one line for a mistake
            s.CaseInsensitiveEnumValues = true;
            s.AutoVersion = false;
        });
        var parsed = parser.ParseArguments(args.Select(SingleLetterLongName), Verbs);
        if (parsed is NotParsed<object> notParsed)
            return ReportParseErrors(args, notParsed, reporter);
        var verb = (IVerb)((Parsed<object>)parsed).Value;
        string? problem = TrailingOptionWithoutValue(verb.GetType(), args) ?? verb.Validate();
        if (problem != null)
        {
            if (reporter) Console.Error.WriteLine($"sparsempi: error: {problem}");
            return reporter ? 2 : 0;
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

    /// <summary>
    /// CommandLineParser refuses one-letter long names, but the papers' k is spelled --k: accept it as -k.
    /// </summary>
    static string SingleLetterLongName(string arg) =>
        arg == "--k" ? "-k" : arg.StartsWith("--k=", StringComparison.Ordinal) ? "-k" + arg[4..] : arg;

    static int ReportParseErrors(string[] args, NotParsed<object> notParsed, bool reporter)
    {
        var errors = notParsed.Errors.ToList();
        bool askedForHelp = errors.Any(e => e is HelpRequestedError or HelpVerbRequestedError);
        if (askedForHelp)
        {
            // Let the library print its full help text for the verb (or the verb list), to stdout.
            if (reporter) new Parser(s => s.HelpWriter = Console.Out).ParseArguments(args, Verbs);
            return 0;
        }
        if (reporter)
        {
            string first = errors.Count == 0 ? "invalid command line" : Describe(errors[0]);
            Console.Error.WriteLine($"sparsempi: error: {first} (see 'sparsempi --help' or 'sparsempi help VERB')");
        }
        return reporter ? 2 : 0;
    }

    /// <summary>
    /// CommandLineParser accepts a value-taking option as the very last token with no value (e.g. a script's
    /// <c>train --epochs $EPOCHS</c> with EPOCHS unset) and silently keeps the default: refuse it instead.
    /// </summary>
    static string? TrailingOptionWithoutValue(Type verbType, string[] args)
    {
        if (args.Length < 2) return null;
        string last = SingleLetterLongName(args[^1]);
        foreach (var property in verbType.GetProperties())
        {
            if (property.GetCustomAttributes(typeof(OptionAttribute), true).FirstOrDefault() is not OptionAttribute option) continue;
            if (property.PropertyType == typeof(bool)) continue; // a switch needs no value
            if (last == $"--{option.LongName}" || (option.ShortName.Length > 0 && last == $"-{option.ShortName}"))
                return $"option '{args[^1]}' needs a value";
        }
        return null;
    }

    static string Describe(Error e) => e switch
    {
        NoVerbSelectedError => "no verb given",
        BadVerbSelectedError b => $"unknown verb '{b.Token}'",
        UnknownOptionError u => $"unknown option '--{u.Token}'",
        MissingValueOptionError m => $"option '--{m.NameInfo.LongName}' needs a value",
        BadFormatConversionError f => $"option '--{f.NameInfo.LongName}' has a value of the wrong type",
        MissingRequiredOptionError r => $"option '--{r.NameInfo.LongName}' is required",
        RepeatedOptionError r => $"option '--{r.NameInfo.LongName}' is given twice",
        SequenceOutOfRangeError { NameInfo.LongName: "" } => "missing or extra positional arguments",
        SequenceOutOfRangeError s => $"option '--{s.NameInfo.LongName}' has the wrong number of values",
        _ => e.Tag.ToString(),
    };
}
