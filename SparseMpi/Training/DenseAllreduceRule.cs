using System.Diagnostics;
using System.Numerics.Tensors;
using SparseMpi.Collectives;
using SparseMpi.Collectives.Sparse;
using SparseMpi.Training.Models;

namespace SparseMpi.Training;

/// <summary>
/// Plain data-parallel SGD with momentum: the gradients of all ranks are summed with MPI_Allreduce, averaged,
/// folded into the momentum and applied. The reference every compressed rule is measured against.
/// </summary>
public sealed class DenseAllreduceRule : IUpdateRule
{
    readonly Communicator _world;
    readonly float[] _momentum;
    readonly float _beta;
    readonly long[] _kPerRank;
    readonly int _d;
    float _lr;

    public DenseAllreduceRule(Communicator world, int d, double momentum)
    {
        _world = world;
        _d = d;
        _beta = (float)momentum;
        _momentum = new float[d];
        _kPerRank = Enumerable.Repeat((long)d, world.Size).ToArray();
    }

    public ReadOnlySpan<long> KPerRank => _kPerRank;

    public bool Prepare(FlatModel model, long step, double lr, ref StepStats stats)
    {
        Span<float> gradient = model.GradientSpan;
        _lr = (float)lr;
        long t = Stopwatch.GetTimestamp();
        // The sum over d is NaN or infinite exactly when some entry is (or when finite entries overflow the
        // sum, which is no usable gradient either).
        bool finite = float.IsFinite(TensorPrimitives.Sum<float>(gradient));
        stats.MsSelect = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
        stats.K = _d;
        return finite;
    }

    public int Announcement => 0;
    public double? RuleMsPerStep => null;

    public void ExchangeAndApply(FlatModel model, ReadOnlySpan<int> announcements, ref StepStats stats)
    {
        Span<float> gradient = model.GradientSpan, parameters = model.ParameterSpan;
        long t = Stopwatch.GetTimestamp();
        _world.Allreduce(gradient, ReduceOp.Sum);
        stats.MsComm = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
        long ringBytes = RingModel.AllreduceFloats(_world.Size, _d);
        stats.BytesSent = ringBytes;
        stats.BytesReceived = ringBytes;

        t = Stopwatch.GetTimestamp();
        // u = beta * u + mean gradient; p -= lr * u
        TensorPrimitives.Multiply(gradient, 1f / _world.Size, gradient);
        TensorPrimitives.MultiplyAdd(_momentum, _beta, gradient, _momentum);
        TensorPrimitives.MultiplyAdd(_momentum, -_lr, parameters, parameters);
        stats.MsApply = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
    }

    public void WriteState(BinaryWriter writer) => CheckpointIo.WriteFloats(writer, _momentum);
    public void ReadState(BinaryReader reader) => CheckpointIo.ReadFloats(reader, _momentum);
    public void Dispose() { }
}
