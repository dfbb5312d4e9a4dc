using NUnit.Framework;
using SparseMpi.Sparsification;
using TorchSharp;

namespace SparseMpi.Tests.Sparsification;

/// <summary>
/// The device error feedback (torch ops, <see cref="TorchTopK"/>), run on CPU tensors, against the SIMD one
/// (<see cref="ErrorFeedback"/> + <see cref="MagnitudeSelector.Exact"/>) over several steps of one gradient sequence.
/// </summary>
public class TorchErrorFeedbackTests
{
    [OneTimeSetUp]
    public void OneThread() => torch.set_num_threads(1);

    static int[] Bits(ReadOnlySpan<float> x)
    {
        var bits = new int[x.Length];
        for (int i = 0; i < x.Length; i++) bits[i] = BitConverter.SingleToInt32Bits(x[i]);
        return bits;
    }

    static float[] Host(torch.Tensor t) => t.data<float>().ToArray();

    /// <summary>A gradient sequence with structure: a drifting bias on a few coordinates, so entries persist in the residual.</summary>
    static float[] Gradient(int d, int step)
    {
        var g = Reference.Normal(d, 100 + step);
        for (int i = 0; i < d; i += 97) g[i] += 0.5f * (step % 3 - 1);
        return g;
    }

    [TestCase(true, 0.9f, true)]
    [TestCase(true, 0.9f, false)]
    [TestCase(true, 0f, true)]
    [TestCase(false, 0.9f, true)]
    [TestCase(false, 0f, true)]
    public void SelectsWhatTheSimdKernelSelectsStepByStepWithTheSameState(bool errorFeedback, float momentum, bool masking)
    {
        const int d = 50_021, k = 400;
        const float lr = 0.05f;
        var simd = new ErrorFeedback(d, errorFeedback, momentum, masking);
        var compressor = MagnitudeSelector.Exact();
        using var device = new TorchErrorFeedback(d, torch.CPU, errorFeedback, momentum, masking, k);
        int[] si = new int[k], ti = new int[k];
        float[] sv = new float[k], tv = new float[k];
        for (int step = 0; step < 8; step++)
        {
            float[] g = Gradient(d, step);
            int ns = simd.Step(g, lr, compressor, k, step, si, sv);
            using var gradient = torch.tensor(g);
            int nt = device.Step(gradient, lr, k, step, ti, tv);

            Assert.That(nt, Is.EqualTo(ns), $"step {step}: count");
            Assert.That(ti[..nt], Is.EqualTo(si[..ns]), $"step {step}: indices");
            // No FMA on either side: the same roundings, so the same bits, not merely close values.
            Assert.That(Bits(tv.AsSpan(0, nt)), Is.EqualTo(Bits(sv.AsSpan(0, ns))), $"step {step}: values");
            Assert.That(Bits(Host(device.Residual)), Is.EqualTo(Bits(simd.Residual)), $"step {step}: residual");
            if (momentum > 0)
                Assert.That(Bits(Host(device.Momentum!)), Is.EqualTo(Bits(simd.Momentum)), $"step {step}: momentum");
            else
                Assert.That(device.Momentum, Is.Null);
        }
    }

    [Test]
    public void TheSentEntriesLeaveTheResidualAndTheRestStays()
    {
        const int d = 1000, k = 10;
        using var memory = new TorchErrorFeedback(d, torch.CPU, enabled: true, momentum: 0f, maskMomentum: true, capacity: k);
        var g = Reference.Normal(d, 3);
        using var gradient = torch.tensor(g);
        var idx = new int[k];
        var val = new float[k];
        Assert.That(memory.Step(gradient, 1f, k, 0, idx, val), Is.EqualTo(k));
        float[] residual = Host(memory.Residual);
        Assert.That(idx, Is.EqualTo(Reference.TopK(g, k)));
        for (int i = 0; i < d; i++)
            Assert.That(residual[i], Is.EqualTo(idx.Contains(i) ? 0f : g[i]), $"entry {i}");
        Assert.That(val, Is.EqualTo(idx.Select(i => g[i]).ToArray()));
    }

    [Test]
    public void AFilterKeepsTheUnsentCandidatesInTheResidual()
    {
        const int d = 1000, k = 20;
        using var memory = new TorchErrorFeedback(d, torch.CPU, enabled: true, momentum: 0f, maskMomentum: true, capacity: k);
        var g = Reference.Normal(d, 4);
        using var gradient = torch.tensor(g);
        var idx = new int[k];
        int n = memory.Step(gradient, 1f, k, 0, idx, new float[k], new KeepFirst(5));
        Assert.That(n, Is.EqualTo(5));
        float[] residual = Host(memory.Residual);
        int[] candidates = Reference.TopK(g, k);
        Assert.That(candidates.Take(5).Select(i => residual[i]), Is.All.EqualTo(0f), "sent: zeroed");
        Assert.That(candidates.Skip(5).Select(i => residual[i]), Is.EqualTo(candidates.Skip(5).Select(i => g[i])), "not sent: kept");
    }

    sealed class KeepFirst(int n) : ISelectionFilter
    {
        public int Filter(Span<int> indices, Span<float> values, int count) => Math.Min(n, count);
    }

    [Test]
    public void ANonFiniteGradientIsReportedWithItsStepAndIndex()
    {
        const int d = 5000;
        using var memory = new TorchErrorFeedback(d, torch.CPU, enabled: true, momentum: 0.9f, maskMomentum: true, capacity: 10);
        var g = Reference.Normal(d, 5);
        g[4321] = float.PositiveInfinity;
        using var gradient = torch.tensor(g);
        var e = Assert.Throws<NonFiniteGradientException>(() => memory.Step(gradient, 0.1f, 10, 17, new int[10], new float[10]));
        Assert.That(e!.Step, Is.EqualTo(17));
        Assert.That(e.Index, Is.EqualTo(4321));
    }

    [Test]
    public void RefusesAKAboveItsCapacityAndAGradientOfAnotherLength()
    {
        using var memory = new TorchErrorFeedback(100, torch.CPU, enabled: true, momentum: 0f, maskMomentum: true, capacity: 5);
        using var gradient = torch.zeros(100);
        Assert.Throws<ArgumentOutOfRangeException>(() => memory.Step(gradient, 0.1f, 6, 0, new int[6], new float[6]));
        using var other = torch.zeros(99);
        Assert.Throws<ArgumentException>(() => memory.Step(other, 0.1f, 5, 0, new int[5], new float[5]));
    }
}
