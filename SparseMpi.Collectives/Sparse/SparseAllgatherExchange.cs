using System.Diagnostics;

namespace SparseMpi.Collectives.Sparse;

/// <summary>
/// Sums the ranks' sparse selections: <see cref="Pack"/> encodes this rank's pairs into one message
/// (<see cref="SparseCodec"/>) and announces its length; with every rank's length known (from the caller's
/// agreement round, or <see cref="GradientExchangeExtensions.ExchangeAlone"/>) one Allgatherv moves the messages,
/// then every rank decodes all P messages and scatter-adds them into the caller's sum in rank order, so every rank
/// performs the same float additions in the same order and ends bitwise identical. k may differ per rank and be 0.
/// <para>The sum is caller-owned and must be zero before the first exchange; <see cref="ResetOutput"/> makes it
/// zero again after its result was used, without an O(d) pass when few entries were touched.</para>
/// <para>Buffers (the send message, the received messages, the decoded indices and values) are owned here and
/// grow only when a larger message arrives; nothing proportional to d is allocated.</para>
/// <para>Each message names its own format, so ranks may even use different formats in one step.</para>
/// </summary>
public sealed class SparseAllgatherExchange : IGradientExchange
{
    readonly Communicator _comm;
    readonly SparseEncoder _encoder;
    readonly int[] _lengths, _displacements, _counts;
    readonly SparseHeader[] _headers;
    GrowableBuffer<byte> _received;
    GrowableBuffer<int> _touched;
    GrowableBuffer<float> _values;
    int _touchedCount;
    bool _resetPending;

