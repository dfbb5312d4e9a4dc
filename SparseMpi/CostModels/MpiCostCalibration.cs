using System.Diagnostics;
using SparseMpi.Collectives;
using SparseMpi.Collectives.Sparse;

namespace SparseMpi.CostModels;

/// <summary>The affine time model alpha + beta * bytes fitted to measured sparse allgathers.</summary>
public sealed record MpiCostFit(double Alpha, double Beta, long[] Bytes, double[] Seconds)
{
    /// <summary>One line for the log.</summary>
    public string Describe() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"mpi cost model: alpha = {Alpha * 1e6:F1} us, beta = {Beta * 1e9:F3} ns/byte ({1 / Math.Max(Beta, 1e-30) / 1e9:F2} GB/s)");
}

/// <summary>
/// Fits the <c>mpi</c> cost model: times the real sparse exchange (encode, length allgather, allgatherv, decode
/// and scatter-add) for messages of several sizes on the actual communicator. Per size, each repeat's time is
/// the slowest rank's (an elementwise allreduce of the samples), and the fastest repeat is kept: on a shared
/// machine noise only ever adds time, so the minimum is the most repeatable estimate. alpha and beta are then
/// fitted by weighted least squares with weights 1/t² (relative errors: the small messages, which set alpha,
/// count as much as the large ones, which set beta). Every rank fits the same allreduced timings with the same
/// arithmetic, so all ranks hold the same model bit for bit.
/// </summary>
public static class MpiCostCalibration
{
    public static readonly int[] DefaultCounts = [0, 16, 128, 1024, 8192, 32768];

    public static MpiCostFit Fit(Communicator comm, int d, WireFormat format, int repeats = 15, int[]? counts = null)
    {
        counts ??= DefaultCounts;
        var sizes = counts.Select(k => Math.Min(k, d)).Distinct().ToArray();
        var exchange = new SparseAllgatherExchange(comm, d, format);
        var sum = new float[d];
        int maxK = sizes.Max();
        var indices = new int[maxK];
        var values = new float[maxK];
        var bytes = new long[sizes.Length];
        var seconds = new double[sizes.Length];
        var samples = new double[repeats];
        var announcements = new int[comm.Size];
        for (int s = 0; s < sizes.Length; s++)
        {
            int k = sizes[s];
            SyntheticSparse.Fill(0x5EED, (ulong)comm.Rank, d, indices.AsSpan(0, k), values.AsSpan(0, k));
            exchange.ExchangeAlone(indices.AsSpan(0, k), values.AsSpan(0, k), sum, announcements: announcements); // warm-up: buffers grown, code jitted
            exchange.ResetOutput(sum);
            for (int r = 0; r < repeats; r++)
            {
                comm.Barrier();
                long t = Stopwatch.GetTimestamp();
                var result = exchange.ExchangeAlone(indices.AsSpan(0, k), values.AsSpan(0, k), sum, announcements: announcements);
                samples[r] = Stopwatch.GetElapsedTime(t).TotalSeconds;
                exchange.ResetOutput(sum);
                bytes[s] = result.MessageBytes;
            }
            comm.Allreduce<double>(samples, ReduceOp.Max);
            seconds[s] = samples.Min();
            bytes[s] = comm.Allreduce(bytes[s], ReduceOp.Max);
        }
        var x = bytes.Select(b => (double)b).ToArray();
        var (alpha, beta) = LeastSquares(x, seconds, seconds.Select(t => 1 / (t * t)).ToArray());
        return new MpiCostFit(alpha, beta, bytes, seconds);
    }

    /// <summary>Ordinary least squares of y = alpha + beta * x.</summary>
    public static (double Alpha, double Beta) LeastSquares(ReadOnlySpan<double> x, ReadOnlySpan<double> y) =>
        LeastSquares(x, y, Enumerable.Repeat(1.0, x.Length).ToArray());

    /// <summary>Weighted least squares of y = alpha + beta * x, minimising sum of w (y - alpha - beta x)².</summary>
    public static (double Alpha, double Beta) LeastSquares(ReadOnlySpan<double> x, ReadOnlySpan<double> y, ReadOnlySpan<double> w)
    {
        if (x.Length != y.Length || x.Length != w.Length || x.Length < 2) throw new ArgumentException("least squares needs two or more (x, y) points");
        double sw = 0, mx = 0, my = 0;
        for (int i = 0; i < x.Length; i++) { sw += w[i]; mx += w[i] * x[i]; my += w[i] * y[i]; }
        mx /= sw;
        my /= sw;
        double sxy = 0, sxx = 0;
        for (int i = 0; i < x.Length; i++) { sxy += w[i] * (x[i] - mx) * (y[i] - my); sxx += w[i] * (x[i] - mx) * (x[i] - mx); }
        if (sxx == 0) throw new ArgumentException("least squares needs at least two different x values");
        double beta = sxy / sxx;
        return (my - beta * mx, beta);
    }
}
