namespace SparseMpi.Collectives.Sparse;

/// <summary>
/// What one gradient exchange did on this rank. Byte counts follow <see cref="RingModel"/>, the algorithms MPI
/// libraries use for large messages, and include the announcements an exchange needs before its data can move
/// (4 bytes per rank: the sparse allgather's lengths; the dense allreduce needs none):
/// <list type="bullet">
/// <item>sparse allgather: rank r receives every other rank's message (exactly, with any algorithm) and, in a
/// ring, sends every message but its successor's;</item>
/// <item>dense allreduce: a ring reduce-scatter plus allgather sends and receives 2 (P-1)/P · 4d bytes;</item>
/// <item>the sparse allreduces (ssar-rd, ssar-split, dsar-split): what the rank actually sent and received, sizes
/// included;</item>
/// <item><see cref="HierarchicalExchange"/> (<c>--hierarchy node</c>): intra-node and inter-node bytes together:
/// a rank's stream to its leader and the result broadcast (counted as the leader sending it to each rank of its
/// node), plus, on a leader, the inner exchange's bytes among the leaders by that exchange's own rule.</item>
/// </list>
/// </summary>
public readonly record struct ExchangeResult
{
    /// <summary>This rank's own contribution: its packed sparse message (header included), or 4d for dense.</summary>
    public long MessageBytes { get; init; }
    /// <summary>Bytes this rank sends, ring model (see the type's summary).</summary>
    public long BytesSent { get; init; }
    /// <summary>Bytes this rank receives, ring model (see the type's summary).</summary>
    public long BytesReceived { get; init; }
    /// <summary>(index, value) pairs added into the sum, over all ranks (sparse only; 0 for dense).</summary>
    public long TotalPairs { get; init; }
    /// <summary>Seconds this rank spent packing its message (sparse) or scattering its selection (dense).</summary>
    public double EncodeSeconds { get; init; }
    /// <summary>Seconds in MPI calls: the allgatherv or allreduce (and the announcements' allgather when the exchange gathered them itself); includes waiting for other ranks.</summary>
    public double CommunicateSeconds { get; init; }
    /// <summary>Seconds decoding and scatter-adding the received messages (sparse only).</summary>
    public double DecodeSeconds { get; init; }
    /// <summary>Ranks that raised the flag, ascending; empty when none did. When not empty, no rank touched its sum.</summary>
    public int[] FlaggedRanks { get => _flaggedRanks ?? []; init => _flaggedRanks = value; }
    readonly int[]? _flaggedRanks;

    /// <summary>True when no rank flagged and the sum was computed.</summary>
    public bool Completed => FlaggedRanks.Length == 0;
}
