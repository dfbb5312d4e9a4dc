using SparseMpi.Collectives.Sparse;
using SparseMpi.CostModels;
using SparseMpi.Training;
using SparseMpi.Training.Data;
using SparseMpi.Training.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace SparseMpi.Tests.Training;

/// <summary>
/// The parts of Khirirat et al.'s setting (l2-regularised softmax regression, full-batch gradient descent at step
/// 1/L, the index price ceil(log2 d)) on their own: L by power iteration against closed forms and the descent
/// lemma, the full-batch gradient against per-sample gradients, the l2 term, and the log2d cost accounting.
/// </summary>
[TestFixture]
public class PaperSettingTests
{
    static ImageSet RealImages(int count) => TestData.FashionMnist.Train.Slice(0, count);

    static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b, double tail)
    {
        double s = tail;
        for (int i = 0; i < a.Length; i++) s += (double)a[i] * b[i];
        return s;
    }

    [Test]
    public void PowerIterationGivesTheLargestEigenvalueOfTwoImagesGram()
    {
        // X~ has two rows x~1, x~2 (the bias 1 appended): X~^T X~ shares its nonzero eigenvalues with the 2 x 2
        // Gram matrix [[a, c], [c, b]], whose largest is (a + b)/2 + sqrt(((a - b)/2)^2 + c^2).
        var set = RealImages(2);
        double a = Dot(set.Image(0), set.Image(0), 1), b = Dot(set.Image(1), set.Image(1), 1), c = Dot(set.Image(0), set.Image(1), 1);
        double expected = (a + b) / 2 + Math.Sqrt((a - b) * (a - b) / 4 + c * c);
        double got = SmoothnessBound.LargestEigenvalueOfGram(set, 0, 1, _ => { });
        Assert.That(got, Is.EqualTo(expected).Within(1e-9 * expected));
    }

    [Test]
    public void PowerIterationOnOneImageIsItsSquaredNorm()
    {
        var set = RealImages(5).Slice(4, 1);
        double expected = Dot(set.Image(0), set.Image(0), 1);
        Assert.That(SmoothnessBound.LargestEigenvalueOfGram(set, 0, 1, _ => { }), Is.EqualTo(expected).Within(1e-9 * expected));
    }

    [Test]
    public void APartAloneIsBoundedByTheWhole()
    {
        // What one rank's part sees without the sum: Weyl's inequalities, max(λ(A), λ(B)) <= λ(A + B) <= λ(A) + λ(B),
        // with each part strictly below the whole (so the sum over parts is needed, and the test would see it missing).
        var set = RealImages(64);
        double whole = SmoothnessBound.LargestEigenvalueOfGram(set, 0, 1, _ => { });
        double part0 = SmoothnessBound.LargestEigenvalueOfGram(set, 0, 2, _ => { });
        double part1 = SmoothnessBound.LargestEigenvalueOfGram(set, 1, 2, _ => { });
        Assert.That(Math.Max(part0, part1), Is.LessThan(whole));
        Assert.That(whole, Is.LessThanOrEqualTo(part0 + part1 + 1e-9 * whole));
    }

    [Test]
    public void TheBoundSatisfiesTheDescentLemmaOnRealImages()
    {
        // f(w + t v) <= f(w) + t <g, v> + L t^2 / 2 ||v||^2 for every w, v, t: what makes the step 1/L safe.
        TorchSetup.Initialize();
        const double l2 = 0.01;
        var set = RealImages(64);
        double l = SmoothnessBound.LargestEigenvalueOfGram(set, 0, 1, _ => { }) / (2.0 * set.Count) + l2;
        using var model = FlatModel.Create("logreg", seed: 3);
        using var batch = new BatchBuffer(set.Count);
        batch.FillRange(set, 0, set.Count);
        var random = new Random(5);
        int d = model.D;
        var w = model.ParameterSpan.ToArray();
        for (int trial = 0; trial < 20; trial++)
        {
            model.ParameterSpan.Clear();
            w.CopyTo(model.ParameterSpan);
            double f0 = model.ComputeGradient(batch.Input, batch.Target) + model.AddL2(l2);
            var g = model.GradientSpan.ToArray();
            var v = new float[d];
            for (int i = 0; i < d; i++) v[i] = (float)(random.NextDouble() * 2 - 1);
            double t = trial < 10 ? 1e-2 : 1e-1 * random.NextDouble(), gv = 0, vv = 0;
            for (int i = 0; i < d; i++) { gv += g[i] * (double)v[i]; vv += (double)v[i] * v[i]; }
            // Half the trials step against the gradient (where the lemma is tightest for a line search).
            if (trial % 2 == 1) { for (int i = 0; i < d; i++) v[i] = -g[i]; gv = -g.Sum(x => (double)x * x); vv = -gv; t = 1 / l; }
            for (int i = 0; i < d; i++) model.ParameterSpan[i] = w[i] + (float)(t * v[i]);
            double f1 = model.ComputeGradient(batch.Input, batch.Target) + model.AddL2(l2);
            Assert.That(f1, Is.LessThanOrEqualTo(f0 + t * gv + l * t * t / 2 * vv + 1e-5 * Math.Abs(f0)), $"trial {trial}");
        }
    }

    [Test]
    public void TheFloat64CertificateAgreesWithTorchAndBoundsTheDistanceToTheMinimum()
    {
        // f and ∇f in double against torch's float at random parameters (a wrong parameter layout, a missing bias or
        // l2 term would differ by far more than float rounding); then the bound f - f* <= ||∇f||^2 / (2 l2): gradient
        // descent at 1/L from here cannot get further down than it says, and near the minimum it becomes small.
        TorchSetup.Initialize();
        const double l2 = 0.5;
        var set = RealImages(64);
        using var model = FlatModel.Create("logreg", seed: 3);
        using var batch = new BatchBuffer(set.Count);
        batch.FillRange(set, 0, set.Count);
        double f = model.ComputeGradient(batch.Input, batch.Target) + model.AddL2(l2);
        double gradientNorm = Math.Sqrt(model.GradientSpan.ToArray().Sum(x => (double)x * x));
        var start = OptimalityCertificate.SoftmaxRegression(set, model.ParameterSpan, l2);
        Assert.That(start.Objective, Is.EqualTo(f).Within(1e-5 * f));
        Assert.That(start.GradientNorm, Is.EqualTo(gradientNorm).Within(1e-4 * gradientNorm));
        Assert.That(start.SuboptimalityBound, Is.EqualTo(start.GradientNorm * start.GradientNorm / (2 * l2)).Within(1e-12 * start.SuboptimalityBound));

        double l = SmoothnessBound.LargestEigenvalueOfGram(set, 0, 1, _ => { }) / (2.0 * set.Count) + l2;
        OptimalityCertificate Descend(int steps)
        {
            for (int step = 0; step < steps; step++)
            {
                model.ComputeGradient(batch.Input, batch.Target);
                model.AddL2(l2);
                for (int i = 0; i < model.D; i++) model.ParameterSpan[i] -= (float)(model.GradientSpan[i] / l);
            }
            return OptimalityCertificate.SoftmaxRegression(set, model.ParameterSpan, l2);
        }
        var middle = Descend(400);
        var end = Descend(2600);
        Assert.That(start.Objective - end.Objective, Is.GreaterThan(0).And.LessThanOrEqualTo(start.SuboptimalityBound));
        Assert.That(middle.Objective - end.Objective, Is.GreaterThan(0).And.LessThanOrEqualTo(middle.SuboptimalityBound));
        // GD at 1/L contracts the gap by about 1 - l2 / L per step (kappa = L / l2 about 300 here).
        Assert.That(end.SuboptimalityBound, Is.LessThan(1e-3 * start.SuboptimalityBound));
        Assert.Throws<ArgumentException>(() => OptimalityCertificate.SoftmaxRegression(set, model.ParameterSpan, 0));
        Assert.Throws<ArgumentException>(() => OptimalityCertificate.SoftmaxRegression(set, new float[10], l2));
    }

    [Test]
    public void FullBatchGradientIsTheMeanOfThePerSampleGradients()
    {
        TorchSetup.Initialize();
        var set = RealImages(8);
        using var model = FlatModel.Create("logreg", seed: 2);
        using var all = new BatchBuffer(8);
        all.FillRange(set, 0, 8);
        model.ComputeGradient(all.Input, all.Target);
        var full = model.GradientSpan.ToArray();
        var sum = new double[model.D];
        using var one = new BatchBuffer(1);
        for (int i = 0; i < 8; i++)
        {
            one.FillRange(set, i, 1);
            model.ComputeGradient(one.Input, one.Target);
            for (int j = 0; j < sum.Length; j++) sum[j] += model.GradientSpan[j];
        }
        for (int j = 0; j < sum.Length; j++)
            Assert.That(full[j], Is.EqualTo(sum[j] / 8).Within(1e-5 + 1e-4 * Math.Abs(sum[j] / 8)), $"entry {j}");
        // The ranks' full batches (every P-th image of the epoch's permutation) cover every image once, so the mean
        // over ranks of their shard means is this mean.
        var seen = new List<int>();
        for (int rank = 0; rank < 4; rank++) seen.AddRange(new ShardSampler(8, 1, rank, 4).Shard(3).ToArray());
        Assert.That(seen, Is.EquivalentTo(Enumerable.Range(0, 8)));
    }

    [Test]
    public void L2AddsItsGradientAndReturnsItsPenalty()
    {
        TorchSetup.Initialize();
        using var model = FlatModel.Create("logreg", seed: 4);
        var w = model.ParameterSpan.ToArray();
        for (int i = 0; i < model.D; i++) model.GradientSpan[i] = 1;
        double penalty = model.AddL2(0.5);
        Assert.That(penalty, Is.EqualTo(0.25 * w.Sum(x => (double)x * x)).Within(1e-9));
        Assert.That(model.L2Penalty(0.5), Is.EqualTo(penalty).Within(1e-12));
        for (int i = 0; i < model.D; i += 97) Assert.That(model.GradientSpan[i], Is.EqualTo(1 + 0.5f * w[i]).Within(1e-7));
        model.ZeroParameters();
        Assert.That(model.L2Penalty(0.5), Is.Zero);
    }

    [Test]
    public void TheLog2dIndexPriceIsAccountedBesideTheWires()
    {
        // d = 7850 (logreg): ceil(log2 7850) = 13 index bits, 45 per fp32 entry against the wire's 64.
        var wire = new CommunicationCost(7850, WireFormat.Default, 28, 1500, 64, null);
        Assert.That(wire.PayloadLog2d.BitsPerEntry, Is.EqualTo(45));
        Assert.That(wire.Payload.BitsPerEntry, Is.EqualTo(64));
        Assert.That(wire.Select("payload"), Is.SameAs(wire.Payload));
        var log2d = new CommunicationCost(7850, WireFormat.Default, 28, 1500, 64, null, "log2d");
        Assert.That(log2d.Select("payload"), Is.SameAs(log2d.PayloadLog2d), "--index-bits log2d: the rule weighs the paper's price");
        wire.Add([10, 20]);
        wire.Add([1, 3]);
        Assert.That(wire.PayloadBits, Is.EqualTo(2 * 224 + (15 + 2) * 64.0));
        Assert.That(wire.PayloadLog2dBits, Is.EqualTo(2 * 224 + (15 + 2) * 45.0));
        var resumed = new CommunicationCost(7850, WireFormat.Default, 28, 1500, 64, null);
        resumed.Restore(wire.PayloadBits, wire.PacketBits, 0, steps: 2);
        Assert.That(resumed.PayloadLog2dBits, Is.EqualTo(wire.PayloadLog2dBits).Within(1e-9), "derived on resume from the wire total");
    }
}
