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
/// cross to the host, the exchange runs on the host as for the CPU rule (<see cref="SelectionExchange"/>), and
/// the summed update goes back as the touched (index, value) pairs and is applied with one <c>index_add_</c>.
/// Per step it moves k pairs down and at most k·P pairs up; nothing d-sized crosses unless the exchange is the
/// dense allreduce (then the summed vector goes up once). It performs the same float operations in the same order
/// as the SIMD rule, so on the CPU both end with the same bits (tested).
/// </summary>
public sealed class TorchSparsifiedRule : IUpdateRule
{
    readonly Communicator _world;
    readonly TorchErrorFeedback _memory;
    readonly SelectionExchange _exchange;
    readonly IKSchedule _k;
    readonly int[] _indices;
    readonly float[] _values;
    // The summed update on the host; all zero between steps (the exchange adds into it). Between steps it is
    // also the staging buffer of checkpoints, which leave it zeroed again.
    readonly HostStaging<float> _sum;
    readonly HostStaging<long> _touchedIndexHost;
    readonly HostStaging<float> _touchedValueHost;
    readonly Tensor _touchedIndexDevice, _touchedValueDevice;
    readonly Scalar _one = 1f;
    readonly Device _device;
    int _selected;

    public TorchSparsifiedRule(Communicator world, int d, Device device, TorchErrorFeedback memory, IGradientExchange exchange, IKSchedule k)
    {
        _world = world;
        _device = device;
        _memory = memory;
        _exchange = new SelectionExchange(world, exchange);
        _k = k;
        _indices = new int[k.MaxK];
        _values = new float[k.MaxK];
        _sum = new HostStaging<float>(d, device);
        _sum.Span.Clear();
        // Distinct entries touched in one step: at most every rank's k, and at most d.
        int touched = (int)Math.Min(d, (long)world.Size * k.MaxK);
        _touchedIndexHost = new HostStaging<long>(touched, device);
        _touchedValueHost = new HostStaging<float>(touched, device);
        _touchedIndexDevice = torch.empty(touched, ScalarType.Int64, device);
        _touchedValueDevice = torch.empty(touched, ScalarType.Float32, device);
    }

    public ReadOnlySpan<long> KPerRank => _exchange.KPerRank;

    /// <summary>The dynamic rule, when k is chosen per step (for its overhead figures).</summary>
    public DynamicSparsity? Dynamic => _k.Filter as DynamicSparsity;

    public bool Prepare(FlatModel model, long step, double lr, ref StepStats stats)
    {
        long t = Stopwatch.GetTimestamp();
        try
        {
            _selected = _memory.Step(model.FlatGradients, (float)lr, _k.KAt(step), step, _indices, _values, _k.Filter);
            DeviceSync.Wait(_device);
            // Packed here (timed as select) so the length can travel with the step's agreement.
            PackedBytes = _exchange.Pack(_indices.AsSpan(0, _selected), _values.AsSpan(0, _selected));
        }
        catch (NonFiniteGradientException)
        {
            _selected = 0;
            return false;
        }
        finally
        {
            stats.MsSelect = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
        }
        stats.K = _selected;
        return true;
    }

    public int PackedBytes { get; private set; } = -1;

    public void ExchangeAndApply(FlatModel model, ReadOnlySpan<int> packedBytes, ref StepStats stats)
    {
        Span<float> sum = _sum.Span;
        _exchange.Exchange(_indices.AsSpan(0, _selected), _values.AsSpan(0, _selected), packedBytes, sum, ref stats);

        long t = Stopwatch.GetTimestamp();
        float scale = -1f / _world.Size; // the values already carry lr: p -= (sum over ranks) / P
        if (_exchange.TouchedOnly)
        {
            // Gather each touched entry once (an index several ranks sent appears once per rank: the first visit
            // takes and clears it), pre-scaled on the host, so the device adds p + v exactly as the CPU rule does.
            Span<long> index = _touchedIndexHost.Span;
            Span<float> value = _touchedValueHost.Span;
            int n = 0;
            foreach (int i in _exchange.TouchedIndices)
            {
                float s = sum[i];
                if (s == 0f) continue;
                index[n] = i;
                value[n] = s * scale;
                n++;
                sum[i] = 0f;
            }
            if (n > 0)
            {
                _touchedIndexHost.Upload(_touchedIndexDevice, n);
                _touchedValueHost.Upload(_touchedValueDevice, n);
                using Tensor indexOnDevice = _touchedIndexDevice.narrow(0, 0, n);
                using Tensor valueOnDevice = _touchedValueDevice.narrow(0, 0, n);
                model.FlatParameters.index_add_(0, indexOnDevice, valueOnDevice, _one);
            }
        }
        else
        {
            // The dense exchange wrote all of the sum: scale it on the host, send it up through the gradient
            // (scratch by now), add.
            System.Numerics.Tensors.TensorPrimitives.Multiply(sum, scale, sum);
            _sum.Upload(model.FlatGradients, sum.Length);
            model.FlatParameters.add_(model.FlatGradients);
        }
        _exchange.ResetOutput(sum);
        DeviceSync.Wait(_device);
        stats.MsApply = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
    }

    /// <summary>Residual then momentum (empty without), the layout of <see cref="SparsifiedRule"/>: checkpoints move between kernels.</summary>
    public void WriteState(BinaryWriter writer)
    {
        int d = _memory.Dimension;
        CheckpointIo.WriteFloats(writer, _sum.Download(_memory.Residual, d));
        CheckpointIo.WriteFloats(writer, _memory.Momentum is { } u ? _sum.Download(u, d) : []);
        _sum.Span.Clear();
    }

    public void ReadState(BinaryReader reader)
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

    public void Dispose()
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