    public SparseAllgatherExchange(Communicator comm, int d, WireFormat format)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(d);
        _comm = comm;
        Dimension = d;
        _encoder = new SparseEncoder(format);
        _lengths = new int[comm.Size];
        _displacements = new int[comm.Size];
        _counts = new int[comm.Size];
        _headers = new SparseHeader[comm.Size];
    }

    public string Name => "sparse-allgather";
    public int Dimension { get; }
    public Communicator Communicator => _comm;

    /// <summary>The format this rank encodes its next message in.</summary>
    public WireFormat Format { get => _encoder.Format; set => _encoder.Format = value; }

    /// <summary>Per rank, the bytes of its message in the last exchange.</summary>
    public ReadOnlySpan<int> RankMessageBytes => _lengths;
    public ReadOnlySpan<int> RankCounts => _counts;
    public bool WroteAll => false;
    public ReadOnlySpan<int> Touched => _touched.Array.AsSpan(0, _touchedCount);

    /// <summary>Encodes this rank's selection; the announcement is the message's length in bytes.</summary>
    public int Pack(ReadOnlySpan<int> indices, ReadOnlySpan<float> values)
    {
        if (indices.Length != values.Length) throw new ArgumentException($"the selection has {indices.Length} indices but {values.Length} values");
        return _encoder.Encode(indices, values, Dimension).Length;
    }

    /// <summary>One Allgatherv of the packed messages (every rank's length in <paramref name="announcements"/>), then the decode into <paramref name="sum"/>.</summary>
    public ExchangeResult Exchange(ReadOnlySpan<int> announcements, Span<float> sum)
    {
        ExchangeChecks.Announcements(announcements, _comm.Size);
        if (announcements[_comm.Rank] != _encoder.Last.Length) throw new ArgumentException($"this rank packed {_encoder.Last.Length} bytes but announcements[{_comm.Rank}] = {announcements[_comm.Rank]}");
        announcements.CopyTo(_lengths);
        return Deliver(sum, Stopwatch.GetTimestamp());
    }

    /// <summary>The Allgatherv of the packed messages (lengths known) and the decode and scatter-add.</summary>
    ExchangeResult Deliver(Span<float> sum, long start)
    {
        ExchangeChecks.Sum(sum, Dimension);
        if (_resetPending) throw new InvalidOperationException("ResetOutput(sum) must run between two exchanges: the sparse exchange adds into a zeroed sum");
        var message = _encoder.Last;
        _counts.AsSpan().Clear();
        long total = 0;
        for (int q = 0; q < _lengths.Length; q++)
        {
            _displacements[q] = (int)Math.Min(total, int.MaxValue);
            total += _lengths[q];
        }
        // Every rank computes the same total, so every rank throws here together (MPI counts are int).
        if (total > int.MaxValue) throw new InvalidOperationException($"the ranks' messages total {total} bytes; an Allgatherv moves at most 2 GiB");
        var received = _received.Get(total);
        _comm.Allgatherv<byte>(message, received, _lengths, _displacements);
        long communicated = Stopwatch.GetTimestamp();

        long totalPairs = 0;
        int maxCount = 0;
        for (int q = 0; q < _lengths.Length; q++)
        {
            _headers[q] = ReadHeader(received, q);
            totalPairs += _headers[q].Count;
            maxCount = Math.Max(maxCount, _headers[q].Count);
        }
        var touched = _touched.Get(totalPairs);
        var values = _values.Get(maxCount);
        _resetPending = true;
        for (int q = 0, offset = 0; q < _lengths.Length; q++)
        {
            var header = _headers[q];
            var payload = received.Slice(_displacements[q] + SparseHeader.Size, header.IndexBytes + header.ValueBytes);
            var indices = touched.Slice(offset, header.Count);
            try
            {
                IndexCodec.Decode(payload[..header.IndexBytes], header.IndexFormat, header.Count, Dimension, indices);
            }
            catch (MalformedMessageException e)
            {
                throw new MalformedMessageException(q, e); // the earlier ranks' pairs are in sum and in Touched: ResetOutput clears them
            }
            ValueCodec.Decode(payload[header.IndexBytes..], header.ValueFormat, values[..header.Count]);
            SparseScatter.Add(sum, indices, values[..header.Count]);
            offset += header.Count;
            _touchedCount = offset;
            _counts[q] = header.Count;
        }

        int p = _comm.Size, r = _comm.Rank;
        // The lengths must reach every rank before the messages can (whoever gathers them), so they count too.
        long lengths = RingModel.AnnouncementBytes(p);
        return new ExchangeResult
        {
            MessageBytes = message.Length,
            BytesSent = p == 1 ? 0 : lengths + total - _lengths[(r + 1) % p],
            BytesReceived = p == 1 ? 0 : lengths + total - _lengths[r],
            TotalPairs = totalPairs,
            CommunicateSeconds = Stopwatch.GetElapsedTime(start, communicated).TotalSeconds,
            DecodeSeconds = Stopwatch.GetElapsedTime(communicated).TotalSeconds,
            FlaggedRanks = [],
        };
    }

    SparseHeader ReadHeader(ReadOnlySpan<byte> received, int rank)
    {
        try
        {
            return SparseHeader.Read(received.Slice(_displacements[rank], _lengths[rank]), Dimension);
        }
        catch (MalformedMessageException e)
        {
            throw new MalformedMessageException(rank, e);
        }
    }

    /// <summary>
    /// Above this many touched entries per float of d, zeroing all of d beats clearing the touched entries: a
    /// memset streams 16M floats in ~1-2 ms here, while scattered stores cost 1-20 ns each (more when ranks share
    /// the cache), so the break-even lies between d/170 and d/10 touched entries (measured by bench-comm).
    /// </summary>
    public const int ClearAllDivisor = 64;

    /// <summary>
    /// Zeroes what the last exchange wrote: only the touched entries (O(total pairs)) when they are fewer than
    /// d / <see cref="ClearAllDivisor"/>, else all d floats with one streaming memset.
    /// </summary>
    public void ResetOutput(Span<float> sum)
    {
        ExchangeChecks.Sum(sum, Dimension);
        ExchangeChecks.ClearWritten(sum, wroteAll: false, Touched);
        _touchedCount = 0;
        _resetPending = false;
    }
}
