using System.Diagnostics;
using System.Runtime.InteropServices;

namespace SparseMpi.Collectives.Sparse;

/// <summary>
/// <c>--hierarchy node</c>: any exact exchange, or auto choosing one per step, run among node leaders only. Each step
/// <list type="number">
/// <item>every rank but the leader (node rank 0) sends its selection to the leader as a <see cref="SparseStream"/>
/// message (point to point; its length follows from the rank's k, which the announcements carry, so no sizes
/// travel), and the leader merge-sums them in node-rank order into one sorted selection (up to G·k pairs, or
/// dense past the switch);</item>
/// <item>the leaders run the inner exchange on that selection among themselves
/// (<see cref="GradientExchangeExtensions.ExchangeAlone"/> on the leaders' communicator: the inner announcements
/// are the leaders' own, so they gather them). Auto (<see cref="AutoExchange"/>) chooses from those announcements
/// (the node sums' k) and its fit of the leaders' communicator (<see cref="Inner"/>; fitted there, by the leaders
/// only), which every leader shares, so the leaders choose alike; the other ranks never learn the choice, and
/// need not: they receive the leader's bits;</item>
/// <item>each leader broadcasts the result to its node: a count, then the distinct written pairs, or d floats when
/// the inner exchange wrote all or the pairs would be no smaller (<see cref="SparseStream.DenseSwitch"/>).</item>
/// </list>
/// Every rank of every node ends with the leader's bits, and the leaders' bits agree because the inner exchange's
/// do; the order of float additions (node-rank order inside a node, then the inner's) differs from the flat
/// exchange's, so this is its own math configuration. On a cluster with G ranks per node the inner exchange runs
/// on P/G ranks. With one rank per node it is the inner exchange plus a broadcast on one rank (skipped); with one
/// node the inner exchange runs alone on the leader.
/// <para>Announcement: k (the per-world-rank counts, and the lengths the leader receives). Bytes
/// (<see cref="ExchangeResult"/>): a rank's intra-node bytes (its stream to the leader; the broadcast counted as
/// if the leader sent it to each node rank) plus, on a leader, the inner exchange's inter-node bytes.</para>
/// <para>Collective on the world communicator at construction (two splits); afterwards its calls go to the node
/// and leader communicators, which it owns (<see cref="Dispose"/>) and which count into the world's
/// <see cref="Communicator.CollectiveCalls"/>: a leader makes the leaders' allgather of announcements, the inner
/// exchange's collectives (auto's: its chosen algorithm's, and its fit at the first exchange when not fitted
/// first) and, on a node of more than one rank, two broadcasts (count, then pairs or d floats); a follower makes
/// the two broadcasts.</para>
/// </summary>
public sealed class HierarchicalExchange : IGradientExchange, IDisposable
{
    const int NodeTag = 17;

    readonly Communicator _world, _node, _leaders;
    readonly IGradientExchange? _inner; // leaders only
    readonly int[] _nodeWorldRanks;     // world rank of each node rank
    readonly int[] _counts;
    readonly int[]? _leaderAnnouncements; // leaders only: the inner exchange's announcements, reused every step
    readonly SparseStream _stream;
    readonly int _switch;
    GrowableBuffer<byte> _message;
    GrowableBuffer<int> _touched, _iota;
    int _touchedCount, _k;
    bool _wroteAll;

    /// <param name="world">the ranks whose selections are summed.</param>
    /// <param name="hierarchy">how they group into nodes (not <see cref="Hierarchy.None"/>).</param>
    /// <param name="innerName">the exchange the leaders run (a <see cref="GradientExchanges.Names"/> entry).</param>
    /// <param name="d">the length of the sum.</param>
    /// <param name="format">the inner exchange's wire format (the allgather's; the others ignore it).</param>
    public HierarchicalExchange(Communicator world, Hierarchy hierarchy, string innerName, int d, WireFormat format)
        : this(world, hierarchy, innerName, d, leaders => GradientExchanges.Create(innerName, leaders, d, format))
    {
    }

