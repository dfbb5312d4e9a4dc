using System.Diagnostics;

namespace SparseMpi.Collectives.Sparse;

/// <summary>An exchange used on its own, by callers that have no agreement round of their own (benchmarks, self-checks).</summary>
public static class GradientExchangeExtensions
{
    /// <summary>
    /// <see cref="IGradientExchange.Pack"/>, one allgather of the announcements, then
    /// <see cref="IGradientExchange.Exchange"/>. When <paramref name="flag"/> is true on any rank (e.g. a
    /// non-finite gradient), its announcement is negative, no rank changes its sum, and every rank returns the same
    /// <see cref="ExchangeResult.FlaggedRanks"/>; a flagging rank's selection is ignored and may be empty.
    /// <paramref name="announcements"/>: a buffer of one int per rank (allocated when null).
    /// </summary>
    public static ExchangeResult ExchangeAlone(this IGradientExchange exchange, ReadOnlySpan<int> indices, ReadOnlySpan<float> values,
        Span<float> sum, bool flag = false, int[]? announcements = null)
    {
        var comm = exchange.Communicator;
        announcements ??= new int[comm.Size];
        long start = Stopwatch.GetTimestamp();
        int mine = flag ? RankFlags.Flagged : exchange.Pack(indices, values);
        long packed = Stopwatch.GetTimestamp();
        comm.Allgather<int>([mine], announcements);
        double gatherSeconds = Stopwatch.GetElapsedTime(packed).TotalSeconds;
        var flagged = RankFlags.Collect(announcements);
        if (flagged.Length > 0) return new ExchangeResult { FlaggedRanks = flagged };
        var result = exchange.Exchange(announcements, sum);
        return result with
        {
            EncodeSeconds = result.EncodeSeconds + Stopwatch.GetElapsedTime(start, packed).TotalSeconds,
            CommunicateSeconds = result.CommunicateSeconds + gatherSeconds,
        };
    }
}
