using SparseMpi.Collectives;
using SparseMpi.Training.Data;
using SparseMpi.Training.Models;

namespace SparseMpi.Training;

/// <summary>
/// The setup both trainers (synchronous and Hogwild) share, each step agreed across ranks so that a problem on
/// one rank stops all of them with one line: the data set, the model (identical on every rank), its d-dependent
/// checks, and this rank's shard of the batches.
/// </summary>
public static class TrainingSetup
{
    /// <summary>Fashion-MNIST from <paramref name="directory"/>, the same sizes on every rank.</summary>
    public static FashionMnist LoadData(Communicator world, string directory)
    {
        FashionMnist data = null!;
        Preflight.Agree(world, () => data = FashionMnist.Load(directory));
        Preflight.SameOnAllRanks(world, data.Train.Count * 31L + data.Test.Count, "the data set sizes");
        return data;
    }

    /// <summary>The first <paramref name="samples"/> images of <paramref name="train"/> (0: all of them), copied once.</summary>
    public static ImageSet TrainingImages(Communicator world, ImageSet train, int samples)
    {
        if (samples == 0) return train;
        Preflight.Agree(world, () =>
        {
            if (samples > train.Count) throw new UsageException($"--train-samples {samples} is more than the {train.Count} training images");
            if (samples < world.Size) throw new UsageException($"--train-samples {samples} cannot be shared by {world.Size} ranks");
        });
        return train.Slice(0, samples);
    }

    /// <summary>
    /// The batch of --batch-size full: the whole shard of each rank. The shards must cover every image, else the
    /// mean over ranks is not the gradient of f (the sampler would drop N mod P images, different ones each epoch).
    /// </summary>
    public static int FullBatchSize(Communicator world, int samples)
    {
        Preflight.Agree(world, () =>
        {
            if (samples % world.Size != 0)
                throw new UsageException($"--batch-size full needs the {samples} training images to split evenly over {world.Size} ranks (choose --train-samples as a multiple of {world.Size})");
        });
        return samples / world.Size;
    }

    /// <summary>
    /// Rank 0's initial parameters on every rank (identical start even if torch's init differed somewhere), then
    /// <paramref name="problemFor"/>(d) checked on every rank (options such as k that need the model's d).
    /// <paramref name="parameters"/> reads the parameters to host memory and <paramref name="changed"/> writes them
    /// back (both no-ops on the host path, where the model's own span is used).
    /// </summary>
    public static void Synchronise(Communicator world, FlatModel model, Func<int, string?> problemFor,
        Func<Span<float>>? parameters = null, Action? changed = null)
    {
        world.Broadcast(parameters != null ? parameters() : model.ParameterSpan, root: 0);
        changed?.Invoke();
        Preflight.Agree(world, () => { if (problemFor(model.D) is string p) throw new UsageException(p); });
    }

    /// <summary>This rank's batches of the training set: every P-th sample of each epoch's permutation.</summary>
    public static ShardedBatches Batches(Communicator world, ImageSet train, int batchSize, long seed)
    {
        ShardedBatches batches = null!;
        Preflight.Agree(world, () => batches = new ShardedBatches(train, batchSize, seed, world.Rank, world.Size));
        return batches;
    }

    /// <summary>
    /// The training set with its last <paramref name="validation"/> samples held out as a validation split (for
    /// tuning the learning rate without looking at the test set); (train, null) for 0. Too large a split is one
    /// line on every rank.
    /// </summary>
    public static (ImageSet Train, ImageSet? Validation) HoldOut(Communicator world, ImageSet train, int validation, int batchSize)
    {
        if (validation == 0) return (train, null);
        Preflight.Agree(world, () =>
        {
            if (validation > train.Count - batchSize * world.Size)
                throw new UsageException($"--validation {validation} leaves {train.Count - validation} of the {train.Count} training samples, " +
                    $"fewer than one batch of {batchSize} per rank for {world.Size} rank(s)");
        });
        return (train.Slice(0, train.Count - validation), train.Slice(train.Count - validation, validation));
    }
}
