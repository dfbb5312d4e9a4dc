using NUnit.Framework;
using SparseMpi.Training.Models;
using TorchSharp;

namespace SparseMpi.Tests.Training;

/// <summary>Proves TorchSharp's native libraries load and compute on this system (Debian 12's older libstdc++).</summary>
public class TorchTests
{
    [Test]
    public void LibTorchLoadsAndMultipliesMatrices()
    {
        using var a = torch.tensor(new float[] { 1, 2, 3, 4 }).reshape(2, 2);
        using var b = torch.tensor(new float[] { 5, 6, 7, 8 }).reshape(2, 2);
        using var product = a.matmul(b);
        Assert.That(product.data<float>().ToArray(), Is.EqualTo(new float[] { 19, 22, 43, 50 }));
    }

    [Test]
    public void SetupLeavesOneTorchThread()
    {
        TorchSetup.Initialize();
        TorchSetup.Initialize();   // idempotent: a second libtorch call would abort the process
        Assert.That(torch.get_num_threads(), Is.EqualTo(1));
        Assert.That(torch.get_num_interop_threads(), Is.EqualTo(1));
    }
}
