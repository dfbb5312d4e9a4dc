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
        ICompressor compressor = o.Compressor switch
        {
            "topk" => new ExactTopK(),
            "topk-approx" => new ApproximateTopK(),
            "randomk" => new RandomK((ulong)o.Seed, world.Rank),
            "threshold" => new HardThreshold((float)o.Threshold),
            _ => throw new UsageException($"unknown compressor '{o.Compressor}'"),
        };
        var memory = new ErrorFeedback(d, o.UseErrorFeedback, (float)o.Momentum, o.UseMomentumMasking);
        IGradientExchange exchange = o.Exchange == "allreduce"
            ? new DenseAllreduceExchange(world, d)
            : new SparseAllgatherExchange(world, d, o.WireFormat);
        IKSchedule k = o.DynamicK
            ? new DynamicKSchedule(o.KMaxFor(d), new DynamicSparsity(cost.Select(o.CostModel)))
            : new FixedKSchedule(d, o.KFor(d), stepsPerEpoch, o.WarmupEpochs);
        return new SparsifiedRule(world, d, compressor, memory, exchange, k);
    }
}
