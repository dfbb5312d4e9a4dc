using SparseMpi.Training.Models;

namespace SparseMpi.Training;

/// <summary>
/// How a synchronous step turns every rank's gradient into one update of the (identical) parameters: dense
/// allreduce, or compress with error feedback and exchange sparse messages. A step has two phases so that
/// all ranks can agree in between that every gradient was finite, and learn each other's announcements (see
/// <see cref="SyncTrainer.Step"/>).
/// A rule works on the model's flat buffers: the host rules on <see cref="FlatModel.GradientSpan"/> and
/// <see cref="FlatModel.ParameterSpan"/> (CPU), the torch rules on <see cref="FlatModel.FlatGradients"/> and
/// <see cref="FlatModel.FlatParameters"/> on the model's device.
/// </summary>
public interface IUpdateRule : IDisposable
{
    /// <summary>
    /// Local phase (momentum, error feedback, selection, packing) on the gradient of <paramref name="model"/>.
    /// False when the gradient holds NaN or infinity.
    /// </summary>
    bool Prepare(FlatModel model, long step, double lr, ref StepStats stats);

    /// <summary>
    /// What this rank's exchange must tell every rank before data moves (its
    /// <see cref="Collectives.Sparse.IGradientExchange.Pack"/> result: a message length, a k; 0 for dense rules).
    /// The trainer gathers it with the step's agreement, one small allgather it does anyway.
    /// </summary>
    int Announcement { get; }

    /// <summary>
    /// Collective phase: exchange with every rank and apply the averaged update to the parameters of
    /// <paramref name="model"/>. Its gradient is as <see cref="Prepare"/> left it (a rule may use it as scratch).
    /// <paramref name="announcements"/>: every rank's <see cref="Announcement"/> of this step, in rank order.
    /// </summary>
    void ExchangeAndApply(FlatModel model, ReadOnlySpan<int> announcements, ref StepStats stats);

    /// <summary>k of every rank in the last step (d for dense).</summary>
    ReadOnlySpan<long> KPerRank { get; }

    /// <summary>Mean milliseconds per step of the dynamic k rule (Khirirat et al.); null when k is not chosen per step.</summary>
    double? RuleMsPerStep { get; }

    /// <summary>This rank's optimiser state (momentum, residual) for checkpoints.</summary>
    void WriteState(BinaryWriter writer);
    void ReadState(BinaryReader reader);
}
