using System.Diagnostics;
using SparseMpi.Tests.Support;

namespace SparseMpi.Tests.Cluster;

/// <summary>
/// Faults across nodes (the reliability issue's item 10) on a fresh 2-node emulated cluster per test, with the
/// job launched the way users launch it, through jobs/train.sbatch (outside Slurm: Open MPI's mpiexec over the
/// cluster's hostfile): a node's link cut mid-run, and a whole node's processes killed. Each job must end, bounded,
/// with a line that says why; a resume on the surviving node with fewer ranks is refused with one line.
/// </summary>
[TestFixture, Category("cluster"), NonParallelizable]
public class NodeFaultTests
{
    // 6 s of no progress is still far beyond a logreg step (milliseconds) on a loaded machine; the bound follows.
    const int StallTimeout = 6, AbortGrace = 5;
    // How soon a job must end after the fault: the watchdog (timeout + its stagger of at most 1 s on 2 ranks + a
    // poll), the job's grace for a launcher that cannot reach the lost node, its TERM-then-KILL 5 s, and slack for a
    // loaded machine.
    const int Bound = StallTimeout + 2 + AbortGrace + 5 + 20;
    EmulatedCluster _cluster = null!;
    string _outRoot = null!;

    [SetUp]
    public void Up()
    {
        EmulatedCluster.SkipUnlessNamespacesCanBeMade();
        _cluster = EmulatedCluster.Up(2, 1);
        _outRoot = Path.Combine(Path.GetTempPath(), $"sparsempi-nodefault-{Guid.NewGuid():N}");
    }

    [TearDown]
    public void Down()
    {
        if (_cluster == null) return;
        string id = _cluster.Id;
        _cluster.Dispose(); // kills what is left in the namespaces (an orphaned daemon on the cut node) and removes them
        Assert.That(EmulatedCluster.NamespacesOf(id), Is.Empty, $"namespaces of cluster {id} left behind");
        if (Directory.Exists(_outRoot)) Directory.Delete(_outRoot, recursive: true);
    }

    /// <summary>train.sbatch on both nodes, a logistic regression long enough to be cut mid-run, checkpoints every 100 steps.</summary>
    RunningJob StartJob()
    {
        var psi = new ProcessStartInfo(EmulatedCluster.Script) { WorkingDirectory = ScriptRunner.RepoRoot };
        foreach (string a in new[] { "run", "--", "bash", "jobs/train.sbatch" }) psi.ArgumentList.Add(a);
        psi.Environment["SPARSEMPI_CLUSTER"] = _cluster.Id;
        psi.Environment["NTASKS"] = "2";
        psi.Environment["MPIEXEC"] = "mpiexec.openmpi";
        psi.Environment["MODEL"] = "logreg";
        psi.Environment["EPOCHS"] = "2000"; // far more than the test lets it run: it is cut after its first checkpoint
        psi.Environment["OUT_ROOT"] = _outRoot;
        psi.Environment["ABORT_GRACE"] = $"{AbortGrace}";
        psi.Environment["EXTRA_ARGS"] = $"--stall-timeout {StallTimeout} --checkpoint-every 100";
        // The first epoch's end (a progress line may not come at all on a fast machine: they are printed by time).
        var job = new RunningJob(psi, startLine: "epoch 1: test accuracy");
        job.WaitForStart(timeoutSeconds: 180);
        // Past the first checkpoint, so the resume below has one to refuse.
        job.WaitUntil(() => CheckpointDirectory() != null, "the first checkpoint", timeoutSeconds: 180);
        return job;
    }

    string? CheckpointDirectory() => Directory.Exists(_outRoot)
        ? Directory.GetFiles(_outRoot, "latest.json", SearchOption.AllDirectories).Select(f => Path.GetDirectoryName(Path.GetDirectoryName(f))).FirstOrDefault()
        : null;

    static void InNamespace(string ns, params string[] command)
    {
        var r = ScriptRunner.Run("ip", ["netns", "exec", ns, .. command], timeoutSeconds: 30);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
    }

    [Test]
    public void ALinkCutMidRunEndsTheJobWithinTheStallTimeoutAndTheLaunchersGraceWithTheWatchdogsLine()
    {
        using var job = StartJob();
        var cut = Stopwatch.StartNew();
        InNamespace($"smc-{_cluster.Id}-node2", "ip", "link", "set", "eth0", "down");

        var r = job.WaitForExit(timeoutSeconds: Bound + 30);
        double seconds = cut.Elapsed.TotalSeconds;
        TestContext.Out.WriteLine($"the job ended {seconds:F1} s after the cut, exit code {r.ExitCode}");
        Assert.That(r.ExitCode, Is.Not.EqualTo(0), r.ToString());
        Assert.That(seconds, Is.LessThan(Bound), r.ToString());
        string all = r.Stdout + r.Stderr;
        Assert.That(all, Does.Contain($"made no progress for").And.Contain($"(--stall-timeout {StallTimeout}); aborting the job"), r.ToString());
        Assert.That(all.Split('\n').Count(l => l.StartsWith("sparsempi: error:")), Is.EqualTo(1), "one line from the program: " + r);

        // The checkpoint the run wrote before the cut is intact; resuming it on the surviving node alone (1 rank
        // instead of 2) is refused with one line, before any training.
        string dir = CheckpointDirectory()!;
        var resume = _cluster.Run(["mpiexec.openmpi", "-n", "1", "--host", "node1", ProgramRunner.ProgramPath, "train", "--resume", dir], timeoutSeconds: 120);
        Assert.That(resume.ExitCode, Is.Not.EqualTo(0), resume.ToString());
        Assert.That(resume.Stderr, Does.Contain($"sparsempi: error: --resume {dir}: the checkpoint was written by 2 ranks, this run has 1"), resume.ToString());
        Assert.That(resume.Stdout, Does.Not.Contain("epoch 1"), resume.ToString());
    }

    [Test]
    public void AWholeNodesProcessesKilledMidRunEndTheJobQuickly()
    {
        using var job = StartJob();
        var killed = Stopwatch.StartNew();
        // Everything of node 2: its rank and Open MPI's daemon, as when the node loses power.
        var pids = ScriptRunner.Run("ip", ["netns", "pids", $"smc-{_cluster.Id}-node2"], timeoutSeconds: 30);
        Assert.That(pids.ExitCode, Is.EqualTo(0), pids.ToString());
        string[] list = pids.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(list, Is.Not.Empty, "node 2 runs nothing");
        foreach (string pid in list) ScriptRunner.Run("kill", ["-KILL", pid.Trim()], timeoutSeconds: 10);

        var r = job.WaitForExit(timeoutSeconds: Bound + 30);
        double seconds = killed.Elapsed.TotalSeconds;
        TestContext.Out.WriteLine($"the job ended {seconds:F1} s after node 2 was killed, exit code {r.ExitCode}\n{r}");
        Assert.That(r.ExitCode, Is.Not.EqualTo(0), r.ToString());
        Assert.That(seconds, Is.LessThan(Bound), r.ToString());
        // The job's own line says the run failed; the launcher or the watchdog says why.
        Assert.That(r.Stdout + r.Stderr, Does.Contain("sparsempi-job: run in").And.Contain("failed with exit code"), r.ToString());
    }
}
