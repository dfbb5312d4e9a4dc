using NUnit.Framework;
using SparseMpi.Sparsification;

namespace SparseMpi.Tests.Sparsification;

public class ErrorFeedbackTests
{
    static IEnumerable<VectorPath> Paths => Reference.Paths();

    static IEnumerable<ICompressor> Compressors(VectorPath path) =>
        [MagnitudeSelector.Exact(path), MagnitudeSelector.Approximate(path), MagnitudeSelector.Threshold(0.3f, path), new RandomK(5, 1)];

    static int Bits(float x) => BitConverter.SingleToInt32Bits(x);

    /// <summary>Runs several steps and checks, bit for bit, sent + new residual == residual + lr * grad.</summary>
    [Test]
    public void SentPlusResidualIsTheAccumulatorBitForBit([ValueSource(nameof(Paths))] VectorPath path)
    {
        foreach (var compressor in Compressors(path))
        {
            const int d = 100_003;
            const float lr = 0.37f;
            var memory = new ErrorFeedback(d, path: path);
            Reference.Normal(d, 1).CopyTo(memory.Residual);
            int k = 500;
            var idx = new int[compressor.MaxSelected(k)];
            var val = new float[idx.Length];
            for (int step = 0; step < 3; step++)
            {
                var grad = Reference.Normal(d, 10 + step);
                var acc = new float[d];
                for (int i = 0; i < d; i++) acc[i] = memory.Residual[i] + grad[i] * lr;
                int n = memory.Step(grad, lr, compressor, k, step, idx, val);
                Assert.That(n, Is.GreaterThan(0));
                Assert.That(TopKSelfTest.SentPlusResidualIsAcc(acc, memory.Residual, idx, val, n),
                    $"{compressor.Name} step {step}: sent + residual != acc");
                if (compressor is MagnitudeSelector { Mode: SelectionMode.Exact })
                    Assert.That(idx[..n], Is.EqualTo(Reference.TopK(acc, k)), $"step {step}: selects on the accumulator");
            }
        }
    }

    [Test]
    public void FusedAndSeparatePassesComputeTheSameAccumulator([ValueSource(nameof(Paths))] VectorPath path)
    {
        // Exact top-k fuses; random-k goes through the separate accumulation pass. Same residual + grad,
        // same rounding: the residual after a step must agree wherever neither sent anything.
        const int d = 50_001;
        var grad = Reference.Normal(d, 3);
        var a = new ErrorFeedback(d, path: path);
        var b = new ErrorFeedback(d, path: path);
        Reference.Normal(d, 4).CopyTo(a.Residual);
        Reference.Normal(d, 4).CopyTo(b.Residual);
        var idxA = new int[10]; var idxB = new int[10];
        a.Step(grad, 1e-3f, MagnitudeSelector.Exact(path), 10, 0, idxA, new float[10]);
        b.Step(grad, 1e-3f, new RandomK(1, 0), 10, 0, idxB, new float[10]);
        var sent = new HashSet<int>(idxA.Concat(idxB));
        for (int i = 0; i < d; i++)
            if (!sent.Contains(i)) Assert.That(Bits(a.Residual[i]), Is.EqualTo(Bits(b.Residual[i])), $"index {i}");
    }

    [Test]
    public void WithFeedbackOffTheResidualIsDiscarded()
    {
        const int d = 1000;
        var memory = new ErrorFeedback(d, enabled: false);
        var grad = Reference.Normal(d, 1);
        var idx = new int[5];
        var val = new float[5];
        memory.Step(grad, 2f, MagnitudeSelector.Exact(), 5, 0, idx, val);
        memory.Step(grad, 2f, MagnitudeSelector.Exact(), 5, 1, idx, val);
        // With feedback on, the second step would select the never-sent entries that grew to 2 * lr * grad.
        var scaled = grad.Select(g => g * 2f).ToArray();
        Assert.That(idx, Is.EqualTo(Reference.TopK(scaled, 5)));
        Reference.AssertSignedValues(scaled, idx, val);
    }

