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
    [TestCase("train --model logreg --epochs 200", "epoch 1/", "sparsempi: error: rank 0 made no progress for", "phase ")]
    [TestCase("hogwild --model logreg --epochs 200", "updates ", "sparsempi: error: rank 1 applied no update for", "rank 0 ends the job")]
    public void ASigstoppedRankEndsTheJobWithinTheTimeout(string command, string running, string line, string where)
    {
        using var run = new RunDirectory();
        var psi = new ProcessStartInfo("mpiexec.openmpi")
        {
            Arguments = $"--oversubscribe --bind-to none -x TERM -n 3 {ProgramRunner.ProgramPath} {command} --stall-timeout {Timeout} --out {run["out"]}",
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        psi.Environment["TERM"] = "dumb";
        psi.Environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1";
        psi.Environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1";
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        var started = new ManualResetEventSlim();
        using var p = new Process { StartInfo = psi };
        p.OutputDataReceived += (_, e) =>
        {
            if (e.Data == null) return;
            lock (stdout) stdout.AppendLine(e.Data);
            if (e.Data.StartsWith(running)) started.Set();
        };
        p.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (stderr) stderr.AppendLine(e.Data); };
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        int stopped = -1;
        try
        {
            Assert.That(started.Wait(TimeSpan.FromSeconds(120)), Is.True, $"training did not start\n{stdout}\n{stderr}");
            Thread.Sleep(1000);
            stopped = RankProcess(p.Id, rank: 1);
            Assert.That(Kill(stopped, SigStop), Is.EqualTo(0), "SIGSTOP");
            var sw = Stopwatch.StartNew();
            bool ended = p.WaitForExit((Timeout + 30) * 1000);
            double seconds = sw.Elapsed.TotalSeconds;
            p.WaitForExit();
            string all = $"after {seconds:F1} s, exit {(ended ? p.ExitCode : -1)}\n--- stdout\n{stdout}\n--- stderr\n{stderr}";
            Assert.That(ended, Is.True, $"the job hung\n{all}");
            Assert.That(seconds, Is.LessThanOrEqualTo(Timeout + 5), all);
            Assert.That(p.ExitCode, Is.Not.EqualTo(0), all);
            var ours = (stdout.ToString() + stderr).Split('\n').Where(l => l.StartsWith("sparsempi:")).ToArray();
            Assert.That(ours, Has.Length.EqualTo(1), all);
            TestContext.Out.WriteLine($"job ended {seconds:F1} s after SIGSTOP (timeout {Timeout} s): {ours[0]}");
            Assert.That(ours[0], Does.StartWith(line).And.Contain(where).And.Contain($"--stall-timeout {Timeout}"), all);
            Assert.That(all, Does.Not.Contain("   at "), all);
        }
        finally
        {
            if (stopped > 0) { Kill(stopped, SigCont); Kill(stopped, SigKill); }
            if (!p.HasExited) p.Kill(entireProcessTree: true);
        }
    }

    /// <summary>The process of world rank <paramref name="rank"/> among the descendants of mpiexec <paramref name="launcher"/>.</summary>
    static int RankProcess(int launcher, int rank)
    {
        var queue = new Queue<int>([launcher]);
        while (queue.Count > 0)
        {
            int pid = queue.Dequeue();
            foreach (string dir in Directory.GetDirectories("/proc").Where(d => int.TryParse(Path.GetFileName(d), out _)))
            {
                int child = int.Parse(Path.GetFileName(dir));
                string stat;
                try { stat = File.ReadAllText(Path.Combine(dir, "stat")); } catch (IOException) { continue; }
                // Field 4 (after the parenthesised name) is the parent's pid.
                if (int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]) != pid) continue;
                queue.Enqueue(child);
                string env;
                try { env = File.ReadAllText(Path.Combine(dir, "environ")); } catch (IOException) { continue; }
                if (env.Split('\0').Contains($"OMPI_COMM_WORLD_RANK={rank}")) return child;
            }
        }
        throw new InvalidOperationException($"no rank {rank} below pid {launcher}");
    }

    const int SigKill = 9, SigCont = 18, SigStop = 19;
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)] static extern int Kill(int pid, int signal);
}
