using System.Reflection;
using System.Runtime.CompilerServices;
using CommandLine;

namespace SparseMpi.Cli;

/// <summary>
/// One restriction on an option: given on the command line, the option acts only where <see cref="Holds"/> is
/// true; elsewhere the run would silently ignore it (or misuse it), so it is refused with <see cref="Refusal"/>.
/// <see cref="Violating"/> and <see cref="Satisfying"/> are example arguments (after the verb, the option among them)
/// that break and keep the restriction: the tests run every row both ways, so a row cannot be wrong unnoticed.
/// </summary>
public sealed record OptionRule(Func<object, bool> Holds, Func<object, string> Refusal, string Violating, string Satisfying);

/// <summary>
/// One option of a verb (its long name, or its short name when it has no long one): the modes it acts in (no rules:
/// every mode), and whether ranks compare it as a full path (see <see cref="OptionAgreement"/>).
/// </summary>
public sealed record OptionRow(string Name, IReadOnlyList<OptionRule> Rules, bool IsPath);

/// <summary>The options of one verb: every [Option] property appears exactly once (a test checks it).</summary>
public sealed class OptionTable(Type verb, IReadOnlyList<OptionRow> rows)
{
    public Type Verb { get; } = verb;
    public IReadOnlyList<OptionRow> Rows { get; } = rows;

    /// <summary>
    /// Null when every option given on the command line acts in the mode the options select, else the refusal of
    /// the first row (in table order) whose option is given and whose restriction is broken.
    /// </summary>
    public string? Problem(object parsed)
    {
        var given = GivenOptions.Of(parsed);
        foreach (var row in Rows)
        {
            if (!given.Contains(row.Name)) continue;
            foreach (var rule in row.Rules)
                if (!rule.Holds(parsed)) return rule.Refusal(parsed);
        }
        return null;
    }

    /// <summary>Every verb's table. A verb missing here fails <see cref="For"/> at its first run and in the tests.</summary>
    public static IReadOnlyList<OptionTable> All => OptionTables.All;

    public static OptionTable For(Type verb) =>
        All.FirstOrDefault(t => t.Verb == verb) ?? throw new InvalidOperationException($"{verb.Name} has no option table (Cli/OptionTables.cs)");

    /// <summary>The option name of an [Option] property as the table spells it: the long name, else the short one.</summary>
    public static string NameOf(OptionAttribute o) => o.LongName.Length > 0 ? o.LongName : o.ShortName;

    /// <summary>A user's spelling of a table name: --long, or --k / -d for the short-only ones.</summary>
    public static string Spelling(string name) => name.Length == 1 && name != "k" ? $"-{name}" : $"--{name}";

    /// <summary>Every [Option] property of a verb type with its table name, in declaration order (base class first).</summary>
    public static IEnumerable<(string Name, PropertyInfo Property, OptionAttribute Option)> OptionsOf(Type verb) =>
        verb.GetProperties()
            .Select(p => (p, o: p.GetCustomAttributes(typeof(OptionAttribute), true).OfType<OptionAttribute>().FirstOrDefault()))
            .Where(x => x.o != null)
            .OrderBy(x => Depth(x.p.DeclaringType!)).ThenBy(x => x.p.MetadataToken)
            .Select(x => (NameOf(x.o!), x.p, x.o!));

    // Base-class options first; an override (hogwild's --momentum, --out) counts as the derived class's. Any fixed
    // order will do: ranks compare texts built in this order.
    static int Depth(Type t) => t.BaseType == null ? 0 : 1 + Depth(t.BaseType);
}

/// <summary>Builds one verb's <see cref="OptionTable"/> so that the table in OptionTables.cs reads as a table.</summary>
public sealed class OptionTableBuilder<T> where T : class
{
    readonly List<OptionRow> _rows = [];

    /// <summary>Options that act in every mode of the verb.</summary>
    public OptionTableBuilder<T> Always(params string[] names)
    {
        foreach (string n in names) _rows.Add(new OptionRow(n, [], IsPath: false));
        return this;
    }

    /// <summary>Options that act in every mode and name a file or directory: ranks compare their full paths.</summary>
    public OptionTableBuilder<T> Paths(params string[] names)
    {
        foreach (string n in names) _rows.Add(new OptionRow(n, [], IsPath: true));
        return this;
    }

