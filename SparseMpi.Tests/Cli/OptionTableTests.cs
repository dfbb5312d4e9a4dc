using System.Reflection;
using CommandLine;
using SparseMpi.Cli;
using SparseMpi.Tests.Support;

namespace SparseMpi.Tests.Cli;

/// <summary>
/// The table of which options act in which modes (Cli/OptionTables.cs), walked row by row: every option of every verb
/// is in it, every restriction refuses the command line that breaks it and accepts the one that keeps it, and the real
/// program prints one error line for each refused case. An option left at its default is never refused.
/// </summary>
[TestFixture]
public class OptionTableTests
{
    static readonly Type[] VerbTypes = typeof(IVerb).Assembly.GetTypes()
        .Where(t => typeof(IVerb).IsAssignableFrom(t) && t.GetCustomAttribute<VerbAttribute>() != null).ToArray();

    static string VerbName(Type t) => t.GetCustomAttribute<VerbAttribute>()!.Name;

    /// <summary>Parses and validates as Program.Main does (same parser settings, --k spelled -k, given options recorded).</summary>
    static (IVerb Verb, string? Problem) Validate(string verb, string arguments)
    {
        string[] args = [verb, .. arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(a => a == "--k" ? "-k" : a)];
        var parsed = new Parser(s => { s.HelpWriter = null; s.CaseInsensitiveEnumValues = true; s.AutoVersion = false; })
            .ParseArguments(args, VerbTypes);
        Assert.That(parsed, Is.InstanceOf<Parsed<object>>(), $"'{string.Join(' ', args)}' does not parse");
        var v = (IVerb)((Parsed<object>)parsed).Value;
        GivenOptions.Record(v, args);
        return (v, v.Validate());
    }

    [Test]
    public void EveryOptionOfEveryVerbIsInItsTableOnce()
    {
        Assert.That(VerbTypes, Has.Length.GreaterThanOrEqualTo(10));
        foreach (var type in VerbTypes)
        {
            var table = OptionTable.For(type); // throws for a verb without a table
            var options = OptionTable.OptionsOf(type).Select(x => x.Name).ToList();
            var rows = table.Rows.Select(r => r.Name).ToList();
            Assert.That(rows, Is.Unique, $"{type.Name}: a row appears twice");
            Assert.That(rows, Is.EquivalentTo(options), $"{type.Name}: the table and the [Option] properties differ");
        }
        Assert.That(OptionTable.All.Select(t => t.Verb), Is.EquivalentTo(VerbTypes));
    }

    public static IEnumerable<TestCaseData> Rules() =>
        from table in OptionTable.All
        from row in table.Rows
        from rule in row.Rules.Select((r, i) => (r, i))
        select new TestCaseData(VerbName(table.Verb), row.Name, rule.i).SetName($"{VerbName(table.Verb)} --{row.Name} rule {rule.i + 1}");

    static OptionRule RuleOf(string verb, string option, int index) =>
        OptionTable.All.Single(t => VerbName(t.Verb) == verb).Rows.Single(r => r.Name == option).Rules[index];

    [TestCaseSource(nameof(Rules))]
    public void ARestrictionRefusesWhatBreaksItAndAcceptsWhatKeepsIt(string verb, string option, int index)
    {
        var rule = RuleOf(verb, option, index);
        Assert.That(rule.Violating, Does.Contain(OptionTable.Spelling(option)), "the violating example must give the option");
        Assert.That(rule.Satisfying, Does.Contain(OptionTable.Spelling(option)), "the satisfying example must give the option");
        var (broken, problem) = Validate(verb, rule.Violating);
        Assert.That(rule.Holds(broken), Is.False, $"'{rule.Violating}' does not break the rule");
        Assert.That(problem, Is.EqualTo(rule.Refusal(broken)), $"'{verb} {rule.Violating}'");
        var (kept, accepted) = Validate(verb, rule.Satisfying);
        Assert.That(rule.Holds(kept), Is.True, $"'{rule.Satisfying}' breaks the rule");
        Assert.That(accepted, Is.Null, $"'{verb} {rule.Satisfying}' is refused");
    }

