namespace SparseMpi.Metrics;

/// <summary>
/// One test-set evaluation of a synchronous run, a line of DIR/evaluations.jsonl: after <see cref="Step"/> steps
/// (at every epoch's end, and every --eval-every steps), at <see cref="WallSeconds"/> on the run's wall clock.
/// The evaluation's own time is on that clock (it is part of what a run costs) but in none of the step phases.
/// </summary>
public sealed class EvaluationRecord
{
    /// <summary>Steps done when the test set was evaluated.</summary>
    public long Step { get; set; }
    /// <summary>Epochs done, as a fraction (step / steps per epoch).</summary>
    public double Epoch { get; set; }
    /// <summary>Seconds since the run started (continued across --resume), when the evaluation ended.</summary>
    public double WallSeconds { get; set; }
    public double TestAccuracy { get; set; }
    public double TestLoss { get; set; }
    /// <summary>The mean training loss over ranks of the last step before it.</summary>
    public double TrainLoss { get; set; }
    public long CumulativeBytesSent { get; set; }
    /// <summary>How long the evaluation took (slowest rank's view: it ends with a collective).</summary>
    public double EvalSeconds { get; set; }
}
