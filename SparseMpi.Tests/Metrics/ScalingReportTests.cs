using SparseMpi.Cli;
using SparseMpi.Metrics;
using SparseMpi.Tests.Support;
using SparseMpi.CostModels;
using SparseMpi.Errors;

namespace SparseMpi.Tests.Metrics;

/// <summary>The measured scaling table from fixture runs with known numbers.</summary>
public class ScalingReportTests
{
    static List<ScalingPoint> Load(params string[] arguments) =>
        RunDirectories.Expand(arguments).Select(d => ScalingPoint.From(RunRecord.Load(d))).ToList();

    [Test]
    public void RowsHaveExactSpeedupEfficiencyAndBytesPerStep()
    {
        using var dir = new RunDirectory();
        var (dense, topk) = ScalingFixtures.WriteStudy(dir.Path);
        // The sparse job first: dense must still come first in the table.
        string csv = ScalingReport.Table(ScalingReport.Rows(Load(topk, dense))).Csv();
        Assert.That(csv.Split('\n', StringSplitOptions.RemoveEmptyEntries), Is.EqualTo(new[]
        {
            "method,ranks,global_batch,samples_per_second,speedup,efficiency,ms_total,ms_compute,ms_select,ms_wait,ms_comm,ms_apply,bytes_per_step_per_rank,test_accuracy",
            "dense,1,128,1000,1,1,128,100,2,0,0,26,0,0.8",
            "dense,2,128,1500,1.5,0.75,85,50,2,0,30,3,4000,0.81",
            "dense,4,128,2000,2,0.5,64,25,2,0,35,2,6000,0.82",
            "topk 0.01,1,128,1250,1,1,97,90,5,0,1,1,0,0.79",
            "topk 0.01,2,128,2500,2,1,76.5,50,5,0,20,1.5,108,0.78",
            "topk 0.01,4,128,3750,3,0.75,62,25,5,0,30,2,324,0.77",
        }));
    }

    [Test]
    public void MarkdownRoundsAndNamesBytes()
    {
        using var dir = new RunDirectory();
        var (dense, _) = ScalingFixtures.WriteStudy(dir.Path);
        string md = ScalingReport.Markdown(ScalingReport.Rows(Load(dense)), "T");
        Assert.That(md, Does.Contain("| dense | 4 | 128 | 2000 | 2.00 | 0.50 | 64.00 | 25.00 | 2.00 | 0.00 | 35.00 | 2.00 | 6.0 kB | 0.8200 |"));
    }

    [Test]
    public void MethodWithoutOneRankRunHasNoSpeedup()
    {
        using var dir = new RunDirectory();
        var (dense, _) = ScalingFixtures.WriteStudy(dir.Path);
        var rows = ScalingReport.Rows(Load(Path.Combine(dense, "ranks-2"), Path.Combine(dense, "ranks-4")));
        Assert.That(rows.Select(r => r.Speedup), Is.EqualTo(new double?[] { null, null }));
        Assert.That(ScalingReport.Table(rows).Csv(), Does.Contain("dense,2,128,1500,,,85,"));
    }

    [Test]
    public void MessageBytesAreRecoveredFromTheRingModel()
    {
        using var dir = new RunDirectory();
        var (_, topk) = ScalingFixtures.WriteStudy(dir.Path);
        var points = Load(topk);
        // 108 B per step on 2 ranks and 324 on 4 are both (P-1)·(4 + 104).
        Assert.That(points.Select(p => p.MessageBytes), Is.EqualTo(new double?[] { null, 104, 104 }));
    }

    [Test]
    public void TwoRunsOfOneMethodOnTheSameRanksAreRefused()
    {
        using var dir = new RunDirectory();
        var (dense, _) = ScalingFixtures.WriteStudy(dir.Path);
        string again = ScalingFixtures.Write(Path.Combine(dir.Path, "weak"), 2, 1600, new PhaseMeans(1, 1, 0, 1, 1, 4), 4000, 0.8);
        var e = Assert.Throws<UsageException>(() => ScalingReport.Rows(Load(dense, again)));
        Assert.That(e!.Message, Does.Contain("both 'dense' on 2 ranks"));
    }

    [Test]
    public void SummaryWithoutStepTimesIsOneClearError()
    {
        using var dir = new RunDirectory();
        File.WriteAllText(dir["summary.json"], """{"ranks": 2, "compressor": "none", "steps": 5}""");
        var e = Assert.Throws<UsageException>(() => Load(dir.Path));
        Assert.That(e!.Message, Does.Contain("summary.json: no number 'batch_size_per_rank'"));
    }

    [Test]
    public void CsvQuotesFieldsWithCommasAndQuotes()
    {
        var t = new TextTable([("a", "a"), ("b", "b")]);
        t.Add(Cell.Text("x,y"), Cell.Text("say \"hi\""));
        Assert.That(t.Csv(), Is.EqualTo("a,b\n\"x,y\",\"say \"\"hi\"\"\"\n"));
    }
}
