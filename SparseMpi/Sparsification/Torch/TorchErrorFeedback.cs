using TorchSharp;
using SparseMpi.Training.Devices;
using static TorchSharp.torch;

namespace SparseMpi.Sparsification;

/// <summary>
/// <see cref="ErrorFeedback"/> for an accumulator on the model's device (a GPU), with exact top-k by
/// <see cref="TorchTopK"/>: the residual and the DGC momentum are device tensors allocated once, and only the k
/// selected indices and values cross to the host. One step, all in place on the device:
/// <code>
///   u   = beta * u + grad          (mul_, add_)
///   acc = residual + lr * u        (grad = lr * u, then residual += grad)
///   (indices, values) = top-k of |acc|, copied to the host
///   residual[sent] = 0, u[sent] = 0 (index_fill_)
/// </code>
/// Every product is rounded before its sum, as in the SIMD kernel (which uses no FMA). A fused
/// <c>add_(u, alpha: lr)</c> would save a pass but is an FMA in libtorch's vectorised CPU kernel and in nvcc's
/// default contraction, which would make the device path drift from the CPU path by an ulp per step; with two
/// rounded ops both compute the same bits, so a GPU run and a CPU run differ only where the gradient itself does.
/// </summary>
public sealed class TorchErrorFeedback : IDisposable
{
    readonly TorchTopK _topk = new();
    readonly Tensor _residual;
    readonly Tensor? _momentum;
    readonly HostStaging<long> _indexHost;
    readonly Tensor _indexDevice;
    readonly Scalar _beta, _zero;
    Scalar? _lr;
    float _lrValue = float.NaN;

    /// <param name="dimension">d.</param>
    /// <param name="device">where the gradient, and so the residual and momentum, live.</param>
    /// <param name="enabled">false: the residual is discarded each step (acc = lr * u).</param>
    /// <param name="momentum">beta of the DGC momentum correction; 0: no momentum buffer.</param>
    /// <param name="maskMomentum">zero u where entries were sent.</param>
    /// <param name="capacity">the most entries one step selects (sizes the index tensors once).</param>
    public TorchErrorFeedback(int dimension, Device device, bool enabled, float momentum, bool maskMomentum, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        if (!(momentum >= 0f && momentum < 1f))
            throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "the momentum factor must be in [0, 1)");
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Dimension = dimension;
        Enabled = enabled;
        MaskMomentum = maskMomentum;
        _residual = torch.zeros(dimension, ScalarType.Float32, device);
        _momentum = momentum > 0f ? torch.zeros(dimension, ScalarType.Float32, device) : null;
        _indexHost = new HostStaging<long>(capacity, device);
        _indexDevice = torch.empty(capacity, ScalarType.Int64, device);
        _beta = momentum;
        _zero = 0f;
    }

    public int Dimension { get; }
    public bool Enabled { get; }
    public bool MaskMomentum { get; }

    /// <summary>What was not sent yet, on the device.</summary>
    public Tensor Residual => _residual;

    /// <summary>The momentum u on the device; null without momentum.</summary>
    public Tensor? Momentum => _momentum;

    /// <summary>
    /// One error-feedback step (see the class summary). <paramref name="grad"/> (1-D, d, on the device) is used
    /// as scratch and holds lr * u afterwards. Returns how many entries went into <paramref name="indices"/> /
    /// <paramref name="values"/> (ascending indices); <paramref name="filter"/> may keep fewer of the k candidates
    /// (the dynamic rule), and only those leave the memory.
    /// </summary>
    /// <exception cref="NonFiniteGradientException">the accumulator holds NaN or Inf (NaN and Inf sort above every
    /// finite magnitude, so the top-k already sees them: no extra pass over d).</exception>
    public int Step(Tensor grad, float lr, int k, long step, Span<int> indices, Span<float> values, ISelectionFilter? filter = null)
    {
        if (grad.dim() != 1 || grad.shape[0] != Dimension)
            throw new ArgumentException($"the gradient must be 1-D of d = {Dimension} entries", nameof(grad));
        SelectionArguments.CheckK(k, Dimension);
        if (k > _indexHost.Capacity)
            throw new ArgumentOutOfRangeException(nameof(k), k, $"k exceeds the capacity {_indexHost.Capacity} given at construction");
        Accumulate(grad, lr);

        int selected = _topk.Select(_residual, k, step, indices, values);
        if (filter != null) selected = filter.Filter(indices, values, selected);
        ZeroSent(indices[..selected]);
        return selected;
    }

    void Accumulate(Tensor grad, float lr)
    {
        if (_lrValue != lr)
        {
            _lr?.Dispose();
            _lr = lr;
            _lrValue = lr;
        }
        Tensor u = grad;
        if (_momentum is not null)
        {
            _momentum.mul_(_beta).add_(grad);
            u = _momentum;
        }
        if (Enabled)
        {
            if (_momentum is not null) grad.copy_(u);
            grad.mul_(_lr!);
            _residual.add_(grad);
        }
        else
        {
            _residual.copy_(u).mul_(_lr!);
        }
    }

    /// <summary>The sent entries leave the memory (and u, with masking): index_fill_ over the k indices only.</summary>
    void ZeroSent(ReadOnlySpan<int> sent)
    {
        if (sent.IsEmpty) return;
        Span<long> host = _indexHost.Span;
        for (int j = 0; j < sent.Length; j++) host[j] = sent[j];
        _indexHost.Upload(_indexDevice, sent.Length);
        using Tensor index = _indexDevice.narrow(0, 0, sent.Length);
        _residual.index_fill_(0, index, _zero);
        if (_momentum is not null && MaskMomentum) _momentum.index_fill_(0, index, _zero);
    }

    public void Dispose()
    {
        _residual.Dispose();
        _momentum?.Dispose();
        _indexHost.Dispose();
        _indexDevice.Dispose();
        _beta.Dispose();
        _zero.Dispose();
        _lr?.Dispose();
    }
}
