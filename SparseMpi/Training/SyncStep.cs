using System.Diagnostics;
using SparseMpi.Collectives;
using SparseMpi.Training.Models;

namespace SparseMpi.Training;

/// <summary>
/// A synchronous step after the gradient: compensate and select (<see cref="IUpdateRule.Prepare"/>), agree
/// (<see cref="StepAgreement"/>, timed as wait), exchange and apply (<see cref="IUpdateRule.ExchangeAndApply"/>).
/// One class for <see cref="SyncTrainer"/> and bench-step, so the benchmark's step is training's step.
/// </summary>
public sealed class SyncStep(Communicator world, IUpdateRule rule)
{
    readonly StepAgreement _agreement = new(world);

    /// <summary>
    /// Collective. <paramref name="loss"/>: this rank's mini-batch loss; <paramref name="stopSignal"/>: a signal this
    /// rank received (0: none); <paramref name="watchdog"/>, when given, learns each phase. When any rank's loss or
    /// gradient was not finite (<see cref="StepAgreement.Outcome.NonFiniteRanks"/> &gt; 0) nothing is exchanged or
    /// applied, on every rank alike: the caller stops.
    /// </summary>
    public StepAgreement.Outcome Run(FlatModel model, long step, double lr, float loss, int stopSignal, ref StepStats stats, StallWatchdog? watchdog = null)
    {
        watchdog?.Mark(step, "select");
        bool finite = rule.Prepare(model, step, lr, ref stats) && float.IsFinite(loss);
        watchdog?.Mark(step, "wait");
        long t = Stopwatch.GetTimestamp();
        var agreed = _agreement.Run(finite, loss, rule.Announcement, stopSignal);
        stats.MsWait = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
        if (agreed.NonFiniteRanks > 0) return agreed;
        watchdog?.Mark(step, "comm");
        rule.ExchangeAndApply(model, _agreement.Announcements, ref stats);
        return agreed;
    }
}
