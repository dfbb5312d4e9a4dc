using System.Text.Json;
using System.Text.RegularExpressions;
using SparseMpi.Tests.Support;

namespace SparseMpi.Tests.Jobs;

/// <summary>
/// The Slurm batch scripts in jobs/ and the hostfiles in hostfiles/, outside Slurm: the scripts parse, keep
/// their #SBATCH headers where sbatch reads them, hold no paths of one machine, and run directly with bash
/// (falling back to mpiexec) with the tiny test configuration of scripts/job-test-env.sh, writing the run
/// directories that scripts/check-run.sh accepts. Under a real Slurm: SparseMpi.Tests/Slurm/SlurmTests.cs.
/// </summary>
[TestFixture, Category("jobs")]
public class JobScriptTests
{
    static readonly string[] JobScripts = ["train.sbatch", "sweep-density.sbatch", "scaling-strong.sbatch", "scaling-weak.sbatch"];
    static readonly string[] ShellFiles =
    [
        .. JobScripts.Select(s => "jobs/" + s), "jobs/lib.sh",
        "scripts/slurm-test.sh", "scripts/check-run.sh", "scripts/job-test-env.sh", "scripts/deps.sh", "scripts/test-summary.sh",
    ];

    // The job scripts' knobs: ones set in the shell that runs the tests must not change what the tests run.
    static readonly string[] Knobs =
    [
        "SPARSEMPI", "SPARSEMPI_HOME", "LAUNCHER", "NTASKS", "RANKS", "DENSITIES", "OUT_ROOT", "RUN_TIMEOUT", "MPIEXEC",
        "EXTRA_MPIEXEC_ARGS", "EXTRA_SRUN_ARGS", "DATA", "VERB_ARGS", "EXTRA_ARGS", "MODEL", "EPOCHS", "BATCH",
        "GLOBAL_BATCH", "LR", "COMPRESSOR", "DENSITY", "SEED",
    ];

    string _out = "";

    [SetUp]
    public void CreateOutRoot()
    {
        _out = Path.Combine(Path.GetTempPath(), "sparsempi-jobs-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(_out);
    }

    [TearDown]
    public void RemoveOutRoot()
    {
        if (Directory.Exists(_out)) Directory.Delete(_out, recursive: true);
    }

    static string Repo(string relative) => Path.Combine(ScriptRunner.RepoRoot, relative);

    [TestCaseSource(nameof(ShellFiles))]
    public void BashAcceptsTheSyntax(string file)
    {
        Assert.That(File.Exists(Repo(file)), $"{file} is missing");
        var r = ScriptRunner.Bash(null, 30, "-n", file);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
    }

    [TestCaseSource(nameof(JobScripts))]
    public void SbatchHeadersComeBeforeTheFirstCommand(string script)
    {
        // sbatch stops reading #SBATCH lines at the first line that is neither a comment nor blank: a header
        // below it is silently ignored.
        string[] lines = File.ReadAllLines(Repo("jobs/" + script));
        Assert.That(lines[0], Is.EqualTo("#!/bin/bash"));
        int firstCommand = Array.FindIndex(lines, l => l.Trim().Length > 0 && !l.TrimStart().StartsWith('#'));
        int lastHeader = Array.FindLastIndex(lines, l => l.StartsWith("#SBATCH"));
        Assert.That(lastHeader, Is.GreaterThan(0), "no #SBATCH header");
        Assert.That(lastHeader, Is.LessThan(firstCommand), $"#SBATCH on line {lastHeader + 1} comes after the first command on line {firstCommand + 1}");
        Assert.That(lines.Where(l => l.StartsWith("#SBATCH --job-name=sparsempi-")).Count(), Is.EqualTo(1));
        Assert.That(lines, Does.Contain("##SBATCH --gpus-per-task=1"), "the GPU line to enable is missing");
        Assert.That(lines[firstCommand], Is.EqualTo("set -euo pipefail"));
    }

    [TestCaseSource(nameof(JobScripts))]
    public void HoldsNoPathOfOneMachine(string script)
    {
        string text = File.ReadAllText(Repo("jobs/" + script)) + File.ReadAllText(Repo("jobs/lib.sh"));
        Assert.That(Regex.Matches(text, @"(?<![\w$}])/(work|home|root|tmp|scratch|opt|usr/local)/").Select(m => m.Value), Is.Empty);
    }

    /// <summary>Runs a job script with bash, outside Slurm, with the test configuration; returns its job directory.</summary>
    (RunResult Result, string? JobDir) RunJob(string script, int ntasks, Dictionary<string, string>? env = null)
    {
        var e = new Dictionary<string, string>
        {
            ["OUT_ROOT"] = _out,
            ["NTASKS"] = ntasks.ToString(),
            ["RUN_TIMEOUT"] = "120",
            // Open MPI refuses root unless told; the test may run as root (CI does).
            ["OMPI_ALLOW_RUN_AS_ROOT"] = "1",
            ["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1",
        };
        if (env != null) foreach (var kv in env) e[kv.Key] = kv.Value;
        var r = ScriptRunner.Run("bash", ["-c", "set -a; . scripts/job-test-env.sh; set +a; exec bash \"$0\"", "jobs/" + script],
            e, timeoutSeconds: 300, unset: Knobs);
        string[] dirs = Directory.GetDirectories(_out);
        Assert.That(dirs, Has.Length.LessThanOrEqualTo(1), r.ToString());
        return (r, dirs.SingleOrDefault());
    }

    /// <summary>scripts/check-run.sh on the run directory, and a full JSON parse of summary.json where a run trained.</summary>
    static void CheckRun(string runDir, int ranks, RunResult job)
    {
        var c = ScriptRunner.Bash(null, 30, "scripts/check-run.sh", runDir, ranks.ToString());
        Assert.That(c.ExitCode, Is.EqualTo(0), $"{c}\n--- the job\n{job}");
        string summary = Path.Combine(runDir, "summary.json");
        if (File.ReadAllText(Path.Combine(runDir, "launch.cmd")).Contains(" train "))
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(summary));
            Assert.That(doc.RootElement.ValueKind, Is.EqualTo(JsonValueKind.Object), summary);
            Assert.That(doc.RootElement.GetProperty("ranks").GetInt32(), Is.EqualTo(ranks), summary);
        }
    }

