using NUnit.Framework;
using SparseMpi.Cli;
using SparseMpi.Training.Devices;
using SparseMpi.CostModels;
using SparseMpi.Errors;

namespace SparseMpi.Tests.Training;

/// <summary>Which kernel --select-kernel gives on which device, and what is refused.</summary>
public class DevicePlacementTests
{
    [TestCase("cpu", "auto", "topk", SelectKernel.Simd)]
    [TestCase("cpu", "auto", "randomk", SelectKernel.Simd)]
    [TestCase("cuda:1", "auto", "topk", SelectKernel.Torch)]
    [TestCase("cuda:0", "auto", "none", SelectKernel.Torch)]
    [TestCase("cpu", "torch", "topk", SelectKernel.Torch)]
    [TestCase("cpu", "simd", "threshold", SelectKernel.Simd)]
    [TestCase("cuda:0", "torch", "topk", SelectKernel.Torch)]
    public void ChoosesTheKernel(string device, string kernel, string compressor, SelectKernel expected)
    {
        var placement = DevicePlacement.Resolve(device, kernel, compressor);
        Assert.That(placement.Kernel, Is.EqualTo(expected));
        Assert.That(placement.Device, Is.EqualTo(device));
        Assert.That(placement.IsCuda, Is.EqualTo(device.StartsWith("cuda")));
    }

    [TestCase("cuda:0", "simd", "topk", "--select-kernel simd works on host memory")]
    [TestCase("cuda:0", "auto", "randomk", "--compressor randomk has no torch kernel")]
    [TestCase("cpu", "torch", "topk-approx", "--compressor topk-approx has no torch kernel")]
    [TestCase("cpu", "fast", "topk", "unknown --select-kernel 'fast'")]
    public void RefusesWithOneLine(string device, string kernel, string compressor, string expected)
    {
        var e = Assert.Throws<UsageException>(() => DevicePlacement.Resolve(device, kernel, compressor));
        Assert.That(e!.Message, Does.StartWith(expected).And.Not.Contain("\n"));
    }

    [Test]
    public void OnThisMachineAutoFollowsWhatTorchSees()
    {
        // With the CPU libtorch this build references, auto must fall back to the CPU and SIMD, not fail.
        var placement = DevicePlacement.Resolve("auto", "auto", "topk", localRank: 3);
        var expected = TorchSharp.torch.cuda.is_available()
            ? new DevicePlacement($"cuda:{3 % TorchSharp.torch.cuda.device_count()}", SelectKernel.Torch)
            : new DevicePlacement("cpu", SelectKernel.Simd);
        Assert.That(placement, Is.EqualTo(expected));
    }

    [Test]
    public void OnlyACudaDeviceEntersTheConfiguration()
    {
        var o = new TrainVerb().ToConfig();
        Assert.That(o.MathConfiguration(new DevicePlacement("cpu", SelectKernel.Torch)), Is.EqualTo(o.MathConfiguration()),
            "the kernel computes the same bits, and CPU runs keep their configuration text");
        Assert.That(o.MathConfiguration(new DevicePlacement("cuda:3", SelectKernel.Torch)), Is.EqualTo(o.MathConfiguration() + ";device=cuda"));
    }
}
