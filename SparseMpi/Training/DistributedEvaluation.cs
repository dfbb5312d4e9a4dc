using SparseMpi.Collectives;
using SparseMpi.Training.Data;
using SparseMpi.Training.Models;

namespace SparseMpi.Training;

/// <summary>Test-set evaluation shared out over the ranks: each evaluates its own slice, one allreduce sums them.</summary>
public static class DistributedEvaluation
{
    /// <summary>Collective over <paramref name="world"/>; every rank must hold the parameters to evaluate.</summary>
    public static Evaluation Evaluate(Communicator world, FlatModel model, ImageSet test, int batchSize)
    {
        int per = (test.Count + world.Size - 1) / world.Size;
        int start = Math.Min(test.Count, world.Rank * per), count = Math.Min(per, test.Count - start);
        Span<double> sums = stackalloc double[3];
        if (count > 0)
        {
            var e = model.Evaluate(test, start, count, batchSize); // in place: no per-evaluation copy of the slice
            sums[0] = e.Accuracy * e.Samples;
            sums[1] = e.Loss * e.Samples;
            sums[2] = e.Samples;
        }
        world.Allreduce(sums, ReduceOp.Sum);
        return new Evaluation((int)sums[2], sums[0] / sums[2], sums[1] / sums[2]);
    }
}
