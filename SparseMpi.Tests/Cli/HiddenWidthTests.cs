using SparseMpi.Tests.Support;

namespace SparseMpi.Tests.Cli;

/// <summary>--hidden (issue 16, item 2): the mlp's widths change d and the configuration, and resume checks them.</summary>
[TestFixture, Category("mpi")]
public class HiddenWidthTests
{
    const string Config = "--model mlp --compressor topk --density 0.01";

    [Test]
    public void HiddenWidthsChangeDAndAreRecorded()
    {
        using var run = new RunDirectory();
        var r = ProgramRunner.Run($"train {Config} --hidden 32,16 --max-steps 5 --out {run.Path}", 2);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        const int d = 784 * 32 + 32 + 32 * 16 + 16 + 16 * 10 + 10;
        var s = run.Summary();
        Assert.That((int)s["d"]!, Is.EqualTo(d));
        Assert.That(s["hidden"]!.AsArray().Select(x => (int)x!), Is.EqualTo(new[] { 32, 16 }));
        Assert.That((string)s["configuration"]!, Does.Contain("model=mlp;hidden=32,16;"));
        Assert.That(r.Stdout, Does.Contain($"mlp 784-32-16-10 (d = {d})"));
    }

    [Test]
    public void TheDefaultWidthsKeepTheConfigurationText()
    {
        using var a = new RunDirectory();
        using var b = new RunDirectory();
        var ra = ProgramRunner.Run($"train {Config} --max-steps 5 --out {a.Path}", 2);
        var rb = ProgramRunner.Run($"train {Config} --hidden 256 --max-steps 5 --out {b.Path}", 2);
        Assert.That(ra.ExitCode, Is.EqualTo(0), ra.ToString());
        Assert.That(rb.ExitCode, Is.EqualTo(0), rb.ToString());
        Assert.That((string)a.Summary()["configuration"]!, Does.StartWith("model=mlp;batch="), "older checkpoints must stay valid");
        Assert.That((string)b.Summary()["configuration"]!, Is.EqualTo((string)a.Summary()["configuration"]!));
        Assert.That((string)b.Summary()["parameter_hash"]!, Is.EqualTo((string)a.Summary()["parameter_hash"]!));
        Assert.That((int)a.Summary()["d"]!, Is.EqualTo(203_530));
    }

    [Test]
    public void ResumeWithOtherWidthsIsRefused()
    {
        using var run = new RunDirectory();
        var a = ProgramRunner.Run($"train {Config} --hidden 32,16 --max-steps 10 --checkpoint-every 10 --out {run.Path}", 2);
        Assert.That(a.ExitCode, Is.EqualTo(0), a.ToString());
        var r = ProgramRunner.Run($"train {Config} --hidden 32 --max-steps 20 --resume {run.Path}", 2, timeoutSeconds: 120);
        BadInputTests.AssertOneLineError(r, "different configuration");
        Assert.That(r.Stdout + r.Stderr, Does.Contain("hidden"));
    }

    [TestCase("--hidden 0", "--hidden: '0' is not a layer width")]
    [TestCase("--hidden 64,x", "--hidden: 'x' is not a layer width")]
    [TestCase("--hidden 65537", "is not a layer width in 1..65536")]
    [TestCase("--hidden 64 --model cnn", "--hidden sets the mlp's hidden widths; --model cnn has fixed layers")]
    public void BadHiddenIsRefused(string options, string expected) =>
        BadInputTests.AssertOneLineError(ProgramRunner.Run($"train {options}", 2, timeoutSeconds: 60), expected);
}
