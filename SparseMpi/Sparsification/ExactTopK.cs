namespace SparseMpi.Sparsification;

/// <summary>
/// Exact top-k by magnitude (Alistarh et al.'s compressor): the k entries of largest |x|, ties broken
/// towards the lower index so that every rank and every vector width makes the same choice, returned in
/// ascending index order with their signed values. No allocation proportional to d: the scratch it owns is
/// a sample of 65536 keys plus a few times k candidates, grown rarely.
/// </summary>
public sealed class ExactTopK(VectorPath maxPath = VectorPath.Vector512) : IFusedCompressor
{
    readonly SelectionEngine _engine = new(maxPath);

    public string Name => "topk";

    /// <summary>The vector width actually used (the requested one, narrowed to what the machine runs).</summary>
    public VectorPath Path => _engine.Path;

    /// <summary>Calls that ended in the radix fallback (the sample misled); for diagnostics.</summary>
    public long Fallbacks => _engine.Fallbacks;

    /// <summary>Calls that needed a second filter pass; for diagnostics.</summary>
    public long SecondPasses => _engine.SecondPasses;

    public int MaxSelected(int k) => k;

    public int Select(ReadOnlySpan<float> acc, int k, long step, Span<int> indices, Span<float> values)
    {
        SelectionArguments.CheckK(k, acc.Length);
        SelectionArguments.CheckOutput(k, indices, values);
        return _engine.Select(acc, k, SelectionMode.Exact, 0, step, indices, values);
    }

    int IFusedCompressor.SelectAccumulating(in Accumulation accumulation, int k, long step, Span<int> indices, Span<float> values)
    {
        SelectionArguments.CheckK(k, accumulation.Residual.Length);
        SelectionArguments.CheckOutput(k, indices, values);
        return _engine.SelectAccumulating(accumulation, k, SelectionMode.Exact, 0, step, indices, values);
    }
}
