using System.Diagnostics;
using System.Runtime.InteropServices;

namespace SparseMpi.Collectives.Sparse;

/// <summary>
/// <c>--exchange ssar-rd</c>: SparCML's sparse allreduce by recursive doubling (Renggli et al., SC'19). In round t
/// a rank swaps its whole current partial sum with partner <c>rank ^ 2^t</c> (sizes first, then the stream, both by
/// MPI_Sendrecv) and merge-sums the two sorted streams (<see cref="SparseStream"/>), so after log2 P rounds every
/// rank holds the sum. A stream turns dense once <c>nnz * 8 >= d * 4</c> and later rounds move d floats: the sum
/// fills in as ranks' selections differ. Non-powers of two fold first: of the first 2r ranks (r = P - 2^floor(log2 P))
/// each even one hands its stream to the odd one above it, sits the rounds out and receives the result at the end.
/// <para>Partners compute bitwise-identical sums (the merge is symmetric), so every rank ends with the same bits;
/// they differ from the allgather's rank-order sum only in the order of float additions.</para>
/// <para>Moves per rank about k·log2 P pairs while the sum stays sparse (the allgather moves k·(P-1)), at most
/// log2 P · 4d bytes when it fills in. Announcement: k (for the per-rank counts; the sizes travel with the
/// rounds).</para>
/// </summary>
public sealed class RecursiveDoublingExchange : IGradientExchange
{
    readonly Communicator _comm;
    readonly SparseStream _stream;
    readonly int[] _counts;
    GrowableBuffer<byte> _send, _receive;
    GrowableBuffer<int> _touched;
    int _touchedCount;
    bool _wroteAll;

    public RecursiveDoublingExchange(Communicator comm, int d)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(d);
        _comm = comm;
        Dimension = d;
        _stream = new SparseStream(d, SparseStream.DenseSwitch(d));
        _counts = new int[comm.Size];
    }

    public string Name => "ssar-rd";
    public int Dimension { get; }
    public Communicator Communicator => _comm;
    public ReadOnlySpan<int> RankCounts => _counts;
    public bool WroteAll => _wroteAll;
    public ReadOnlySpan<int> Touched => _touched.Array.AsSpan(0, _touchedCount);

    public int Pack(ReadOnlySpan<int> indices, ReadOnlySpan<float> values)
    {
        _stream.Set(indices, values);
        return indices.Length;
    }

    public ExchangeResult Exchange(ReadOnlySpan<int> announcements, Span<float> sum)
    {
        ExchangeChecks.Sum(sum, Dimension);
        ExchangeChecks.Announcements(announcements, _comm.Size);
        announcements.CopyTo(_counts);
        long start = Stopwatch.GetTimestamp();
        long sent = 0, received = 0;
        int p = _comm.Size, rank = _comm.Rank;
        int pof2 = 1;
        while (pof2 * 2 <= p) pof2 *= 2;
        int extra = p - pof2;

        // Fold: ranks 0, 2, ..., 2 extra - 2 hand their stream up and wait for the result.
        int virtualRank;
        if (rank < 2 * extra)
        {
            if (rank % 2 == 0)
            {
                sent += SendStream(rank + 1);
                virtualRank = -1;
            }
            else
            {
                received += ReceiveAndMerge(rank - 1);
                virtualRank = rank / 2;
            }
        }
        else virtualRank = rank - extra;

        if (virtualRank >= 0)
            for (int mask = 1; mask < pof2; mask <<= 1)
            {
                int v = virtualRank ^ mask;
                int partner = v < extra ? 2 * v + 1 : v + extra;
                var (s, r) = Swap(partner);
                sent += s;
                received += r;
            }

        // Unfold: the odd ranks of the folded pairs send the result back.
        if (rank < 2 * extra)
        {
            if (rank % 2 == 1) sent += SendStream(rank - 1);
            else received += ReceiveResult(rank + 1);
        }
        long communicated = Stopwatch.GetTimestamp();

        _stream.WriteTo(sum);
        _wroteAll = _stream.IsDense;
        if (_wroteAll) _touchedCount = 0;
        else
        {
            _stream.Indices.CopyTo(_touched.Get(_stream.Count));
            _touchedCount = _stream.Count;
        }
        return new ExchangeResult
        {
            MessageBytes = 8L * _counts[rank] + 4,
            BytesSent = sent, BytesReceived = received,
            TotalPairs = _wroteAll ? Dimension : _stream.Count,
            CommunicateSeconds = Stopwatch.GetElapsedTime(start, communicated).TotalSeconds,
            DecodeSeconds = Stopwatch.GetElapsedTime(communicated).TotalSeconds,
        };
    }

    /// <summary>One round: sizes, then streams, both ways at once; then the merge. Returns the bytes sent and received.</summary>
    (long Sent, long Received) Swap(int partner)
    {
        int mine = _stream.MessageBytes;
        Span<int> theirs = stackalloc int[1];
        _comm.Sendrecv<int>([mine], partner, theirs, partner);
        var send = _send.Get(mine);
        _stream.Write(send);
        var receive = _receive.Get(theirs[0]);
        _comm.Sendrecv<byte>(send, partner, receive, partner);
        _stream.Merge(receive);
        return (4L + mine, 4L + theirs[0]);
    }

    long SendStream(int to)
    {
        int mine = _stream.MessageBytes;
        _comm.Send<int>([mine], to);
        var send = _send.Get(mine);
        _stream.Write(send);
        _comm.Send<byte>(send, to);
        return 4L + mine;
    }

    long ReceiveAndMerge(int from)
    {
        var receive = Receive(from);
        _stream.Merge(receive);
        return 4L + receive.Length;
    }

    long ReceiveResult(int from)
    {
        var receive = Receive(from);
        _stream.Read(receive);
        return 4L + receive.Length;
    }

    Span<byte> Receive(int from)
    {
        Span<int> length = stackalloc int[1];
        _comm.Receive(length, from);
        var receive = _receive.Get(length[0]);
        _comm.Receive(receive, from);
        return receive;
    }

    /// <summary>Zeroes what the last exchange wrote: all of d when it went dense, else its entries.</summary>
    public void ResetOutput(Span<float> sum)
    {
        ExchangeChecks.Sum(sum, Dimension);
        ExchangeChecks.ClearWritten(sum, _wroteAll, Touched);
        _touchedCount = 0;
        _wroteAll = false;
    }
}
