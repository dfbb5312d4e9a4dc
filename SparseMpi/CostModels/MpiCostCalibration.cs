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
/// The ring allreduce's alpha and beta fitted to measured MPI_Allreduce of n floats:
/// t = 2(P-1)·alpha + 2(P-1)/P·4n·beta (<see cref="CollectiveCost.RingAllreduce"/>).
/// </summary>
public sealed record DenseCostFit(double Alpha, double Beta, long[] Floats, double[] Seconds)
{
    public string Describe() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"dense allreduce (ring model): alpha = {Alpha * 1e6:F1} us, beta = {Beta * 1e9:F3} ns/byte ({1 / Math.Max(Beta, 1e-30) / 1e9:F2} GB/s)");
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

    /// <summary>Sizes of the dense fit, in floats: 4 KB to 16 MB, the last at or past the point where the links, not the latency, set the time.</summary>
    public static readonly int[] DefaultDenseFloats = [1 << 10, 1 << 14, 1 << 18, 1 << 20, 1 << 22];

    /// <summary>
    /// Fits the ring allreduce (<see cref="DenseCostFit"/>) from timed MPI_Allreduce of n floats (sum, in place)
    /// for each n up to <paramref name="maxFloats"/>; timed as <see cref="Fit"/> is (slowest rank per repeat, the
    /// fastest repeat kept, weights 1/t²). The sparse fit's beta includes the decode and scatter-add of every
    /// received pair, which a dense allreduce does not do, so the two are kept apart
    /// (<see cref="AlphaBetaNetwork.Dense"/>). Null on one rank (no message moves).
    /// </summary>
    public static DenseCostFit? FitDense(Communicator comm, int maxFloats, int repeats = 15)
    {
        int p = comm.Size;
        if (p < 2) return null;
        var sizes = DefaultDenseFloats.Select(n => Math.Min(n, maxFloats)).Where(n => n > 0).Distinct().ToArray();
        if (sizes.Length < 2) throw new ArgumentException($"the dense fit needs two sizes or more (largest {maxFloats} floats)");
        var buffer = new float[sizes.Max()];
        var samples = new double[repeats];
        var seconds = new double[sizes.Length];
        for (int s = 0; s < sizes.Length; s++)
        {
            var data = buffer.AsSpan(0, sizes[s]);
            data.Fill(1f);
            comm.Allreduce(data, ReduceOp.Sum); // warm-up: the library's buffers and connections
            for (int r = 0; r < repeats; r++)
            {
                data.Fill(1f);
                comm.Barrier();
                long t = Stopwatch.GetTimestamp();
                comm.Allreduce(data, ReduceOp.Sum);
                samples[r] = Stopwatch.GetElapsedTime(t).TotalSeconds;
            }
            comm.Allreduce<double>(samples, ReduceOp.Max);
            seconds[s] = samples.Min();
        }
        // x: the ring's bytes per rank; the intercept is 2(P-1) latencies.
        var x = sizes.Select(n => 2.0 * (p - 1) / p * 4.0 * n).ToArray();
        var (intercept, beta) = LeastSquares(x, seconds, seconds.Select(t => 1 / (t * t)).ToArray());
        return new DenseCostFit(Math.Max(0, intercept) / (2.0 * (p - 1)), beta, sizes.Select(n => (long)n).ToArray(), seconds);
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
