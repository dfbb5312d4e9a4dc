using System.Globalization;
using SparseMpi.Collectives;
using SparseMpi.Training.Data;

namespace SparseMpi.Training.Hogwild;

/// <summary>
/// The staleness distribution of the delayed-gradient simulation (hogwild --staleness-model): the analysis model
/// of Candela et al. 2019, x_{t+1} = x_t - eta * Phi(grad f(x_{t - tau_t})), with tau_t drawn here instead of
/// arising from the machine's timing. <c>fixed:T</c> (every tau = T), <c>uniform:T</c> (uniform on 0..2T, mean
/// T), <c>geometric:T</c> (P(tau = s) = p (1-p)^s with p = 1 / (T + 1), mean T), truncated at
/// <see cref="Max"/> (draws above are drawn again) so that the snapshot history has a bound; the cut tail has
/// probability below <see cref="GeometricTail"/>, which moves the mean by less than a thousandth of T.
/// Draws come from a generator seeded with the run's seed: the same seed gives the same staleness sequence.
/// </summary>
public sealed class StalenessModel
{
    public const double GeometricTail = 1e-4;
    public static readonly string[] Kinds = ["fixed", "uniform", "geometric"];

    public string Kind { get; }
    public int T { get; }
    /// <summary>The largest staleness a draw can have.</summary>
    public int Max { get; }
    readonly double _logOneMinusP; // geometric only
    Xoshiro256StarStar _random;

    StalenessModel(string kind, int t, long seed)
    {
        Kind = kind;
        T = t;
        if (kind == "geometric" && t > 0)
        {
            _logOneMinusP = Math.Log(1 - 1.0 / (t + 1));
            // P(tau > m) = (1 - p)^(m + 1) < GeometricTail
            Max = (int)Math.Ceiling(Math.Log(GeometricTail) / _logOneMinusP);
        }
        else Max = kind == "uniform" ? 2 * t : t;
        _random = new Xoshiro256StarStar(SplitMix64.Mix((ulong)seed ^ 0x57A1_E000ul));
    }

    /// <summary>The text of the model ("uniform:16").</summary>
    public override string ToString() => $"{Kind}:{T}";

    /// <summary>Null when <paramref name="text"/> is a valid DIST, else one line.</summary>
    public static string? Problem(string text) => TryParse(text, 1, out _, out string? problem) ? null : problem;

    public static StalenessModel Parse(string text, long seed) =>
        TryParse(text, seed, out var model, out string? problem) ? model! : throw new ArgumentException(problem, nameof(text));

    static bool TryParse(string text, long seed, out StalenessModel? model, out string? problem)
    {
        model = null;
        problem = null;
        string[] parts = text.Split(':');
        if (parts.Length != 2 || !Kinds.Contains(parts[0]) ||
            !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int t) || t > 10_000)
        {
            problem = $"--staleness-model must be fixed:T, uniform:T (0..2T) or geometric:T (mean T), T an integer in 0..10000 (got '{text}')";
            return false;
        }
        model = new StalenessModel(parts[0], t, seed);
        return true;
    }

    /// <summary>The next tau_t.</summary>
    public int Next()
    {
        switch (Kind)
        {
            case "fixed": return T;
            case "uniform": return (int)_random.NextBelow((uint)(2 * T + 1));
            default:
                if (T == 0) return 0;
                while (true)
                {
                    double u = ((_random.NextUInt64() >> 11) + 1) * (1.0 / (1ul << 53)); // (0, 1]
                    double s = Math.Floor(Math.Log(u) / _logOneMinusP);
                    if (s <= Max) return (int)s;
                }
        }
    }
}