    [Test]
    public void WithFeedbackOnUnsentMassComesBack()
    {
        const int d = 1000;
        var memory = new ErrorFeedback(d);
        var grad = Reference.Normal(d, 1);
        var idx = new int[5];
        var val = new float[5];
        memory.Step(grad, 1f, MagnitudeSelector.Exact(), 5, 0, idx, val);
        var first = idx.ToArray();
        memory.Step(grad, 1f, MagnitudeSelector.Exact(), 5, 1, idx, val);
        // Step 2's accumulator is 2 * grad except at the first step's picks (1 * grad there).
        var acc = grad.Select(g => g + g).ToArray();
        foreach (int i in first) acc[i] = grad[i];
        Assert.That(idx, Is.EqualTo(Reference.TopK(acc, 5)));
    }

    [Test]
    public void MomentumCorrectionFollowsDgc([Values(true, false)] bool enabled, [Values(true, false)] bool mask)
    {
        const int d = 2000;
        const float lr = 0.5f, beta = 0.9f;
        var memory = new ErrorFeedback(d, enabled, momentum: beta, maskMomentum: mask);
        var u = new float[d];
        var r = new float[d];
        var idx = new int[20];
        var val = new float[20];
        for (int step = 0; step < 4; step++)
        {
            var grad = Reference.Normal(d, 100 + step);
            var acc = new float[d];
            for (int i = 0; i < d; i++)
            {
                u[i] = u[i] * beta + grad[i];
                acc[i] = enabled ? r[i] + u[i] * lr : u[i] * lr;
            }
            int n = memory.Step(grad, lr, MagnitudeSelector.Exact(), 20, step, idx, val);
            Assert.That(idx[..n], Is.EqualTo(Reference.TopK(acc, 20)), $"step {step}");
            Reference.AssertSignedValues(acc, idx, val);
            r = acc;
            foreach (int i in idx) { r[i] = 0; if (mask) u[i] = 0; }
            for (int i = 0; i < d; i++)
            {
                Assert.That(Bits(memory.Momentum[i]), Is.EqualTo(Bits(u[i])), $"u[{i}] at step {step}");
                if (enabled) Assert.That(Bits(memory.Residual[i]), Is.EqualTo(Bits(r[i])), $"r[{i}] at step {step}");
            }
        }
    }

    [Test]
    public void SteadyStateStepsDoNotAllocate([Values(0f, 0.9f)] float momentum)
    {
        const int d = 1 << 20;
        var memory = new ErrorFeedback(d, momentum: momentum);
        var grad = Reference.Normal(d, 1);
        var compressor = MagnitudeSelector.Exact();
        var idx = new int[1000];
        var val = new float[1000];
        memory.Step(grad, 0.1f, compressor, 1000, 0, idx, val); // grows the scratch once
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int step = 1; step < 4; step++) memory.Step(grad, 0.1f, compressor, 1000, step, idx, val);
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan(1024));
    }

    [Test]
    public void RejectsMismatchedGradientAndBadOptions()
    {
        var memory = new ErrorFeedback(10);
        Assert.Throws<ArgumentException>(() => memory.Step(new float[9], 1f, MagnitudeSelector.Exact(), 1, 0, new int[1], new float[1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ErrorFeedback(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ErrorFeedback(10, momentum: 1f));
    }

    [Test]
    public void KOutOfRangeLeavesTheResidualUntouched()
    {
        var memory = new ErrorFeedback(10);
        memory.Residual.Fill(1f);
        foreach (ICompressor c in new ICompressor[] { MagnitudeSelector.Exact(), new RandomK(1, 0) })
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => memory.Step(new float[10], 1f, c, 11, 0, new int[11], new float[11]));
            Assert.That(memory.Residual.ToArray(), Is.All.EqualTo(1f), c.Name);
        }
    }
}
