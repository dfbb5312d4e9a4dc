using System.Diagnostics;
using System.Runtime.InteropServices;
using SparseMpi.Collectives;
using SparseMpi.Collectives.Sparse;

namespace SparseMpi.Benchmarks;

/// <summary>
/// Measures the sparse allgather exchange against MPI_Allreduce of the same d floats, density by density and
/// format by format, and checks every sparse sum against a local reference (each rank regenerates every
/// rank's vector from (seed, rank)) and across ranks (hash). Collective: every rank runs it. All d-sized buffers
/// are allocated once; the timed rounds allocate nothing.
/// </summary>
public sealed class CommBenchmark
{
    public const string TimingRule = "median over rounds of the max over ranks";

    readonly MpiRuntime _mpi;
    readonly Communicator _world;
    readonly CommBenchOptions _options;
    readonly float[] _dense, _denseSum, _sum, _reference;
    readonly int[][] _indices;   // every rank's selection, regenerated locally for the reference
    readonly float[][] _values;
    readonly int[] _announcements; // one per rank, reused by every round
    readonly double[] _times; // per timed round: total, encode, communicate, decode, reset (seconds)
    double _resetSeconds;     // ResetOutput of the last sparse round

    public CommBenchmark(MpiRuntime mpi, CommBenchOptions options)
    {
        _mpi = mpi;
        _world = mpi.World;
        _options = options;
        int d = options.D, maxK = options.Densities.Max(x => SyntheticSparse.CountFor(d, x));
        // Touch every page now (a fresh page costs ~12 us here), not inside a timed round.
        _dense = Touched(d); _denseSum = Touched(d); _sum = Touched(d); _reference = Touched(d);
        _indices = new int[_world.Size][];
        _values = new float[_world.Size][];
        for (int q = 0; q < _world.Size; q++) { _indices[q] = new int[maxK]; _values[q] = new float[maxK]; }
        _times = new double[5 * options.Repeat];
        _announcements = new int[_world.Size];
    }

    static float[] Touched(int length)
    {
        var a = GC.AllocateUninitializedArray<float>(length);
        a.AsSpan().Clear();
        return a;
    }

    double _zeroAllMs;

    /// <summary>Runs every density and format; every rank returns the same rows.</summary>
    public List<CommBenchRow> Run()
    {
        _zeroAllMs = MeasureZeroAll();
        var rows = new List<CommBenchRow>();
        int d = _options.D, p = _world.Size, r = _world.Rank;
        var exchange = new SparseAllgatherExchange(_world, d, _options.Formats[0]);
        foreach (double density in _options.Densities)
        {
            int k = SyntheticSparse.CountFor(d, density);
            for (int q = 0; q < p; q++) SyntheticSparse.Fill(_options.Seed, (ulong)q, d, _indices[q].AsSpan(0, k), _values[q].AsSpan(0, k));
            var myIndices = _indices[r].AsSpan(0, k);
            var myValues = _values[r].AsSpan(0, k);
            SparseScatter.Add(_dense, myIndices, myValues);

            var dense = TimeRounds(() =>
            {
                _world.Allreduce<float>(_dense, _denseSum, ReduceOp.Sum);
                _resetSeconds = 0;
                return default;
            });
            long ring = RingModel.AllreduceFloats(p, d);
            double? int32Fp32Bytes = null;
            foreach (var format in _options.Formats)
            {
                exchange.Format = format;
                bool correct = Verify(exchange, format, k);
                double messageBytes = exchange.RankMessageBytes.ToArray().Average();
                if (format == WireFormat.Default) int32Fp32Bytes = messageBytes;
                var sparse = TimeRounds(() =>
                {
                    var result = exchange.ExchangeAlone(_indices[r].AsSpan(0, k), _values[r].AsSpan(0, k), _sum, announcements: _announcements);
                    long resetStart = Stopwatch.GetTimestamp();
                    exchange.ResetOutput(_sum);
                    _resetSeconds = Stopwatch.GetElapsedTime(resetStart).TotalSeconds;
                    return result;
                });
                // Ring model, mean over ranks: each rank receives the other P-1 messages and sends P-1 of them.
                double ringSparse = p == 1 ? 0 : (p - 1) * (messageBytes + 4);
                rows.Add(new CommBenchRow
                {
                    Ranks = p, D = d, Density = density, K = k,
                    IndexFormat = WireFormat.Name(format.Index), ValueFormat = WireFormat.Name(format.Value),
                    MsSparse = sparse.Median, MsDense = dense.Median, Speedup = dense.Median / sparse.Median,
                    MsSparseMin = sparse.Min, MsDenseMin = dense.Min,
                    MsSparseEncode = sparse.Encode, MsSparseCommunicate = sparse.Communicate, MsSparseDecode = sparse.Decode,
                    MsSparseReset = sparse.Reset, MsZeroAllD = _zeroAllMs,
                    BytesSparsePerRank = messageBytes, BytesDensePerRank = 4L * d,
                    BytesSparseSentPerRank = ringSparse, BytesSparseReceivedPerRank = ringSparse,
                    BytesDenseSentPerRank = ring, BytesDenseReceivedPerRank = ring,
                    ByteReductionVsInt32Fp32 = int32Fp32Bytes is double b ? b / messageBytes : 0,
                    Correct = correct, Repeat = _options.Repeat,
                });
            }
            SparseScatter.Clear(_dense, myIndices);
        }
        return rows;
    }

