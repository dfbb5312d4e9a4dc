using System.Diagnostics;
using SparseMpi.Collectives;
using SparseMpi.Collectives.Sparse;

namespace SparseMpi.Training;

/// <summary>
/// The collective half every sparsified rule shares, wherever its accumulator lives: send this rank's selection
/// through the <see cref="IGradientExchange"/>, receive the sum over all ranks into a host vector, and learn
/// every rank's k. Applying the sum to the parameters is the rule's business (host span or device tensor).
/// </summary>
public sealed class SelectionExchange
{
    readonly Communicator _world;
    readonly IGradientExchange _exchange;
    readonly long[] _kPerRank;
    readonly int[] _kGather;

    public SelectionExchange(Communicator world, IGradientExchange exchange)
    {
        _world = world;
        _exchange = exchange;
        _kPerRank = new long[world.Size];
        _kGather = new int[world.Size];
    }

    public ReadOnlySpan<long> KPerRank => _kPerRank;

    /// <summary>
    /// True when the sum was written only at <see cref="TouchedIndices"/> (the sparse allgather), so applying it
    /// costs O(k·P); false when the whole sum was written (the dense allreduce of the scattered selections).
    /// </summary>
    public bool TouchedOnly => _exchange is SparseAllgatherExchange;

    /// <summary>Every index the last exchange wrote, once per rank that sent it; only when <see cref="TouchedOnly"/>.</summary>
    public ReadOnlySpan<int> TouchedIndices => ((SparseAllgatherExchange)_exchange).TouchedIndices;

    /// <summary>
    /// Local: packs this rank's selection for the sparse allgather and returns its length in bytes, for the
    /// trainer to share in the step's agreement; -1 for the dense exchange, which needs no lengths.
    /// </summary>
    public int Pack(ReadOnlySpan<int> indices, ReadOnlySpan<float> values) =>
        _exchange is SparseAllgatherExchange sparse ? sparse.Pack(LocalGradient.FromSelection(indices, values)) : -1;

    /// <summary>
    /// Collective: sums every rank's selection into <paramref name="sum"/> (as the exchange's contract says).
    /// With every rank's packed length known (<paramref name="packedBytes"/>, none negative) only the messages
    /// move; otherwise the exchange gathers the lengths itself.
    /// </summary>
    public void Exchange(ReadOnlySpan<int> indices, ReadOnlySpan<float> values, ReadOnlySpan<int> packedBytes, Span<float> sum, ref StepStats stats)
    {
        long t = Stopwatch.GetTimestamp();
        bool lengthsKnown = packedBytes.Length == _world.Size;
        foreach (int b in packedBytes) lengthsKnown &= b >= 0;
        ExchangeResult result = lengthsKnown && _exchange is SparseAllgatherExchange packed
            ? packed.ExchangePacked(packedBytes, sum)
            : _exchange.Exchange(LocalGradient.FromSelection(indices, values), sum);
        if (_exchange is SparseAllgatherExchange sparse)
            for (int r = 0; r < _kPerRank.Length; r++) _kPerRank[r] = sparse.RankCounts[r];
        else
        {
            _world.Allgather<int>([indices.Length], _kGather);
            for (int r = 0; r < _kPerRank.Length; r++) _kPerRank[r] = _kGather[r];
        }
        stats.MsComm = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
        stats.BytesSent = result.BytesSent;
        stats.BytesReceived = result.BytesReceived;
    }

    /// <summary>Makes <paramref name="sum"/> ready for the next exchange once its contents were applied.</summary>
    public void ResetOutput(Span<float> sum) => _exchange.ResetOutput(sum);
}
