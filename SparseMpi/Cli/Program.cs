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
        typeof(BenchStepVerb),
        typeof(ReportVerb),
    ];

    public static int Main(string[] args)
    {
        // Every rank parses its command line before MPI starts, and a mistake must end the job with one line,
        // never a hang. Usually all ranks have the same command line, but an MPMD launch or a per-rank wrapper
        // can refuse it on some ranks only, while the others wait for them in MPI_Init. So a rank of a launched
        // MPI verb that refuses its command line still starts MPI and joins the others' first collective
        // (MpiSession.Refuse; such verbs are IMpiVerb), where all learn of it and the lowest refusing rank prints the line. Elsewhere (a
        // singleton, a verb without MPI) rank 0 prints it, and other ranks after a grace (see Report).
        bool reporter = LauncherEnvironment.Rank == 0;
        var parser = new Parser(s =>
        {
            s.HelpWriter = null; // help is written below: full text when asked for, one line for a mistake
            s.CaseInsensitiveEnumValues = true;
            s.AutoVersion = false;
        });
        var parsed = parser.ParseArguments(args.Select(SingleLetterLongName), Verbs);
        Type? verbType = parsed.TypeInfo.Current is { } t && Verbs.Contains(t) ? t : null;
        MpiSession.Verb = verbType?.GetCustomAttributes(typeof(VerbAttribute), false).OfType<VerbAttribute>().FirstOrDefault()?.Name ?? "";
        bool meetsOtherRanks = verbType != null && typeof(IMpiVerb).IsAssignableFrom(verbType) && LauncherEnvironment.Launched;
        if (parsed is NotParsed<object> notParsed)
            return ReportParseErrors(args, notParsed, reporter, meetsOtherRanks);
        var verb = (IVerb)((Parsed<object>)parsed).Value;
        // Which options the command line gave (the table refuses only those) and what ranks compare at start.
        var tokens = args.Select(SingleLetterLongName).ToArray();
        GivenOptions.Record(verb, tokens);
        MpiSession.Options = OptionAgreement.Of(verb);
        string? problem = TrailingOptionWithoutValue(verb.GetType(), args) ?? StrayArgument(verb.GetType(), args) ?? verb.Validate();
        if (problem != null) return meetsOtherRanks ? MpiSession.Refuse(problem) : Report(problem, reporter);
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

    static int ReportParseErrors(string[] args, NotParsed<object> notParsed, bool reporter, bool meetsOtherRanks)
    {
        var errors = notParsed.Errors.ToList();
        bool askedForHelp = errors.Any(e => e is HelpRequestedError or HelpVerbRequestedError);
        if (askedForHelp)
        {
            // Let the library print its full help text for the verb (or the verb list), to stdout.
            if (reporter) new Parser(s => s.HelpWriter = Console.Out).ParseArguments(args, Verbs);
            return 0;
        }
        string first = errors.Count == 0 ? "invalid command line"
            : errors[0] is BadFormatConversionError f ? OptionValues.BadValue(Name(f.NameInfo), args) : Describe(errors[0]);
        string problem = $"{first} (see 'sparsempi --help' or 'sparsempi help VERB')";
        return meetsOtherRanks ? MpiSession.Refuse(problem) : Report(problem, reporter);
    }

    /// <summary>
    /// How long a rank other than 0 waits before reporting its own command-line error when it cannot meet the
    /// others in MPI: if rank 0 failed too, the launcher usually ends the job first, and the error stays one line.
    /// </summary>
    static readonly TimeSpan ReportLater = TimeSpan.FromSeconds(3);

    /// <summary>One error line and exit code 2; ranks other than 0 first give the launcher time to end the job.</summary>
    static int Report(string problem, bool reporter)
    {
        if (reporter)
        {
            Console.Error.WriteLine($"sparsempi: error: {problem}");
            return 2;
        }
        Thread.Sleep(ReportLater);
        Console.Error.WriteLine($"sparsempi: error on rank {LauncherEnvironment.Rank}: {problem}");
        return 2;
    }

    /// <summary>
    /// CommandLineParser accepts a value-taking option as the very last token with no value (e.g. a script's
    /// <c>train --epochs $EPOCHS</c> with EPOCHS unset) and silently keeps the default: refuse it instead.
    /// </summary>
    static string? TrailingOptionWithoutValue(Type verbType, string[] args)
    {
        if (args.Length < 2) return null;
        return TakesValue(verbType, SingleLetterLongName(args[^1])) ? $"option '{args[^1]}' needs a value" : null;
    }

    /// <summary>
    /// CommandLineParser ignores a word that is neither an option nor an option's value (<c>train --epochs 2 5</c>,
    /// <c>selftest-topk --large maybe</c>) in verbs that take no positional arguments: refuse it instead.
    /// </summary>
    static string? StrayArgument(Type verbType, string[] args)
    {
        if (verbType.GetProperties().Any(p => p.GetCustomAttributes(typeof(ValueAttribute), true).Length > 0)) return null;
        for (int i = 1; i < args.Length; i++) // args[0] is the verb
        {
            string token = SingleLetterLongName(args[i]);
            if (TakesValue(verbType, token)) i++;
            else if (!token.StartsWith('-')) return $"unexpected argument '{args[i]}' (this verb takes no positional arguments)";
        }
        return null;
    }

    /// <summary>True when <paramref name="token"/> names an option of the verb that takes a value (not a switch).</summary>
    static bool TakesValue(Type verbType, string token) =>
        verbType.GetProperties().Any(p => p.PropertyType != typeof(bool) &&
            p.GetCustomAttributes(typeof(OptionAttribute), true).FirstOrDefault() is OptionAttribute o &&
            (token == $"--{o.LongName}" || (o.ShortName.Length > 0 && (token == $"-{o.ShortName}" || token == $"--{o.ShortName}"))));

    static string Describe(Error e) => e switch
    {
        NoVerbSelectedError => "no verb given",
        BadVerbSelectedError b => $"unknown verb '{b.Token}'",
        UnknownOptionError u => $"unknown option '--{u.Token}'",
        MissingValueOptionError m => $"option '{Name(m.NameInfo)}' needs a value",
        BadFormatConversionError f => $"option '{Name(f.NameInfo)}' has a value of the wrong type or out of range",
        MissingRequiredOptionError r => $"option '{Name(r.NameInfo)}' is required",
        RepeatedOptionError r => $"option '{Name(r.NameInfo)}' is given twice",
        SequenceOutOfRangeError { NameInfo.LongName: "", NameInfo.ShortName: "" } => "missing or extra positional arguments",
        SequenceOutOfRangeError s => $"option '{Name(s.NameInfo)}' has the wrong number of values",
        _ => e.Tag.ToString(),
    };

    /// <summary>An option as the user spells it: --long, or -x for short-only ones (k is spelled --k, see above).</summary>
    static string Name(NameInfo n) =>
        n.LongName.Length > 0 ? $"--{n.LongName}" : n.ShortName == "k" ? "--k" : $"-{n.ShortName}";
}
