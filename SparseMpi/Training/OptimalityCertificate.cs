using SparseMpi.Training.Data;

namespace SparseMpi.Training;

/// <summary>
/// How far l2-regularised softmax regression, f(W, b) = (1/n) Σ_i CE(softmax(W x_i + b), y_i) + l2/2 ||(W, b)||^2,
/// is from its minimum f*, in double: f and ||∇f|| at the (float) parameters, and the bound
/// f - f* &lt;= ||∇f||^2 / (2 l2) that l2-strong convexity gives (the cross-entropy part is convex, the l2 term makes f
/// l2-strongly convex, and a mu-strongly convex f has f(w) - f* &lt;= ||∇f(w)||^2 / (2 mu)).
/// <para>Why: the training loop computes f in float32 (about 1e-7 relative), which is as far as the least objective
/// of a long run can pin f* down. Evaluated in double at that run's last parameters, f is exact to about 1e-15 and
/// the bound says how close to f* those parameters are, so f* is known to f - bound .. f, however the float32 run
/// stalled. Parameters are in the model's flat order: W (10 x 784, row-major, torch's Linear weight), then b.</para>
/// </summary>
public readonly record struct OptimalityCertificate(double Objective, double GradientNorm, double SuboptimalityBound)
{
    const int Pixels = ImageSet.PixelsPerImage, Classes = ImageSet.Classes;

    /// <summary>The parameter count of softmax regression on these images: 10 x 784 weights and 10 biases.</summary>
    public const int Parameters = Classes * Pixels + Classes;

    /// <summary>f, ||∇f|| and the bound at <paramref name="parameters"/> over every image of <paramref name="set"/>; l2 &gt; 0.</summary>
    public static OptimalityCertificate SoftmaxRegression(ImageSet set, ReadOnlySpan<float> parameters, double l2)
    {
        if (parameters.Length != Parameters)
            throw new ArgumentException($"softmax regression has {Parameters} parameters, not {parameters.Length}");
        if (!(l2 > 0)) throw new ArgumentException("the bound needs l2 > 0 (strong convexity)");
        var w = new double[Parameters];
        for (int j = 0; j < Parameters; j++) w[j] = parameters[j];
        var gradient = new double[Parameters];
        Span<double> z = stackalloc double[Classes];
        double loss = 0;
        for (int i = 0; i < set.Count; i++)
        {
            ReadOnlySpan<float> x = set.Image(i);
            double max = double.NegativeInfinity;
            for (int c = 0; c < Classes; c++)
            {
                double s = w[Classes * Pixels + c];
                ReadOnlySpan<double> row = w.AsSpan(c * Pixels, Pixels);
                for (int j = 0; j < Pixels; j++) s += row[j] * x[j];
                z[c] = s;
                max = Math.Max(max, s);
            }
            double sum = 0;
            for (int c = 0; c < Classes; c++) sum += Math.Exp(z[c] - max);
            int y = set.Labels[i];
            loss += max + Math.Log(sum) - z[y];
            // d CE / d z_c = softmax_c - [c = y]; the weight row's gradient is that times x, the bias's that alone.
            for (int c = 0; c < Classes; c++)
            {
                double r = Math.Exp(z[c] - max) / sum - (c == y ? 1 : 0);
                Span<double> row = gradient.AsSpan(c * Pixels, Pixels);
                for (int j = 0; j < Pixels; j++) row[j] += r * x[j];
                gradient[Classes * Pixels + c] += r;
            }
        }
        double n = set.Count, squares = 0, gradientSquares = 0;
        for (int j = 0; j < Parameters; j++)
        {
            double g = gradient[j] / n + l2 * w[j];
            squares += w[j] * w[j];
            gradientSquares += g * g;
        }
        return new OptimalityCertificate(loss / n + 0.5 * l2 * squares, Math.Sqrt(gradientSquares), gradientSquares / (2 * l2));
    }
}
