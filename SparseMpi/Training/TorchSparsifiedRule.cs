using System.Diagnostics;
using SparseMpi.Collectives;
using SparseMpi.Collectives.Sparse;
using SparseMpi.Sparsification;
using SparseMpi.Training.Devices;
using SparseMpi.Training.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace SparseMpi.Training;

/// <summary>
/// <see cref="SparsifiedRule"/> with the accumulator on the model's device (one rank per GPU): momentum, error
/// feedback and exact top-k run there as torch ops (<see cref="TorchErrorFeedback"/>); only the k selected pairs
/// cross to the host, the exchange runs on the host as for the CPU rule (<see cref="CompressedRule"/>), and
/// the summed update goes back as the touched (index, value) pairs and is applied with one <c>index_add_</c>.
/// Per step it moves k pairs down and at most k·P pairs up; nothing d-sized crosses unless the exchange is the
/// dense allreduce (then the summed vector goes up once). It performs the same float operations in the same order
/// as the SIMD rule, so on the CPU both end with the same bits (tested).
/// </summary>
public sealed class TorchSparsifiedRule : CompressedRule
{
    readonly TorchErrorFeedback _memory;
    // The summed update on the host; all zero between steps (the exchange adds into it). Between steps it is
    // also the staging buffer of checkpoints, which leave it zeroed again.
    readonly HostStaging<float> _sum;
    readonly HostStaging<long> _touchedIndexHost;
    readonly HostStaging<float> _touchedValueHost;
    readonly Tensor _touchedIndexDevice, _touchedValueDevice;
    readonly Scalar _one = 1f;
    readonly Device _device;

    public TorchSparsifiedRule(Communicator world, int d, Device device, TorchErrorFeedback memory, IGradientExchange exchange, IKSchedule k)
        : base(world, exchange, k, k.MaxK)
    {
        _device = device;
        _memory = memory;
        _sum = new HostStaging<float>(d, device);
        _sum.Span.Clear();
        // Distinct entries touched in one step: at most every rank's k, and at most d.
        int touched = (int)Math.Min(d, (long)world.Size * k.MaxK);
        _touchedIndexHost = new HostStaging<long>(touched, device);
        _touchedValueHost = new HostStaging<float>(touched, device);
        _touchedIndexDevice = torch.empty(touched, ScalarType.Int64, device);
        _touchedValueDevice = torch.empty(touched, ScalarType.Float32, device);
    }

    protected override Span<float> Sum => _sum.Span;

    protected override int Select(FlatModel model, float lr, int k, long step, Span<int> indices, Span<float> values, ISelectionFilter? filter)
    {
        int selected = _memory.Step(model.FlatGradients, lr, k, step, indices, values, filter);
        DeviceSync.Wait(_device);
        return selected;
    }

    /// <summary>
    /// Gathers each touched entry once, pre-scaled on the host, so the device adds p + v exactly as the CPU rule
    /// does, with one upload and one <c>index_add_</c>.
    /// </summary>
    protected override void ApplyTouched(FlatModel model, ReadOnlySpan<int> touched, Span<float> sum, float scale)
    {
        var sink = new Gather(_touchedIndexHost.Span, _touchedValueHost.Span);
        TakeOnce(touched, sum, scale, ref sink);
        int n = sink.Count;
        if (n == 0) return;
        _touchedIndexHost.Upload(_touchedIndexDevice, n);
        _touchedValueHost.Upload(_touchedValueDevice, n);
        using Tensor indexOnDevice = _touchedIndexDevice.narrow(0, 0, n);
        using Tensor valueOnDevice = _touchedValueDevice.narrow(0, 0, n);
        model.FlatParameters.index_add_(0, indexOnDevice, valueOnDevice, _one);
    }

    ref struct Gather(Span<long> index, Span<float> value) : ITouchedSink
    {
        readonly Span<long> _index = index;
        readonly Span<float> _value = value;
        public int Count;
        public void Add(int i, float update)
        {
            _index[Count] = i;
            _value[Count] = update;
            Count++;
        }
    }

    /// <summary>
    /// The dense exchange wrote all of the sum: scale it on the host, send it up through the gradient (scratch by
    /// now), add.
    /// </summary>
    protected override void ApplyAll(FlatModel model, Span<float> sum, float scale)
    {
        System.Numerics.Tensors.TensorPrimitives.Multiply(sum, scale, sum);
        _sum.Upload(model.FlatGradients, sum.Length);
        model.FlatParameters.add_(model.FlatGradients);
    }

    protected override void AfterApply() => DeviceSync.Wait(_device);

    /// <summary>Residual then momentum (empty without), the layout of <see cref="SparsifiedRule"/>: checkpoints move between kernels.</summary>
    // --exchange oktopk is refused with the torch kernel (OptionTables; UpdateRules for an auto placement on CUDA).
    protected override void ReturnUnapplied(ReadOnlySpan<int> sent, ReadOnlySpan<float> values, ReadOnlySpan<int> applied) =>
        throw new NotSupportedException("the torch rule does not implement a global top-k exchange");

    public override void WriteState(BinaryWriter writer)
    {
        int d = _memory.Dimension;
        CheckpointIo.WriteFloats(writer, _sum.Download(_memory.Residual, d));
        CheckpointIo.WriteFloats(writer, _memory.Momentum is { } u ? _sum.Download(u, d) : []);
        _sum.Span.Clear();
    }

    public override void ReadState(BinaryReader reader)
    {
        int d = _memory.Dimension;
        try
        {
            CheckpointIo.ReadFloats(reader, _sum.Span[..d]);
            _sum.Upload(_memory.Residual, d);
            if (_memory.Momentum is { } u)
            {
                CheckpointIo.ReadFloats(reader, _sum.Span[..d]);
                _sum.Upload(u, d);
            }
            else CheckpointIo.ReadFloats(reader, []);
        }
        finally
        {
            _sum.Span.Clear();
        }
    }

    public override void Dispose()
    {
        _memory.Dispose();
        _sum.Dispose();
        _touchedIndexHost.Dispose();
        _touchedValueHost.Dispose();
        _touchedIndexDevice.Dispose();
        _touchedValueDevice.Dispose();
        _one.Dispose();
    }
}
