namespace SparseMpi.Training;

/// <summary>Which k a rank sends at a step.</summary>
public interface IKSchedule
{
    /// <summary>The most k this schedule can give: sizes the send buffers once.</summary>
    int MaxK { get; }

    /// <summary>k for <paramref name="step"/> (for a dynamic rule: the candidates to select, k_max).</summary>
    int KAt(long step);

    /// <summary>Narrows the candidates to what is sent (the dynamic rule); null sends them all.</summary>
    Sparsification.ISelectionFilter? Filter { get; }
}

/// <summary>
/// The dynamic rule (Khirirat et al. 2020): select the k_max largest candidates, then send the k of largest
/// S(k) / C(k) among them (<see cref="Sparsification.DynamicSparsity"/>).
/// </summary>
public sealed class DynamicKSchedule(int kMax, Sparsification.DynamicSparsity rule) : IKSchedule
{
    public int MaxK => kMax;
    public int KAt(long step) => kMax;
    public Sparsification.ISelectionFilter Filter => rule;
}

/// <summary>
/// A fixed k, optionally after a density warm-up as in DGC (Lin et al., 2018): during the first W epochs the
/// density decays geometrically from dense towards the target, epoch e (0-based) using target^((e+1)/(W+1)),
/// e.g. 0.25, 0.063, 0.016, 0.004 and then 0.001 for a target of 0.001 and W = 4.
/// </summary>
public sealed class FixedKSchedule : IKSchedule
{
    readonly int _d;
    readonly long _stepsPerEpoch;
    readonly int _warmupEpochs;

    public FixedKSchedule(int d, int k, long stepsPerEpoch, int warmupEpochs)
    {
        if (k < 1 || k > d) throw new ArgumentOutOfRangeException(nameof(k), k, $"k must be in 1..{d}");
        _d = d;
        K = k;
        _stepsPerEpoch = stepsPerEpoch;
        _warmupEpochs = warmupEpochs;
    }

    public int K { get; }

    public int MaxK => _warmupEpochs > 0 ? KForDensity(_d, WarmupDensity(0)) : K;

    public Sparsification.ISelectionFilter? Filter => null;

    public int KAt(long step)
    {
        long epoch = step / _stepsPerEpoch;
        return epoch >= _warmupEpochs ? K : Math.Max(K, KForDensity(_d, WarmupDensity((int)epoch)));
    }

    double WarmupDensity(int epoch) => Math.Pow((double)K / _d, (epoch + 1.0) / (_warmupEpochs + 1.0));

    /// <summary>k = round(d * density), at least 1 and at most d.</summary>
    public static int KForDensity(int d, double density) => (int)Math.Clamp(Math.Round(d * density), 1, d);
}
