using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using SparseMpi.Tests.Support;
using SparseMpi.Training;

namespace SparseMpi.Tests.Reliability;

/// <summary>The watchdog's own logic, with a recording callback in place of MPI_Abort.</summary>
public class StallWatchdogUnitTests
{
    sealed class Recorder
    {
        readonly TaskCompletionSource<string> _line = new();
        public void OnStall(string line) => _line.TrySetResult(line);
        public string? Within(TimeSpan t) => _line.Task.Wait(t) ? _line.Task.Result : null;
    }

    [Test]
    public void ABeaconThatStopsIsReportedWithItsStepAndPhase()
    {
        var rec = new Recorder();
        var sw = Stopwatch.StartNew();
        using var dog = new StallWatchdog(0, 0.5, rec.OnStall);
        dog.Mark(41, "comm");
        string? line = rec.Within(TimeSpan.FromSeconds(5));
        Assert.That(line, Does.Contain("rank 0 made no progress").And.Contain("at step 41 (phase comm)").And.Contain("--stall-timeout 0.5"));
        Assert.That(sw.Elapsed.TotalSeconds, Is.GreaterThanOrEqualTo(0.5).And.LessThan(2.0));
    }

    [Test]
    public void ABeaconThatMovesIsNotAStallAndOneThatThenStopsIs()
    {
        var rec = new Recorder();
        using var dog = new StallWatchdog(0, 0.5, rec.OnStall);
        for (int step = 0; step < 30; step++) // 1.5 s of steps, 50 ms each: three timeouts long
        {
            dog.Mark(step, "compute");
            Thread.Sleep(25);
            dog.Mark(step, "wait");
            Thread.Sleep(25);
            Assert.That(rec.Within(TimeSpan.Zero), Is.Null, $"reported a stall at step {step} while the beacon moved");
        }
        Assert.That(rec.Within(TimeSpan.FromSeconds(5)), Does.Contain("at step 29 (phase wait)"));
    }

    [Test]
    public void MarkingTheSamePlaceAgainIsNoProgress()
    {
        var rec = new Recorder();
        using var dog = new StallWatchdog(0, 0.5, rec.OnStall);
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed.TotalSeconds < 3 && rec.Within(TimeSpan.Zero) == null) { dog.Mark(7, "wait"); Thread.Sleep(10); }
        Assert.That(rec.Within(TimeSpan.Zero), Does.Contain("at step 7 (phase wait)"));
    }

    [Test]
    public void AMovingProgressCounterKeepsItAlive()
    {
        var rec = new Recorder();
        long applied = 0;
        using var dog = new StallWatchdog(0, 0.5, rec.OnStall, () => Interlocked.Read(ref applied));
        dog.Mark(0, "waiting for the other ranks' last updates");
        for (int i = 0; i < 30; i++) { Interlocked.Increment(ref applied); Thread.Sleep(50); }
        Assert.That(rec.Within(TimeSpan.Zero), Is.Null);
        Assert.That(rec.Within(TimeSpan.FromSeconds(5)), Does.Contain("after 30 applied updates"));
    }

    [Test]
    public void AStalledPeerIsReportedByName()
    {
        var rec = new Recorder();
        double asked = 0;
        using var dog = new StallWatchdog(1, 0.5, rec.OnStall, stalledPeer: seconds => { asked = seconds; return "rank 3 applied no update for 9 s"; });
        dog.Mark(0, "updates");
        Assert.That(rec.Within(TimeSpan.FromSeconds(5)), Does.StartWith("rank 3 applied no update for 9 s: it stopped").And.Contain("rank 1 ends the job"));
        Assert.That(asked, Is.EqualTo(1.5), "rank 1 waits its 1 s stagger beyond the timeout");
    }

    [Test]
    public void ZeroTurnsItOff()
    {
        var rec = new Recorder();
        using var dog = new StallWatchdog(0, 0, rec.OnStall);
        dog.Mark(1, "comm");
        Assert.That(rec.Within(TimeSpan.FromSeconds(1.5)), Is.Null);
    }

    [Test]
    public void HigherRanksWaitLongerSoTheLowestLiveRankReportsFirst()
    {
        var rec0 = new Recorder();
        var rec2 = new Recorder();
        var sw = Stopwatch.StartNew();
        using var dog0 = new StallWatchdog(0, 0.5, rec0.OnStall);
        using var dog2 = new StallWatchdog(2, 0.5, rec2.OnStall);
        Assert.That(rec0.Within(TimeSpan.FromSeconds(5)), Is.Not.Null);
        double first = sw.Elapsed.TotalSeconds;
        Assert.That(rec2.Within(TimeSpan.FromSeconds(5)), Is.Not.Null);
        Assert.That(sw.Elapsed.TotalSeconds - first, Is.GreaterThan(1.5), "rank 2 reports 2 s after rank 0");
    }
}

/// <summary>
/// Issue 17, item 4: a rank SIGSTOPped for longer than --stall-timeout ends the job within timeout + 5 s, with one
/// line from a live rank naming its rank, step and phase. The stopped rank's own watchdog cannot run; the others sit
/// in a collective (train) or wait for its last update (hogwild), their beacons stop, and they detect it.
/// </summary>
[TestFixture, Category("mpi")]
public class StallWatchdogIntegrationTests
{
    const int Timeout = 8;

    // Train: the live ranks wait in a collective, their beacons stop. Hogwild: ranks do not wait for each other, but
    // each sees the stopped peer's update count stand still in shared memory while slots remain, and names it.
    [TestCase("train --model logreg --epochs 200", "epoch 1: test accuracy", "sparsempi: error: rank 0 made no progress for", "phase ")]
    [TestCase("hogwild --model logreg --epochs 200", "updates ", "sparsempi: error: rank 1 applied no update for", "rank 0 ends the job")]
    public void ASigstoppedRankEndsTheJobWithinTheTimeout(string command, string running, string line, string where)
    {
        using var run = new RunDirectory();
        using var job = new RunningJob(3, $"{command} --stall-timeout {Timeout} --out {run["out"]}", startLine: running);
        job.WaitForStart();
        Thread.Sleep(1000);
        job.Signal(job.Ranks()[1], RunningJob.SigStop);
        var sw = Stopwatch.StartNew();
        var r = job.WaitForExit(Timeout + 30);
        double seconds = sw.Elapsed.TotalSeconds;
        string all = $"after {seconds:F1} s, {r}";
        Assert.That(seconds, Is.LessThanOrEqualTo(Timeout + 5), all);
        Assert.That(r.ExitCode, Is.Not.EqualTo(0), all);
        var ours = (r.Stdout + r.Stderr).Split('\n').Where(l => l.StartsWith("sparsempi:")).ToArray();
        Assert.That(ours, Has.Length.EqualTo(1), all);
        TestContext.Out.WriteLine($"job ended {seconds:F1} s after SIGSTOP (timeout {Timeout} s): {ours[0]}");
        Assert.That(ours[0], Does.StartWith(line).And.Contain(where).And.Contain($"--stall-timeout {Timeout}"), all);
        Assert.That(all, Does.Not.Contain("   at "), all);
    }
}
