using System.Diagnostics;

namespace SparseMpi.Collectives.Sparse;

/// <summary>
/// Fits <see cref="ExchangeCostFit"/> on the live communicator: every exact exchange is timed on synthetic
/// selections (independent per rank) at a few sizes around the step's k — k/8, k and 4k of d, and k/4 of d/4, so
/// that the algorithms whose bytes follow d (allreduce, dsar-split) see two byte counts too — and
/// <c>FixedSeconds + SecondsPerByte · Bytes</c> is fitted against each algorithm's own byte formula
/// (<see cref="ExchangeCostModel.Bytes"/>, with the fill-in measured on the sample's sum). Per sample, each
/// repetition's time is the slowest rank's (one allreduce of the samples) and the fastest repetition is kept, as
/// <c>fit-mpi-cost</c> does; every rank then fits the same numbers with the same arithmetic, so all ranks hold the
/// same fit bit for bit. Each algorithm's <see cref="AlgorithmCost.RelativeError"/> is the larger of the line's
/// worst relative miss on its samples and the worst spread of a sample's repetitions (the max over ranks too),
/// which is what auto's choice margin reads. Collective. Costs about 5 algorithms × 4 sizes × (1 + repeats) exchanges.
/// </summary>
public static class ExchangeCalibration
{
    public const int DefaultRepeats = 3;

    /// <summary>The fit around one k per rank: samples at k/8, k and 4k of d and k/4 of d/4.</summary>
    public static ExchangeCostFit Fit(Communicator comm, int d, int k, int repeats = DefaultRepeats, ulong seed = 0xA07E)
    {
        k = Math.Clamp(k, 1, Math.Max(1, d));
        return Fit(comm, d, [Math.Max(1, k / 8), k, (int)Math.Min(d, 4L * k)], k, repeats, seed);
    }

    /// <summary>
    /// The fit from samples at each of <paramref name="ks"/> (k per rank, of d) and one at <paramref name="middleK"/>/4 of d/4.
    /// Collective: every rank passes the same arguments.
    /// </summary>
    /// <param name="algorithms">the exchanges to fit (default: the exact ones, <see cref="ExchangeCostModel.Algorithms"/>).</param>
    public static ExchangeCostFit Fit(Communicator comm, int d, IReadOnlyList<int> ks, int middleK, int repeats = DefaultRepeats, ulong seed = 0xA07E,
        IReadOnlyList<string>? algorithms = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(d, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(repeats, 1);
        int small = Math.Max(4, d / 4);
        var sizes = ks.Select(k => (D: d, K: Math.Clamp(k, 1, d))).ToList();
        if (small < d) sizes.Add((small, Math.Clamp(middleK / 4, 1, small)));
        sizes = sizes.Distinct().ToList();

        var samples = new double[repeats];
        var announcements = new int[comm.Size];
        var costs = new List<AlgorithmCost>();
        int maxK = sizes.Max(s => s.K);
        var indices = new int[maxK];
        var values = new float[maxK];
        var sum = new float[d];
        foreach (string algorithm in algorithms ?? ExchangeCostModel.Algorithms)
        {
            var x = new double[sizes.Count];
            var y = new double[sizes.Count];
            double spread = 0; // the largest slowest/fastest - 1 over the repetitions of one sample
            // One instance (and fill-in counter) per length: the k samples of one length share its buffers.
            var instances = new Dictionary<int, (IGradientExchange Exchange, FillInCounter Counter)>();
            for (int s = 0; s < sizes.Count; s++)
            {
                var (sd, sk) = sizes[s];
                if (!instances.TryGetValue(sd, out var instance))
                    instances[sd] = instance = (GradientExchanges.Create(algorithm, comm, sd, WireFormat.Default), new FillInCounter(sd));
                var (exchange, counter) = instance;
                var mine = indices.AsSpan(0, sk);
                var mineValues = values.AsSpan(0, sk);
                SyntheticSparse.Fill(seed, (ulong)comm.Rank, sd, mine, mineValues);
                var target = sum.AsSpan(0, sd);
                target.Clear(); // the previous sample's algorithm may have been another one (or another length)
                exchange.ExchangeAlone(mine, mineValues, target, announcements: announcements); // warm-up: buffers grown, code jitted
                long nnz = counter.NonZeros(exchange, target);
                exchange.ResetOutput(target);
                for (int r = 0; r < repeats; r++)
                {
                    comm.Barrier();
                    long t = Stopwatch.GetTimestamp();
                    exchange.ExchangeAlone(mine, mineValues, target, announcements: announcements);
                    exchange.ResetOutput(target);
                    samples[r] = Stopwatch.GetElapsedTime(t).TotalSeconds;
                }
                comm.Allreduce<double>(samples, ReduceOp.Max);
                y[s] = samples.Min();
                spread = Math.Max(spread, samples.Max() / Math.Max(y[s], 1e-30) - 1);
                var shape = ExchangeShape.Uniform(comm.Size, sd, sk, FillInCounter.FillIn(nnz, (long)sk * comm.Size));
                x[s] = ExchangeCostModel.Bytes(algorithm, shape);
            }
            var (fixedSeconds, perByte) = NonNegativeLine(x, y);
            double misfit = 0;
            for (int s = 0; s < x.Length; s++) misfit = Math.Max(misfit, Math.Abs(fixedSeconds + perByte * x[s] - y[s]) / Math.Max(y[s], 1e-30));
            costs.Add(new AlgorithmCost(algorithm, fixedSeconds, perByte, Math.Max(misfit, spread)));
        }
        return new ExchangeCostFit(comm.Size, "fitted", costs);
    }

    /// <summary>
    /// Weighted least squares of y = a + b·x with weights 1/y² (relative errors, as fit-mpi-cost), kept
    /// non-negative: noise can tilt a line fitted through few points below zero, and a negative cost would make
    /// an algorithm look free. Equal x (one rank: nothing sent) gives b = 0 and a the weighted mean.
    /// </summary>
    public static (double Fixed, double PerByte) NonNegativeLine(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        if (x.Length != y.Length || x.Length == 0) throw new ArgumentException("a line needs one or more (x, y) points");
        double sw = 0, mx = 0, my = 0;
        var w = new double[x.Length];
        for (int i = 0; i < x.Length; i++) { w[i] = 1 / Math.Max(y[i] * y[i], 1e-30); sw += w[i]; mx += w[i] * x[i]; my += w[i] * y[i]; }
        mx /= sw;
        my /= sw;
        double sxy = 0, sxx = 0;
        for (int i = 0; i < x.Length; i++) { sxy += w[i] * (x[i] - mx) * (y[i] - my); sxx += w[i] * (x[i] - mx) * (x[i] - mx); }
        double b = sxx > 0 ? sxy / sxx : 0;
        if (b <= 0) return (Math.Max(0, my), 0);
        double a = my - b * mx;
        if (a >= 0) return (a, b);
        // Through the origin instead: b = Σ w x y / Σ w x².
        double sxy0 = 0, sxx0 = 0;
        for (int i = 0; i < x.Length; i++) { sxy0 += w[i] * x[i] * y[i]; sxx0 += w[i] * x[i] * x[i]; }
        return (0, sxx0 > 0 ? sxy0 / sxx0 : 0);
    }
}
