using SparseMpi.Tests.Support;

namespace SparseMpi.Tests.Cli;

/// <summary>The plot verb on real runs, and the fit-mpi-cost verb under mpiexec.</summary>
[TestFixture, Category("mpi")]
public class PlotAndFitTests
{
    [Test]
    public void PlotWritesPngsAndATableWithTheTargetColumns()
    {
        using var a = new RunDirectory();
        using var b = new RunDirectory();
        using var plots = new RunDirectory();
        Assert.That(ProgramRunner.Run($"train --model logreg --compressor none --max-steps 60 --log-every 1 --out {a.Path}", 2).ExitCode, Is.EqualTo(0));
        Assert.That(ProgramRunner.Run($"train --model logreg --k-rule dynamic --max-steps 60 --log-every 1 --out {b.Path}", 2).ExitCode, Is.EqualTo(0));
        var r = ProgramRunner.Run($"plot {a.Path} {b.Path} --labels dense,dyn --target-loss 1.5 --out {plots.Path}", launcher: Launcher.None);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        foreach (string png in new[] { "accuracy_vs_epochs.png", "loss_vs_epochs.png", "accuracy_vs_bytes.png", "loss_vs_bytes.png", "loss_vs_payload_bits.png", "k_over_steps.png" })
        {
            var bytes = File.ReadAllBytes(plots[png]);
            Assert.That(bytes.Take(4), Is.EqualTo(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }), png);
            Assert.That(bytes.Length, Is.GreaterThan(10_000), png);
        }
        string table = File.ReadAllText(plots["results.md"]);
        Assert.That(table, Does.Contain("| dense |").And.Contain("| dyn |").And.Contain("steps to target"));
        Assert.That(table, Does.Contain("Target training loss (smoothed): 1.5"));
    }

    [Test]
    public void PlotRefusesADirectoryWithoutSummary()
    {
        using var empty = new RunDirectory();
        var r = ProgramRunner.Run($"plot {empty.Path} --out {empty.Path}/p", launcher: Launcher.None);
        BadInputTests.AssertOneLineError(r, "no summary.json");
    }

    [Test]
    public void FitMpiCostGivesAPositiveLatencyAndBandwidth()
    {
        var r = ProgramRunner.Run("fit-mpi-cost --model logreg --repeat 5", 2);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        var use = r.Stdout.Split('\n').Single(l => l.StartsWith("use: "));
        var parts = use.Split(' ');
        double alpha = double.Parse(parts[Array.IndexOf(parts, "--mpi-alpha") + 1], System.Globalization.CultureInfo.InvariantCulture);
        double beta = double.Parse(parts[Array.IndexOf(parts, "--mpi-beta") + 1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(alpha, Is.GreaterThan(0).And.LessThan(0.01));
        Assert.That(beta, Is.GreaterThan(0).And.LessThan(1e-6));
        // The printed fragment is accepted by train as is.
        using var run = new RunDirectory();
        var t = ProgramRunner.Run($"train --model logreg --k-rule dynamic {use[5..]} --max-steps 5 --out {run.Path}", 2);
        Assert.That(t.ExitCode, Is.EqualTo(0), t.ToString());
        Assert.That((double)run.Summary()["mpi_alpha_seconds"]!, Is.EqualTo(alpha).Within(1e-15));
    }

    [Test]
    public void FitMpiCostAlsoFitsTheDenseAllreduceAndReportAcceptsTheNetworkItPrints()
    {
        using var dir = new RunDirectory();
        string json = System.IO.Path.Combine(dir.Path, "fit.json");
        var r = ProgramRunner.Run($"fit-mpi-cost --model logreg --repeat 3 --dense-floats 65536 --json {json}", 2);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Stdout, Does.Contain("dense allreduce (ring model): alpha = "));
        string spec = r.Stdout.Split('\n').Single(l => l.StartsWith("report network: "))["report network: ".Length..].Trim();
        var net = SparseMpi.CostModels.AlphaBetaNetwork.TryParse(spec, "fitted", out string? problem);
        Assert.That(net?.DenseBeta, Is.GreaterThan(0).And.LessThan(1e-6), problem);
        var fit = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(json))!;
        Assert.That((double)fit["dense_beta"]!, Is.EqualTo(net!.DenseBeta));
        Assert.That(fit["dense_floats"]!.AsArray().Select(x => (long)x!), Is.EqualTo(new long[] { 1024, 16384, 65536 }), "the default sizes up to --dense-floats");
        var seconds = fit["dense_seconds"]!.AsArray().Select(x => (double)x!).ToArray();
        Assert.That(seconds, Has.All.GreaterThan(0));
        // 64x the floats cannot be faster than the smallest message.
        Assert.That(seconds[^1], Is.GreaterThan(seconds[0]));

        var none = ProgramRunner.Run("fit-mpi-cost --model logreg --repeat 2 --dense-floats 0", 2);
        Assert.That(none.ExitCode, Is.EqualTo(0), none.ToString());
        Assert.That(none.Stdout, Does.Not.Contain("dense allreduce").And.Not.Contain("report network"));
        BadInputTests.AssertOneLineError(ProgramRunner.Run("fit-mpi-cost --dense-floats 100", launcher: Launcher.None), "--dense-floats must be 0");
    }
}
