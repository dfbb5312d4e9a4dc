namespace SparseMpi.Training;

/// <summary>
/// How a synchronous step turns every rank's gradient into one update of the (identical) parameters: dense
/// allreduce, or compress with error feedback and exchange sparse messages. A step has two phases so that
/// all ranks can agree in between that every gradient was finite (see <see cref="SyncTrainer"/>).
/// </summary>
public interface IUpdateRule : IDisposable
{
    /// <summary>Local phase (momentum, error feedback, selection). False when the gradient holds NaN or infinity.</summary>
    bool Prepare(Span<float> gradient, long step, double lr, ref StepStats stats);

    /// <summary>
    /// Collective phase: exchange with every rank and apply the averaged update to <paramref name="parameters"/>.
    /// <paramref name="gradient"/> is the same buffer <see cref="Prepare"/> saw (a rule may use it as scratch).
    /// </summary>
    void ExchangeAndApply(Span<float> gradient, Span<float> parameters, ref StepStats stats);

    /// <summary>k of every rank in the last step (d for dense).</summary>
    ReadOnlySpan<long> KPerRank { get; }

    /// <summary>This rank's optimiser state (momentum, residual) for checkpoints.</summary>
    void WriteState(BinaryWriter writer);
    void ReadState(BinaryReader reader);
}
