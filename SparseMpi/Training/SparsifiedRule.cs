using System.Diagnostics;
using SparseMpi.Collectives;
using SparseMpi.Training.Models;
using SparseMpi.Collectives.Sparse;
using SparseMpi.Sparsification;

namespace SparseMpi.Training;

/// <summary>
/// Sparsified SGD with local error accumulation (Alistarh et al., NeurIPS 2018), with DGC's local momentum:
/// each rank folds its gradient into its momentum and its residual (<see cref="ErrorFeedback"/>), a compressor
/// picks k entries of the accumulator, the exchange sums every rank's picks, and every rank applies the same
/// averaged sparse update, touching only the entries some rank sent.
/// </summary>
public sealed class SparsifiedRule : IUpdateRule
{
    readonly Communicator _world;
    readonly ErrorFeedback _memory;
    readonly ICompressor _compressor;
    readonly SelectionExchange _exchange;
    readonly IKSchedule _k;
    readonly int[] _indices;
    readonly float[] _values;
    readonly float[] _sum;      // the summed update; all zero between steps (the exchange clears what it wrote)
    int _selected;

    public SparsifiedRule(Communicator world, int d, ICompressor compressor, ErrorFeedback memory, IGradientExchange exchange, IKSchedule k)
    {
        _world = world;
        _compressor = compressor;
        _memory = memory;
        _exchange = new SelectionExchange(world, exchange);
        _k = k;
        int capacity = compressor.MaxSelected(k.MaxK);
        _indices = new int[capacity];
        _values = new float[capacity];
        _sum = new float[d];
    }

    public ReadOnlySpan<long> KPerRank => _exchange.KPerRank;

    /// <summary>The dynamic rule, when k is chosen per step (for its overhead figures).</summary>
    public DynamicSparsity? Dynamic => _k.Filter as DynamicSparsity;

    public bool Prepare(FlatModel model, long step, double lr, ref StepStats stats)
    {
        Span<float> gradient = model.GradientSpan;
        long t = Stopwatch.GetTimestamp();
        try
        {
            int k = _k.KAt(step);
            _selected = _memory.Step(gradient, (float)lr, _compressor, k, step, _indices, _values, _k.Filter);
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
        Span<float> parameters = model.ParameterSpan;
        _exchange.Exchange(_indices.AsSpan(0, _selected), _values.AsSpan(0, _selected), packedBytes, _sum, ref stats);

        long t = Stopwatch.GetTimestamp();
        float scale = -1f / _world.Size; // the values already carry lr: p -= (sum over ranks) / P
        if (_exchange.TouchedOnly)
        {
            // O(k * P): only entries some rank sent. An index several ranks sent appears once per rank; the
            // first visit applies and clears it, later visits find 0.
            foreach (int i in _exchange.TouchedIndices)
            {
                float s = _sum[i];
                if (s == 0f) continue;
                parameters[i] += s * scale;
                _sum[i] = 0f;
            }
        }
        else
        {
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(_sum, scale, parameters, parameters);
        }
        _exchange.ResetOutput(_sum);
        stats.MsApply = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
    }

    public void WriteState(BinaryWriter writer)
    {
        CheckpointIo.WriteFloats(writer, _memory.Residual);
        CheckpointIo.WriteFloats(writer, _memory.Momentum);
    }

    public void ReadState(BinaryReader reader)
    {
        CheckpointIo.ReadFloats(reader, _memory.Residual);
        CheckpointIo.ReadFloats(reader, _memory.Momentum);
    }

    public void Dispose() { }
}
