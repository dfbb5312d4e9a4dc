namespace SparseMpi.Sparsification;

/// <summary>
/// A compressor picks which entries of the error accumulator a rank sends this step (the "compressor" of
/// GRACE's compressor / memory / communicator split; the memory is <see cref="ErrorFeedback"/>).
/// Implementations own reusable scratch, so use one instance per rank (they are not thread-safe).
/// </summary>
public interface ICompressor
{
    /// <summary>Short name for logs and metrics ("topk", "approx-topk", "randomk", "threshold").</summary>
    string Name { get; }

    /// <summary>The most entries <see cref="Select"/> can return for this k: size the output buffers to it.</summary>
    int MaxSelected(int k);

    /// <summary>
    /// Writes the selected indices in ascending order (the wire format delta-encodes them) and their signed
    /// values, and returns how many were selected. <paramref name="step"/> seeds randomised compressors and is
    /// quoted by <see cref="NonFiniteGradientException"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">k is not in 1..acc.Length.</exception>
    /// <exception cref="NonFiniteGradientException">the accumulator holds NaN or Inf.</exception>
    int Select(ReadOnlySpan<float> acc, int k, long step, Span<int> indices, Span<float> values);
}

/// <summary>
/// A compressor that can compute the accumulator and select from it in the same memory pass. The
/// accumulator is written into <see cref="Accumulation.Residual"/> as it streams by.
/// </summary>
internal interface IFusedCompressor : ICompressor
{
    int SelectAccumulating(in Accumulation accumulation, int k, long step, Span<int> indices, Span<float> values);
}

/// <summary>
/// What one error-feedback step folds together: acc = residual + lr * u, with u = beta * u + grad when a
/// momentum buffer is given (DGC momentum correction) and u = grad otherwise; with error feedback off the
/// residual term is dropped. The result overwrites <see cref="Residual"/>.
/// </summary>
internal readonly ref struct Accumulation(Span<float> residual, ReadOnlySpan<float> gradient, float learningRate,
    Span<float> momentum, float momentumFactor, bool keepResidual)
{
    public Span<float> Residual { get; } = residual;
    public ReadOnlySpan<float> Gradient { get; } = gradient;
    public float LearningRate { get; } = learningRate;
    public Span<float> Momentum { get; } = momentum;
    public float MomentumFactor { get; } = momentumFactor;
    public bool KeepResidual { get; } = keepResidual;

    /// <summary>
    /// Builds the one operator struct this accumulation needs (the only place that chooses among them) and runs
    /// <paramref name="consumer"/> over it, so each consumer (the fused selection, the accumulate-only pass) is
    /// compiled once per operator with no per-element dispatch.
    /// </summary>
    public int Run<TConsumer>(ref TConsumer consumer) where TConsumer : IAccumulationConsumer, allows ref struct
    {
        if (Momentum.IsEmpty)
        {
            if (KeepResidual)
            {
                var feedback = new ErrorFeedbackAccumulator(Residual, Gradient, LearningRate);
                return consumer.Run(ref feedback);
            }
            var scaled = new ScaledGradientAccumulator(Residual, Gradient, LearningRate);
            return consumer.Run(ref scaled);
        }
        if (KeepResidual)
        {
            var keep = new MomentumAccumulator<KeepResidual>(Residual, Momentum, Gradient, LearningRate, MomentumFactor);
            return consumer.Run(ref keep);
        }
        var discard = new MomentumAccumulator<DiscardResidual>(Residual, Momentum, Gradient, LearningRate, MomentumFactor);
        return consumer.Run(ref discard);
    }
}

/// <summary>What <see cref="Accumulation.Run"/> hands the chosen operator to; returns a count or an index.</summary>
internal interface IAccumulationConsumer
{
    int Run<TOp>(ref TOp op) where TOp : IAccumulationOperator, allows ref struct;
}
