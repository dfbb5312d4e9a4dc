using SparseMpi.Metrics;

namespace SparseMpi.Training;

/// <summary>Running totals of the time each phase of a step took on this rank.</summary>
public sealed class PhaseTotals
{
    double _compute, _select, _wait, _comm, _apply;
    long _steps;

    public void Add(double msCompute, in StepStats s)
    {
        _compute += msCompute;
        _select += s.MsSelect;
        _wait += s.MsWait;
        _comm += s.MsComm;
        _apply += s.MsApply;
        _steps++;
    }

    public PhaseMeans Means()
    {
        double n = Math.Max(1, _steps);
        return new PhaseMeans(_compute / n, _select / n, _wait / n, _comm / n, _apply / n, (_compute + _select + _wait + _comm + _apply) / n);
    }

    /// <summary>Global samples per second over the steps so far (time inside the five phases).</summary>
    public double SamplesPerSecond(int globalBatch)
    {
        double ms = _compute + _select + _wait + _comm + _apply;
        return ms > 0 ? _steps * globalBatch / (ms / 1000) : 0;
    }
}