    /// <summary>The real program, started as a user would: one error line, a non-zero exit, before any work.</summary>
    [TestCaseSource(nameof(Rules)), Category("mpi")]
    public void TheProgramRefusesEachBrokenRestrictionWithOneLine(string verb, string option, int index)
    {
        var rule = RuleOf(verb, option, index);
        var (broken, _) = Validate(verb, rule.Violating);
        var r = ProgramRunner.Run($"{verb} {rule.Violating}", 1, Launcher.None, timeoutSeconds: 60);
        BadInputTests.AssertOneLineError(r, rule.Refusal(broken));
        Assert.That(r.ExitCode, Is.EqualTo(2), r.ToString());
    }

    [TestCase("train")]
    [TestCase("hogwild")]
    [TestCase("fit-mpi-cost")]
    [TestCase("bench-comm")]
    [TestCase("bench-step")]
    public void DefaultsAreNeverRefused(string verb) => Assert.That(Validate(verb, "").Problem, Is.Null);

    // The issue's list (issue 13, item 6), each as a user would type it; the table tests above cover every row too.
    [TestCase("train", "--k-rule dynamic --warmup-epochs 1", "--warmup-epochs warms up the fixed rule's density")]
    [TestCase("train", "--compressor none --density 0.05", "--density sets a compressor's k")]
    [TestCase("train", "--compressor none --k 10", "--k is a compressor's k")]
    [TestCase("train", "--compressor none --error-feedback true", "--error-feedback keeps a compressor's unsent residual")]
    [TestCase("train", "--compressor none --momentum-masking true", "--compressor none masks nothing")]
    [TestCase("train", "--momentum 0 --momentum-masking true", "with --momentum 0 there is none")]
    [TestCase("hogwild", "--delay-dist exp", "without --delay-ms there is none")]
    [TestCase("hogwild", "--max-in-flight 64", "--max-in-flight bounds deferred updates")] // the default value, but given
    [TestCase("hogwild", "--delay-mode defer", "--delay-mode defer has nothing to delay")]
    [TestCase("hogwild", "--toy-gradient --updates 10 --density 0.01", "--density sets the compressor's k; --toy-gradient")]
    [TestCase("hogwild", "--toy-gradient --updates 10 --momentum 0.5", "--momentum accumulates the gradient; --toy-gradient")]
    [TestCase("hogwild", "--momentum-masking true", "with --momentum 0 there is none")] // hogwild's momentum defaults to 0
    public void TheIgnoredOptionsOfTheIssueAreRefused(string verb, string arguments, string expected) =>
        Assert.That(Validate(verb, arguments).Problem, Does.Contain(expected));

    // Issue 15: auto's start-up fit and per-step choice run among the node leaders (HierarchicalExchange.Inner).
    [TestCase("--hierarchy node --exchange auto")]
    [TestCase("--hierarchy node --exchange auto --k-rule dynamic")]
    [TestCase("--hierarchy node --exchange auto --select-kernel torch")]
    public void AutoAmongNodeLeadersIsAccepted(string arguments) =>
        Assert.That(Validate("train", arguments).Problem, Is.Null);

    [TestCase("--k 5", true)]
    [TestCase("--k=5", true)]
    [TestCase("-k 5", true)]
    [TestCase("-k5", true)]
    [TestCase("--density 0.01", false)]
    [TestCase("--out k", false)] // a value is not an option
    public void GivenOptionsAreReadFromTheTokens(string arguments, bool kGiven)
    {
        string[] args = ["train", .. arguments.Split(' ').Select(a => a == "--k" ? "-k" : a.StartsWith("--k=") ? "-k" + a[4..] : a)];
        var given = GivenOptions.FromTokens(typeof(TrainVerb), args);
        Assert.That(given.Contains("k"), Is.EqualTo(kGiven), string.Join(",", given));
        Assert.That(given, Has.Count.EqualTo(1));
    }

    [Test]
    public void ShortOptionsOfOtherVerbsAreSeenAsGiven()
    {
        Assert.That(GivenOptions.FromTokens(typeof(BenchCommVerb), ["bench-comm", "-d", "1024", "--repeat", "2"]), Is.EquivalentTo(new[] { "d", "repeat" }));
        Assert.That(GivenOptions.FromTokens(typeof(BenchCommVerb), ["bench-comm", "--d", "1024"]), Is.EquivalentTo(new[] { "d" }));
    }
}
