using System.Diagnostics;
using System.Runtime.InteropServices;

namespace SparseMpi.Collectives.Sparse;

/// <summary>
/// SparCML's split allgather (Renggli et al., SC'19): [0, d) is cut into P ranges, rank q owning range q.
/// <b>Reduce</b>: every rank sends each range's pairs to its owner (one MPI_Alltoall of the counts, one
/// MPI_Alltoallv of the pairs), and the owner sums what it received in rank order. <b>Gather</b>, two variants:
/// <list type="bullet">
/// <item><c>ssar-split</c>: the owners' reduced ranges are allgathered, each sparse or, once its pairs are no smaller
/// than the range (nnz * 8 >= length * 4), dense (one MPI_Allgather of the sizes, one MPI_Allgatherv);</item>
/// <item><c>dsar-split</c>: every owner densifies its range and one MPI_Allgatherv of d floats finishes (the choice
/// for an expected large fill-in).</item>
/// </list>
/// Each entry of the sum is computed once, by its owner, so every rank receives the same bits. A rank sends
/// about k pairs and receives about k·(P-1)/P·fill plus the reduced ranges: roughly 2k(P-1)/P pairs per rank while
/// the sum stays sparse, independent of P. Announcement: k (for the per-rank counts).
/// </summary>
public sealed class SplitAllgatherExchange : IGradientExchange
{
    readonly Communicator _comm;
    readonly bool _denseGather;
    readonly int[] _counts, _sendCounts, _sendOffsets, _receiveCounts, _receiveOffsets, _gatherLengths, _gatherOffsets;
    readonly int[] _rangeStart; // P + 1 boundaries
    readonly OwnerReduce _reduce; // this rank's range of the sum; all zero between exchanges
    GrowableBuffer<long> _pairs, _received;
    GrowableBuffer<byte> _gatherSend, _gatherReceive;
    GrowableBuffer<int> _touched;
    int _touchedCount;
    bool _wroteAll;

