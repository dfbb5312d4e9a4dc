using SparseMpi.Cli;
using SparseMpi.Collectives;
using SparseMpi.Collectives.Sparse;
using SparseMpi.Sparsification;

namespace SparseMpi.Training;

/// <summary>Builds the update rule a train command line asks for.</summary>
public static class UpdateRules
{
    public static IUpdateRule Create(Communicator world, TrainVerb o, int d, long stepsPerEpoch, CommunicationCost cost)
    {
        if (o.Dense) return new DenseAllreduceRule(world, d, o.Momentum);
        ICompressor compressor = CreateCompressor(o, world.Rank);
        var memory = new ErrorFeedback(d, o.UseErrorFeedback, (float)o.Momentum, o.UseMomentumMasking);
        IGradientExchange exchange = o.Exchange == "allreduce"
            ? new DenseAllreduceExchange(world, d)
            : new SparseAllgatherExchange(world, d, o.WireFormat);
        IKSchedule k = o.DynamicK
            ? new DynamicKSchedule(o.KMaxFor(d), new DynamicSparsity(cost.Select(o.CostModel)))
            : new FixedKSchedule(d, o.KFor(d), stepsPerEpoch, o.WarmupEpochs);
        return new SparsifiedRule(world, d, compressor, memory, exchange, k);
    }

    /// <summary>The compressor --compressor names (not "none"), one per rank; shared by train and hogwild.</summary>
    public static ICompressor CreateCompressor(TrainingOptions o, int rank) => o.Compressor switch
    {
        "topk" => new ExactTopK(),
        "topk-approx" => new ApproximateTopK(),
        "randomk" => new RandomK((ulong)o.Seed, rank),
        "threshold" => new HardThreshold((float)o.Threshold),
        _ => throw new UsageException($"unknown compressor '{o.Compressor}'"),
    };
}
