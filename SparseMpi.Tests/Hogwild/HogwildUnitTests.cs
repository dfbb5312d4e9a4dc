using CommandLine;
using SparseMpi.Cli;
using SparseMpi.Training.Hogwild;

namespace SparseMpi.Tests.Hogwild;

/// <summary>The pieces of Hogwild mode that need no MPI: atomics, staleness statistics, delays, toy updates, checks.</summary>
[TestFixture]
public class HogwildUnitTests
{
    [Test]
    public void AtomicAddLosesNoConcurrentAddition()
    {
        // 4 threads x 200k additions of 1 into the same float: every partial sum is an integer below 2^24, so
        // the result is exact unless an addition was lost.
        var cell = new float[1];
        const int threads = 4, adds = 200_000;
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads },
            _ => { for (int i = 0; i < adds; i++) FloatAtomics.Add(ref cell[0], 1f); });
        Assert.That(cell[0], Is.EqualTo((float)(threads * adds)));
    }

    [TestCase(true), TestCase(false)]
    public void SparseAndDenseAddsScaleEveryEntryOnce(bool atomic)
    {
        var p = new float[8];
        FloatAtomics.AddSparse(p, [1, 5, 5], [2f, 3f, 4f], -0.5f, atomic);
        Assert.That(p, Is.EqualTo(new[] { 0f, -1f, 0f, 0f, 0f, -3.5f, 0f, 0f }));
        FloatAtomics.AddDense(p, [1f, 1f, 0f, 2f, 0f, 0f, 0f, 4f], 2f, atomic);
        Assert.That(p, Is.EqualTo(new[] { 2f, 1f, 0f, 4f, 0f, -3.5f, 0f, 8f }));
    }

    [Test]
    public void StalenessPercentilesAreExactNearestRank()
    {
        var h = new StalenessHistogram();
        foreach (long s in new long[] { 0, 0, 0, 1, 2, 2, 3, 5, 9, 40 }) h.Add(s);
        Assert.That(h.Count, Is.EqualTo(10));
        Assert.That(h.Mean, Is.EqualTo(6.2).Within(1e-12));
        Assert.That(h.Percentile(0.5), Is.EqualTo(2));
        Assert.That(h.Percentile(0.9), Is.EqualTo(9));
        Assert.That(h.Percentile(1.0), Is.EqualTo(40));
        Assert.That(h.Max, Is.EqualTo(40));
        long[] counts = h.ToArray();
        Assert.That(counts, Has.Length.EqualTo(41));
        Assert.That(counts[0], Is.EqualTo(3));
        Assert.That(counts.Sum(), Is.EqualTo(10));
        Assert.Throws<ArgumentOutOfRangeException>(() => h.Add(-1));
    }

    [Test]
    public void StalenessBeyondTheBinsIsCountedAndKeepsItsMaximum()
    {
        var h = new StalenessHistogram();
        h.Add(StalenessHistogram.Bins + 5);
        h.Add(1);
        Assert.That(h.Max, Is.EqualTo(StalenessHistogram.Bins + 5));
        Assert.That(h.Percentile(1.0), Is.EqualTo(StalenessHistogram.Bins + 5));
        Assert.That(h.ToArray(), Has.Length.EqualTo(StalenessHistogram.Bins + 1));
        Assert.That(h.ToArray()[^1], Is.EqualTo(1));
    }

    [Test]
    public void DelaysAreFixedOrExponentialAndSeededPerRank()
    {
        var fixedDelay = new UpdateDelay(3.5, "fixed", 1, 0);
        Assert.That(fixedDelay.NextMs(), Is.EqualTo(3.5));
        double Mean(UpdateDelay d) => Enumerable.Range(0, 200_000).Select(_ => d.NextMs()).Average();
        Assert.That(Mean(new UpdateDelay(10, "exp", 1, 0)), Is.EqualTo(10).Within(0.15));
        var a = new UpdateDelay(10, "exp", 1, 2);
        var b = new UpdateDelay(10, "exp", 1, 2);
        var c = new UpdateDelay(10, "exp", 1, 3);
        double[] sa = [a.NextMs(), a.NextMs(), a.NextMs()], sb = [b.NextMs(), b.NextMs(), b.NextMs()], sc = [c.NextMs(), c.NextMs(), c.NextMs()];
        Assert.That(sa, Is.EqualTo(sb));
        Assert.That(sa, Is.Not.EqualTo(sc));
        Assert.That(new UpdateDelay(0, "exp", 1, 0).None, Is.True);
    }

    [Test]
    public void ToyUpdatesAreSmallNonZeroIntegersAndTheirSumIsOrderIndependent()
    {
        const int d = 1000;
        var indices = new int[ToyGradient.Entries];
        var values = new float[ToyGradient.Entries];
        Assert.That(ToyGradient.Fill(3, 17, d, indices, values), Is.EqualTo(ToyGradient.Entries));
        Assert.That(values, Has.All.Matches<float>(v => v != 0 && Math.Abs(v) <= 8 && v == MathF.Round(v)));
        Assert.That(indices, Has.All.InRange(0, d - 1));
        // Reverse order of ranks and updates: the same floats bit for bit.
        float[] forward = ToyGradient.SerialSum(d, [50, 70, 30]);
        var backward = new float[d];
        for (int r = 2; r >= 0; r--)
            for (long u = (new long[] { 50, 70, 30 })[r] - 1; u >= 0; u--)
            {
                int n = ToyGradient.Fill(r, u, d, indices, values);
                for (int j = 0; j < n; j++) backward[indices[j]] += values[j];
            }
        Assert.That(backward, Is.EqualTo(forward));
        Assert.That(forward.Any(v => v != 0), Is.True);
    }

    [Test]
    public void SingleNodeCheckRefusesRanksOnSeveralNodes()
    {
        Assert.That(SingleNode.Problem(worldSize: 4, nodeLocalSize: 4, nodes: 1), Is.Null);
        Assert.That(SingleNode.Problem(worldSize: 8, nodeLocalSize: 4, nodes: 2),
            Is.EqualTo("hogwild runs on one node: 8 ranks on 2 nodes (this node has 4); use train for multi-node"));
        Assert.That(SingleNode.Problem(worldSize: 3, nodeLocalSize: 1, nodes: 3), Does.StartWith("hogwild runs on one node: 3 ranks on 3 nodes"));
    }

    [TestCase("--updates 10 --epochs 2", "not both")]
    [TestCase("--toy-gradient", "--toy-gradient needs --updates")]
    [TestCase("--updates 10 --toy-gradient --lr-policy staleness-aware", "cannot be scaled")]
    [TestCase("--updates 10 --update sloppy", "--update must be one of atomic, racy")]
    [TestCase("--updates 10 --delay-ms -1", "--delay-ms must be between")]
    [TestCase("--updates 10 --delay-mode later", "--delay-mode must be one of sleep, defer")]
    [TestCase("--updates 10 --compressor gzip", "unknown compressor 'gzip'")]
    [TestCase("--updates 10 --in-flight 2", "--in-flight needs --delay-mode defer")]
    [TestCase("--updates 10 --delay-mode defer --in-flight 2 --delay-ms 5", "not both")]
    [TestCase("--updates 10 --delay-mode defer --in-flight 100 --max-in-flight 4", "--in-flight 100 exceeds --max-in-flight 4")]
    public void OptionsAreValidatedBeforeMpi(string arguments, string expected)
    {
        var parsed = new CommandLine.Parser(s => { s.HelpWriter = null; s.CaseInsensitiveEnumValues = true; })
            .ParseArguments<HogwildVerb>(arguments.Split(' '));
        var verb = ((CommandLine.Parsed<HogwildVerb>)parsed).Value;
        Assert.That(verb.Validate(), Does.Contain(expected));
    }

    [Test]
    public void HogwildDefaultsDifferFromTrainWhereDocumented()
    {
        var parsed = new CommandLine.Parser(s => s.HelpWriter = null).ParseArguments<HogwildVerb, TrainVerb>(["hogwild"]);
        var verb = (HogwildVerb)((CommandLine.Parsed<object>)parsed).Value;
        Assert.That(verb.Momentum, Is.EqualTo(0));
        Assert.That(verb.Out, Is.EqualTo("runs/hogwild"));
        Assert.That(verb.ToConfig().TotalUpdates(936), Is.EqualTo(936)); // one epoch without --updates or --epochs
        Assert.That(verb.ToConfig().EvalInterval(1000), Is.EqualTo(50));
        var train = (TrainVerb)((CommandLine.Parsed<object>)new CommandLine.Parser(s => s.HelpWriter = null)
            .ParseArguments<HogwildVerb, TrainVerb>(["train"])).Value;
        Assert.That(train.Momentum, Is.EqualTo(0.9));
        Assert.That(train.Out, Is.EqualTo("runs/train"));
    }
}
