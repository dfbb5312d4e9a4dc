using NUnit.Framework;
using SparseMpi.Errors;
using SparseMpi.Training.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace SparseMpi.Tests.Training;

/// <summary>The mlp's widths (--hidden): the default is the model it always was; other widths build what they say.</summary>
public class MlpWidthTests
{
    [Test]
    public void DefaultWidthsGiveTheSameModelAsBefore()
    {
        using var plain = FlatModel.Create("mlp", seed: 1);
        using var given = FlatModel.Create("mlp", 1, torch.CPU, [256]);
        Assert.That(given.D, Is.EqualTo(203_530));
        Assert.That(given.ParameterHash(), Is.EqualTo(plain.ParameterHash()));
        // The layout names are those of the mlp before --hidden existed.
        Assert.That(given.Layout.Select(s => s.Name), Is.EqualTo(new[] { "hidden.weight", "hidden.bias", "output.weight", "output.bias" }));
    }

    [Test]
    public void WiderAndDeeperMlpsHaveTheirParameterCountAndTrain()
    {
        int[] widths = [32, 16, 8];
        using var model = FlatModel.Create("mlp", 1, torch.CPU, widths);
        Assert.That(model.D, Is.EqualTo(Mlp.ParameterCount(widths)));
        Assert.That(model.D, Is.EqualTo(784 * 32 + 32 + 32 * 16 + 16 + 16 * 8 + 8 + 8 * 10 + 10));
        Assert.That(model.FindBindingProblem(), Is.Null);
        Assert.That(model.Layout.Select(s => s.Name), Is.EqualTo(new[]
            { "hidden.weight", "hidden.bias", "deeper.0.weight", "deeper.0.bias", "deeper.1.weight", "deeper.1.bias", "output.weight", "output.bias" }));
        using var input = torch.randn([4, 1, 28, 28], generator: new Generator(5));
        using var target = torch.tensor(new long[] { 1, 2, 3, 4 });
        float loss = model.ComputeGradient(input, target);
        Assert.That(float.IsFinite(loss), Is.True);
        // Every layer takes part: each slice of the gradient has a non-zero entry.
        foreach (var slice in model.Layout)
            Assert.That(model.GradientSpan.Slice(slice.Offset, slice.Length).ContainsAnyExcept(0f), Is.True, slice.Name);
        Assert.That(Mlp.ParameterCount([2048, 2048]), Is.EqualTo(5_824_522));
    }

    [Test]
    public void OtherModelsRefuseWidths() =>
        Assert.Throws<UsageException>(() => FlatModel.Create("cnn", 1, torch.CPU, [64]));
}
