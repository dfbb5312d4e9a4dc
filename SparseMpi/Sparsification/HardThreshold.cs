namespace SparseMpi.Sparsification;

/// <summary>
/// Hard-threshold sparsification: send every entry with |x| >= tau, capped at k entries (the k largest
/// when more pass, so the send buffers and the wire stay bounded). It may select none. Ascending indices.
/// </summary>
public sealed class HardThreshold : IFusedCompressor
{
    readonly SelectionEngine _engine;
    readonly int _key;

    public HardThreshold(float tau, VectorPath maxPath = VectorPath.Vector512)
    {
        if (!float.IsFinite(tau) || tau < 0)
            throw new ArgumentOutOfRangeException(nameof(tau), tau, "the threshold must be a finite number >= 0");
        Tau = tau;
        _key = MagnitudeKey.Of(tau);
        _engine = new SelectionEngine(maxPath);
    }

    public float Tau { get; }
    public string Name => "threshold";
    public VectorPath Path => _engine.Path;

    /// <summary>k is the cap.</summary>
    public int MaxSelected(int k) => k;

    public int Select(ReadOnlySpan<float> acc, int k, long step, Span<int> indices, Span<float> values)
    {
        SelectionArguments.CheckK(k, acc.Length);
        SelectionArguments.CheckOutput(k, indices, values);
        return _engine.Select(acc, k, SelectionMode.Threshold, _key, step, indices, values);
    }

    int IFusedCompressor.SelectAccumulating(in Accumulation accumulation, int k, long step, Span<int> indices, Span<float> values)
    {
        SelectionArguments.CheckK(k, accumulation.Residual.Length);
        SelectionArguments.CheckOutput(k, indices, values);
        return _engine.SelectAccumulating(accumulation, k, SelectionMode.Threshold, _key, step, indices, values);
    }
}
