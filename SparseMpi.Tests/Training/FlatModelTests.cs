using NUnit.Framework;
using SparseMpi.Cli;
using SparseMpi.Training.Models;
using TorchSharp;
using static TorchSharp.torch;
using SparseMpi.Collectives;
using SparseMpi.CostModels;
using SparseMpi.Errors;

namespace SparseMpi.Tests.Training;

[TestFixture("mlp", 784 * 256 + 256 + 256 * 10 + 10)]
[TestFixture("cnn", (6 * 25 + 6) + (16 * 6 * 25 + 16) + (400 * 120 + 120) + (120 * 84 + 84) + (84 * 10 + 10))]
[TestFixture("logreg", 784 * 10 + 10)]
public class FlatModelTests(string name, int expectedD)
{
    Tensor _input = null!;
    Tensor _target = null!;

    [OneTimeSetUp]
    public void MakeBatch()
    {
        // A fixed batch of noise images with arbitrary labels: enough to exercise forward and backward.
        var generator = new Generator(2024);
        _input = torch.randn([32, 1, 28, 28], generator: generator);
        _target = torch.randint(0, 10, [32], generator: generator);
    }

    [OneTimeTearDown]
    public void FreeBatch()
    {
        _input.Dispose();
        _target.Dispose();
    }

    [Test]
    public void ParametersAreViewsOfTheFlatBuffer()
    {
        using var model = FlatModel.Create(name, seed: 1);
        Assert.That(model.D, Is.EqualTo(expectedD));
        Assert.That(model.FlatParameters.shape, Is.EqualTo(new long[] { expectedD }));
        Assert.That(model.FindBindingProblem(), Is.Null);

        float[] concatenated = model.ParameterTensors.SelectMany(p => p.data<float>().ToArray()).ToArray();
        Assert.That(concatenated, Is.EqualTo(model.ParameterSpan.ToArray()));

        // A write through the span is a write to the parameter tensors themselves.
        foreach (ParameterSlice slot in model.Layout)
            model.ParameterSpan[slot.Offset + slot.Length - 1] = 42f + slot.Offset;
        for (int i = 0; i < model.Layout.Count; i++)
        {
            ParameterSlice slot = model.Layout[i];
            using Tensor flatView = model.ParameterTensors[i].flatten();
            Assert.That(flatView[slot.Length - 1].item<float>(), Is.EqualTo(42f + slot.Offset), slot.ToString());
        }
    }

    [Test]
    public void WritingTheParameterSpanChangesTheOutput()
    {
        using var model = FlatModel.Create(name, seed: 1);
        using Tensor before = model.Forward(_input);
        float[] saved = model.ParameterSpan.ToArray();

        foreach (ref float p in model.ParameterSpan)
            p *= 1.5f;
        using Tensor changed = model.Forward(_input);
        saved.CopyTo(model.ParameterSpan);
        using Tensor restored = model.Forward(_input);

        float[] original = before.data<float>().ToArray();
        Assert.That(changed.data<float>().ToArray(), Is.Not.EqualTo(original));
        Assert.That(restored.data<float>().ToArray(), Is.EqualTo(original));
    }

    [Test]
    public void BackwardWritesTheGradientIntoTheFlatBuffer()
    {
        using var model = FlatModel.Create(name, seed: 3);
        float loss = model.ComputeGradient(_input, _target);

        Assert.That(loss, Is.GreaterThan(0).And.Not.NaN);
        Assert.That(model.FindBindingProblem(), Is.Null, "backward replaced a .grad instead of accumulating into it");
        float[] perParameter = model.ParameterTensors.SelectMany(p =>
        {
            using Tensor grad = p.grad!;
            return grad.data<float>().ToArray();
        }).ToArray();
        Assert.That(model.GradientSpan.ToArray(), Is.EqualTo(perParameter));
        foreach (ParameterSlice slot in model.Layout)
            Assert.That(model.GradientSpan.Slice(slot.Offset, slot.Length).ToArray(), Has.Some.Not.EqualTo(0f),
                $"no gradient for {slot}");
    }