    /// <summary>An option that acts only where all of <paramref name="rules"/> hold.</summary>
    public OptionTableBuilder<T> Only(string name, params OptionRule[] rules)
    {
        _rows.Add(new OptionRow(name, rules, IsPath: false));
        return this;
    }

    /// <summary>A path option (ranks compare full paths) that acts only where all of <paramref name="rules"/> hold.</summary>
    public OptionTableBuilder<T> Path(string name, params OptionRule[] rules)
    {
        _rows.Add(new OptionRow(name, rules, IsPath: true));
        return this;
    }

    public OptionTable Build() => new(typeof(T), _rows);

    /// <summary>A restriction: acts where <paramref name="holds"/>; refused with <paramref name="refusal"/>.</summary>
    public static OptionRule When(Func<T, bool> holds, string refusal, string violating, string satisfying = "") =>
        new(o => holds((T)o), _ => refusal, violating, satisfying);

    /// <summary>As above, with a refusal that names the values given.</summary>
    public static OptionRule When(Func<T, bool> holds, Func<T, string> refusal, string violating, string satisfying = "") =>
        new(o => holds((T)o), o => refusal((T)o), violating, satisfying);
}

/// <summary>
/// Which options the command line gave, as opposed to left at their defaults: an option left at its default must
/// never be refused as ignored (e.g. hogwild's --max-in-flight 64 without defer), while the same value given on the
/// command line is. CommandLineParser sets defaults through the same setters, so the tokens are read here.
/// </summary>
public static class GivenOptions
{
    static readonly ConditionalWeakTable<object, HashSet<string>> Recorded = new();

    /// <summary>Records the options <paramref name="args"/> (the verb first) gave to the parsed <paramref name="verb"/>.</summary>
    public static void Record(object verb, IEnumerable<string> args) => Recorded.AddOrUpdate(verb, FromTokens(verb.GetType(), args));

    /// <summary>
    /// The recorded options; for a verb not parsed by Program (built in code, or parsed by a test), the options whose
    /// value differs from a fresh instance's, the closest that can be known without a command line.
    /// </summary>
    public static IReadOnlySet<string> Of(object verb) =>
        Recorded.TryGetValue(verb, out var given) ? given : Changed(verb);

    /// <summary>Table names of the options in <paramref name="args"/> (the verb first); values are skipped.</summary>
    public static HashSet<string> FromTokens(Type verbType, IEnumerable<string> args)
    {
        var options = OptionTable.OptionsOf(verbType).ToList();
        var given = new HashSet<string>();
        var tokens = args.Skip(1).ToList();
        for (int i = 0; i < tokens.Count; i++)
        {
            string t = tokens[i];
            if (t == "--") break; // the rest are values
            foreach (var (name, property, o) in options)
            {
                bool takesValue = property.PropertyType != typeof(bool);
                bool exact = (o.LongName.Length > 0 && t == $"--{o.LongName}") ||
                             (o.ShortName.Length > 0 && (t == $"-{o.ShortName}" || t == $"--{o.ShortName}"));
                bool attached = (o.LongName.Length > 0 && t.StartsWith($"--{o.LongName}=", StringComparison.Ordinal)) ||
                                (o.ShortName.Length > 0 && takesValue && !t.StartsWith("--", StringComparison.Ordinal) &&
                                 t.StartsWith($"-{o.ShortName}", StringComparison.Ordinal) && t.Length > 2) ||
                                (o.ShortName.Length > 0 && t.StartsWith($"--{o.ShortName}=", StringComparison.Ordinal));
                if (!exact && !attached) continue;
                given.Add(name);
                if (exact && takesValue) i++;
                break;
            }
        }
        return given;
    }

    static HashSet<string> Changed(object verb)
    {
        object fresh = Activator.CreateInstance(verb.GetType())!;
        return OptionTable.OptionsOf(verb.GetType())
            .Where(x => OptionAgreement.Text(x.Property.GetValue(verb)) != OptionAgreement.Text(x.Property.GetValue(fresh)))
            .Select(x => x.Name).ToHashSet();
    }
}
