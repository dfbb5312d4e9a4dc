using SkiaSharp;
using SparseMpi.Tests.Cli;
using SparseMpi.Tests.Support;

namespace SparseMpi.Tests.Metrics;

/// <summary>The real program's <c>report</c> verb (no MPI launcher): its files, and one clear line for bad input.</summary>
public class ReportVerbTests
{
    const string Networks = "--network ib100:alpha=1.5e-6,beta=8e-11 10gbe:alpha=2e-5,beta=8e-10";

    [Test]
    public void WritesTablesAndNonTrivialPlots()
    {
        using var dir = new RunDirectory();
        ScalingFixtures.WriteStudy(dir.Path);
        string outDir = dir["report"];
        // The fixture root holds two job directories, not runs: give each job, as after a scaling study.
        var r = ProgramRunner.Run($"report {dir["scaling-dense"]} {dir["scaling-topk"]} --out {outDir} {Networks} --pair-ns 3",
            launcher: Launcher.None, timeoutSeconds: 60);
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.That(File.ReadAllText(Path.Combine(outDir, "scaling.csv")), Does.Contain("topk 0.01,4,128,3750,3,0.75,62,"));
        string model = File.ReadAllText(Path.Combine(outDir, "model.md"));
        Assert.That(model, Does.Contain("## ib100 (alpha = 1.5 us, beta = 8e-11 s/B = 12.5 GB/s)").And.Contain("## 10gbe"));
        Assert.That(model, Does.Contain("| topk 0.01 | ib100 | 74.1 |"), "P* = 8·1000 / 108");
        var csv = File.ReadAllLines(Path.Combine(outDir, "model.csv"));
        // 2 networks × (weak: P = 1..1024, 11 points; strong: P = 1..128, 8 points) × 2 methods, plus the header.
        Assert.That(csv, Has.Length.EqualTo(1 + 2 * (11 + 8) * 2));
        Assert.That(csv, Has.Some.StartsWith("ib100,1.5E-06,8E-11,weak,dense,1024,90,4,"));
        // Category10's first colours: the two methods' lines (or the first two phases' bars) must be drawn.
        SKColor blue = SKColor.Parse("#1f77b4"), orange = SKColor.Parse("#ff7f0e"), green = SKColor.Parse("#2ca02c"), red = SKColor.Parse("#d62728");
        foreach (string png in new[] { "samples_per_second_vs_ranks", "speedup_vs_ranks", "bytes_per_step_vs_ranks" })
            AssertDrawn(Path.Combine(outDir, png + ".png"), blue, orange);
        // In the predictions the sparse curves (orange, drawn last) nearly cover the dense ones: 94 against 96 ms steps.
        foreach (string png in new[] { "model_speedup_weak", "model_speedup_strong" })
            AssertDrawn(Path.Combine(outDir, png + ".png"), orange);
        // Phases compute, select, wait, comm, apply: the fixtures have no wait (green), so comm is red, apply purple.
        AssertDrawn(Path.Combine(outDir, "step_time_breakdown.png"), blue, orange, red);
        Assert.That(Directory.GetFiles(outDir, ".*tmp"), Is.Empty, "atomic writes leave no temporary files");
    }

    /// <summary>
    /// A decodable PNG of the plot size in which every one of <paramref name="series"/> covers a visible number of
    /// pixels, more than its legend swatches alone: the data was drawn, not just an empty frame with axes and labels.
    /// </summary>
    static void AssertDrawn(string path, params SKColor[] series)
    {
        Assert.That(File.Exists(path), path);
        using var bitmap = SKBitmap.Decode(path);
        Assert.That(bitmap, Is.Not.Null, path);
        Assert.That((bitmap.Width, bitmap.Height), Is.EqualTo((900, 560)), path);
        var counts = new Dictionary<SKColor, int>();
        for (int y = 0; y < bitmap.Height; y++)
            for (int x = 0; x < bitmap.Width; x++)
            {
                var c = bitmap.GetPixel(x, y);
                counts[c] = counts.GetValueOrDefault(c) + 1;
            }
        Assert.That(counts, Has.Count.GreaterThan(20), $"{path}: only {counts.Count} colours");
        foreach (var colour in series)
            Assert.That(counts.GetValueOrDefault(colour), Is.GreaterThan(200), $"{path}: too few pixels of {colour}");
    }

    [Test]
    public void MissingDirectory() =>
        BadInputTests.AssertOneLineError(ProgramRunner.Run("report /nonexistent/job --out /tmp/x", launcher: Launcher.None, timeoutSeconds: 60),
            "/nonexistent/job: no such directory");

    [Test]
    public void DirectoryWithoutRuns()
    {
        using var dir = new RunDirectory();
        Directory.CreateDirectory(dir["empty-job/ranks-1"]);
        BadInputTests.AssertOneLineError(ProgramRunner.Run($"report {dir["empty-job"]} --out {dir["out"]}", launcher: Launcher.None, timeoutSeconds: 60),
            "no summary.json in it or in the directories directly inside it");
        Assert.That(Directory.Exists(dir["out"]), Is.False, "nothing is written for bad input");
    }

    [Test]
    public void UnreadableSummary()
    {
        using var dir = new RunDirectory();
        ScalingFixtures.WriteStudy(dir.Path);
        File.WriteAllText(dir["scaling-topk/ranks-2/summary.json"], "{\"ranks\": 2, \"compressor\": ");
        BadInputTests.AssertOneLineError(ProgramRunner.Run($"report {dir["scaling-topk"]} --out {dir["out"]}", launcher: Launcher.None, timeoutSeconds: 60),
            "ranks-2/summary.json is not valid JSON");
    }

    [Test]
    public void MalformedNetwork()
    {
        using var dir = new RunDirectory();
        var (dense, _) = ScalingFixtures.WriteStudy(dir.Path);
        BadInputTests.AssertOneLineError(ProgramRunner.Run($"report {dense} --out {dir["out"]} --network ib:alpha=1e-6", launcher: Launcher.None, timeoutSeconds: 60),
            "network 'ib:alpha=1e-6' needs both alpha and beta");
    }

    [Test]
    public void NetworkWithoutOneRankRunsWritesNothing()
    {
        using var dir = new RunDirectory();
        var (dense, _) = ScalingFixtures.WriteStudy(dir.Path);
        Directory.Delete(Path.Combine(dense, "ranks-1"), recursive: true);
        BadInputTests.AssertOneLineError(ProgramRunner.Run($"report {dense} --out {dir["out"]} {Networks}", launcher: Launcher.None, timeoutSeconds: 60),
            "no method can be modelled: dense: not modelled (no 1-rank run");
        Assert.That(Directory.Exists(dir["out"]), Is.False, "the measured table is not written either");
    }
}