    static string[] ScalingPoints(string jobDir) =>
        File.ReadAllLines(Path.Combine(jobDir, "scaling.tsv")).Skip(1)
            .Select(l => string.Join(" ", l.Split('\t').Take(4))).ToArray();

    [Test]
    public void TrainRunsWithoutSlurmIntoItsRunDirectory()
    {
        var (r, dir) = RunJob("train.sbatch", 2);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(Path.GetFileName(dir), Does.Match(@"^sparsempi-train-local-\d{8}-\d{6}-\d+$"));
        CheckRun(dir!, 2, r);
        Assert.That(File.ReadAllText(Path.Combine(dir!, "launch.cmd")), Does.StartWith("timeout --kill-after=30 120 mpiexec -n 2 "));
        Assert.That(File.ReadAllText(Path.Combine(dir!, "job.env")), Does.Contain("LAUNCHER=mpiexec").And.Contain("NTASKS=2"));
    }

    [Test]
    public void StrongScalingKeepsTheGlobalBatch()
    {
        var (r, dir) = RunJob("scaling-strong.sbatch", 4);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        foreach (int ranks in new[] { 1, 2, 4 }) CheckRun(Path.Combine(dir!, $"ranks-{ranks}"), ranks, r);
        // scripts/job-test-env.sh: GLOBAL_BATCH=64.
        Assert.That(ScalingPoints(dir!), Is.EqualTo(new[] { "1 64 64 0", "2 32 64 0", "4 16 64 0" }));
    }

    [Test]
    public void StrongScalingRefusesAGlobalBatchItCannotSplitBeforeRunningAnything()
    {
        var (r, dir) = RunJob("scaling-strong.sbatch", 3);
        Assert.That(r.ExitCode, Is.Not.EqualTo(0), r.ToString());
        Assert.That(r.Stderr, Does.Contain("GLOBAL_BATCH=64 is not divisible by 3 ranks"), r.ToString());
        Assert.That(Directory.GetDirectories(dir!), Is.Empty, "runs were launched");
    }

    [Test]
    public void WeakScalingKeepsThePerRankBatchAndEndsAtTheTaskCount()
    {
        var (r, dir) = RunJob("scaling-weak.sbatch", 3);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        foreach (int ranks in new[] { 1, 2, 3 }) CheckRun(Path.Combine(dir!, $"ranks-{ranks}"), ranks, r);
        // scripts/job-test-env.sh: BATCH=32; 3 is no power of two, so it is appended to 1, 2.
        Assert.That(ScalingPoints(dir!), Is.EqualTo(new[] { "1 32 32 0", "2 32 64 0", "3 32 96 0" }));
    }

