using SparseMpi.Tests.Support;

namespace SparseMpi.Tests.Reliability;

/// <summary>
/// SIGTERM and SIGUSR1 (Slurm's time limit and its advance notice) stop a synchronous run after a step that every
/// rank finishes, with a checkpoint, a summary marked interrupted and one line; resuming it ends with exactly
/// the parameters of the run that was never interrupted.
/// </summary>
[TestFixture, Category("mpi")]
public class StopSignalTests
{
    const string Common = "train --model logreg --epochs 2 --log-every 5";

    [TestCase(15, "SIGTERM", true)]   // to every rank, as Slurm's time limit does
    [TestCase(10, "SIGUSR1", false)]  // to mpiexec, which passes it on to the ranks
    public void AStopSignalCheckpointsAndTheResumedRunEndsWithTheUninterruptedParameters(int signal, string name, bool toEveryRank)
    {
        using var whole = new RunDirectory();
        using var stopped = new RunDirectory();
        var reference = ProgramRunner.Run($"{Common} --out {whole.Path}", 2);
        Assert.That(reference.ExitCode, Is.EqualTo(0), reference.ToString());

        var r = RunAndSignal($"{Common} --out {stopped.Path}", stopped["metrics.jsonl"], signal, toEveryRank);
        Assert.That(r.ExitCode, Is.EqualTo(128 + signal), r.ToString());
        var errors = r.Stderr.Split('\n').Where(l => l.Contains("sparsempi: error")).ToArray();
        Assert.That(errors, Has.Length.EqualTo(1), r.ToString());
        Assert.That(errors[0], Does.Contain($"stopped by {name} after step").And.Contain($"--resume {stopped.Path}"));
        Assert.That(r.Stderr + r.Stdout, Does.Not.Contain("   at "), "no stack trace");
        var s = stopped.Summary();
        Assert.That((bool)s["interrupted"]!, Is.True);
        Assert.That((string)s["stop_signal"]!, Is.EqualTo(name));
        long stoppedAt = (long)s["steps"]!, total = (long)whole.Summary()["steps"]!;
        Assert.That(stoppedAt, Is.GreaterThan(0).And.LessThan(total), "stopped midway");
        Assert.That(File.Exists(Path.Combine(stopped.Path, "checkpoints", "latest.json")), "a checkpoint without --checkpoint-every");

        var resumed = ProgramRunner.Run($"{Common} --resume {stopped.Path}", 2);
        Assert.That(resumed.ExitCode, Is.EqualTo(0), resumed.ToString());
        var sr = stopped.Summary();
        Assert.That((bool)sr["interrupted"]!, Is.False);
        Assert.That((long)sr["resumed_from_step"]!, Is.EqualTo(stoppedAt));
        Assert.That((string)sr["parameter_hash"]!, Is.EqualTo((string)whole.Summary()["parameter_hash"]!));
    }

    /// <summary>
    /// Starts the run on 2 ranks, waits until it has logged a few steps, sends <paramref name="signal"/> to every
    /// rank (or to mpiexec), and waits for the end (bounded: a hang fails).
    /// </summary>
    static RunResult RunAndSignal(string arguments, string metricsFile, int signal, bool toEveryRank)
    {
        using var job = new RunningJob(2, arguments);
        job.WaitUntil(() => File.Exists(metricsFile) && File.ReadAllLines(metricsFile).Length >= 4, "3 logged steps");
        var targets = toEveryRank ? job.Ranks() : [job.LauncherPid];
        Assert.That(targets, Has.Count.EqualTo(toEveryRank ? 2 : 1));
        foreach (int pid in targets) job.Signal(pid, signal);
        return job.WaitForExit(120);
    }
}
