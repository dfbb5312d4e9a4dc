using NUnit.Framework;
using SparseMpi.Training.Data;
using SparseMpi.Training.Models;

namespace SparseMpi.Tests.Training;

/// <summary>End to end on one process: real data, sharded batches, flat gradients, plain SGD through the span.</summary>
public class TrainingSanityTests
{
    [Test]
    public void MlpLearnsFashionMnistInOneShortEpoch()
    {
        FashionMnist data = TestData.FashionMnist;
        ImageSet train = data.Train.Slice(0, 4096);
        using var model = FlatModel.Create("mlp", seed: 1);
        using var batches = new ShardedBatches(train, batchSize: 32, seed: 1, rank: 0, size: 1);
        Evaluation untrained = model.Evaluate(data.Test, 1000);

        const float learningRate = 0.05f;
        for (int step = 0; step < batches.StepsPerEpoch; step++)
        {
            batches.Next();
            model.ComputeGradient(batches.Input, batches.Target);
            Span<float> parameters = model.ParameterSpan;
            ReadOnlySpan<float> gradients = model.GradientSpan;
            for (int i = 0; i < parameters.Length; i++)
                parameters[i] -= learningRate * gradients[i];
        }
        Evaluation trained = model.Evaluate(data.Test, 1000);
        TestContext.Out.WriteLine($"untrained {untrained}, after {batches.StepsPerEpoch} steps {trained}");

        Assert.That(batches.Position, Is.EqualTo(new BatchPosition(1, 0)));
        Assert.That(untrained.Accuracy, Is.LessThan(0.3));
        Assert.That(trained.Accuracy, Is.GreaterThan(0.7));
        Assert.That(trained.Loss, Is.LessThan(untrained.Loss));
        Assert.That(trained.Samples, Is.EqualTo(10000));
    }
}
