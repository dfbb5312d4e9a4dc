using NUnit.Framework;
using SparseMpi.Training.Devices;
using SparseMpi.Training.Models;
using TorchSharp;

namespace SparseMpi.Tests.Training;

/// <summary>The device side of <see cref="FlatModel"/>: creation on a device, host copies, the span guard.</summary>
public class FlatModelDeviceTests
{
    [Test]
    public void ADeviceModelStartsFromTheSameWeightsAndStaysBound()
    {
        using var host = FlatModel.Create("mlp", seed: 9);
        using var onDevice = FlatModel.Create("mlp", seed: 9, torch.CPU);
        Assert.That(onDevice.Device.type, Is.EqualTo(DeviceType.CPU));
        Assert.That(onDevice.FindBindingProblem(), Is.Null);
        var copy = new float[onDevice.D];
        onDevice.CopyParametersTo(copy);
        Assert.That(copy, Is.EqualTo(host.ParameterSpan.ToArray()));
        Assert.That(onDevice.ParameterHash(), Is.EqualTo(host.ParameterHash()));
    }

    [Test]
    public void CopyParametersFromChangesTheModelThroughTheStagingBuffer()
    {
        using var model = FlatModel.Create("logreg", seed: 2, torch.CPU);
        ulong before = model.ParameterHash();
        var p = new float[model.D];
        model.CopyParametersTo(p);
        p[model.D - 1] += 1f;
        model.CopyParametersFrom(p);
        Assert.That(model.ParameterHash(), Is.Not.EqualTo(before));
        Assert.That(model.ParameterSpan[model.D - 1], Is.EqualTo(p[model.D - 1]), "the flat tensor itself changed");
        Assert.That(model.FindBindingProblem(), Is.Null, "copy_ into the flat tensor keeps the views bound");
        Assert.Throws<ArgumentException>(() => model.CopyParametersFrom(new float[model.D - 1]));
    }

    [Test]
    public void FindBindingProblemSeesAParameterMovedOutOfTheFlatBuffer()
    {
        using var model = FlatModel.Create("logreg", seed: 2, torch.CPU);
        using (torch.no_grad())
        using (var elsewhere = torch.zeros(model.ParameterTensors[0].shape))
            model.ParameterTensors[0].set_(elsewhere);
        Assert.That(model.FindBindingProblem(), Does.Contain("no longer lives in the flat parameter buffer"));
    }

    [Test]
    public void TheHostSpansAreRefusedOffTheCpu()
    {
        // libtorch's meta device holds shapes without memory: the one non-CPU device every build has.
        using var model = FlatModel.Create("logreg", seed: 2, torch.META);
        Assert.That(model.OnCpu, Is.False);
        var e = Assert.Throws<InvalidOperationException>(() => _ = model.ParameterSpan.Length);
        Assert.That(e!.Message, Does.Contain("meta").And.Contain("CopyParametersTo"));
        Assert.Throws<InvalidOperationException>(() => _ = model.GradientSpan.Length);
    }

    [Test]
    public void ADeviceBatchIsACopyOfTheHostBatch()
    {
        using var host = new SparseMpi.Training.Data.BatchBuffer(4);
        var set = TestData.FashionMnist.Test;
        host.FillRange(set, 2, 4);
        using var batch = new DeviceBatch(4, torch.CPU);
        var (input, target) = batch.Load(host.Input, host.Target);
        Assert.That(input.data<float>().ToArray(), Is.EqualTo(host.Input.data<float>().ToArray()));
        Assert.That(target.data<long>().ToArray(), Is.EqualTo(host.Target.data<long>().ToArray()));
        Assert.That(input.Handle, Is.Not.EqualTo(host.Input.Handle), "its own tensor, preallocated");
    }
}
