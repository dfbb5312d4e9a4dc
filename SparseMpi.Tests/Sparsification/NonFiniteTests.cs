using NUnit.Framework;
using SparseMpi.Sparsification;

namespace SparseMpi.Tests.Sparsification;

public class NonFiniteTests
{
    static IEnumerable<VectorPath> Paths => Reference.Paths();
    static readonly float[] BadValues = [float.NaN, float.PositiveInfinity, float.NegativeInfinity];

    static IEnumerable<Func<VectorPath, ICompressor>> Selectors =>
    [
        p => MagnitudeSelector.Exact(p), p => MagnitudeSelector.Approximate(p), p => MagnitudeSelector.Threshold(0.5f, p), p => MagnitudeSelector.Threshold(0f, p),
    ];

    [Test]
    public void SelectorsRejectNaNAndInfWithTheStep([ValueSource(nameof(Paths))] VectorPath path,
        [ValueSource(nameof(BadValues))] float bad, [Values(5, 1000, 100_003)] int d)
    {
        foreach (var make in Selectors)
        {
            // Also a lone bad value among all-equal data, which sends the selection down the fallback route.
            foreach (var x in new[] { Reference.Normal(d, 2), TestVectors.Make("all-equal", d, 0) })
            {
                int at = d * 2 / 3;
                x[at] = bad;
                var c = make(path);
                var e = Assert.Throws<NonFiniteGradientException>(() => c.Select(x, Math.Max(1, d / 100), 41, new int[d], new float[d]), c.Name);
                Assert.That(e!.Step, Is.EqualTo(41));
                Assert.That(e.Index, Is.EqualTo(at));
                Assert.That(e.Message, Does.Contain("step 41").And.Contain($"index {at}"));
            }
        }
    }

    [Test]
    public void ManyNonFiniteValuesAreRejectedToo()
    {
        var x = Reference.Normal(100_000, 1);
        for (int i = 0; i < x.Length; i += 3) x[i] = float.NaN;
        Assert.Throws<NonFiniteGradientException>(() => MagnitudeSelector.Exact().Select(x, 10, 0, new int[10], new float[10]));
    }

    [Test]
    public void ErrorFeedbackRejectsANonFiniteGradientOrResidual([ValueSource(nameof(Paths))] VectorPath path,
        [Values(true, false)] bool inGradient, [Values(true, false)] bool fused)
    {
        const int d = 70_001;
        var memory = new ErrorFeedback(d, path: path);
        var grad = Reference.Normal(d, 1);
        if (inGradient) grad[12_345] = float.NaN;
        else memory.Residual[12_345] = float.NegativeInfinity;
        ICompressor c = fused ? MagnitudeSelector.Exact(path) : new RandomK(1, 0);
        var e = Assert.Throws<NonFiniteGradientException>(() => memory.Step(grad, 0.1f, c, 7, 99, new int[7], new float[7]));
        Assert.That(e!.Step, Is.EqualTo(99));
        Assert.That(e.Index, Is.EqualTo(12_345));
    }

    [Test]
    public void AnOverflowingAccumulationIsCaught()
    {
        var memory = new ErrorFeedback(100);
        memory.Residual.Fill(3e38f);
        var grad = Enumerable.Repeat(1f, 100).ToArray();
        Assert.Throws<NonFiniteGradientException>(() => memory.Step(grad, 1e38f, MagnitudeSelector.Exact(), 1, 5, new int[1], new float[1]));
    }
}
