using System.Numerics.Tensors;
using SparseMpi.Collectives;
using SparseMpi.Collectives.Sparse;
using SparseMpi.Sparsification;
using SparseMpi.Training.Models;

namespace SparseMpi.Training;

/// <summary>
/// Sparsified SGD with local error accumulation (Alistarh et al., NeurIPS 2018), with DGC's local momentum, on the
/// host: each rank folds its gradient into its momentum and its residual (<see cref="ErrorFeedback"/>), a SIMD
/// compressor picks k entries of the accumulator, the exchange sums every rank's picks, and every rank applies the
/// same averaged sparse update, touching only the entries some rank sent (<see cref="CompressedRule"/>).
/// </summary>
public sealed class SparsifiedRule : CompressedRule
{
    readonly ErrorFeedback _memory;
    readonly ICompressor _compressor;
    readonly float[] _sum;

    public SparsifiedRule(Communicator world, int d, ICompressor compressor, ErrorFeedback memory, IGradientExchange exchange, IKSchedule k)
        : base(world, exchange, k, compressor.MaxSelected(k.MaxK))
    {
        _compressor = compressor;
        _memory = memory;
        _sum = new float[d];
    }

    protected override Span<float> Sum => _sum;

    protected override ReadOnlySpan<float> HostResidual => _memory.Residual;

    protected override int Select(FlatModel model, float lr, int k, long step, Span<int> indices, Span<float> values, ISelectionFilter? filter) =>
        _memory.Step(model.GradientSpan, lr, _compressor, k, step, indices, values, filter);

    protected override void ApplyAll(FlatModel model, Span<float> sum, float scale)
    {
        Span<float> parameters = model.ParameterSpan;
        TensorPrimitives.MultiplyAdd(sum, scale, parameters, parameters);
    }

    protected override void ApplyTouched(FlatModel model, ReadOnlySpan<int> touched, Span<float> sum, float scale)
    {
        var sink = new AddToParameters(model.ParameterSpan);
        TakeOnce(touched, sum, scale, ref sink);
    }

    readonly ref struct AddToParameters(Span<float> parameters) : ITouchedSink
    {
        readonly Span<float> _parameters = parameters;
        public void Add(int index, float update) => _parameters[index] += update;
    }

    protected override void ReturnUnapplied(ReadOnlySpan<int> sent, ReadOnlySpan<float> values, ReadOnlySpan<int> applied) =>
        _memory.ReturnUnapplied(sent, values, applied);

    // Ok-Topk's thresholds and regions follow the residual; other configurations write exactly what they always did.
    public override void WriteState(BinaryWriter writer)
    {
        CheckpointIo.WriteFloats(writer, _memory.Residual);
        CheckpointIo.WriteFloats(writer, _memory.Momentum);
        (_compressor as ReusedThresholdSelector)?.WriteState(writer);
        WriteExchangeState(writer);
    }

    public override void ReadState(BinaryReader reader)
    {
        CheckpointIo.ReadFloats(reader, _memory.Residual);
        CheckpointIo.ReadFloats(reader, _memory.Momentum);
        (_compressor as ReusedThresholdSelector)?.ReadState(reader);
        ReadExchangeState(reader);
    }
}