    /// <summary>
    /// What the alternative to clearing only the touched entries would cost: zeroing all d floats of the sum
    /// (median over the rounds of the slowest rank), reported next to ms_sparse_reset.
    /// </summary>
    double MeasureZeroAll()
    {
        int n = _options.Repeat;
        for (int i = 0; i < n; i++)
        {
            _world.Barrier();
            long start = Stopwatch.GetTimestamp();
            _sum.AsSpan().Clear();
            _times[i] = Stopwatch.GetElapsedTime(start).TotalSeconds;
        }
        _world.Allreduce<double>(_times.AsSpan(0, n), ReduceOp.Max);
        var sorted = _times.AsSpan(0, n).ToArray().Order().ToArray();
        return 1e3 * (n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2);
    }

    /// <summary>Medians (and the fastest round) in milliseconds of one measurement.</summary>
    readonly record struct Timing(double Median, double Min, double Encode, double Communicate, double Decode, double Reset);

    /// <summary>
    /// Warmup rounds, then timed rounds with a barrier before each. In each round the slowest rank's time counts
    /// (per phase too), and the median over the rounds is reported.
    /// </summary>
    Timing TimeRounds(Func<ExchangeResult> round)
    {
        for (int i = 0; i < _options.Warmup; i++)
        {
            _world.Barrier();
            round();
        }
        int n = _options.Repeat;
        for (int i = 0; i < n; i++)
        {
            _world.Barrier();
            double start = _mpi.Wtime();
            var result = round();
            _times[i] = _mpi.Wtime() - start;
            _times[n + i] = result.EncodeSeconds;
            _times[2 * n + i] = result.CommunicateSeconds;
            _times[3 * n + i] = result.DecodeSeconds;
            _times[4 * n + i] = _resetSeconds;
        }
        _world.Allreduce<double>(_times, ReduceOp.Max); // one collective for all rounds, outside the timing
        double Median(int phase)
        {
            var sorted = _times.AsSpan(phase * n, n).ToArray().Order().ToArray();
            return 1e3 * (n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2);
        }
        return new Timing(Median(0), 1e3 * _times.AsSpan(0, n).ToArray().Min(), Median(1), Median(2), Median(3), Median(4));
    }

    /// <summary>
    /// One untimed exchange: the sum must equal, bitwise, the rank-order sum of every rank's values rounded as
    /// the format rounds them, and be bitwise identical on all ranks. True on every rank when it is so everywhere.
    /// </summary>
    bool Verify(SparseAllgatherExchange exchange, WireFormat format, int k)
    {
        int r = _world.Rank;
        var result = exchange.ExchangeAlone(_indices[r].AsSpan(0, k), _values[r].AsSpan(0, k), _sum, announcements: _announcements);
        _reference.AsSpan().Clear();
        for (int q = 0; q < _world.Size; q++)
        {
            var indices = _indices[q];
            var values = _values[q];
            for (int i = 0; i < k; i++) _reference[indices[i]] += ValueCodec.Quantize(values[i], format.Value);
        }
        bool ok = result.Completed && MemoryMarshal.AsBytes(_sum.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(_reference.AsSpan()));
        bool same = _world.AllEqual((long)Fnv1a.Hash(_sum));
        exchange.ResetOutput(_sum);
        ok &= !_sum.AsSpan().ContainsAnyExcept(0f);
        return _world.Allreduce(ok ? 1 : 0, ReduceOp.Min) == 1 && same;
    }
}
