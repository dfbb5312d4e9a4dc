using SparseMpi.Metrics;

namespace SparseMpi.Training;

/// <summary>
/// Over a run's measured steps (--log-assumption): the largest residual ratio, the steps where it exceeded random-k's
/// sqrt(1 - k/d), and the mean and largest xi and xi_topk, for summary.json (null without measurements).
/// </summary>
public sealed class AssumptionStatistics
{
    long _steps, _aboveRandomK;
    double _ratioMax = double.NegativeInfinity, _xiSum, _xiMax = double.NegativeInfinity, _xiTopKSum, _xiTopKMax = double.NegativeInfinity;
    long _xiSteps, _xiTopKSteps;

    public void Add(in StepStats s)
    {
        if (s.TopKResidualRatio is double ratio && s.RandomKBound is double bound)
        {
            _steps++;
            _ratioMax = Math.Max(_ratioMax, ratio);
            if (ratio > bound) _aboveRandomK++;
        }
        if (s.Xi is double xi) { _xiSteps++; _xiSum += xi; _xiMax = Math.Max(_xiMax, xi); }
        if (s.XiOfTopK is double xt) { _xiTopKSteps++; _xiTopKSum += xt; _xiTopKMax = Math.Max(_xiTopKMax, xt); }
    }

    /// <summary>Null when no step was measured.</summary>
    public AssumptionSummary? Summary => _steps == 0 ? null : new AssumptionSummary
    {
        MeasuredSteps = _steps,
        TopkResidualRatioMax = _ratioMax,
        StepsAboveRandomkBound = _aboveRandomK,
        XiMean = _xiSteps > 0 ? _xiSum / _xiSteps : null,
        XiMax = _xiSteps > 0 ? _xiMax : null,
        XiTopkMean = _xiTopKSteps > 0 ? _xiTopKSum / _xiTopKSteps : null,
        XiTopkMax = _xiTopKSteps > 0 ? _xiTopKMax : null,
    };
}
