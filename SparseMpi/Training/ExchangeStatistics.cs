namespace SparseMpi.Training;

/// <summary>Over a run's steps: how often each exchange ran (auto's choices) and the mean fill-in, for summary.json.</summary>
public sealed class ExchangeStatistics
{
    double _fillInSum;
    long _fillInSteps;

    public SortedDictionary<string, long> Counts { get; } = new(StringComparer.Ordinal);

    public double? MeanFillIn => _fillInSteps > 0 ? _fillInSum / _fillInSteps : null;

    public void Add(string? exchange, double? fillIn)
    {
        if (exchange != null) Counts[exchange] = Counts.GetValueOrDefault(exchange) + 1;
        if (fillIn is double f) { _fillInSum += f; _fillInSteps++; }
    }
}
