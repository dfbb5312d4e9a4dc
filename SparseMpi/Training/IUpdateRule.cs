using SparseMpi.Training.Models;

namespace SparseMpi.Training;

/// <summary>
/// How a synchronous step turns every rank's gradient into one update of the (identical) parameters: dense
/// allreduce, or compress with error feedback and exchange sparse messages. A step has two phases so that
/// all ranks can agree in between that every gradient was finite (see <see cref="SyncTrainer"/>).
/// A rule works on the model's flat buffers: the host rules on <see cref="FlatModel.GradientSpan"/> and
/// <see cref="FlatModel.ParameterSpan"/> (CPU), the torch rules on <see cref="FlatModel.FlatGradients"/> and
/// <see cref="FlatModel.FlatParameters"/> on the model's device.
/// </summary>
public interface IUpdateRule : IDisposable
{
    /// <summary>
    /// Local phase (momentum, error feedback, selection) on the gradient of <paramref name="model"/>. False when
    /// the gradient holds NaN or infinity.
    /// </summary>
    bool Prepare(FlatModel model, long step, double lr, ref StepStats stats);

    /// <summary>
    /// Bytes of the message this rank packed in <see cref="Prepare"/>, or -1 when its exchange does not need
    /// every rank's length in advance. The trainer gathers it with the step's agreement (one small allgather it
    /// does anyway), which saves the sparse exchange its own allgather of lengths.
    /// </summary>
    int PackedBytes { get; }

    /// <summary>
    /// Collective phase: exchange with every rank and apply the averaged update to the parameters of
    /// <paramref name="model"/>. Its gradient is as <see cref="Prepare"/> left it (a rule may use it as scratch).
    /// <paramref name="packedBytes"/>: every rank's <see cref="PackedBytes"/> of this step, in rank order.
    /// </summary>
    void ExchangeAndApply(FlatModel model, ReadOnlySpan<int> packedBytes, ref StepStats stats);

    /// <summary>k of every rank in the last step (d for dense).</summary>
    ReadOnlySpan<long> KPerRank { get; }

    /// <summary>This rank's optimiser state (momentum, residual) for checkpoints.</summary>
    void WriteState(BinaryWriter writer);
    void ReadState(BinaryReader reader);
}
