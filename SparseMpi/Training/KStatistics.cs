namespace SparseMpi.Training;

/// <summary>Mean, min and max of the k every rank sent over the steps of a run.</summary>
public sealed class KStatistics
{
    double _sum;
    long _count;

    public long Min { get; private set; } = long.MaxValue;
    public long Max { get; private set; }
    public double Mean => _count == 0 ? 0 : _sum / _count;

    public void Add(ReadOnlySpan<long> kPerRank)
    {
        foreach (long k in kPerRank)
        {
            _sum += k;
            _count++;
            Min = Math.Min(Min, k);
            Max = Math.Max(Max, k);
        }
    }
}
