namespace SparseMpi.Sparsification;

/// <summary>
/// The two quantities the convergence proof of top-k SGD with error feedback rests on (Alistarh et al., NeurIPS
/// 2018), as pure functions of spans (the collective part is <c>Training.AssumptionProbe</c>):
/// <list type="bullet">
/// <item>the local contraction <c>||acc - TopK(acc)|| / ||acc||</c> beside the random-k value
/// <c>sqrt(1 - k/d)</c> (random-k's expected residual): top-k is no worse than random-k. For an exact top-k this
/// holds for every vector (the d - k smallest entries hold at most a (d - k)/d share of the energy), so measuring it
/// checks the selection and shows the margin;</item>
/// <item><c>xi = ||TopK(mean acc) - mean TopK(acc)|| / ||mean acc||</c>: how far the averaged local selections
/// (what the exchange applies) are from the top-k of the averaged accumulator (what a single machine would apply).
/// The paper assumes it bounded by a small constant; nothing guarantees it.</item>
/// </list>
/// Norms are accumulated in double: d is up to millions and the entries are lr-scaled (small).
/// </summary>
public static class TopKAssumption
{
    /// <summary>
    /// <c>||acc - TopK(acc)|| / ||acc||</c> from what error feedback leaves after a step: the residual is acc with
    /// the sent entries zeroed (acc - TopK(acc) for an exact top-k) and <paramref name="sent"/> are acc's values at
    /// the sent entries, so <c>||acc||^2 = ||residual||^2 + ||sent||^2</c> with no copy of acc. NaN when acc is 0.
    /// </summary>
    public static double ResidualRatio(ReadOnlySpan<float> residual, ReadOnlySpan<float> sent)
    {
        double rest = SquaredNorm(residual), top = SquaredNorm(sent);
        double total = rest + top;
        return total > 0 ? Math.Sqrt(rest / total) : double.NaN;
    }

    /// <summary><c>sqrt(1 - k/d)</c>: random-k's expected <c>||acc - RandK(acc)|| / ||acc||</c> for any acc.</summary>
    public static double RandomKBound(long k, long d)
    {
        if (d < 1 || k < 0 || k > d) throw new ArgumentOutOfRangeException(nameof(k), k, $"k must be in 0..d = {d}");
        return Math.Sqrt(1.0 - (double)k / d);
    }

    /// <summary>
    /// <c>||TopK(mean) - sum * invRanks|| / ||mean||</c>, the assumption's xi (<see cref="Divergence"/>).
    /// NaN when the mean is 0.
    /// </summary>
    public static double Xi(ReadOnlySpan<float> mean, ReadOnlySpan<int> meanTopK, ReadOnlySpan<float> sum, double invRanks) =>
        Divergence(mean, meanTopK, sum, invRanks).Xi;

    /// <summary>
    /// The three norms of xi. <paramref name="mean"/>: the mean of the ranks' accumulators (all d entries);
    /// <paramref name="meanTopK"/>: the indices of its top-k, ascending (as the selection kernel writes them);
    /// <paramref name="sum"/>: the sum of the ranks' selections, dense (zero where no rank sent), so
    /// <c>sum * invRanks</c> is mean TopK(acc). One pass over d.
    /// </summary>
    public static TopKDivergence Divergence(ReadOnlySpan<float> mean, ReadOnlySpan<int> meanTopK, ReadOnlySpan<float> sum, double invRanks)
    {
        if (mean.Length != sum.Length) throw new ArgumentException($"the mean has {mean.Length} entries but the sum has {sum.Length}");
        double meanSq = 0, topSq = 0, diffSq = 0;
        int next = 0; // meanTopK is ascending: one merged pass, so equal vectors give exactly 0 (no cancellation)
        for (int i = 0; i < mean.Length; i++)
        {
            double m = mean[i], s = sum[i] * invRanks;
            meanSq += m * m;
            double top = 0;
            if (next < meanTopK.Length && meanTopK[next] == i) { top = m; next++; topSq += m * m; }
            diffSq += (top - s) * (top - s);
        }
        if (next != meanTopK.Length) throw new ArgumentException("the top-k indices must be ascending, distinct and in 0..d-1", nameof(meanTopK));
        return new TopKDivergence(Math.Sqrt(diffSq), Math.Sqrt(meanSq), Math.Sqrt(topSq));
    }

    static double SquaredNorm(ReadOnlySpan<float> x)
    {
        double s = 0;
        foreach (float v in x) s += (double)v * v;
        return s;
    }
}

/// <summary>
/// <c>||TopK(mean acc) - mean TopK(acc)||</c> (<see cref="Difference"/>) and the two norms it is read against:
/// <see cref="Xi"/> relative to <c>||mean acc||</c> (the assumption as logged), <see cref="XiOfTopK"/> relative to
/// <c>||TopK(mean acc)||</c>, the update a single machine would apply: at a small density TopK(mean acc) holds a small
/// share of <c>||mean acc||</c>, so xi is small however different the two selections are, and this one says how far
/// the applied update is from the ideal one. Each NaN when its norm is 0.
/// </summary>
public readonly record struct TopKDivergence(double Difference, double MeanNorm, double TopKNorm)
{
    public double Xi => MeanNorm > 0 ? Difference / MeanNorm : double.NaN;
    public double XiOfTopK => TopKNorm > 0 ? Difference / TopKNorm : double.NaN;
}
