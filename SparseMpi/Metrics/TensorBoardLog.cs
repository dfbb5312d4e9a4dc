using TorchSharp.Modules;
using static TorchSharp.torch.utils.tensorboard;

namespace SparseMpi.Metrics;

/// <summary>
/// TensorBoard event files in RUN/tensorboard via TorchSharp's SummaryWriter (rank 0 only): training loss, k and
/// bytes per logged step, test accuracy per epoch. (TorchSharp writes .NET ticks as wall times, a known quirk:
/// TensorBoard's relative-time axis is off, the step axis is right.)
/// </summary>
public sealed class TensorBoardLog
{
    readonly SummaryWriter _writer;

    public TensorBoardLog(string runDir)
    {
        string dir = Path.Combine(runDir, "tensorboard");
        Directory.CreateDirectory(dir);
        _writer = SummaryWriter(dir, createRunName: false);
    }

    public void Step(StepRecord r)
    {
        int step = (int)r.Step;
        _writer.add_scalar("train/loss", (float)r.Loss, step);
        _writer.add_scalar("comm/k", r.K, step);
        _writer.add_scalar("comm/density", (float)r.Density, step);
        _writer.add_scalar("comm/bytes_sent", r.BytesSent, step);
        _writer.add_scalar("comm/cumulative_bytes_sent", r.CumulativeBytesSent, step);
    }

    public void Epoch(EpochResult e)
    {
        int step = (int)e.Step;
        _writer.add_scalar("test/accuracy", (float)e.TestAccuracy, step);
        _writer.add_scalar("test/loss", (float)e.TestLoss, step);
    }
}
