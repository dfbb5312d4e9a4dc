using SparseMpi.Tests.Cli;
using SparseMpi.Tests.Support;

namespace SparseMpi.Tests.Reliability;

/// <summary>
/// Issue 17, rows 11-13: plot --prefix cannot escape --out; a damaged metrics.jsonl is one line naming the file and
/// the line (it used to be skipped silently, drawing empty curves); a non-finite number is refused with "finite" in
/// the line however it is spelled.
/// </summary>
[TestFixture]
public class PlotAndValueInputTests
{
    RunDirectory _finished = null!;

    [OneTimeSetUp]
    public void FinishedRun()
    {
        _finished = new RunDirectory();
        var r = ProgramRunner.Run($"train --model logreg --max-steps 20 --log-every 5 --out {_finished.Path}", 1, Launcher.None, timeoutSeconds: 120);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
    }

    [OneTimeTearDown]
    public void Remove() => _finished.Dispose();

    [TestCase("../../escape")]
    [TestCase("sub/name-")]
    [TestCase("..")]
    [TestCase("a\\b")]
    public void APrefixThatWouldLeaveOutIsRefused(string prefix)
    {
        using var work = new RunDirectory();
        string outDir = work["plots/inner"];
        var r = ProgramRunner.Run($"plot {_finished.Path} --out {outDir} --prefix {prefix}", 1, Launcher.None, timeoutSeconds: 60);
        BadInputTests.AssertOneLineError(r, $"--prefix '{prefix}' must be a plain file-name prefix");
        Assert.That(Directory.GetFileSystemEntries(work.Path), Is.Empty, "nothing may be written, inside --out or outside it");
    }

    [Test]
    public void APlainPrefixStillWorks()
    {
        using var work = new RunDirectory();
        var r = ProgramRunner.Run($"plot {_finished.Path} --out {work.Path} --prefix cmp-", 1, Launcher.None, timeoutSeconds: 120);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(File.Exists(work["cmp-accuracy_vs_epochs.png"]), Is.True);
    }

    [TestCase("this is not json", "is an invalid JSON literal")]
    [TestCase("[1, 2, 3]", "not a JSON object")]
    [TestCase("{\"loss\": 0.5}", "no integer \"step\"")]
    [TestCase("{\"step\": \"ten\"}", "no integer \"step\"")]
    [TestCase("{\"step\": 3, \"loss\": \"low\"}", "$.loss")]
    public void AGarbageMetricsLineIsOneLineNamingFileAndLine(string garbage, string reason)
    {
        using var run = new RunDirectory();
        foreach (string f in Directory.GetFiles(_finished.Path)) File.Copy(f, Path.Combine(run.Path, Path.GetFileName(f)));
        var lines = File.ReadAllLines(run["metrics.jsonl"]).ToList();
        lines.Insert(2, garbage); // the third line
        File.WriteAllLines(run["metrics.jsonl"], lines);
        using var plots = new RunDirectory();
        string outDir = plots["out"];
        var r = ProgramRunner.Run($"plot {run.Path} --out {outDir}", 1, Launcher.None, timeoutSeconds: 60);
        BadInputTests.AssertOneLineError(r, $"{run["metrics.jsonl"]} line 3: not a metrics record");
        Assert.That(r.Stderr, Does.Contain(reason));
        Assert.That(Directory.Exists(outDir), Is.False, "nothing may be written");
    }

    // "inf" did not even parse (a generic "wrong type"), "Infinity" parsed and reached the verb's check: both now
    // name the option and say it must be finite.
    [TestCase("train --lr inf", "option '--lr' must be a finite number (got 'inf')")]
    [TestCase("train --lr=-INF", "option '--lr' must be a finite number (got '-INF')")]
    [TestCase("train --lr Infinity", "--lr must be a positive finite number (got Infinity)")]
    [TestCase("train --lr NaN", "--lr must be a positive finite number (got NaN)")]
    [TestCase("train --lr nan", "--lr must be a positive finite number (got NaN)")]
    [TestCase("train --momentum inf", "option '--momentum' must be a finite number (got 'inf')")]
    [TestCase("hogwild --delay-ms infinity", "--delay-ms must be between 0 and 60000")]
    [TestCase("train --lr fast", "option '--lr' has a value of the wrong type or out of range (got 'fast')")]
    [TestCase("train --epochs 1.5", "option '--epochs' has a value of the wrong type or out of range (got '1.5')")]
    public void NonFiniteAndMistypedNumbersNameTheOption(string command, string expected)
    {
        using var work = new RunDirectory();
        string outDir = work["out"];
        var r = ProgramRunner.Run($"{command} --out {outDir}", 1, Launcher.None, timeoutSeconds: 60);
        BadInputTests.AssertOneLineError(r, expected);
        Assert.That(Directory.Exists(outDir), Is.False, "nothing may be written");
    }
}
