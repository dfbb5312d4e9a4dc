using SparseMpi.Sparsification;
using SparseMpi.CostModels;

namespace SparseMpi.Tests.Sparsification;

/// <summary>The dynamic sparsity rule against a brute-force evaluation of S(k)/C(k) for every k.</summary>
public class DynamicSparsityTests
{
    static readonly ICostModel[] Models =
    [
        new PayloadCostModel(224, 64),
        new PayloadCostModel(8 * 4096, 64),
        new PacketCostModel(28, 8, 1500, 64),
        new PacketCostModel(28, 6, 256, 40),
        new MpiTimeCostModel(20e-6, 1e-9, 28, 8),
        new MpiTimeCostModel(1e-3, 1e-9, 28, 8),
    ];

    static (int[] Indices, float[] Values) Candidates(int seed, int n, string shape)
    {
        var rng = new Random(seed);
        var idx = Enumerable.Range(0, n).Select(i => i * 3 + rng.Next(3)).ToArray();
        var val = new float[n];
        for (int i = 0; i < n; i++)
            val[i] = shape switch
            {
                "normal" => (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble())),
                "heavy" => (float)(Math.Pow(rng.NextDouble(), -2) * (rng.Next(2) * 2 - 1)),
                "ties" => rng.Next(3) - 1,
                _ => 1f,
            };
        return (idx, val);
    }

    [Test]
    public void MatchesBruteForceForEveryCostModel(
        [Values(0, 1, 2, 3, 4, 5)] int model, [Values("normal", "heavy", "ties", "flat")] string shape, [Values(1, 7, 300, 3000, 20000)] int n)
    {
        var cost = Models[model];
        for (int seed = 0; seed < 5; seed++)
        {
            var (idx, val) = Candidates(seed * 31 + n, n, shape);
            int expected = DynamicSparsity.ChooseByBruteForce(val, cost);
            var rule = new DynamicSparsity(cost);
            var i2 = idx.ToArray(); var v2 = val.ToArray();
            int k = rule.Choose(i2, v2, n);
            Assert.That(k, Is.EqualTo(expected), $"{cost.Name} {shape} n={n} seed={seed}");
            // The kept entries: ascending indices, and exactly the k of largest magnitude (lower index wins ties).
            var kept = i2.Take(k).ToArray();
            Assert.That(kept, Is.Ordered.Ascending);
            var reference = idx.Zip(val).OrderByDescending(p => Math.Abs(p.Second)).ThenBy(p => p.First).Take(k).Select(p => p.First).OrderBy(i => i);
            Assert.That(kept, Is.EqualTo(reference));
            for (int j = 0; j < k; j++) Assert.That(v2[j], Is.EqualTo(val[Array.IndexOf(idx, i2[j])]));
        }
    }

    [Test]
    public void AllZeroSendsNothingWithoutDividingByZero()
    {
        foreach (var cost in Models)
        {
            var rule = new DynamicSparsity(cost);
            var idx = Enumerable.Range(0, 50).ToArray();
            Assert.That(rule.Choose(idx, new float[50], 50), Is.Zero);
            Assert.That(rule.LastRatio, Is.Zero);
            Assert.That(rule.Choose([], [], 0), Is.Zero);
        }
    }

    [Test]
    public void LargerFixedCostSendsMore()
    {
        var (idx, val) = Candidates(3, 2000, "normal");
        int previous = 0;
        foreach (double header in new[] { 64.0, 640, 6400, 64000 })
        {
            int k = new DynamicSparsity(new PayloadCostModel(header, 64)).Choose(idx.ToArray(), val.ToArray(), idx.Length);
            Assert.That(k, Is.GreaterThanOrEqualTo(previous), $"header {header}");
            previous = k;
        }
        Assert.That(previous, Is.GreaterThan(1));
    }

    [Test]
    public void PacketModelFillsWholePackets()
    {
        // Equal magnitudes: every extra entry in an already paid packet is free, so k ends on a packet boundary.
        var cost = new PacketCostModel(28, 8, 1500, 64);
        var idx = Enumerable.Range(0, 1000).ToArray();
        var val = Enumerable.Repeat(1f, 1000).ToArray();
        int k = new DynamicSparsity(cost).Choose(idx, val, 1000);
        Assert.That(cost.Cost(k + 1), Is.GreaterThan(cost.Cost(k)), "k ends where the next entry needs a new packet");
        Assert.That(k, Is.EqualTo((5 * (1500 - 64) - 28) / 8), "5 full packets: the most that fit in 1000 candidates");
    }

    [Test]
    public void StepShapedCostStopsLongBeforeTheLastCandidate()
    {
        // Decaying magnitudes (as in a gradient): once even an unbounded run of the next-largest entry at the
        // cheapest per-entry price cannot beat the best ratio, the scan stops. The choice equals brute force.
        var (idx, val) = Candidates(11, 20000, "normal");
        var cost = new PacketCostModel(28, 8, 1500, 64);
        var rule = new DynamicSparsity(cost);
        int k = rule.Choose(idx.ToArray(), val.ToArray(), idx.Length);
        Assert.That(k, Is.EqualTo(DynamicSparsity.ChooseByBruteForce(val, cost)));
        Assert.That(rule.LastScanned, Is.LessThan(idx.Length / 4), "the scan went on to the end");
    }

    [Test]
    public void LongRisingScanTakesWholeBucketsAndStillMatchesBruteForce()
    {
        // A latency worth ~2000 entries (as the fitted mpi model on this machine): the ratio rises through
        // thousands of candidates, which the rule takes bucket by bucket without sorting them; the choice and the
        // kept set must still be exactly those of brute force.
        var (idx, val) = Candidates(5, 20353, "normal");
        var cost = new MpiTimeCostModel(14e-6, 1e-9, 28, 8);
        var i2 = idx.ToArray(); var v2 = val.ToArray();
        int k = new DynamicSparsity(cost).Choose(i2, v2, idx.Length);
        Assert.That(k, Is.EqualTo(DynamicSparsity.ChooseByBruteForce(val, cost)));
        Assert.That(k, Is.InRange(1000, 20000), "the case should need a long rising scan");
        var reference = idx.Zip(val).OrderByDescending(p => Math.Abs(p.Second)).ThenBy(p => p.First).Take(k).Select(p => p.First).OrderBy(i => i);
        Assert.That(i2.Take(k), Is.EqualTo(reference));
    }

    [Test]
    public void MoreCandidatesThanTheSpansHoldIsRefused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new DynamicSparsity(new PayloadCostModel(224, 64)).Choose(new int[3], new float[3], 4));

    [Test]
    public void PayloadModelRefusesNoFixedPart() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new PayloadCostModel(0, 64));

    [Test]
    public void KMaxIsClampedToD()
    {
        var verb = new SparseMpi.Cli.TrainVerb { KRule = "dynamic", KMax = 0 };
        Assert.That(verb.ToConfig().KMaxFor(7850), Is.EqualTo(785));
        Assert.That(verb.ToConfig().KMaxFor(5), Is.EqualTo(1));
        verb.KMax = 100000;
        Assert.That(verb.ToConfig().KMaxFor(7850), Is.EqualTo(7850));
        Assert.That(verb.ToConfig().ProblemFor(7850), Does.Contain("--k-max 100000 is outside 1..d"));
    }
}
