using System.Diagnostics;

namespace SparseMpi.Collectives.Sparse;

/// <summary>
/// The baseline: MPI_Allreduce (sum) of d floats. Given a dense vector it reduces that; given only a selection it
/// scatters the selection into the (cleared) sum and reduces in place, so a sparsified run can be compared with
/// dense communication of the very same selection. Overwrites all of the sum, so <see cref="ResetOutput"/> has
/// nothing to do. Float sums follow the MPI library's reduction order, which is the same on every rank for the
/// libraries tested here (Open MPI, MPICH) but is not promised by the MPI standard.
/// </summary>
public sealed class DenseAllreduceExchange : IGradientExchange
{
    readonly Communicator _comm;
    readonly int[] _flags;

    public DenseAllreduceExchange(Communicator comm, int d)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(d);
        _comm = comm;
        Dimension = d;
        _flags = new int[comm.Size];
    }

    public string Name => "dense-allreduce";
    public int Dimension { get; }

    public ExchangeResult Exchange(LocalGradient local, Span<float> sum, bool flag = false)
    {
        if (sum.Length != Dimension) throw new ArgumentException($"sum has length {sum.Length}, the exchange has d = {Dimension}");
        if (local.HasDense && local.Dense.Length != Dimension) throw new ArgumentException($"the dense vector has length {local.Dense.Length}, the exchange has d = {Dimension}");
        if (!local.HasDense && !local.HasSelection && !flag) throw new ArgumentException("the dense exchange needs this rank's dense vector or its selection");
        bool inPlace = false;
        if (local.HasDense && local.Dense.Overlaps(sum, out int offset))
        {
            if (offset != 0) throw new ArgumentException("the dense input and the sum overlap partially; pass the same span for in place");
            inPlace = true;
        }
        if (!local.HasDense && !flag) IndexCodec.CheckSelection(local.Indices, Dimension);

        long start = Stopwatch.GetTimestamp();
        // Small next to d floats (one int per rank), and it lets all ranks stop together on a flag.
        _comm.Allgather<int>([flag ? RankFlags.Flagged : 0], _flags);
        var flagged = RankFlags.Collect(_flags);
        if (flagged.Length > 0) return new ExchangeResult { FlaggedRanks = flagged };

        double scatterSeconds = 0;
        if (!local.HasDense)
        {
            // Dense communication of a sparse selection: scatter it into the sum, then reduce in place.
            long scatterStart = Stopwatch.GetTimestamp();
            sum.Clear();
            SparseScatter.Add(sum, local.Indices, local.Values);
            scatterSeconds = Stopwatch.GetElapsedTime(scatterStart).TotalSeconds;
            inPlace = true;
        }
        if (inPlace) _comm.Allreduce(sum, ReduceOp.Sum);
        else _comm.Allreduce(local.Dense, sum, ReduceOp.Sum);

        int p = _comm.Size;
        long ring = p == 1 ? 0 : 4L * (p - 1) + (long)Math.Round(2.0 * (p - 1) / p * 4.0 * Dimension);
        return new ExchangeResult
        {
            MessageBytes = 4L * Dimension, BytesSent = ring, BytesReceived = ring, FlaggedRanks = flagged,
            EncodeSeconds = scatterSeconds,
            CommunicateSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds - scatterSeconds,
        };
    }

    public void ResetOutput(Span<float> sum)
    {
        if (sum.Length != Dimension) throw new ArgumentException($"sum has length {sum.Length}, the exchange has d = {Dimension}");
    }
}
