namespace SparseMpi.Sparsification;

/// <summary>
/// The error-feedback memory (the "memory" of GRACE's compressor / memory / communicator split): keeps,
/// per rank, what was computed but not yet sent, and folds it into the next step so nothing is lost
/// (Alistarh et al.; Stich et al.). One step:
/// <code>
///   u   = beta * u + grad                        (only with momentum: DGC momentum correction)
///   acc = residual + lr * u                      (acc = lr * u with error feedback off)
///   (indices, values) = compressor.Select(acc)   (in the same memory pass when the compressor can fuse)
///   residual = acc with the sent entries zeroed  (and u zeroed there too: DGC momentum factor masking)
/// </code>
/// Invariant, bit for bit: sent values + new residual == acc (every sent value is acc's entry itself).
/// Owns the d-sized buffers, allocated once (fresh large allocations are slow on our machines).
/// </summary>
public sealed class ErrorFeedback
{
    readonly float[] _residual;
    readonly float[]? _momentum;
    float[]? _sentMomentum; // u at the sent entries before masking, when an exchange may drop some (KeepSentMomentum)

    /// <param name="dimension">d, the model's parameter count.</param>
    /// <param name="enabled">false: the residual is discarded each step (acc = lr * u), for ablations.</param>
    /// <param name="momentum">beta of the DGC momentum correction; 0 disables it (no buffer).</param>
    /// <param name="maskMomentum">zero u where entries were sent (DGC's momentum factor masking).</param>
    /// <param name="path">widest vector path for the accumulation of non-fused compressors.</param>
    public ErrorFeedback(int dimension, bool enabled = true, float momentum = 0f, bool maskMomentum = true,
        VectorPath path = VectorPath.Vector512)
    {
        if (dimension < 1) throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "the dimension must be at least 1");
        if (!(momentum >= 0f && momentum < 1f))
            throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "the momentum factor must be in [0, 1)");
        Enabled = enabled;
        MomentumFactor = momentum;
        MaskMomentum = maskMomentum;
        Path = VectorPaths.Resolve(path);
        _residual = new float[dimension];
        _momentum = momentum > 0f ? new float[dimension] : null;
    }

    public int Dimension => _residual.Length;
    public bool Enabled { get; }
    public float MomentumFactor { get; }
    public bool MaskMomentum { get; }
    public VectorPath Path { get; }

    /// <summary>
    /// What was not sent yet (with error feedback off: the last step's unsent entries, which the next step
    /// ignores). Writable so checkpoints can restore it.
    /// </summary>
    public Span<float> Residual => _residual;

    /// <summary>The momentum buffer u; empty without momentum.</summary>
    public Span<float> Momentum => _momentum;

    /// <summary>
    /// One error-feedback step: accumulates <paramref name="grad"/> with learning rate <paramref name="lr"/>,
    /// selects with <paramref name="compressor"/>, keeps the rest. Returns the number of entries selected into
    /// <paramref name="indices"/> / <paramref name="values"/> (ascending indices).
    /// </summary>
    /// <exception cref="NonFiniteGradientException">the accumulator holds NaN or Inf; the residual then
    /// holds that accumulator, so restore from a checkpoint rather than continue.</exception>
    public int Step(ReadOnlySpan<float> grad, float lr, ICompressor compressor, int k, long step,
        Span<int> indices, Span<float> values) => Step(grad, lr, compressor, k, step, indices, values, null);

    /// <summary>
    /// As above, with <paramref name="filter"/> choosing which of the compressor's candidates are actually sent
    /// (e.g. <see cref="DynamicSparsity"/>): only those leave the memory; the others stay in the residual.
    /// </summary>
    public int Step(ReadOnlySpan<float> grad, float lr, ICompressor compressor, int k, long step,
        Span<int> indices, Span<float> values, ISelectionFilter? filter)
    {
        ArgumentNullException.ThrowIfNull(compressor);
        if (grad.Length != _residual.Length)
            throw new ArgumentException($"the gradient has {grad.Length} entries but the residual has {_residual.Length}", nameof(grad));
        var accumulation = new Accumulation(_residual, grad, lr, _momentum, MomentumFactor, Enabled);

        int selected;
        if (compressor is IFusedCompressor fused)
            selected = fused.SelectAccumulating(accumulation, k, step, indices, values);
        else
        {
            SelectionArguments.CheckK(k, _residual.Length); // before the accumulation changes any state
            Accumulate(accumulation, step);
            selected = compressor.Select(_residual, k, step, indices, values);
        }

        if (filter != null) selected = filter.Filter(indices, values, selected);

        // The sent entries leave the memory; with momentum masking they leave u too.
        var residual = _residual.AsSpan();
        for (int j = 0; j < selected; j++) residual[indices[j]] = 0f;
        if (_momentum != null && MaskMomentum)
        {
            if (_sentMomentum != null)
                for (int j = 0; j < selected; j++) _sentMomentum[j] = _momentum[indices[j]];
            for (int j = 0; j < selected; j++) _momentum[indices[j]] = 0f;
        }
        return selected;
    }

    /// <summary>
    /// Makes <see cref="Step"/> keep u at the sent entries before masking (up to <paramref name="capacity"/>, the
    /// most one step selects), so <see cref="ReturnUnapplied"/> can restore it: needed when the exchange applies
    /// only a global top-k (Ok-Topk) and momentum masking is on.
    /// </summary>
    public void KeepSentMomentum(int capacity)
    {
        if (_momentum != null && MaskMomentum) _sentMomentum = new float[capacity];
    }

    /// <summary>
    /// After an exchange that applied only <paramref name="applied"/> (ascending) of the last step's selection
    /// (<paramref name="sent"/> ascending, with <paramref name="values"/> as <see cref="Step"/> returned them):
    /// every sent entry not applied goes back into the memory as if it had not been selected: its residual is
    /// the value sent (bit for bit the accumulator it was), and with masking its momentum is restored. So, for
    /// every entry: residual after + applied part of what this rank sent == acc.
    /// </summary>
    public void ReturnUnapplied(ReadOnlySpan<int> sent, ReadOnlySpan<float> values, ReadOnlySpan<int> applied)
    {
        if (sent.Length != values.Length) throw new ArgumentException($"{sent.Length} sent indices but {values.Length} values");
        bool momentum = _sentMomentum != null;
        if (momentum && sent.Length > _sentMomentum!.Length) throw new ArgumentException($"{sent.Length} sent entries exceed the kept momentum's {_sentMomentum.Length}");
        int a = 0;
        for (int j = 0; j < sent.Length; j++)
        {
            int i = sent[j];
            while (a < applied.Length && applied[a] < i) a++;
            if (a < applied.Length && applied[a] == i) continue;
            _residual[i] = values[j];
            if (momentum) _momentum![i] = _sentMomentum![j];
        }
    }

    void Accumulate(in Accumulation a, long step)
    {
        var pass = new AccumulationPass(a.Residual, Path);
        int bad = a.Run(ref pass);
        if (bad >= 0) throw new NonFiniteGradientException(step, bad, a.Residual[bad]);
    }
}