    /// <summary>
    /// With the inner exchange made by <paramref name="createInner"/>, called on the leaders only with the
    /// leaders' communicator: for an inner exchange that needs settings of its own (auto's fill-in period).
    /// </summary>
    /// <param name="innerName">the <see cref="GradientExchanges.Names"/> entry <paramref name="createInner"/> makes
    /// (followers, which make none, name the exchange by it).</param>
    public HierarchicalExchange(Communicator world, Hierarchy hierarchy, string innerName, int d, Func<Communicator, IGradientExchange> createInner)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(d);
        if (!GradientExchanges.Names.Contains(innerName)) throw new ArgumentException($"unknown exchange '{innerName}'; valid: {string.Join(", ", GradientExchanges.Names)}");
        _world = world;
        Dimension = d;
        Name = $"{innerName}/node";
        InnerName = innerName;
        _node = hierarchy.SplitNodes(world);
        // Leaders keyed by world rank, so the inner exchange sees the nodes in world order (and world rank 0,
        // node rank 0 of its node, is leader rank 0: the rank that writes the metrics holds the inner exchange).
        _leaders = world.Split(_node.Rank == 0 ? 0 : 1, world.Rank);
        _nodeWorldRanks = new int[_node.Size];
        _node.Allgather<int>([world.Rank], _nodeWorldRanks);
        if (_node.Rank == 0)
        {
            _inner = createInner(_leaders);
            if (GradientExchanges.OptionName(_inner) != innerName || _inner.Communicator != _leaders || _inner.Dimension != d)
                throw new ArgumentException($"the inner exchange must be {innerName} of d = {d} on the leaders' communicator (got {_inner.Name} of d = {_inner.Dimension})");
            _leaderAnnouncements = new int[_leaders.Size];
        }
        _counts = new int[world.Size];
        _switch = SparseStream.DenseSwitch(d);
        _stream = new SparseStream(d, _switch);
    }

    public string Name { get; }
    public int Dimension { get; }
    public Communicator Communicator => _world;
    public ReadOnlySpan<int> RankCounts => _counts;
    public bool WroteAll => _wroteAll;
    public ReadOnlySpan<int> Touched => _touched.Array.AsSpan(0, _touchedCount);

    /// <summary>Ranks on this rank's node.</summary>
    public int NodeSize => _node.Size;

    /// <summary>True on node rank 0, which runs the inner exchange.</summary>
    public bool IsLeader => _node.Rank == 0;

    /// <summary>The exchange the leaders run (a <see cref="GradientExchanges.Names"/> entry), known on every rank.</summary>
    public string InnerName { get; }

    /// <summary>
    /// On a leader, the exchange it runs with the other leaders (its <see cref="IGradientExchange.Communicator"/>
    /// is the leaders' communicator: collectives on it, such as auto's <see cref="AutoExchange.Calibrate"/>, are
    /// made by the leaders only); null on the other ranks of a node.
    /// </summary>
    public IGradientExchange? Inner => _inner;

    public int Pack(ReadOnlySpan<int> indices, ReadOnlySpan<float> values)
    {
        _stream.Set(indices, values); // checks the selection
        _k = indices.Length;
        return _k;
    }

    public ExchangeResult Exchange(ReadOnlySpan<int> announcements, Span<float> sum)
    {
        ExchangeChecks.Sum(sum, Dimension);
        ExchangeChecks.Announcements(announcements, _world.Size);
        ExchangeChecks.AnnouncedK(announcements, _world.Rank, _k);
        announcements.CopyTo(_counts);
        long start = Stopwatch.GetTimestamp();
        var result = IsLeader ? Lead(announcements, sum) : Follow(sum);
        return result with
        {
            MessageBytes = StreamBytes(announcements[_world.Rank]),
            CommunicateSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds - result.DecodeSeconds - result.EncodeSeconds,
        };
    }

    /// <summary>The length of the stream a rank with <paramref name="k"/> pairs sends (dense at the switch, as <see cref="SparseStream.Set"/> decides).</summary>
    long StreamBytes(int k) => k >= _switch ? 4 + 4L * Dimension : 4 + 8L * k;

    ExchangeResult Lead(ReadOnlySpan<int> announcements, Span<float> sum)
    {
        long sent = 0, received = 0;
        double mergeSeconds = 0;
        // 1. The node's sum, in node-rank order: ((x0 + x1) + x2) + ...
        for (int q = 1; q < _node.Size; q++)
        {
            var message = _message.Get(StreamBytes(announcements[_nodeWorldRanks[q]]));
            _node.Receive(message, q, NodeTag);
            received += message.Length;
            long t = Stopwatch.GetTimestamp();
            _stream.Merge(message);
            mergeSeconds += Stopwatch.GetElapsedTime(t).TotalSeconds;
        }

        // 2. The leaders' exchange of the node sums.
        var inner = _inner!;
        ReadOnlySpan<int> indices = _stream.IsDense ? Iota() : _stream.Indices;
        ReadOnlySpan<float> values = _stream.IsDense ? _stream.Dense : _stream.Values;
        var innerResult = inner.ExchangeAlone(indices, values, sum, announcements: _leaderAnnouncements);
        sent += innerResult.BytesSent;
        received += innerResult.BytesReceived;

        // 3. The result to the node: the distinct written entries, or all of d.
        long t0 = Stopwatch.GetTimestamp();
        int count = inner.WroteAll ? -1 : DistinctTouched(inner.Touched);
        if (count >= _switch) count = -1;
        double distinctSeconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        _wroteAll = count < 0;
        if (_wroteAll) _touchedCount = 0;
        long payload = 4 + (_wroteAll ? 4L * Dimension : 8L * count);
        if (_node.Size > 1)
        {
            Span<int> header = [count];
            _node.Broadcast(header, 0);
            if (_wroteAll) _node.Broadcast(sum, 0);
            else
            {
                var message = _message.Get(8L * count);
                var touched = Touched;
                MemoryMarshal.AsBytes(touched).CopyTo(message);
                var messageValues = MemoryMarshal.Cast<byte, float>(message[(4 * count)..]);
                for (int j = 0; j < count; j++) messageValues[j] = sum[touched[j]];
                _node.Broadcast(message, 0);
            }
            sent += (_node.Size - 1) * payload;
        }
        return new ExchangeResult
        {
            BytesSent = sent, BytesReceived = received,
            TotalPairs = _wroteAll ? Dimension : _touchedCount,
            EncodeSeconds = innerResult.EncodeSeconds,
            DecodeSeconds = mergeSeconds + innerResult.DecodeSeconds + distinctSeconds,
        };
    }

    ExchangeResult Follow(Span<float> sum)
    {
        var send = _message.Get(_stream.MessageBytes);
        _stream.Write(send);
        _node.Send<byte>(send, 0, NodeTag);
        long sent = send.Length;

        Span<int> header = [0];
        _node.Broadcast(header, 0);
        int count = header[0];
        _wroteAll = count < 0;
        if (_wroteAll)
        {
            _touchedCount = 0;
            _node.Broadcast(sum, 0);
            return new ExchangeResult { BytesSent = sent, BytesReceived = 4 + 4L * Dimension, TotalPairs = Dimension };
        }
        if (count > Dimension) throw new MalformedMessageException($"the leader announced {count} pairs for d = {Dimension}");
        var message = _message.Get(8L * count);
        _node.Broadcast(message, 0);
        long t = Stopwatch.GetTimestamp();
        var indices = MemoryMarshal.Cast<byte, int>(message[..(4 * count)]);
        var values = MemoryMarshal.Cast<byte, float>(message[(4 * count)..]);
        var touched = _touched.Get(count);
        for (int j = 0; j < count; j++)
        {
            int i = indices[j];
            if ((uint)i >= (uint)Dimension) throw new MalformedMessageException($"index {i} outside 0..{Dimension - 1}");
            sum[i] = values[j];
            touched[j] = i;
        }
        _touchedCount = count;
        return new ExchangeResult
        {
            BytesSent = sent, BytesReceived = 4 + 8L * count, TotalPairs = count,
            DecodeSeconds = Stopwatch.GetElapsedTime(t).TotalSeconds,
        };
    }

    /// <summary>
    /// The inner exchange's touched entries, ascending and each once, into <see cref="Touched"/>: the allgather
    /// lists an entry once per leader that sent it, and the broadcast should carry it once. Sorting is skipped
    /// when they already ascend (the sparse allreduces' merged streams).
    /// </summary>
    int DistinctTouched(ReadOnlySpan<int> inner)
    {
        var touched = _touched.Get(inner.Length);
        inner.CopyTo(touched);
        bool ascending = true;
        for (int j = 1; j < touched.Length && ascending; j++) ascending = touched[j - 1] < touched[j];
        int n = touched.Length;
        if (!ascending)
        {
            touched.Sort();
            n = 0;
            for (int j = 0; j < touched.Length; j++)
                if (n == 0 || touched[n - 1] != touched[j]) touched[n++] = touched[j];
        }
        _touchedCount = n;
        return n;
    }

    /// <summary>0..d-1, for handing a dense node sum to the inner exchange as a selection (allocated once).</summary>
    ReadOnlySpan<int> Iota()
    {
        bool fresh = _iota.Array.Length < Dimension;
        var iota = _iota.Get(Dimension);
        if (fresh) for (int i = 0; i < iota.Length; i++) iota[i] = i;
        return iota;
    }

    public void ResetOutput(Span<float> sum)
    {
        ExchangeChecks.Sum(sum, Dimension);
        // The leader's sum holds exactly what the inner exchange wrote; a follower's what the broadcast wrote. Both
        // end all zero, so every rank of a node is in the same state for the next exchange.
        if (_inner != null) _inner.ResetToZero(sum);
        else ExchangeChecks.ClearWritten(sum, _wroteAll, Touched);
        _touchedCount = 0;
        _wroteAll = false;
    }

    public void Dispose()
    {
        _leaders.Dispose();
        _node.Dispose();
    }
}
