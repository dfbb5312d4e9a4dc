using System.Diagnostics;

namespace SparseMpi.Collectives.Sparse;

/// <summary>
/// The baseline: every rank scatters its selection into the (cleared) sum and one in-place MPI_Allreduce (sum)
/// of d floats adds them, so a sparsified run can be compared with dense communication of the very same
/// selection. Its announcement is k (only for the per-rank counts: no length has to be known before the
/// allreduce). Overwrites all of the sum, so <see cref="ResetOutput"/> has nothing to do. Float sums follow the MPI
/// library's reduction order, which is the same on every rank for the libraries tested here (Open MPI, MPICH) but
/// is not promised by the MPI standard.
/// </summary>
public sealed class DenseAllreduceExchange : IGradientExchange
{
    readonly Communicator _comm;
    readonly int[] _counts;
    KeptSelection _selection; // from Pack to Exchange

    public DenseAllreduceExchange(Communicator comm, int d)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(d);
        _comm = comm;
        Dimension = d;
        _counts = new int[comm.Size];
    }

    public string Name => "dense-allreduce";
    public int Dimension { get; }
    public Communicator Communicator => _comm;
    public ReadOnlySpan<int> RankCounts => _counts;
    public bool WroteAll => true;
    public ReadOnlySpan<int> Touched => [];

    /// <summary>Keeps a copy of the selection (checked: ascending, inside 0..d-1); the announcement is k.</summary>
    public int Pack(ReadOnlySpan<int> indices, ReadOnlySpan<float> values) => _selection.Keep(indices, values, Dimension);

    public ExchangeResult Exchange(ReadOnlySpan<int> announcements, Span<float> sum)
    {
        ExchangeChecks.Sum(sum, Dimension);
        ExchangeChecks.Announcements(announcements, _comm.Size);
        ExchangeChecks.AnnouncedK(announcements, _comm.Rank, _selection.K);
        announcements.CopyTo(_counts);
        long start = Stopwatch.GetTimestamp();
        sum.Clear();
        SparseScatter.Add(sum, _selection.Indices, _selection.Values);
        double scatterSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        long reduce = Stopwatch.GetTimestamp();
        _comm.Allreduce(sum, ReduceOp.Sum);
        return AllreduceResult(scatterSeconds, Stopwatch.GetElapsedTime(reduce).TotalSeconds);
    }

    /// <summary>
    /// The dense baseline itself (no selection): <c>sum = Σ over ranks of dense</c> with one MPI_Allreduce;
    /// <paramref name="sum"/> may be the very same span as <paramref name="dense"/> (in place). Collective.
    /// </summary>
    public ExchangeResult AllreduceDense(ReadOnlySpan<float> dense, Span<float> sum)
    {
        ExchangeChecks.Sum(sum, Dimension);
        if (dense.Length != Dimension) throw new ArgumentException($"the dense vector has length {dense.Length}, the exchange has d = {Dimension}");
        bool inPlace = false;
        if (dense.Overlaps(sum, out int offset))
        {
            if (offset != 0) throw new ArgumentException("the dense input and the sum overlap partially; pass the same span for in place");
            inPlace = true;
        }
        long start = Stopwatch.GetTimestamp();
        if (inPlace) _comm.Allreduce(sum, ReduceOp.Sum);
        else _comm.Allreduce(dense, sum, ReduceOp.Sum);
        return AllreduceResult(0, Stopwatch.GetElapsedTime(start).TotalSeconds);
    }

    ExchangeResult AllreduceResult(double scatterSeconds, double reduceSeconds)
    {
        long ring = RingModel.AllreduceFloats(_comm.Size, Dimension);
        return new ExchangeResult
        {
            MessageBytes = 4L * Dimension, BytesSent = ring, BytesReceived = ring,
            EncodeSeconds = scatterSeconds, CommunicateSeconds = reduceSeconds,
        };
    }

    public void ResetOutput(Span<float> sum)
    {
        ExchangeChecks.Sum(sum, Dimension);
    }
}
