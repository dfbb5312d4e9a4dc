using System.Text.Json.Nodes;
using SparseMpi.Metrics;

namespace SparseMpi.Tests.Metrics;

public class ResultsTableTests
{
    static RunRecord Run(Func<int, double> loss, int steps = 200) => new()
    {
        Directory = "x", Label = "x", Summary = new JsonObject(), Epochs = [],
        Steps = Enumerable.Range(0, steps).Select(i => new StepRecord { Step = i, Loss = loss(i), CostPayloadBits = 100.0 * (i + 1) }).ToList(),
    };

    [Test]
    public void CentredSmoothingHasNoLag()
    {
        // A loss falling linearly from 2 to 0 crosses 1 at step 100; a centred average crosses there too
        // (a causal average of 21 steps would cross 10 steps late).
        var run = Run(i => 2 - i / 100.0);
        Assert.That(ResultsTable.FirstReaching(run, 1.005)!.Step, Is.EqualTo(100));
    }

    [Test]
    public void OneLuckyBatchDoesNotReachTheTarget()
    {
        var run = Run(i => i == 30 ? 0.0 : 1.0);
        Assert.That(ResultsTable.FirstReaching(run, 0.5), Is.Null);
        Assert.That(ResultsTable.Smoothed(run).ElementAt(30).Loss, Is.EqualTo(20.0 / 21).Within(1e-12));
    }

    [Test]
    public void TableReportsCostAtTheStepReached()
    {
        var run = Run(i => 2 - i / 100.0);
        string md = ResultsTable.Markdown([run], 1.005);
        Assert.That(md, Does.Contain("| 100 | 1.01e4 |"));
        Assert.That(ResultsTable.Markdown([Run(_ => 3)], 1.0), Does.Contain("not reached"));
    }
}
