namespace SparseMpi.Sparsification;

/// <summary>
/// Selection by magnitude, in one of three modes (one class, so the three share their argument checks, scratch and
/// fused error-feedback entry point; the modes differ only in how <see cref="SelectionEngine"/> turns the
/// candidates of its filter pass into the selection):
/// <list type="bullet">
/// <item><see cref="Exact"/> (<c>--compressor topk</c>; Alistarh et al.): exactly the k entries of largest |x|,
/// ties broken towards the lower index so that every rank and every vector width makes the same choice.</item>
/// <item><see cref="Approximate"/> (<c>topk-approx</c>; Deep Gradient Compression): every entry whose magnitude
/// reaches a threshold estimated from a sample, skipping the exact finish. Always a superset of the exact top-k
/// (ties included), between k and floor(1.5 k) entries: when the sampled threshold lets more than 1.5k through it
/// finishes exactly and returns k; when it lets fewer than k through it filters again lower.</item>
/// <item><see cref="Threshold"/> (<c>threshold</c>): every entry with |x| >= tau, capped at k (the k largest when
/// more pass, so the send buffers and the wire stay bounded). It may select none.</item>
/// </list>
/// Ascending indices with their signed values. No allocation proportional to d: the scratch it owns is a sample of
/// 65536 keys plus a few times k candidates, grown rarely. Size output buffers with <see cref="MaxSelected"/>.
/// </summary>
public sealed class MagnitudeSelector : IFusedCompressor
{
    readonly SelectionEngine _engine;
    readonly int _thresholdKey;

    MagnitudeSelector(SelectionMode mode, float tau, VectorPath maxPath)
    {
        Mode = mode;
        _thresholdKey = MagnitudeKey.Of(tau);
        _engine = new SelectionEngine(maxPath);
    }

    /// <summary>Exact top-k; <paramref name="maxPath"/> caps the vector width (tests run every path).</summary>
    public static MagnitudeSelector Exact(VectorPath maxPath = VectorPath.Vector512) => new(SelectionMode.Exact, 0f, maxPath);

    /// <summary>DGC-style approximate top-k: k .. floor(1.5k) entries.</summary>
    public static MagnitudeSelector Approximate(VectorPath maxPath = VectorPath.Vector512) => new(SelectionMode.Approximate, 0f, maxPath);

    /// <summary>Every |x| >= <paramref name="tau"/>, at most k.</summary>
    public static MagnitudeSelector Threshold(float tau, VectorPath maxPath = VectorPath.Vector512)
    {
        if (!float.IsFinite(tau) || tau < 0)
            throw new ArgumentOutOfRangeException(nameof(tau), tau, "the threshold must be a finite number >= 0");
        return new(SelectionMode.Threshold, tau, maxPath);
    }

    public SelectionMode Mode { get; }

    public string Name => Mode switch
    {
        SelectionMode.Exact => "topk",
        SelectionMode.Approximate => "approx-topk",
        _ => "threshold",
    };

    /// <summary>The vector width actually used (the requested one, narrowed to what the machine runs).</summary>
    public VectorPath Path => _engine.Path;

    /// <summary>Calls that ended in the radix fallback (the sample misled); for diagnostics.</summary>
    public long Fallbacks => _engine.Fallbacks;

    /// <summary>The engine itself, for bench-topk's per-phase timings.</summary>
    internal SelectionEngine Engine => _engine;

    /// <summary>Calls that needed a second filter pass; for diagnostics.</summary>
    public long SecondPasses => _engine.SecondPasses;

    /// <summary>k, or floor(1.5 k) for approximate selection (the documented bound on one call's count).</summary>
    public int MaxSelected(int k) => SelectionEngine.MaxSelected(Mode, k);

    public int Select(ReadOnlySpan<float> acc, int k, long step, Span<int> indices, Span<float> values)
    {
        SelectionArguments.CheckK(k, acc.Length);
        SelectionArguments.CheckOutput(MaxSelected(k), indices, values);
        return _engine.Select(acc, k, Mode, _thresholdKey, step, indices, values);
    }

    int IFusedCompressor.SelectAccumulating(in Accumulation accumulation, int k, long step, Span<int> indices, Span<float> values)
    {
        SelectionArguments.CheckK(k, accumulation.Residual.Length);
        SelectionArguments.CheckOutput(MaxSelected(k), indices, values);
        return _engine.SelectAccumulating(accumulation, k, Mode, _thresholdKey, step, indices, values);
    }
}
