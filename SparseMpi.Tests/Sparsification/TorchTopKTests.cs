using NUnit.Framework;
using SparseMpi.Sparsification;
using TorchSharp;
using SparseMpi.CostModels;
using SparseMpi.Training.Devices;

namespace SparseMpi.Tests.Sparsification;

/// <summary>The device path, run on CPU tensors, must agree exactly with the SIMD kernel.</summary>
public class TorchTopKTests
{
    [OneTimeSetUp]
    public void OneThread() => torch.set_num_threads(1);

    static (int[] Indices, float[] Values) OnDevice(float[] x, int k)
    {
        using var t = torch.tensor(x);
        var idx = new int[k];
        var val = new float[k];
        Assert.That(new TorchTopK().Select(t, k, 0, idx, val), Is.EqualTo(k));
        return (idx, val);
    }

    static (int[] Indices, float[] Values) Simd(float[] x, int k)
    {
        var idx = new int[k];
        var val = new float[k];
        MagnitudeSelector.Exact().Select(x, k, 0, idx, val);
        return (idx, val);
    }

    [Test]
    public void AgreesWithTheSimdKernel([ValueSource(typeof(TestVectors), nameof(TestVectors.Kinds))] string kind)
    {
        foreach (int d in new[] { 1, 31, 4097, 100_003 })
        {
            var x = TestVectors.Make(kind, d, seed: 2);
            foreach (int k in new[] { 1, d / 50 + 1, d / 2 + 1, d }.Where(k => k <= d).Distinct())
            {
                var device = OnDevice(x, k);
                var simd = Simd(x, k);
                Assert.That(device.Indices, Is.EqualTo(simd.Indices), $"{kind} d={d} k={k}: indices");
                Assert.That(device.Values.Select(BitConverter.SingleToInt32Bits), Is.EqualTo(simd.Values.Select(BitConverter.SingleToInt32Bits)),
                    $"{kind} d={d} k={k}: values");
            }
        }
    }

    [Test]
    public void BoundaryTiesGoToTheLowerIndex()
    {
        // Many equal magnitudes straddle the boundary; torch.topk alone may keep any of them.
        var x = new float[10_000];
        for (int i = 0; i < x.Length; i++) x[i] = (i % 3 == 0 ? -1f : 1f) * (i % 10 == 0 ? 2f : 1f);
        var (idx, _) = OnDevice(x, 1500);
        Assert.That(idx, Is.EqualTo(Reference.TopK(x, 1500)));
    }

    [Test]
    public void RejectsNonFiniteWithTheStep()
    {
        var x = Reference.Normal(1000, 1);
        x[321] = float.NaN;
        using var t = torch.tensor(x);
        var e = Assert.Throws<NonFiniteGradientException>(() => new TorchTopK().Select(t, 10, 8, new int[10], new float[10]));
        Assert.That(e!.Step, Is.EqualTo(8));
        Assert.That(e.Index, Is.EqualTo(321));
    }

    [Test]
    public void RejectsBadArguments()
    {
        using var t = torch.tensor(new float[10]);
        Assert.Throws<ArgumentOutOfRangeException>(() => new TorchTopK().Select(t, 0, 0, new int[1], new float[1]));
        using var m = torch.zeros(2, 5);
        Assert.Throws<ArgumentException>(() => new TorchTopK().Select(m, 1, 0, new int[1], new float[1]));
    }

    [Test]
    public void ReusesItsBufferAcrossCallsAndSizes()
    {
        var topk = new TorchTopK();
        foreach (int d in new[] { 1000, 1000, 10, 5000 })
        {
            var x = Reference.Normal(d, d);
            using var t = torch.tensor(x);
            var idx = new int[7];
            topk.Select(t, 7, 0, idx, new float[7]);
            Assert.That(idx, Is.EqualTo(Reference.TopK(x, 7)), $"d={d}");
        }
    }
}

public class DeviceSelectorTests
{
    [TestCase(0, true, 4, "cuda:0")]
    [TestCase(3, true, 4, "cuda:3")]
    [TestCase(5, true, 4, "cuda:1")]
    [TestCase(2, true, 1, "cuda:0")]
    [TestCase(2, false, 4, "cpu")]
    [TestCase(0, true, 0, "cpu")]
    public void MapsTheNodeLocalRankRoundRobinOverGpus(int localRank, bool cuda, int count, string expected) =>
        Assert.That(DeviceSelector.Choose(localRank, cuda, count), Is.EqualTo(expected));

    [TestCase("auto", 5, true, 4, "cuda:1")]
    [TestCase("auto", 5, false, 0, "cpu")]
    [TestCase("cpu", 5, true, 4, "cpu")]
    [TestCase("cuda", 6, true, 4, "cuda:2")]
    public void ResolvesTheDeviceOption(string option, int localRank, bool cuda, int count, string expected) =>
        Assert.That(DeviceSelector.Resolve(option, localRank, cuda, count), Is.EqualTo(expected));

    [TestCase(false, 0)]
    [TestCase(true, 0)]
    public void CudaWithoutADeviceIsOneClearLine(bool cuda, int count)
    {
        var e = Assert.Throws<SparseMpi.Errors.UsageException>(() => DeviceSelector.Resolve("cuda", 0, cuda, count));
        Assert.That(e!.Message, Does.StartWith("--device cuda: no CUDA device").And.Not.Contain("\n"));
    }

    [Test]
    public void AnUnknownDeviceOptionIsRefused() =>
        Assert.Throws<SparseMpi.Errors.UsageException>(() => DeviceSelector.Resolve("tpu", 0, true, 1));

    [Test]
    public void RejectsANegativeRank() => Assert.Throws<ArgumentOutOfRangeException>(() => DeviceSelector.Choose(-1, true, 2));

    [Test]
    public void OnThisMachineMatchesTorchsView()
    {
        var device = DeviceSelector.ForLocalRank(1);
        Assert.That(device.type, Is.EqualTo(torch.cuda.is_available() ? DeviceType.CUDA : DeviceType.CPU));
    }
}