    [Test]
    public void SweepWithoutAnArrayRunsEveryDensity()
    {
        var (r, dir) = RunJob("sweep-density.sbatch", 2, new() { ["DENSITIES"] = "1 0.01" });
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(Directory.GetDirectories(dir!).Select(Path.GetFileName).Order(), Is.EqualTo(new[] { "density-0.01", "density-1" }));
        CheckRun(Path.Combine(dir!, "density-1"), 2, r);
        CheckRun(Path.Combine(dir!, "density-0.01"), 2, r);
    }

    [Test]
    public void SweepArrayTaskRunsOnlyItsDensity()
    {
        var (r, dir) = RunJob("sweep-density.sbatch", 1, new()
        {
            ["DENSITIES"] = "1 0.01 0.001", ["SLURM_ARRAY_JOB_ID"] = "77", ["SLURM_ARRAY_TASK_ID"] = "1",
        });
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(Path.GetFileName(dir), Is.EqualTo("sparsempi-sweep-density-77-1"));
        Assert.That(Directory.GetDirectories(dir!).Select(Path.GetFileName), Is.EqualTo(new[] { "density-0.01" }));
        CheckRun(Path.Combine(dir!, "density-0.01"), 1, r);
    }

    [Test]
    public void SweepArrayTaskWithoutADensityFailsClearly()
    {
        var (r, _) = RunJob("sweep-density.sbatch", 1, new()
        {
            ["DENSITIES"] = "1 0.01", ["SLURM_ARRAY_JOB_ID"] = "77", ["SLURM_ARRAY_TASK_ID"] = "4",
        });
        Assert.That(r.ExitCode, Is.Not.EqualTo(0), r.ToString());
        Assert.That(r.Stderr, Does.Contain("array task 4 has no density").And.Contain("--array=0-1"), r.ToString());
    }

    [Test]
    public void AFailingRunFailsTheJobAndRecordsItsExitCode()
    {
        var (r, dir) = RunJob("train.sbatch", 1, new() { ["SPARSEMPI"] = "/bin/false" });
        Assert.That(r.ExitCode, Is.Not.EqualTo(0), r.ToString());
        // The launcher's failure must reach launch.exit, the job's exit status and check-run.
        Assert.That(File.ReadAllText(Path.Combine(dir!, "launch.exit")).Trim(), Is.Not.EqualTo("0"));
        var c = ScriptRunner.Bash(null, 30, "scripts/check-run.sh", dir!, "1");
        Assert.That(c.ExitCode, Is.Not.EqualTo(0), c.ToString());
    }

    [Test]
    public void SrunOutsideSlurmIsOneClearError()
    {
        var (r, _) = RunJob("train.sbatch", 2, new() { ["LAUNCHER"] = "srun" });
        Assert.That(r.ExitCode, Is.Not.EqualTo(0), r.ToString());
        Assert.That(r.Stderr.Trim(), Is.EqualTo("sparsempi-job: error: LAUNCHER=srun needs a Slurm allocation: submit with sbatch, or use LAUNCHER=mpiexec"));
    }

    [Test]
    public void LocalhostHostfileGivesExactlyFourSlots()
    {
        var env = new Dictionary<string, string> { ["OMPI_ALLOW_RUN_AS_ROOT"] = "1", ["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1" };
        // No --oversubscribe: the 4 ranks fit only because the hostfile grants 4 slots (the VM has 2 cores) ...
        var four = ScriptRunner.Run("mpiexec.openmpi", ["--hostfile", "hostfiles/localhost", "--bind-to", "none", "-n", "4", "bin/sparsempi", "check-mpi"], env, 120);
        Assert.That(four.ExitCode, Is.EqualTo(0), four.ToString());
        Assert.That(four.Stdout, Does.Contain("checks passed on 4 ranks"), four.ToString());
        // ... and no more than 4.
        var five = ScriptRunner.Run("mpiexec.openmpi", ["--hostfile", "hostfiles/localhost", "--bind-to", "none", "-n", "5", "bin/sparsempi", "check-mpi"], env, 120);
        Assert.That(five.ExitCode, Is.Not.EqualTo(0), five.ToString());
        Assert.That(five.Stdout + five.Stderr, Does.Contain("not enough slots"), five.ToString());
    }

    [TestCase("hostfiles/localhost"), TestCase("hostfiles/cluster-example")]
    public void HostfileLinesAreHostsWithSlots(string file)
    {
        string[] hosts = File.ReadAllLines(Repo(file)).Where(l => l.Trim().Length > 0 && !l.TrimStart().StartsWith('#')).ToArray();
        Assert.That(hosts, Is.Not.Empty);
        Assert.That(hosts, Has.All.Match(@"^[A-Za-z0-9][A-Za-z0-9.-]* slots=[1-9][0-9]*( max_slots=[1-9][0-9]*)?$"));
    }
}
