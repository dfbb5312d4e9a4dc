using System.Text.Json.Nodes;
using SparseMpi.Sparsification;
using SparseMpi.Tests.Cli;
using SparseMpi.Tests.Support;
using SparseMpi.Training.Hogwild;

namespace SparseMpi.Tests.Hogwild;

/// <summary>
/// hogwild --staleness-model: the staleness drawn is the one asked for, the gradient is really taken at
/// x_{t - tau} (checked bit for bit on a quadratic), and the program's runs are deterministic and refuse what
/// they would ignore.
/// </summary>
[TestFixture]
public class StalenessSimulationTests
{
    // f(x) = 0.5 |x - c|^2: the gradient at the point is point - c, so every step can be recomputed here.
    static readonly float[] Centre = [1f, -2f, 0.5f, 3f];

    static long[] Draws(string model, int n, long seed = 7)
    {
        var m = StalenessModel.Parse(model, seed);
        var draws = new long[n];
        for (int i = 0; i < n; i++) draws[i] = m.Next();
        return draws;
    }

    [Test]
    public void FixedGivesEveryUpdateStalenessTAfterTheFirstT()
    {
        const int T = 5, n = 60;
        var history = new ParameterHistory(new float[Centre.Length], T);
        var sgd = new DelayedSgd(history, 0.1f, stalenessAware: false, null, null, Centre.Length, 0f);
        var model = StalenessModel.Parse($"fixed:{T}", 1);
        var point = new float[Centre.Length];
        var g = new float[Centre.Length];
        var taus = new List<int>();
        for (int t = 0; t < n; t++)
            taus.Add(sgd.Step(model.Next(), point, _ => Quadratic(point, g)));
        Assert.That(taus.Take(T), Is.EqualTo(Enumerable.Range(0, T)), "before T updates exist the oldest, x_0, is read");
        Assert.That(taus.Skip(T), Is.All.EqualTo(T));
        var s = sgd.Staleness.ToSummary();
        Assert.That(s.Count, Is.EqualTo(n));
        Assert.That(s.Histogram, Is.EqualTo(new long[] { 1, 1, 1, 1, 1, n - T }));
    }

    static ReadOnlySpan<float> Quadratic(float[] point, float[] g)
    {
        for (int i = 0; i < point.Length; i++) g[i] = point[i] - Centre[i];
        return g;
    }

    [TestCase("fixed:3", false), TestCase("uniform:3", false), TestCase("geometric:2", false), TestCase("uniform:4", true)]
    public void TheGradientIsTakenAtTheIterateTauUpdatesBack(string dist, bool stalenessAware)
    {
        const float lr = 0.3f;
        const long seed = 11;
        var history = new ParameterHistory(new float[Centre.Length], StalenessModel.Parse(dist, seed).Max);
        var sgd = new DelayedSgd(history, lr, stalenessAware, null, null, Centre.Length, 0f);
        var model = StalenessModel.Parse(dist, seed);
        var twin = StalenessModel.Parse(dist, seed); // the same draws, for the reference
        var iterates = new List<float[]> { new float[Centre.Length] };
        var point = new float[Centre.Length];
        var g = new float[Centre.Length];
        for (int t = 0; t < 80; t++)
        {
            int tau = (int)Math.Min(twin.Next(), t);
            float[] expectedPoint = iterates[t - tau];
            int got = sgd.Step(model.Next(), point, step =>
            {
                Assert.That(step, Is.EqualTo(t));
                Assert.That(point, Is.EqualTo(expectedPoint), $"update {t}: not x_(t - {tau})");
                return Quadratic(point, g);
            });
            Assert.That(got, Is.EqualTo(tau));
            // The reference update in the same float operations: x_{t+1} = x_t + (lr * -1/max(1, tau)) * grad(x_{t - tau}).
            float scale = lr * (stalenessAware ? -1f / Math.Max(1, tau) : -1f);
            iterates.Add(iterates[t].Select((x, i) => x + (expectedPoint[i] - Centre[i]) * scale).ToArray());
            Assert.That(history.Current.ToArray(), Is.EqualTo(iterates[t + 1]));
        }
    }

