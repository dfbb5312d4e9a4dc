using NUnit.Framework;
using SparseMpi.Cli;
using SparseMpi.Training.Data;
using static TorchSharp.torch;
using SparseMpi.CostModels;
using SparseMpi.Errors;

namespace SparseMpi.Tests.Training;

public class ShardedBatchesTests
{
    /// <summary>Image i has every pixel equal to i and label i mod 10, so a batch row tells which sample it holds.</summary>
    static ImageSet Numbered(int count)
    {
        var pixels = new float[count * ImageSet.PixelsPerImage];
        for (int i = 0; i < count; i++)
            pixels.AsSpan(i * ImageSet.PixelsPerImage, ImageSet.PixelsPerImage).Fill(i);
        return new ImageSet(pixels, Enumerable.Range(0, count).Select(i => (byte)(i % 10)).ToArray());
    }

    /// <summary>Which samples the current batch holds, read back from the tensors, checking every pixel and label.</summary>
    static int[] SamplesIn(ShardedBatches batches)
    {
        float[] input = batches.Input.data<float>().ToArray();
        long[] target = batches.Target.data<long>().ToArray();
        var samples = new int[batches.BatchSize];
        for (int row = 0; row < samples.Length; row++)
        {
            var image = input.AsSpan(row * ImageSet.PixelsPerImage, ImageSet.PixelsPerImage);
            samples[row] = (int)image[0];
            Assert.That(image.ToArray(), Is.All.EqualTo(image[0]), $"row {row} mixes samples");
            Assert.That(target[row], Is.EqualTo(samples[row] % 10), $"row {row} has another sample's label");
        }
        return samples;
    }

    [Test]
    public void TensorsHaveTheModelShapesAndTypes()
    {
        using var batches = new ShardedBatches(Numbered(50), 8, seed: 1, rank: 0, size: 1);
        Assert.That(batches.Input.shape, Is.EqualTo(new long[] { 8, 1, 28, 28 }));
        Assert.That(batches.Input.dtype, Is.EqualTo(ScalarType.Float32));
        Assert.That(batches.Target.shape, Is.EqualTo(new long[] { 8 }));
        Assert.That(batches.Target.dtype, Is.EqualTo(ScalarType.Int64));
    }

    [Test]
    public void BatchesWalkTheShardAndDropThePartialLastBatch()
    {
        // 103 samples over 2 ranks: 51 each (one dropped), batches of 10: 5 steps, 1 sample per epoch unused.
        ImageSet set = Numbered(103);
        using var batches = new ShardedBatches(set, 10, seed: 4, rank: 1, size: 2);
        int[] shard = new ShardSampler(103, 4, 1, 2).Shard(0).ToArray();
        Assert.That(batches.StepsPerEpoch, Is.EqualTo(5));

        for (int step = 0; step < 5; step++)
        {
            Assert.That(batches.Next(), Is.EqualTo(new BatchPosition(0, step)));
            Assert.That(SamplesIn(batches), Is.EqualTo(shard[(step * 10)..(step * 10 + 10)]));
        }
        Assert.That(batches.Position, Is.EqualTo(new BatchPosition(1, 0)));
        int[] nextShard = new ShardSampler(103, 4, 1, 2).Shard(1).ToArray();
        batches.Next();
        Assert.That(SamplesIn(batches), Is.EqualTo(nextShard[..10]));
    }

    [Test]
    public void ResumingFromAPositionContinuesTheSameStream()
    {
        ImageSet set = Numbered(200);
        using var original = new ShardedBatches(set, 16, seed: 8, rank: 2, size: 3);
        for (int i = 0; i < 7; i++)   // into the second epoch: 66 samples per rank give 4 steps per epoch
            original.Next();
        BatchPosition saved = original.Position;
        Assert.That(saved, Is.EqualTo(new BatchPosition(1, 3)));

        using var resumed = new ShardedBatches(set, 16, seed: 8, rank: 2, size: 3, start: saved);
        for (int i = 0; i < 6; i++)
        {
            Assert.That(resumed.Next(), Is.EqualTo(original.Next()));
            Assert.That(SamplesIn(resumed), Is.EqualTo(SamplesIn(original)));
        }
    }

    [Test]
    public void NextAllocatesNoManagedMemory()
    {
        using var batches = new ShardedBatches(Numbered(300), 32, seed: 1, rank: 0, size: 2);
        batches.Next();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)   // crosses many epochs, so reshuffling is included
            batches.Next();
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan(1000));
    }

    [Test]
    public void BatchLargerThanTheShardIsAUsageError()
    {
        var e = Assert.Throws<UsageException>(() => new ShardedBatches(Numbered(100), 64, 0, 0, 2))!;
        Assert.That(e.Message, Is.EqualTo("batch size 64 per rank is more than the 50 samples each of 2 ranks gets from 100"));
    }
}
