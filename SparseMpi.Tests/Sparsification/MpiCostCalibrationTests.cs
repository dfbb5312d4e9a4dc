using SparseMpi.Sparsification;
using SparseMpi.CostModels;

namespace SparseMpi.Tests.Sparsification;

public class MpiCostCalibrationTests
{
    [Test]
    public void LeastSquaresRecoversAlphaAndBetaFromSyntheticTimings()
    {
        double alpha = 25e-6, beta = 0.4e-9;
        var rng = new Random(5);
        double[] x = [28, 540, 4124, 32796, 262172, 1048604];
        double[] y = x.Select(b => alpha + beta * b + (rng.NextDouble() - 0.5) * 1e-8).ToArray();
        var (a, b) = MpiCostCalibration.LeastSquares(x, y);
        Assert.That(a, Is.EqualTo(alpha).Within(1e-7));
        Assert.That(b, Is.EqualTo(beta).Within(1e-12));
    }

    [Test]
    public void ExactLineIsExact()
    {
        var (a, b) = MpiCostCalibration.LeastSquares([0, 10, 20], [1, 3, 5]);
        Assert.That(a, Is.EqualTo(1).Within(1e-12));
        Assert.That(b, Is.EqualTo(0.2).Within(1e-12));
    }

    [Test]
    public void NeedsTwoDistinctSizes() =>
        Assert.Throws<ArgumentException>(() => MpiCostCalibration.LeastSquares([5, 5], [1, 2]));
}

public class WeightedLeastSquaresTests
{
    [Test]
    public void RelativeWeightsKeepTheSmallMessagesThatSetAlpha()
    {
        // One noisy large message pulls ordinary least squares' alpha far off (negative here); weights 1/t²
        // fit the relative error and keep alpha near the small-message latency.
        double[] x = [24, 152, 1048, 8216, 62824];
        double[] y = [15e-6, 16e-6, 19e-6, 25e-6, 700e-6];
        var (plainAlpha, _) = MpiCostCalibration.LeastSquares(x, y);
        var (alpha, beta) = MpiCostCalibration.LeastSquares(x, y, y.Select(t => 1 / (t * t)).ToArray());
        Assert.That(plainAlpha, Is.LessThan(0));
        Assert.That(alpha, Is.InRange(10e-6, 20e-6));
        Assert.That(beta, Is.GreaterThan(0));
    }
}