    [Test]
    public void ASparseStepAppliesTheCompressorsSelectionWithItsErrorFeedback()
    {
        // k = 1 of 4 with memory: the largest accumulated entry leaves, the rest stays in the residual.
        var history = new ParameterHistory(new float[Centre.Length], 0);
        var memory = new ErrorFeedback(Centre.Length);
        var sgd = new DelayedSgd(history, 0.5f, false, MagnitudeSelector.Exact(), memory, 1, 0f);
        var point = new float[Centre.Length];
        float[] g = [0.1f, -4f, 1f, 2f];
        sgd.Step(0, point, _ => g);
        Assert.That(history.Current.ToArray(), Is.EqualTo(new[] { 0f, 2f, 0f, 0f })); // -0.5 * -4
        Assert.That(memory.Residual.ToArray(), Is.EqualTo(new[] { 0.05f, 0f, 0.5f, 1f }));
        Assert.That(sgd.Entries, Is.EqualTo(1));
        Assert.That(sgd.GradNormSqSum, Is.EqualTo(0.01 + 16 + 1 + 4).Within(1e-5));
    }

    [TestCase(4), TestCase(16)]
    public void UniformStalenessIsOnZeroToTwoTWithMeanT(int T)
    {
        const int n = 100_000;
        long[] d = Draws($"uniform:{T}", n);
        Assert.That(d.Min(), Is.EqualTo(0));
        Assert.That(d.Max(), Is.EqualTo(2 * T));
        double sd = Math.Sqrt(((2.0 * T + 1) * (2 * T + 1) - 1) / 12);
        Assert.That(d.Average(), Is.EqualTo(T).Within(4 * sd / Math.Sqrt(n)));
    }

    [TestCase(4), TestCase(32)]
    public void GeometricStalenessHasMeanTWithinFourStandardErrors(int T)
    {
        const int n = 200_000;
        var model = StalenessModel.Parse($"geometric:{T}", 3);
        long[] d = Draws($"geometric:{T}", n, 3);
        Assert.That(d.Max(), Is.LessThanOrEqualTo(model.Max));
        // The truncated distribution's own mean and variance (the cut tail is below 1e-4 of the mass).
        double q = 1 - 1.0 / (T + 1), z = 0, m1 = 0, m2 = 0;
        for (int s = 0; s <= model.Max; s++) { double p = Math.Pow(q, s); z += p; m1 += s * p; m2 += (double)s * s * p; }
        double mean = m1 / z, sd = Math.Sqrt(m2 / z - mean * mean);
        Assert.That(mean, Is.EqualTo(T).Within(T * 2e-3), "the truncation moves the mean by little");
        Assert.That(d.Average(), Is.EqualTo(mean).Within(4 * sd / Math.Sqrt(n)));
    }

    [Test]
    public void TheHistoryRefusesStalenessItDoesNotHold()
    {
        var h = new ParameterHistory(new float[3], 2);
        Assert.Throws<ArgumentOutOfRangeException>(() => h.Iterate(3, out _));
        Assert.That(StalenessModel.Problem("poisson:3"), Does.Contain("--staleness-model must be"));
        Assert.That(StalenessModel.Problem("fixed:-1"), Is.Not.Null);
        Assert.That(StalenessModel.Problem("uniform:8"), Is.Null);
    }

    // --- the program, started without mpiexec as the simulation is meant to run ---

    static readonly string[] ClockFields =
        ["wall_seconds", "loop_seconds", "cpu_seconds", "updates_per_second", "updates_per_cpu_second"];

    static JsonNode RunSimulation(RunDirectory run, string arguments)
    {
        var r = ProgramRunner.Run($"hogwild {arguments} --out {run.Path}", 1, Launcher.None, timeoutSeconds: 120);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        return run.Summary();
    }

    static string WithoutClocks(JsonNode s)
    {
        var o = s.DeepClone().AsObject();
        foreach (string f in ClockFields) o.Remove(f);
        foreach (var p in o["accuracy_over_updates"]!.AsArray()) p!.AsObject().Remove("wall_seconds");
        return o.ToJsonString();
    }

