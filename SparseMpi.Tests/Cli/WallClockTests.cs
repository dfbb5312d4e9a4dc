using System.Globalization;
using System.Text.Json.Nodes;
using SparseMpi.Tests.Support;

namespace SparseMpi.Tests.Cli;

/// <summary>
/// Accuracy against wall-clock time (issue 16, item 1) under real mpiexec: --eval-every evaluates at the right
/// steps without changing what the run computes, wall seconds are monotone and continue across --resume, and
/// plot draws them and finds the time to a target.
/// </summary>
[TestFixture, Category("mpi")]
public class WallClockTests
{
    // logreg: d = 7850, quick; 60000 / 2 / 64 = 468 steps per epoch, so every evaluation here is a periodic one
    // except the run's last.
    const string Config = "--model logreg --compressor topk --density 0.05 --log-every 1";

    static List<JsonNode> Lines(string path) => File.ReadLines(path).Select(l => JsonNode.Parse(l)!).ToList();

    [Test]
    public void EvalEveryEvaluatesAtItsStepsWithMonotoneWallSecondsAndChangesNoParameter()
    {
        using var plain = new RunDirectory();
        using var every = new RunDirectory();
        var a = ProgramRunner.Run($"train {Config} --max-steps 25 --out {plain.Path}", 2);
        Assert.That(a.ExitCode, Is.EqualTo(0), a.ToString());
        var b = ProgramRunner.Run($"train {Config} --max-steps 25 --eval-every 10 --out {every.Path}", 2);
        Assert.That(b.ExitCode, Is.EqualTo(0), b.ToString());
        Assert.That((string)every.Summary()["parameter_hash"]!, Is.EqualTo((string)plain.Summary()["parameter_hash"]!),
            "evaluating in between changed the parameters");

        var evals = Lines(every["evaluations.jsonl"]);
        Assert.That(evals.Select(e => (long)e["step"]!), Is.EqualTo(new long[] { 10, 20, 25 }), "every 10 steps and at the run's end");
        Assert.That(Lines(plain["evaluations.jsonl"]).Select(e => (long)e["step"]!), Is.EqualTo(new long[] { 25 }), "the default evaluates at the end only");
        foreach (var e in evals)
        {
            Assert.That((double)e["test_accuracy"]!, Is.InRange(0.0, 1.0));
            Assert.That((double)e["test_loss"]!, Is.GreaterThan(0));
            Assert.That((double)e["eval_seconds"]!, Is.GreaterThan(0));
        }
        Assert.That(evals.Select(e => (double)e["wall_seconds"]!), Is.Ordered.Ascending);
        Assert.That(b.Stdout, Does.Contain("step 10: test accuracy").And.Contain("step 20: test accuracy"));

        var steps = Lines(every["metrics.jsonl"]);
        var wall = steps.Select(s => (double)s["wall_seconds"]!).ToList();
        Assert.That(wall, Is.Ordered.Ascending);
        Assert.That(wall[0], Is.GreaterThan(0));
        // The evaluation after step 10 (index 9) lies on the wall clock between the records of steps 9 and 10.
        Assert.That((double)evals[0]["wall_seconds"]!, Is.GreaterThan(wall[9]).And.LessThan(wall[10]));
        // ...and in no step phase: the step after it is timed as a step, not as an evaluation.
        double evalMs = 1000 * (double)evals[0]["eval_seconds"]!;
        var next = steps[10];
        double phases = new[] { "ms_compute", "ms_select", "ms_wait", "ms_comm", "ms_apply" }.Sum(p => (double)next[p]!);
        Assert.That(wall[10] - wall[9], Is.GreaterThanOrEqualTo(evalMs / 1000), "the wall clock carries the evaluation");
        Assert.That(phases, Is.LessThan(1000 * (wall[10] - wall[9])), "phases of one step exceed its wall time");
    }

