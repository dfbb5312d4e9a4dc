namespace SparseMpi.Sparsification;

/// <summary>
/// The accumulated gradient (residual + lr * grad) holds a NaN or an infinity, so no meaningful selection
/// exists. Raised instead of sending garbage; the usual causes are a too-large learning rate or a diverging
/// loss. When raised from <see cref="ErrorFeedback.Step"/>, the residual buffer already holds the
/// non-finite accumulation: training cannot continue from it without a checkpoint.
/// </summary>
public sealed class NonFiniteGradientException : Exception
{
    public long Step { get; }
    public int Index { get; }
    public float Value { get; }

    public NonFiniteGradientException(long step, int index, float value)
        : base($"step {step}: the accumulated gradient is not finite ({value} at index {index}); " +
               "lower the learning rate or check the loss for divergence")
    {
        Step = step;
        Index = index;
        Value = value;
    }
}
