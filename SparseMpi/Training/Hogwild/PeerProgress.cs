using System.Diagnostics;
using System.Globalization;

namespace SparseMpi.Training.Hogwild;

/// <summary>
/// For the stall watchdog of a Hogwild run: every rank's applied-update count is in shared memory, so any rank can
/// see a peer that stopped. Ranks do not wait for each other between updates, so without this a stopped rank would
/// go unnoticed until the others had used up every remaining update slot (minutes, for a long run). A peer counts as
/// stalled only while slots remain to be claimed: once all are handed out, ranks stop updating by design, and the
/// watchdog's own beacon (the applied counter) takes over. Used from the watchdog thread only.
/// </summary>
public sealed class PeerProgress(SharedParameters shared, int ranks, long total)
{
    readonly long[] _last = new long[ranks];
    readonly long[] _since = Enumerable.Repeat(Stopwatch.GetTimestamp(), ranks).ToArray();

    /// <summary>A line naming a rank that applied no update for <paramref name="seconds"/> while slots remained, else null.</summary>
    public string? Stalled(double seconds)
    {
        long now = Stopwatch.GetTimestamp();
        bool slotsLeft = shared.Claimed < total && !shared.StopRequested;
        for (int r = 0; r < ranks; r++)
        {
            long updates = shared.RankUpdates(r);
            if (updates != _last[r] || !slotsLeft)
            {
                _last[r] = updates;
                _since[r] = now;
            }
            else if (Stopwatch.GetElapsedTime(_since[r], now).TotalSeconds >= seconds)
                return string.Create(CultureInfo.InvariantCulture,
                    $"rank {r} applied no update for {Stopwatch.GetElapsedTime(_since[r], now).TotalSeconds:F0} s (after {updates} of its updates, {shared.Applied} of {total} applied in all)");
        }
        return null;
    }
}
