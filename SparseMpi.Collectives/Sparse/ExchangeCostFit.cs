using System.Globalization;

namespace SparseMpi.Collectives.Sparse;

/// <summary>
/// One algorithm's affine cost on one communicator: <c>seconds = FixedSeconds + SecondsPerByte · Bytes(shape)</c>
/// with <see cref="ExchangeCostModel.Bytes"/>. FixedSeconds is alpha · Latencies(P) (its alpha per message is
/// <see cref="Alpha"/>); SecondsPerByte is beta, including the local work that grows with the bytes.
/// RelativeError is how far the fit is known to be off: the largest relative gap, over its calibration samples,
/// between the line and the time, or between the slowest and the fastest repetition (0 for given costs).
/// </summary>
public readonly record struct AlgorithmCost(string Algorithm, double FixedSeconds, double SecondsPerByte, double RelativeError = 0)
{
    /// <summary>alpha per message on P ranks (FixedSeconds itself on one rank, where nothing is sent).</summary>
    public double Alpha(int p) => ExchangeCostModel.Latencies(Algorithm, p) is double l and > 0 ? FixedSeconds / l : FixedSeconds;
}

/// <summary>
/// The cost of every exact exchange on one communicator (P ranks): fitted at start-up by
/// <see cref="ExchangeCalibration"/>, or one (alpha, beta) for all (<see cref="Uniform"/>, from --mpi-alpha/--mpi-beta).
/// Every rank holds the same numbers (fitted from max-over-ranks timings), so every rank predicts the same.
/// </summary>
public sealed class ExchangeCostFit
{
    readonly AlgorithmCost[] _costs;

    public ExchangeCostFit(int ranks, string source, IEnumerable<AlgorithmCost> costs)
    {
        Ranks = ranks;
        Source = source;
        _costs = costs.ToArray();
    }

    /// <summary>"fitted" (timed on this communicator) or "given" (one alpha and beta for every algorithm).</summary>
    public string Source { get; }
    public int Ranks { get; }
    public IReadOnlyList<AlgorithmCost> Costs => _costs;

    /// <summary>One network for every algorithm: FixedSeconds = alpha · Latencies(P), SecondsPerByte = beta.</summary>
    public static ExchangeCostFit Uniform(int ranks, double alpha, double beta, IEnumerable<string>? algorithms = null) =>
        new(ranks, "given", (algorithms ?? ExchangeCostModel.Algorithms).Select(a => new AlgorithmCost(a, alpha * ExchangeCostModel.Latencies(a, ranks), beta)));

    /// <summary>The same costs for <paramref name="algorithms"/> only, in their order (auto's fit: the exact exchanges).</summary>
    public ExchangeCostFit Restrict(IEnumerable<string> algorithms) => new(Ranks, Source, algorithms.Select(CostOf));

    public bool Knows(string algorithm) => Array.FindIndex(_costs, c => c.Algorithm == algorithm) >= 0;

    public AlgorithmCost CostOf(string algorithm) =>
        Array.Find(_costs, c => c.Algorithm == algorithm) is { Algorithm: not null } c ? c : throw new ArgumentException($"the cost fit has no '{algorithm}'");

    /// <summary>Predicted seconds of one exchange of this shape with <paramref name="algorithm"/>.</summary>
    public double Predict(string algorithm, in ExchangeShape shape)
    {
        var c = CostOf(algorithm);
        return c.FixedSeconds + c.SecondsPerByte * ExchangeCostModel.Bytes(algorithm, shape);
    }

    /// <summary>
    /// The algorithm with the least predicted time (index into <see cref="Costs"/>), ties to the earlier one;
    /// <paramref name="predictions"/> receives every algorithm's prediction in that order.
    /// </summary>
    public int Cheapest(in ExchangeShape shape, Span<double> predictions)
    {
        int best = 0;
        for (int a = 0; a < _costs.Length; a++)
        {
            predictions[a] = Predict(_costs[a].Algorithm, shape);
            if (predictions[a] < predictions[best]) best = a;
        }
        return best;
    }

    /// <summary>
    /// The algorithm to run (index into <see cref="Costs"/>) when <paramref name="incumbent"/> ran last: the
    /// cheapest prediction, unless it beats the incumbent's by no more than the larger of the two fits'
    /// <see cref="AlgorithmCost.RelativeError"/>; then the incumbent stays. Two predictions closer than the fits'
    /// own error are a coin toss on calibration noise (measured: auto's two wrong choices on the emulated cluster
    /// were a challenger predicted 7% and 18% cheaper that ran 1.5x and 1.2x slower), and switching back and forth
    /// between steps would only add their noise. A negative incumbent means none: the cheapest.
    /// </summary>
    public int Choose(in ExchangeShape shape, Span<double> predictions, int incumbent)
    {
        int cheapest = Cheapest(shape, predictions);
        if (incumbent < 0 || incumbent == cheapest) return cheapest;
        double margin = Math.Max(_costs[cheapest].RelativeError, _costs[incumbent].RelativeError);
        return predictions[cheapest] * (1 + margin) < predictions[incumbent] ? cheapest : incumbent;
    }

    /// <summary>A stable hash of the numbers, for checking that every rank holds the same fit.</summary>
    public long Hash()
    {
        long h = Ranks;
        foreach (var c in _costs)
            h = (h * 1_000_003 ^ BitConverter.DoubleToInt64Bits(c.FixedSeconds) * 31 ^ BitConverter.DoubleToInt64Bits(c.SecondsPerByte)) * 7
                ^ BitConverter.DoubleToInt64Bits(c.RelativeError);
        return h;
    }

    /// <summary>One line per algorithm for the log.</summary>
    public string Describe() => string.Join("\n", _costs.Select(c => string.Create(CultureInfo.InvariantCulture,
        $"exchange cost ({Source}, {Ranks} ranks): {c.Algorithm,-10} {1e6 * c.FixedSeconds,10:F1} us + {1e9 * c.SecondsPerByte,8:F3} ns/B (alpha {1e6 * c.Alpha(Ranks):F2} us per message; fit within {100 * c.RelativeError:F0}%)")));
}
