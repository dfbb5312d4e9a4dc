using SparseMpi.Collectives;
using SparseMpi.Training.Data;

namespace SparseMpi.Training;

/// <summary>
/// The smoothness constant L of l2-regularised softmax regression, f(W, b) = (1/n) Σ_i CE(softmax(W x_i + b), y_i)
/// + l2/2 ||(W, b)||^2, for the step 1/L of gradient descent (one step at 1/L decreases f by at least
/// ||g||^2 / (2L), the descent lemma that the dynamic-k rule of Khirirat et al. builds on).
/// <para>The bound: with x~ = (x, 1), one sample's Hessian is (diag p - p p^T) ⊗ x~ x~^T. The matrix
/// diag p - p p^T has row i's diagonal p_i (1 - p_i) and off-diagonal sum p_i Σ_{j≠i} p_j = p_i (1 - p_i), so by
/// Gershgorin its eigenvalues are at most max_i 2 p_i (1 - p_i) &lt;= 1/2. Hence ∇²f ≼ (1/2) λmax(X~^T X~ / n) I + l2 I,
/// and L = λmax(X~^T X~) / (2n) + l2 (the /4 of binary logistic regression is for one sigmoid, not a softmax).</para>
/// <para>λmax by power iteration on X~^T X~ (785 x 785, never formed): each rank multiplies by its part of the
/// samples (every size-th image starting at its rank) and one allreduce sums the parts, so every rank computes the
/// same iterates. From a vector of ones, in double; stops when the Rayleigh quotient changes by less than
/// <c>tolerance</c> relative (it approaches λmax from below).</para>
/// </summary>
public static class SmoothnessBound
{
    /// <summary>Collective: L for the images of <paramref name="set"/> and <paramref name="l2"/>.</summary>
    public static double SoftmaxRegression(Communicator world, ImageSet set, double l2) =>
        LargestEigenvalueOfGram(set, world.Rank, world.Size, y => world.Allreduce(y, ReduceOp.Sum)) / (2.0 * set.Count) + l2;

    /// <summary>
    /// λmax(X~^T X~) over all images of <paramref name="set"/> (X~: the pixels with a 1 appended), this caller
    /// multiplying by images part, part + parts, ...; <paramref name="sumOverParts"/> sums a vector over the parts
    /// in place (an allreduce; with one part, nothing to do).
    /// </summary>
    public static double LargestEigenvalueOfGram(ImageSet set, int part, int parts, Action<double[]> sumOverParts,
        double tolerance = 1e-10, int maxIterations = 10_000)
    {
        const int m = ImageSet.PixelsPerImage + 1;
        var v = new double[m];
        var y = new double[m];
        Array.Fill(v, 1 / Math.Sqrt(m));
        double lambda = 0;
        for (int iteration = 0; iteration < maxIterations; iteration++)
        {
            Array.Clear(y);
            for (int i = part; i < set.Count; i += parts)
            {
                ReadOnlySpan<float> x = set.Image(i);
                double s = v[m - 1];
                for (int j = 0; j < x.Length; j++) s += x[j] * v[j];
                for (int j = 0; j < x.Length; j++) y[j] += s * x[j];
                y[m - 1] += s;
            }
            sumOverParts(y);
            double rayleigh = 0, norm = 0;
            for (int j = 0; j < m; j++) { rayleigh += v[j] * y[j]; norm += y[j] * y[j]; }
            norm = Math.Sqrt(norm);
            if (norm == 0) return 0; // every image zero: f is flat up to the l2 term
            for (int j = 0; j < m; j++) v[j] = y[j] / norm;
            bool converged = Math.Abs(rayleigh - lambda) <= tolerance * rayleigh;
            lambda = rayleigh;
            if (converged) break;
        }
        return lambda;
    }
}