    [Test, Category("mpi")]
    public void TheSameSeedGivesTheSameSummaryAndTheStalenessBlock()
    {
        const string args = "--staleness-model uniform:4 --updates 40 --compressor topk --density 0.01 --validation 1000 --batch-size 16";
        using var a = new RunDirectory();
        using var b = new RunDirectory();
        using var c = new RunDirectory();
        var s1 = RunSimulation(a, args + " --seed 3");
        var s2 = RunSimulation(b, args + " --seed 3");
        var s3 = RunSimulation(c, args + " --seed 4");
        Assert.That(WithoutClocks(s2).Replace(b.Path, a.Path), Is.EqualTo(WithoutClocks(s1)), "bit-identical apart from the clocks");
        Assert.That((string)s3["parameter_hash"]!, Is.Not.EqualTo((string)s1["parameter_hash"]!));
        Assert.That((string)s1["mode"]!, Is.EqualTo("staleness-simulation"));
        Assert.That((string)s1["staleness_model"]!, Is.EqualTo("uniform:4"));
        var st = s1["staleness"]!;
        Assert.That((long)st["count"]!, Is.EqualTo(40));
        Assert.That((long)st["max"]!, Is.LessThanOrEqualTo(8));
        Assert.That(st["histogram"]!.AsArray().Sum(n => (long)n!), Is.EqualTo(40));
        Assert.That((int)s1["validation_samples"]!, Is.EqualTo(1000));
        Assert.That((double)s1["validation_accuracy"]!, Is.InRange(0.0, 1.0));
        Assert.That((double)s1["grad_norm_sq_mean"]!, Is.GreaterThan(0));
        Assert.That((double)s1["test_accuracy"]!, Is.GreaterThan(0.3)); // it learns (chance is 0.1)
    }

    [Test, Category("mpi")]
    public void FixedStalenessReachesTheSummaryExactly()
    {
        using var run = new RunDirectory();
        var s = RunSimulation(run, "--staleness-model fixed:6 --updates 30 --compressor none --model logreg --batch-size 16");
        var h = s["staleness"]!["histogram"]!.AsArray().Select(n => (long)n!).ToArray();
        Assert.That(h, Is.EqualTo(new long[] { 1, 1, 1, 1, 1, 1, 24 }));
        Assert.That((int)s["validation_samples"]!, Is.EqualTo(0));
        Assert.That(s["validation_accuracy"], Is.Null);
    }

    [TestCase("--staleness-model bogus:3", "--staleness-model must be fixed:T")]
    [TestCase("--staleness-model uniform:4 --validation 60000", "--validation must be in 0..59999")]
    [TestCase("--staleness-model uniform:4 --validation 59990 --batch-size 32", "--validation 59990 leaves 10 of the 60000 training samples")]
    [TestCase("--staleness-model geometric:10000 --updates 10", "snapshots of d = 203530 floats need")]
    [TestCase("--staleness-model fixed:4 --in-flight 2", "--in-flight sets the ranks' pipeline depth; --staleness-model simulates")]
    [TestCase("--staleness-model fixed:4 --update racy", "--update chooses how concurrent writers add")]
    [Category("mpi")]
    public void BadSimulationInputIsOneLine(string arguments, string expected)
    {
        using var run = new RunDirectory();
        var r = ProgramRunner.Run($"hogwild {arguments} --out {run.Path}", 1, Launcher.None, timeoutSeconds: 60);
        BadInputTests.AssertOneLineError(r, expected);
        Assert.That(File.Exists(run["summary.json"]), Is.False);
    }

    [Test, Category("mpi")]
    public void MoreThanOneRankIsRefused()
    {
        using var run = new RunDirectory();
        var r = ProgramRunner.Run($"hogwild --staleness-model fixed:2 --updates 10 --out {run.Path}", 2, timeoutSeconds: 60);
        BadInputTests.AssertOneLineError(r, "run it without mpiexec or with -n 1 (got 2 ranks)");
    }

    [Test, Category("mpi")]
    public void RealHogwildReportsValidationAndTheGradientNorm()
    {
        using var run = new RunDirectory();
        var r = ProgramRunner.Run($"hogwild --updates 40 --validation 2000 --batch-size 16 --eval-every 40 --out {run.Path}", 2, timeoutSeconds: 120);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        var s = run.Summary();
        Assert.That((string)s["mode"]!, Is.EqualTo("hogwild"));
        Assert.That((int)s["validation_samples"]!, Is.EqualTo(2000));
        Assert.That((double)s["validation_accuracy"]!, Is.InRange(0.0, 1.0));
        Assert.That((double)s["grad_norm_sq_mean"]!, Is.GreaterThan(0));
        Assert.That(s["staleness_model"], Is.Null);
    }
}
