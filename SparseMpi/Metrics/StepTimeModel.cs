using SparseMpi.CostModels;
namespace SparseMpi.Metrics;

/// <summary>
/// Weak scaling keeps the per-rank batch (so the compute time per step) fixed as ranks are added; strong scaling
/// keeps the global batch fixed and splits it, so compute per step falls as 1/P.
/// </summary>
public enum ScalingMode { Weak, Strong }

/// <summary>One predicted training step: its parts in milliseconds and the throughput they give.</summary>
public sealed record PredictedStep(ModelInputs Method, AlphaBetaNetwork Network, ScalingMode Mode, int Ranks,
    double ComputeMs, double LocalMs, double CommMs)
{
    public double StepMs => ComputeMs + LocalMs + CommMs;

    /// <summary>Global samples per second: P·B per step for weak scaling, the fixed global batch B for strong.</summary>
    public double SamplesPerSecond => (Mode == ScalingMode.Weak ? (double)Ranks * Method.BatchPerRank : Method.BatchPerRank) / (StepMs / 1000);
}

/// <summary>
/// Predicts the step time of a method on P ranks of an alpha-beta network, assuming no overlap of compute and
/// communication (the trainer does none) and one rank per core or GPU:
/// <code>
/// T(P) = compute(P) + select + apply + exchange(P)  [+ P·k·gamma for sparse]
/// compute(P) = compute(1) (weak) or compute(1) / P (strong, while P &lt;= the global batch)
/// </code>
/// where exchange is <see cref="CollectiveCost.DenseExchange"/> or <see cref="CollectiveCost.SparseExchange"/>.
/// gamma (<paramref name="pairNanoseconds"/>) is the CPU time per received (index, value) pair: every rank
/// decodes and scatter-adds all P·k pairs, a cost that grows with P and that the network model alone misses;
/// 0 leaves it out.
/// </summary>
public sealed class StepTimeModel(double pairNanoseconds)
{
    /// <summary>Largest rank count any search goes to (the tables stop at their own maximum).</summary>
    public const int SearchLimit = 1 << 20;

    public double PairNanoseconds => pairNanoseconds;

    /// <summary>Strong scaling needs at least one sample per rank; weak scaling has no limit.</summary>
    public static int MaxRanks(ModelInputs m, ScalingMode mode) => mode == ScalingMode.Strong ? m.BatchPerRank : SearchLimit;

    public PredictedStep Predict(ModelInputs m, AlphaBetaNetwork net, ScalingMode mode, int p)
    {
        double compute = mode == ScalingMode.Weak ? m.ComputeMs : m.ComputeMs / p;
        double local = m.SelectMs + m.ApplyMs + (m.Dense ? 0 : p * m.K * pairNanoseconds * 1e-6);
        double comm = 1e3 * (m.Dense ? CollectiveCost.DenseExchange(p, m.D, net) : CollectiveCost.SparseExchange(p, m.MessageBytes, net));
        return new PredictedStep(m, net, mode, p, compute, local, comm);
    }

    /// <summary>Where a sparse method pays off against the dense baseline on one network.</summary>
    public Crossover Crossover(ModelInputs sparse, ModelInputs dense, AlphaBetaNetwork net)
    {
        double Sparse(int p) => CollectiveCost.SparseExchange(p, sparse.MessageBytes, net);
        FasterRange Step(ScalingMode mode) => CollectiveCost.SparseFaster(p =>
            Predict(sparse, net, mode, p).StepMs < Predict(dense, net, mode, p).StepMs, 2,
            Math.Min(MaxRanks(sparse, mode), MaxRanks(dense, mode)));
        return new Crossover(sparse.Method, net, CollectiveCost.BandwidthCrossover(sparse.D, sparse.MessageBytes),
            CollectiveCost.SparseFaster(p => Sparse(p) < CollectiveCost.DenseExchange(p, dense.D, net), 2, SearchLimit),
            CollectiveCost.SparseFaster(p => Sparse(p) < CollectiveCost.RabenseifnerAllreduce(p, 4.0 * dense.D, net), 2, SearchLimit),
            Step(ScalingMode.Weak), Step(ScalingMode.Strong));
    }
}

/// <summary>
/// Where a sparse method is faster than dense on one network. <see cref="BandwidthRanks"/> is the real-valued P*
/// of the bandwidth terms alone (the same on every network); the ranges say at which P the modelled
/// exchange (against the ring allreduce, and against Rabenseifner's) and the whole step (weak, strong) of
/// sparse are faster.
/// </summary>
public sealed record Crossover(string Method, AlphaBetaNetwork Network, double BandwidthRanks, FasterRange Comm,
    FasterRange CommRabenseifner, FasterRange WeakStep, FasterRange StrongStep);
