using System.Globalization;

namespace SparseMpi.Cli;

/// <summary>
/// Says what was wrong with an option value the parser could not convert, quoting the value. The parser reads
/// doubles with .NET's rules, which take "Infinity" and "NaN" but not "inf": without this, <c>--lr inf</c> was a
/// generic "wrong type" while <c>--lr Infinity</c> reached the verb's "must be a positive finite number".
/// Either way a non-finite number is now refused with "finite" in the line.
/// </summary>
public static class OptionValues
{
    /// <summary>The line for option <paramref name="option"/> (as spelled: --lr) whose value did not convert.</summary>
    public static string BadValue(string option, IReadOnlyList<string> args)
    {
        string? value = ValueOf(option, args);
        if (value == null) return $"option '{option}' has a value of the wrong type or out of range";
        if (LooksNonFinite(value)) return $"option '{option}' must be a finite number (got '{value}')";
        return $"option '{option}' has a value of the wrong type or out of range (got '{value}')";
    }

    /// <summary>inf, +inf, -Infinity, nan, ... in any case: what C's strtod would take as non-finite.</summary>
    public static bool LooksNonFinite(string value)
    {
        string v = value.Trim().TrimStart('+', '-').ToLowerInvariant();
        return v is "inf" or "infinity" or "nan" or "∞" || (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && !double.IsFinite(d));
    }

    /// <summary>The last value given to <paramref name="option"/> (--x v or --x=v; -k for --k), or null.</summary>
    static string? ValueOf(string option, IReadOnlyList<string> args)
    {
        string? found = null;
        for (int i = 0; i < args.Count; i++)
        {
            string a = option == "--k" && args[i] == "-k" ? "--k" : args[i]; // k is spelled -k or --k (Program.SingleLetterLongName)
            if (a == option && i + 1 < args.Count) found = args[i + 1];
            else if (a.StartsWith(option + "=", StringComparison.Ordinal)) found = a[(option.Length + 1)..];
        }
        return found;
    }
}
