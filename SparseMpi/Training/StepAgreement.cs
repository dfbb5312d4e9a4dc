using SparseMpi.Collectives;

namespace SparseMpi.Training;

/// <summary>
/// The step's agreement round, one small allgather of four doubles per rank: its loss (for the log), whether its
/// gradient was finite (so all ranks stop together instead of hanging), its exchange's announcement (so the
/// exchange needs no collective of its own for it), and a stop signal it received (so all stop after the same
/// step). Part of <see cref="SyncStep"/>.
/// </summary>
public sealed class StepAgreement(Communicator world)
{
    readonly double[] _round = new double[4 * world.Size];
    readonly int[] _announcements = new int[world.Size];

    /// <summary>Every rank's announcement of the last round, in rank order.</summary>
    public ReadOnlySpan<int> Announcements => _announcements;

    /// <summary>What the round found: the mean loss over ranks, how many ranks were not finite, the lowest rank's stop signal (0: none).</summary>
    public readonly record struct Outcome(double MeanLoss, double NonFiniteRanks, int StopSignal);

    /// <summary>Collective: every rank calls it once per step.</summary>
    public Outcome Run(bool finite, float loss, int announcement, int stopSignal)
    {
        world.Allgather<double>([finite ? loss : 0, finite ? 0 : 1, announcement, stopSignal], _round);
        double lossSum = 0, nonFinite = 0;
        int stop = 0;
        for (int r = 0; r < world.Size; r++)
        {
            lossSum += _round[4 * r];
            nonFinite += _round[4 * r + 1];
            _announcements[r] = (int)_round[4 * r + 2];
            if (stop == 0) stop = (int)_round[4 * r + 3]; // the lowest rank's signal names the stop
        }
        return new Outcome(lossSum / world.Size, nonFinite, stop);
    }
}
