using System.Diagnostics;
using SparseMpi.Collectives;
using SparseMpi.Collectives.Sparse;
using SparseMpi.Training.Devices;
using SparseMpi.Training.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace SparseMpi.Training;

/// <summary>
/// <see cref="DenseAllreduceRule"/> for a model on a device: the gradient is copied to one preallocated host
/// buffer, summed with MPI_Allreduce, copied back, and momentum and the update run as torch ops on the device.
/// The two d-sized copies per step are the price of a host-only MPI; a CUDA-aware MPI could reduce the device
/// tensor in place (not done: our binding passes host pointers only, and no such MPI was available to test).
/// Same float operations in the same order as the host rule (each product rounded before its sum).
/// </summary>
public sealed class TorchDenseAllreduceRule : IUpdateRule
{
    readonly Communicator _world;
    readonly Device _device;
    readonly Tensor _momentum;
    readonly HostStaging<float> _host;
    readonly Scalar _beta, _inverseRanks;
    readonly long[] _kPerRank;
    readonly int _d;
    Scalar? _minusLr;
    float _lr = float.NaN;

    public TorchDenseAllreduceRule(Communicator world, int d, Device device, double momentum)
    {
        _world = world;
        _d = d;
        _device = device;
        _momentum = torch.zeros(d, ScalarType.Float32, device);
        _host = new HostStaging<float>(d, device);
        _beta = (float)momentum;
        _inverseRanks = 1f / world.Size;
        _kPerRank = Enumerable.Repeat((long)d, world.Size).ToArray();
    }

    public ReadOnlySpan<long> KPerRank => _kPerRank;

    public bool Prepare(FlatModel model, long step, double lr, ref StepStats stats)
    {
        if ((float)lr != _lr)
        {
            _lr = (float)lr;
            _minusLr?.Dispose();
            _minusLr = -_lr;
        }
        long t = Stopwatch.GetTimestamp();
        // One reduction on the device and one float to the host: NaN or infinite exactly when some entry is (or
        // when finite entries overflow the sum, which is no usable gradient either).
        using Tensor total = model.FlatGradients.sum();
        bool finite = float.IsFinite(total.item<float>());
        stats.MsSelect = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
        stats.K = _d;
        return finite;
    }

    public int Announcement => 0;
    public double? RuleMsPerStep => null;

    public void ExchangeAndApply(FlatModel model, ReadOnlySpan<int> announcements, ref StepStats stats)
    {
        Tensor gradient = model.FlatGradients;
        long t = Stopwatch.GetTimestamp();
        // The copies count as communication: they exist only because MPI needs host memory here.
        Span<float> host = _host.Download(gradient, _d);
        _world.Allreduce(host, ReduceOp.Sum);
        _host.Upload(gradient, _d);
        stats.MsComm = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
        long ringBytes = RingModel.AllreduceFloats(_world.Size, _d);
        stats.BytesSent = ringBytes;
        stats.BytesReceived = ringBytes;

        t = Stopwatch.GetTimestamp();
        // g = sum / P; u = beta * u + g; p += (-lr) * u, the product rounded first (the gradient is scratch now).
        gradient.mul_(_inverseRanks);
        _momentum.mul_(_beta).add_(gradient);
        gradient.copy_(_momentum).mul_(_minusLr!);
        model.FlatParameters.add_(gradient);
        DeviceSync.Wait(_device);
        stats.MsApply = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
    }

    public void WriteState(BinaryWriter writer) => CheckpointIo.WriteFloats(writer, _host.Download(_momentum, _d));

    public void ReadState(BinaryReader reader)
    {
        CheckpointIo.ReadFloats(reader, _host.Span[.._d]);
        _host.Upload(_momentum, _d);
    }

    public void Dispose()
    {
        _momentum.Dispose();
        _host.Dispose();
        _beta.Dispose();
        _inverseRanks.Dispose();
        _minusLr?.Dispose();
    }
}
