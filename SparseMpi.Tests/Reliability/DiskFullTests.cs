using SparseMpi.Tests.Cli;
using SparseMpi.Tests.Support;

namespace SparseMpi.Tests.Reliability;

/// <summary>
/// A full disk (issue 17, row 7) is one error line per job, not an IOException with a stack trace per rank; an
/// incomplete checkpoint step directory is removed and the previous checkpoint stays valid. The disk is a small
/// tmpfs mounted by the test. Sizes: the MLP (d = 203,530) on 2 ranks writes params.bin (0.8 MB) and one
/// momentum + residual file per rank (1.6 MB each), about 4.1 MB per checkpoint.
/// </summary>
[TestFixture, Category("mpi")]
public class DiskFullTests
{
    static string[] StepDirectories(string runDir) =>
        Directory.Exists(Path.Combine(runDir, "checkpoints"))
            ? Directory.GetDirectories(Path.Combine(runDir, "checkpoints"), "step-*").Select(Path.GetFileName).ToArray()!
            : [];

    static string[] TemporaryFiles(string dir) => Directory.GetFiles(dir, "*.tmp", SearchOption.AllDirectories);

    [Test]
    public void TheFirstCheckpointOnAFullDiskIsOneLineAndLeavesNoStepDirectory()
    {
        using var disk = new TmpfsMount("2m"); // too small for one checkpoint
        string runDir = disk["run"];
        var r = ProgramRunner.Run($"train --max-steps 30 --checkpoint-every 10 --out {runDir}", 2, timeoutSeconds: 120);
        BadInputTests.AssertOneLineError(r, "cannot write checkpoint step 10");
        Assert.That(r.Stderr, Does.Contain("No space left on device").And.Contain("there is no earlier checkpoint"), r.ToString());
        Assert.That(StepDirectories(runDir), Is.Empty, "the incomplete step directory must be removed");
        Assert.That(TemporaryFiles(runDir), Is.Empty, "no temporary file may be left");
    }

    [Test]
    public void ACheckpointThatNoLongerFitsLeavesThePreviousOneValid()
    {
        using var disk = new TmpfsMount("6m"); // one checkpoint fits; the next, written before the old one goes, does not
        string runDir = disk["run"];
        var r = ProgramRunner.Run($"train --max-steps 30 --checkpoint-every 10 --out {runDir}", 2, timeoutSeconds: 120);
        BadInputTests.AssertOneLineError(r, "cannot write checkpoint step 20");
        Assert.That(r.Stderr, Does.Contain("the previous checkpoint (step 10) is intact"), r.ToString());
        Assert.That(StepDirectories(runDir), Is.EqualTo(new[] { "step-000000010" }));
        Assert.That(CheckpointFiles.LatestStep(runDir), Is.EqualTo(10));
        Assert.That(TemporaryFiles(runDir), Is.Empty, "no temporary file may be left");

        // Valid means a resume accepts it (every file's SHA-256 seal is checked) and continues.
        using var copy = new RunDirectory();
        CopyDirectory(runDir, copy.Path);
        var resumed = ProgramRunner.Run($"train --max-steps 20 --checkpoint-every 10 --resume {copy.Path}", 2, timeoutSeconds: 120);
        Assert.That(resumed.ExitCode, Is.EqualTo(0), resumed.ToString());
        Assert.That((long)copy.Summary()["resumed_from_step"]!, Is.EqualTo(10));
    }

    // Only rank 0 writes metrics, TensorBoard and the summary: its I/O error is one line, then MPI_Abort ends the
    // ranks waiting for it in the next collective.
    [Test]
    public void ADiskThatFillsWhileLoggingIsOneLine()
    {
        using var disk = new TmpfsMount("64k"); // about 90 logged steps of logreg
        string runDir = disk["run"];
        var r = ProgramRunner.Run($"train --model logreg --log-every 1 --max-steps 400 --out {runDir}", 2, timeoutSeconds: 120);
        BadInputTests.AssertOneLineError(r, "cannot write results (rank 0): No space left on device");
    }

    static void CopyDirectory(string from, string to)
    {
        foreach (string dir in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(dir.Replace(from, to));
        foreach (string file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(file, file.Replace(from, to), overwrite: true);
    }
}
