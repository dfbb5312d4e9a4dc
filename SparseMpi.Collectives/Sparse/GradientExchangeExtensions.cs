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

    /// <summary>
    /// <see cref="IGradientExchange.ResetOutput"/>, then the sum all zero whatever the exchange: for a caller that
    /// hands the sum to another exchange next (auto's next algorithm, the node hierarchy's next step, a benchmark's
    /// next row), which adds into it. Only the dense allreduce's reset leaves its sum as it is (its own next
    /// Exchange overwrites all of it); every other exchange's reset already zeroes what it wrote.
    /// </summary>
    public static void ResetToZero(this IGradientExchange exchange, Span<float> sum)
    {
        exchange.ResetOutput(sum);
        if (exchange is DenseAllreduceExchange) sum.Clear();
    }
}