    [Test]
    public void ResumeContinuesWallSecondsAndTheEvaluations()
    {
        using var run = new RunDirectory();
        var a = ProgramRunner.Run($"train {Config} --max-steps 20 --eval-every 10 --checkpoint-every 10 --out {run.Path}", 2);
        Assert.That(a.ExitCode, Is.EqualTo(0), a.ToString());
        double before = (double)run.Summary()["wall_seconds"]!;
        var b = ProgramRunner.Run($"train {Config} --max-steps 40 --eval-every 10 --resume {run.Path}", 2);
        Assert.That(b.ExitCode, Is.EqualTo(0), b.ToString());

        var evals = Lines(run["evaluations.jsonl"]);
        Assert.That(evals.Select(e => (long)e["step"]!), Is.EqualTo(new long[] { 10, 20, 30, 40 }), "read as one run");
        Assert.That(evals.Select(e => (double)e["wall_seconds"]!), Is.Ordered.Ascending);
        var steps = Lines(run["metrics.jsonl"]);
        Assert.That(steps.Select(s => (long)s["step"]!), Is.EqualTo(Enumerable.Range(0, 40).Select(i => (long)i)));
        Assert.That(steps.Select(s => (double)s["wall_seconds"]!), Is.Ordered.Ascending);
        // The resumed process starts its clock where the checkpoint's left off.
        Assert.That((double)steps[20]["wall_seconds"]!, Is.GreaterThan((double)steps[19]["wall_seconds"]!));
        Assert.That((double)steps[20]["wall_seconds"]!, Is.GreaterThan(before * 0.5));
        Assert.That((double)run.Summary()["wall_seconds"]!, Is.GreaterThan((double)steps[19]["wall_seconds"]!));
    }

    [Test]
    public void PlotDrawsAgainstWallSecondsAndFindsTheTimeToTarget()
    {
        using var run = new RunDirectory();
        using var plots = new RunDirectory();
        using var plots2 = new RunDirectory();
        var t = ProgramRunner.Run($"train {Config} --max-steps 30 --eval-every 5 --out {run.Path}", 2);
        Assert.That(t.ExitCode, Is.EqualTo(0), t.ToString());
        var evals = Lines(run["evaluations.jsonl"]);
        // A target the run reached: the best accuracy it saw; the first evaluation at or above it is the answer.
        double best = evals.Max(e => (double)e["test_accuracy"]!);
        var first = evals.First(e => (double)e["test_accuracy"]! >= best);
        var c = CultureInfo.InvariantCulture;
        var r = ProgramRunner.Run($"plot {run.Path} --labels lr --target-accuracy {best.ToString("R", c)} --target-loss 100 --out {plots.Path}", launcher: Launcher.None);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        foreach (string png in new[] { "accuracy_vs_wall.png", "loss_vs_wall.png" })
        {
            var bytes = File.ReadAllBytes(plots[png]);
            Assert.That(bytes.Take(4), Is.EqualTo(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }), png);
            Assert.That(bytes.Length, Is.GreaterThan(10_000), png);
        }
        string row = File.ReadAllLines(plots["results.md"]).Single(l => l.StartsWith("| lr |"));
        var cells = row.Split('|').Select(x => x.Trim()).ToArray();
        Assert.That(cells[^3], Is.EqualTo(((double)first["wall_seconds"]!).ToString("F1", c)), row);
        Assert.That(cells[^2], Is.EqualTo(((long)first["step"]!).ToString(c)), row);
        // --target-loss 100 is reached at the first logged step (step 0), with its wall seconds.
        var step0 = Lines(run["metrics.jsonl"])[0];
        Assert.That(cells[^4], Is.EqualTo(((double)step0["wall_seconds"]!).ToString("F1", c)), row);

        // Fashion-MNIST at 100% after 30 steps of logistic regression: not reached.
        var n = ProgramRunner.Run($"plot {run.Path} --labels lr --target-accuracy 1 --out {plots2.Path}", launcher: Launcher.None);
        Assert.That(n.ExitCode, Is.EqualTo(0), n.ToString());
        Assert.That(File.ReadAllText(plots2["results.md"]), Does.Contain("| not reached | – |"));
    }

    [TestCase("0", "must be a test accuracy in (0, 1]")]
    [TestCase("1.5", "must be a test accuracy in (0, 1]")]
    public void PlotRefusesABadTargetAccuracy(string value, string expected)
    {
        using var run = new RunDirectory();
        File.WriteAllText(run["summary.json"], "{}");
        BadInputTests.AssertOneLineError(ProgramRunner.Run($"plot {run.Path} --target-accuracy {value} --out {run.Path}/p", launcher: Launcher.None, timeoutSeconds: 60), expected);
    }

    [Test]
    public void NegativeEvalEveryIsRefused() =>
        BadInputTests.AssertOneLineError(ProgramRunner.Run("train --eval-every -1", 2, timeoutSeconds: 60), "--eval-every must not be negative");
}