    /// <param name="denseGather">false: <c>ssar-split</c>; true: <c>dsar-split</c>.</param>
    public SplitAllgatherExchange(Communicator comm, int d, bool denseGather)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(d);
        _comm = comm;
        _denseGather = denseGather;
        Dimension = d;
        int p = comm.Size;
        _counts = new int[p];
        _sendCounts = new int[p]; _sendOffsets = new int[p];
        _receiveCounts = new int[p]; _receiveOffsets = new int[p];
        _gatherLengths = new int[p]; _gatherOffsets = new int[p];
        _rangeStart = new int[p + 1];
        for (int q = 0; q <= p; q++) _rangeStart[q] = (int)((long)d * q / p);
        _reduce = new OwnerReduce(_rangeStart[comm.Rank + 1] - _rangeStart[comm.Rank]);
    }

    public string Name => _denseGather ? "dsar-split" : "ssar-split";
    public int Dimension { get; }
    public Communicator Communicator => _comm;
    public ReadOnlySpan<int> RankCounts => _counts;
    public bool WroteAll => _wroteAll;
    public ReadOnlySpan<int> Touched => _touched.Array.AsSpan(0, _touchedCount);

    /// <summary>Packs the selection as (index, value bits) pairs in owner order (the indices ascend, so do the owners).</summary>
    public int Pack(ReadOnlySpan<int> indices, ReadOnlySpan<float> values)
    {
        if (indices.Length != values.Length) throw new ArgumentException($"the selection has {indices.Length} indices but {values.Length} values");
        IndexCodec.CheckSelection(indices, Dimension);
        var pairs = _pairs.Get(indices.Length);
        for (int j = 0; j < indices.Length; j++) pairs[j] = OwnerReduce.Pair(indices[j], values[j]);
        OwnerReduce.Split(indices, _rangeStart, _sendOffsets, _sendCounts);
        return indices.Length;
    }

    public ExchangeResult Exchange(ReadOnlySpan<int> announcements, Span<float> sum)
    {
        ExchangeChecks.Sum(sum, Dimension);
        ExchangeChecks.Announcements(announcements, _comm.Size);
        announcements.CopyTo(_counts);
        int p = _comm.Size, rank = _comm.Rank;
        long start = Stopwatch.GetTimestamp();

        // Reduce: every range's pairs to its owner.
        _comm.Alltoall<int>(_sendCounts, _receiveCounts);
        long total = 0;
        for (int q = 0; q < p; q++) { _receiveOffsets[q] = (int)total; total += _receiveCounts[q]; }
        var received = _received.Get(total);
        _comm.Alltoallv<long>(_pairs.Array.AsSpan(0, _counts[rank]), _sendCounts, _sendOffsets, received, _receiveCounts, _receiveOffsets);
        long reduced = Stopwatch.GetTimestamp();
        // Rank order: the Alltoallv placed rank q's block before rank q + 1's.
        int entries = _reduce.Sum(received, _rangeStart[rank], _rangeStart[rank + 1], _rangeStart[rank], "range");

        // Gather the reduced ranges.
        int length = _reduce.Slice.Length;
        long gathered;
        if (_denseGather)
        {
            for (int q = 0; q < p; q++) { _gatherOffsets[q] = _rangeStart[q]; _gatherLengths[q] = _rangeStart[q + 1] - _rangeStart[q]; }
            _comm.Allgatherv<float>(_reduce.Slice, sum, _gatherLengths, _gatherOffsets);
            _reduce.Clear(entries);
            _wroteAll = true;
            _touchedCount = 0;
            gathered = p == 1 ? 0 : 4L * (Dimension - length);
            int successor = (rank + 1) % p;
            _gatherSentBytes = p == 1 ? 0 : 4L * (Dimension - (_rangeStart[successor + 1] - _rangeStart[successor]));
        }
        else
        {
            gathered = GatherSparse(entries, sum);
        }
        long communicated = Stopwatch.GetTimestamp();
        long reduceSent = 8L * (_counts[rank] - _sendCounts[rank]) + 4L * (p - 1);
        long reduceReceived = 8L * (total - _receiveCounts[rank]) + 4L * (p - 1);
        return new ExchangeResult
        {
            MessageBytes = 8L * _counts[rank],
            BytesSent = reduceSent + GatherSent(),
            BytesReceived = reduceReceived + gathered,
            TotalPairs = total,
            CommunicateSeconds = Stopwatch.GetElapsedTime(start, reduced).TotalSeconds + Stopwatch.GetElapsedTime(reduced, communicated).TotalSeconds,
        };
    }

    long _gatherSentBytes;
    long GatherSent() => _gatherSentBytes;

    /// <summary>ssar-split's gather: each owner's range as pairs, or dense past the switch; every rank assigns them into the sum.</summary>
    long GatherSparse(int entries, Span<float> sum)
    {
        int p = _comm.Size, rank = _comm.Rank, length = _reduce.Slice.Length, offset = _rangeStart[rank];
        var slice = _reduce.Slice;
        bool dense = 8L * entries >= 4L * length;
        int bytes = 4 + (dense ? 4 * length : 8 * entries);
        var send = _gatherSend.Get(bytes);
        MemoryMarshal.Write(send, dense ? -1 : entries);
        var entryList = _reduce.Entries(entries);
        if (dense) MemoryMarshal.AsBytes(slice).CopyTo(send[4..]);
        else
        {
            var pairs = MemoryMarshal.Cast<byte, long>(send[4..]);
            for (int j = 0; j < entries; j++) pairs[j] = OwnerReduce.Pair(offset + entryList[j], slice[entryList[j]]);
        }
        _reduce.Clear(entries);
        _comm.Allgather<int>([bytes], _gatherLengths);
        long total = 0;
        for (int q = 0; q < p; q++) { _gatherOffsets[q] = (int)total; total += _gatherLengths[q]; }
        if (total > int.MaxValue) throw new InvalidOperationException($"the reduced ranges total {total} bytes; an Allgatherv moves at most 2 GiB");
        var receive = _gatherReceive.Get(total);
        _comm.Allgatherv<byte>(send, receive, _gatherLengths, _gatherOffsets);

        _wroteAll = false;
        long touched = 0;
        for (int q = 0; q < p; q++)
        {
            var message = receive.Slice(_gatherOffsets[q], _gatherLengths[q]);
            int count = MemoryMarshal.Read<int>(message);
            if (count < 0) _wroteAll = true;
            else touched += count;
        }
        var touchedList = _touched.Get(_wroteAll ? 0 : touched);
        int t = 0;
        for (int q = 0; q < p; q++)
        {
            var message = receive.Slice(_gatherOffsets[q], _gatherLengths[q]);
            int count = MemoryMarshal.Read<int>(message);
            if (count < 0)
            {
                var values = MemoryMarshal.Cast<byte, float>(message[4..]);
                if (values.Length != _rangeStart[q + 1] - _rangeStart[q]) throw new MalformedMessageException(q, new MalformedMessageException("a dense range of the wrong length"));
                values.CopyTo(sum[_rangeStart[q]..]);
                continue;
            }
            var pairs = MemoryMarshal.Cast<byte, long>(message[4..]);
            if (pairs.Length != count) throw new MalformedMessageException(q, new MalformedMessageException($"{count} pairs in {message.Length} bytes"));
            foreach (long pair in pairs)
            {
                var (index, value) = OwnerReduce.Unpair(pair);
                if (index < _rangeStart[q] || index >= _rangeStart[q + 1]) throw new MalformedMessageException(q, new MalformedMessageException($"index {index} outside rank {q}'s range"));
                sum[index] = value;
                if (!_wroteAll) touchedList[t++] = index;
            }
        }
        _touchedCount = t;
        _gatherSentBytes = p == 1 ? 0 : 4L * (p - 1) + total - _gatherLengths[(rank + 1) % p];
        return p == 1 ? 0 : 4L * (p - 1) + total - bytes;
    }

    public void ResetOutput(Span<float> sum)
    {
        ExchangeChecks.Sum(sum, Dimension);
        ExchangeChecks.ClearWritten(sum, _wroteAll, Touched);
        _touchedCount = 0;
        _wroteAll = false;
    }
}
