using System.Numerics.Tensors;
using SparseMpi.Sparsification;

namespace SparseMpi.Training.Hogwild;

/// <summary>The gradient at the point the caller's buffer holds, for update <paramref name="t"/> (e.g. a model's gradient span).</summary>
public delegate ReadOnlySpan<float> GradientOracle(long t);

/// <summary>
/// One update of the delayed-gradient simulation, apart from where the gradient comes from (a model and its
/// batches, or a known function in the tests): x_{t - tau} out of the <see cref="ParameterHistory"/> into the
/// caller's point, the gradient there, Phi (dense lr * g, with the optional local momentum; or the compressor
/// with this worker's error feedback, exactly as a real Hogwild rank does), lr / max(1, tau) under the
/// staleness-aware policy, and x_{t+1} = x_t - update. Buffers are allocated once.
/// </summary>
public sealed class DelayedSgd
{
    readonly ParameterHistory _history;
    readonly float _lr;
    readonly bool _stalenessAware;
    readonly ICompressor? _compressor;
    readonly ErrorFeedback? _memory;
    readonly int _k;
    readonly float _momentumFactor;
    readonly float[]? _momentum;
    readonly float[] _denseUpdate;
    readonly int[] _indices;
    readonly float[] _values;

    public StalenessHistogram Staleness { get; } = new();
    /// <summary>Sum over updates of the squared norm of the gradient at the point it was computed at.</summary>
    public double GradNormSqSum { get; private set; }
    /// <summary>Entries of all updates (d per dense update, the selected count per sparse one).</summary>
    public long Entries { get; private set; }

    /// <summary>Dense when <paramref name="compressor"/> is null.</summary>
    public DelayedSgd(ParameterHistory history, float lr, bool stalenessAware, ICompressor? compressor, ErrorFeedback? memory, int k, float momentum)
    {
        _history = history;
        _lr = lr;
        _stalenessAware = stalenessAware;
        _compressor = compressor;
        _memory = memory;
        _k = k;
        int d = history.D;
        if (compressor == null)
        {
            _denseUpdate = new float[d];
            _momentumFactor = momentum;
            _momentum = momentum > 0 ? new float[d] : null;
            _indices = [];
            _values = [];
        }
        else
        {
            ArgumentNullException.ThrowIfNull(memory);
            _denseUpdate = [];
            int capacity = compressor.MaxSelected(k);
            _indices = new int[capacity];
            _values = new float[capacity];
        }
    }

    /// <summary>
    /// Update t = history.T with drawn staleness <paramref name="drawn"/> (clipped to t): copies x_{t - tau} into
    /// <paramref name="point"/>, asks <paramref name="gradient"/> for the gradient there, applies it. Returns tau.
    /// </summary>
    /// <exception cref="NonFiniteGradientException">the error-feedback accumulator is not finite.</exception>
    public int Step(int drawn, Span<float> point, GradientOracle gradient)
    {
        long t = _history.T;
        _history.Iterate(drawn, out int tau).CopyTo(point);
        ReadOnlySpan<float> g = gradient(t);
        GradNormSqSum += TensorPrimitives.SumOfSquares(g);
        // lr / tau (Zhang et al.) with the staleness this update really has.
        float scale = _stalenessAware ? -1f / Math.Max(1, tau) : -1f;
        Span<float> next = _history.Advance();
        if (_compressor == null)
        {
            ReadOnlySpan<float> direction = g;
            if (_momentum != null)
            {
                TensorPrimitives.MultiplyAdd(_momentum, _momentumFactor, g, _momentum);
                direction = _momentum;
            }
            TensorPrimitives.Multiply(direction, _lr * scale, _denseUpdate);
            TensorPrimitives.Add(next, _denseUpdate, next);
            Entries += next.Length;
        }
        else
        {
            // The values carry lr (acc = residual + lr * g) and are subtracted, as in a real rank's write.
            int count = _memory!.Step(g, _lr, _compressor, _k, t, _indices, _values);
            for (int j = 0; j < count; j++) next[_indices[j]] += scale * _values[j];
            Entries += count;
        }
        Staleness.Add(tau);
        return tau;
    }
}
