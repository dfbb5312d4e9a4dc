namespace SparseMpi.Sparsification;

/// <summary>
/// Approximate top-k in the style of Deep Gradient Compression: send every entry whose magnitude reaches a
/// threshold estimated from a sample, skipping the exact finish. The result is always a superset of the
/// exact top-k (ties included), in ascending index order, with between k and floor(1.5 k) entries: when the
/// sampled threshold lets more than 1.5k through, it finishes exactly and returns k; when it lets fewer
/// than k through, it filters again lower. Size output buffers with <see cref="MaxSelected"/>.
/// </summary>
public sealed class ApproximateTopK(VectorPath maxPath = VectorPath.Vector512) : IFusedCompressor
{
    readonly SelectionEngine _engine = new(maxPath);

    public string Name => "approx-topk";
    public VectorPath Path => _engine.Path;

    /// <summary>floor(1.5 k): the documented bound on how many entries one call may return.</summary>
    public int MaxSelected(int k) => SelectionEngine.MaxSelected(SelectionMode.Approximate, k);

    public int Select(ReadOnlySpan<float> acc, int k, long step, Span<int> indices, Span<float> values)
    {
        SelectionArguments.CheckK(k, acc.Length);
        SelectionArguments.CheckOutput(MaxSelected(k), indices, values);
        return _engine.Select(acc, k, SelectionMode.Approximate, 0, step, indices, values);
    }

    int IFusedCompressor.SelectAccumulating(in Accumulation accumulation, int k, long step, Span<int> indices, Span<float> values)
    {
        SelectionArguments.CheckK(k, accumulation.Residual.Length);
        SelectionArguments.CheckOutput(MaxSelected(k), indices, values);
        return _engine.SelectAccumulating(accumulation, k, SelectionMode.Approximate, 0, step, indices, values);
    }
}
