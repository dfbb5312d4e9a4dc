using SparseMpi.Collectives;
using SparseMpi.Sparsification;

namespace SparseMpi.Training;

/// <summary>
/// <c>--log-assumption</c>: measures the convergence assumption of Alistarh et al. (<see cref="TopKAssumption"/>)
/// on a logged step, after the exchange and before the sum is applied and cleared. Collective: every rank calls it on
/// the same steps. Its cost, on those steps only: one allreduce of one double (the largest residual ratio over ranks)
/// and one dense MPI_Allreduce of d floats (the mean accumulator), one O(d) rebuild of acc, one top-k of the mean with
/// the project's exact kernel and one O(d) pass for xi. Buffers (d floats, k indices and values) are allocated once.
/// It changes no state of the training: the parameters are bit-identical with and without it.
/// </summary>
public sealed class AssumptionProbe
{
    readonly Communicator _world;
    readonly float[] _mean;
    readonly int[] _topIndices;
    readonly float[] _topValues;
    readonly MagnitudeSelector _topK = MagnitudeSelector.Exact();

    /// <param name="maxK">the most entries one step selects (sizes the top-k of the mean).</param>
    public AssumptionProbe(Communicator world, int d, int maxK)
    {
        _world = world;
        _mean = new float[d];
        _topIndices = new int[maxK];
        _topValues = new float[maxK];
    }

    /// <summary>
    /// <paramref name="residual"/>: this rank's memory after its selection (acc with the sent entries zeroed);
    /// <paramref name="sentIndices"/>/<paramref name="sentValues"/>: what it sent (acc's entries, an exact top-k);
    /// <paramref name="sum"/>: the exchange's sum of every rank's selection, all d entries. Writes the step's
    /// <see cref="StepStats.TopKResidualRatio"/> (the largest over ranks), <see cref="StepStats.RandomKBound"/> and
    /// <see cref="StepStats.Xi"/> (and <see cref="StepStats.XiOfTopK"/>).
    /// </summary>
    public void Measure(ReadOnlySpan<float> residual, ReadOnlySpan<int> sentIndices, ReadOnlySpan<float> sentValues,
        ReadOnlySpan<float> sum, ref StepStats stats)
    {
        int d = _mean.Length, k = sentIndices.Length;
        double ratio = TopKAssumption.ResidualRatio(residual, sentValues);
        // The assumption is about every rank's accumulator: the worst rank (NaN, an all-zero acc, counts as 0).
        double worst = _world.Allreduce(double.IsNaN(ratio) ? 0.0 : ratio, ReduceOp.Max);

        residual.CopyTo(_mean); // acc = residual + the sent entries (the memory's invariant, bit for bit)
        for (int j = 0; j < k; j++) _mean[sentIndices[j]] = sentValues[j];
        _world.Allreduce(_mean.AsSpan(), ReduceOp.Sum);
        float invRanks = 1f / _world.Size;
        for (int i = 0; i < d; i++) _mean[i] *= invRanks;

        // Every rank selected k (the fixed rule with an exact top-k; --log-assumption refuses the dynamic rule).
        int top = k == 0 ? 0 : _topK.Select(_mean, k, 0, _topIndices, _topValues);
        stats.TopKResidualRatio = worst;
        stats.RandomKBound = TopKAssumption.RandomKBound(k, d);
        var divergence = TopKAssumption.Divergence(_mean, _topIndices.AsSpan(0, top), sum, 1.0 / _world.Size);
        stats.Xi = double.IsNaN(divergence.Xi) ? null : divergence.Xi;
        stats.XiOfTopK = double.IsNaN(divergence.XiOfTopK) ? null : divergence.XiOfTopK;
    }
}
