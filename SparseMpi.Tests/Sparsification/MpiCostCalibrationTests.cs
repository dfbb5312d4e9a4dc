using SparseMpi.Sparsification;

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
