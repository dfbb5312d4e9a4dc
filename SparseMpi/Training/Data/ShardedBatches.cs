using static TorchSharp.torch;

namespace SparseMpi.Training.Data;

/// <summary>
/// The endless stream of this rank's training batches: each epoch a fresh shard from <see cref="ShardSampler"/>,
/// cut into batches of <see cref="BatchSize"/> samples (the batch size per rank); the last partial batch of an
/// epoch is dropped, so every rank takes the same number of steps per epoch. Each <see cref="Next"/> refills the
/// same two tensors in place.
/// </summary>
public sealed class ShardedBatches : IDisposable
{
    readonly ImageSet _set;
    readonly ShardSampler _sampler;
    readonly BatchBuffer _buffer;

    public int BatchSize => _buffer.Capacity;
    public int StepsPerEpoch { get; }

    /// <summary>The batch the next <see cref="Next"/> produces.</summary>
    public BatchPosition Position { get; private set; }

    /// <summary>The batch's images, float32 [BatchSize, 1, 28, 28]; the same tensor every step.</summary>
    public Tensor Input => _buffer.Input;

    /// <summary>The batch's class indices, int64 [BatchSize]; the same tensor every step.</summary>
    public Tensor Target => _buffer.Target;

    public ShardedBatches(ImageSet set, int batchSize, long seed, int rank, int size, BatchPosition start = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        _sampler = new ShardSampler(set.Count, seed, rank, size);
        StepsPerEpoch = _sampler.SamplesPerRank / batchSize;
        if (StepsPerEpoch == 0)
            throw new UsageException(
                $"batch size {batchSize} per rank is more than the {_sampler.SamplesPerRank} samples each of " +
                $"{size} ranks gets from {set.Count}");
        _set = set;
        _buffer = new BatchBuffer(batchSize);
        Seek(start);
    }

    /// <summary>Continues from <paramref name="position"/>, e.g. one restored from a checkpoint.</summary>
    public void Seek(BatchPosition position)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(position.Epoch);
        ArgumentOutOfRangeException.ThrowIfNegative(position.Step);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(position.Step, StepsPerEpoch);
        Position = position;
    }

    /// <summary>
    /// Fills <see cref="Input"/> and <see cref="Target"/> with the batch at <see cref="Position"/>, advances
    /// Position (to step 0 of the next epoch after the last step), and returns where the filled batch was.
    /// </summary>
    public BatchPosition Next()
    {
        BatchPosition current = Position;
        ReadOnlySpan<int> shard = _sampler.Shard(current.Epoch);
        _buffer.Fill(_set, shard.Slice(current.Step * BatchSize, BatchSize));
        Position = current.Step + 1 < StepsPerEpoch ? current with { Step = current.Step + 1 } : new(current.Epoch + 1, 0);
        return current;
    }

    public void Dispose() => _buffer.Dispose();
}