    [Test]
    public void FlatGradientEqualsThatOfAnUnboundModel()
    {
        using var model = FlatModel.Create(name, seed: 5);
        model.ComputeGradient(_input, _target);

        using var reference = ModelFactory.Create(name, seed: 5);
        using (var loss = nn.functional.cross_entropy(reference.forward(_input), _target))
            loss.backward();
        float[] expected = reference.parameters().SelectMany(p =>
        {
            using Tensor grad = p.grad!;
            return grad.data<float>().ToArray();
        }).ToArray();

        Assert.That(model.GradientSpan.ToArray(), Is.EqualTo(expected).Within(1e-6f));
    }

    [Test]
    public void EachComputeGradientOverwritesThePreviousOne()
    {
        using var model = FlatModel.Create(name, seed: 3);
        model.ComputeGradient(_input, _target);
        float[] first = model.GradientSpan.ToArray();
        model.ComputeGradient(_input, _target);

        Assert.That(model.GradientSpan.ToArray(), Is.EqualTo(first));
        Assert.That(model.FindBindingProblem(), Is.Null);
    }

    [Test]
    public void SgdStepsThroughTheSpansLowerTheLoss()
    {
        using var model = FlatModel.Create(name, seed: 7);
        float first = model.ComputeGradient(_input, _target);
        float previous = first;
        for (int step = 0; step < 5; step++)
        {
            Span<float> parameters = model.ParameterSpan;
            ReadOnlySpan<float> gradients = model.GradientSpan;
            for (int i = 0; i < parameters.Length; i++)
                parameters[i] -= 0.1f * gradients[i];
            float loss = model.ComputeGradient(_input, _target);
            TestContext.Out.WriteLine($"{name} step {step}: loss {previous} -> {loss}");
            Assert.That(loss, Is.LessThan(previous), $"step {step}");
            previous = loss;
        }
        Assert.That(previous, Is.LessThan(first * 0.98f));
    }

    [Test]
    public void SameSeedGivesIdenticalParametersAndAnotherSeedDoesNot()
    {
        using var first = FlatModel.Create(name, seed: 11);
        using var again = FlatModel.Create(name, seed: 11);
        using var other = FlatModel.Create(name, seed: 12);

        Assert.That(again.ParameterHash(), Is.EqualTo(first.ParameterHash()));
        Assert.That(again.ParameterSpan.SequenceEqual(first.ParameterSpan), Is.True);
        Assert.That(other.ParameterHash(), Is.Not.EqualTo(first.ParameterHash()));
    }

    [Test]
    public void HashSeesASingleBitFlip()
    {
        using var model = FlatModel.Create(name, seed: 11);
        ulong before = model.ParameterHash();
        model.ParameterSpan[model.D / 2] = BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(model.ParameterSpan[model.D / 2]) ^ 1);
        Assert.That(model.ParameterHash(), Is.Not.EqualTo(before));
    }
}

public class ModelFactoryTests
{
    [Test]
    public void UnknownModelListsTheValidNames()
    {
        var e = Assert.Throws<UsageException>(() => FlatModel.Create("resnet", 0))!;
        Assert.That(e.Message, Is.EqualTo("unknown model 'resnet'; valid models: mlp, cnn, logreg"));
        Assert.That(ModelFactory.FindProblem("resnet"), Is.EqualTo(e.Message));
    }

    [Test]
    public void DefaultIsAValidModel() => Assert.That(ModelFactory.FindProblem(ModelFactory.Default), Is.Null);

    [Test]
    public void Fnv1aMatchesPublishedTestVectors()
    {
        Assert.That(Fnv1a.Hash(""u8), Is.EqualTo(0xcbf29ce484222325UL));
        Assert.That(Fnv1a.Hash("a"u8), Is.EqualTo(0xaf63dc4c8601ec8cUL));
        Assert.That(Fnv1a.Hash("foobar"u8), Is.EqualTo(0x85944171f73967e8UL));
    }
}
