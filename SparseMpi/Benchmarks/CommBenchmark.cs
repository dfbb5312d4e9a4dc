using System.Diagnostics;
using System.Runtime.InteropServices;
using SparseMpi.Collectives;
using SparseMpi.Collectives.Sparse;

namespace SparseMpi.Benchmarks;

/// <summary>
/// Measures the sparse allgather exchange (and, with --exchanges, every exchange asked for, each with its
/// alpha-beta prediction beside) against MPI_Allreduce of the same d floats, density by density and
/// format by format, and checks every sparse sum against a local reference (each rank regenerates every
/// rank's vector from (seed, rank), or holds every rank's recorded selection with --from-run) and across ranks (hash). Collective: every rank runs it. All d-sized buffers
/// are allocated once; the timed rounds allocate nothing.
/// </summary>
public sealed class CommBenchmark
{
    public const string TimingRule = "median over rounds of the max over ranks";

    readonly MpiRuntime _mpi;
    readonly Communicator _world;
    readonly CommBenchOptions _options;
    readonly float[] _dense, _denseSum, _sum, _reference;
    readonly float[]? _magnitude; // Σ over ranks of |value| per entry: the rounding bound of the exchanges that add in another order
    readonly FillInCounter _fillIn;
    readonly int[][] _indices;   // every rank's selection, regenerated locally (or replayed) for the reference
    readonly float[][] _values;
    readonly int[] _counts;      // every rank's k of the current density (the same on all ranks unless replayed)
    readonly int[] _announcements; // one per rank, reused by every round
    readonly double[] _times; // per timed round: total, encode, communicate, decode, reset (seconds)
    double _resetSeconds;     // ResetOutput of the last sparse round

    public CommBenchmark(MpiRuntime mpi, CommBenchOptions options)
    {
        _mpi = mpi;
        _world = mpi.World;
        _options = options;
        int d = options.D, maxK = options.FromRun?.MaxK ?? options.Densities.Max(x => SyntheticSparse.CountFor(d, x));
        // Touch every page now (a fresh page costs ~12 us here), not inside a timed round.
        _dense = Touched(d); _denseSum = Touched(d); _sum = Touched(d); _reference = Touched(d);
        _magnitude = options.ExchangeList.Any(e => e != "allgather") ? Touched(d) : null;
        _fillIn = new FillInCounter(d);
        _indices = new int[_world.Size][];
        _values = new float[_world.Size][];
        for (int q = 0; q < _world.Size; q++) { _indices[q] = new int[maxK]; _values[q] = new float[maxK]; }
        _counts = new int[_world.Size];
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

    /// <summary>The cost fit behind ms_predicted (and auto's choices): null when the run makes no predictions.</summary>
    public ExchangeCostFit? Fit { get; private set; }

    /// <summary>Runs every density, exchange and format; every rank returns the same rows.</summary>
    public List<CommBenchRow> Run()
    {
        _zeroAllMs = MeasureZeroAll();
        var rows = new List<CommBenchRow>();
        int d = _options.D, p = _world.Size, r = _world.Rank;
        // Ok-Topk gets a cost of its own when measured; auto chooses among the exact exchanges only.
        string[] modelled = _options.ExchangeList.Contains("oktopk") ? ExchangeCostModel.Modelled : ExchangeCostModel.Algorithms;
        Fit = !_options.Predicts ? null
            : _options.Network is var (alpha, beta) ? ExchangeCostFit.Uniform(p, alpha, beta, modelled)
            : ExchangeCalibration.Fit(_world, d, _options.Densities.Select(KFor).ToArray(),
                KFor(_options.Densities[_options.Densities.Count / 2]), algorithms: modelled);
        var exchange = new SparseAllgatherExchange(_world, d, _options.Formats[0]);
        // One instance per exchange for the whole run: their buffers grow once, as in training.
        var others = _options.ExchangeList.Where(e => e != "allgather").ToDictionary(e => e,
            e => e == GradientExchanges.Auto ? new AutoExchange(_world, d, Fit?.Restrict(ExchangeCostModel.Algorithms)) : GradientExchanges.Create(e, _world, d, WireFormat.Default));
        foreach (double density in _options.Densities)
        {
            int k = FillSelections(density);
            var myIndices = MyIndices;
            var myValues = MyValues;
            SparseScatter.Add(_dense, myIndices, myValues);

            var dense = TimeRounds(() =>
            {
                _world.Allreduce<float>(_dense, _denseSum, ReduceOp.Sum);
                _resetSeconds = 0;
                return default;
            });
            long ring = RingModel.AllreduceFloats(p, d);
            double? int32Fp32Bytes = null;
            var formats = _options.ExchangeList.Contains("allgather") ? _options.Formats : [];
            foreach (var format in formats)
            {
                exchange.Format = format;
                var (correct, fillIn) = Verify(exchange, format);
                double messageBytes = exchange.RankMessageBytes.ToArray().Average();
                if (format == WireFormat.Default) int32Fp32Bytes = messageBytes;
                var sparse = TimeRounds(() =>
                {
                    var result = exchange.ExchangeAlone(MyIndices, MyValues, _sum, announcements: _announcements);
                    long resetStart = Stopwatch.GetTimestamp();
                    exchange.ResetOutput(_sum);
                    _resetSeconds = Stopwatch.GetElapsedTime(resetStart).TotalSeconds;
                    return result;
                });
                // Ring model, mean over ranks: each rank receives the other P-1 messages and sends P-1 of them.
                double ringSparse = p == 1 ? 0 : (p - 1) * (messageBytes + 4);
                rows.Add(new CommBenchRow
                {
                    Exchange = "allgather", FillIn = fillIn, Overlap = _options.Overlap, KMin = _counts.Min(), KMax = _counts.Max(),
                    FromRun = _options.FromRun?.Directory, FromStep = _options.FromRun?.Step,
                    MsPredicted = format == WireFormat.Default ? Predicted("allgather", k, fillIn) : null,
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
            foreach (var (name, other) in others)
                rows.Add(MeasureExact(name, other, density, k, dense, ring));
            SparseScatter.Clear(_dense, myIndices);
        }
        return rows;
    }

    /// <summary>k of a density: round(d·density), or the recorded step's mean k when replaying.</summary>
    int KFor(double density) => _options.FromRun?.MeanK ?? SyntheticSparse.CountFor(_options.D, density);

    Span<int> MyIndices => _indices[_world.Rank].AsSpan(0, _counts[_world.Rank]);
    Span<float> MyValues => _values[_world.Rank].AsSpan(0, _counts[_world.Rank]);

    /// <summary>
    /// Every rank's selection at <paramref name="density"/> into _indices/_values/_counts: synthetic (independent or
    /// --overlap), or the recorded ones (whose k may differ per rank). Returns the k of the rows and predictions.
    /// </summary>
    int FillSelections(double density)
    {
        int p = _world.Size, d = _options.D, k = KFor(density);
        for (int q = 0; q < p; q++)
        {
            if (_options.FromRun is { } run)
            {
                _counts[q] = run.KOf(q);
                run.Indices[q].CopyTo(_indices[q], 0);
                run.Values[q].CopyTo(_values[q], 0);
                continue;
            }
            _counts[q] = k;
            if (_options.Overlap is double overlap) OverlapSelection.Fill(_options.Seed, q, p, d, overlap, _indices[q].AsSpan(0, k), _values[q].AsSpan(0, k));
            else SyntheticSparse.Fill(_options.Seed, (ulong)q, d, _indices[q].AsSpan(0, k), _values[q].AsSpan(0, k));
        }
        return k;
    }

    long TotalK => _counts.Sum(x => (long)x);

    double? Predicted(string algorithm, int k, double fillIn) =>
        Fit == null || double.IsNaN(fillIn) ? null : 1e3 * Fit.Predict(algorithm, ExchangeShape.Uniform(_world.Size, _options.D, k, fillIn));

    /// <summary>
    /// One exchange other than the allgather (int32 indices and fp32 values): timed like the allgather, then one
    /// checked exchange (after the timed rounds, so auto's choice is the one it settled on) that gives the bytes,
    /// the fill-in and, for auto, the choice.
    /// </summary>
    CommBenchRow MeasureExact(string name, IGradientExchange exchange, double density, int k, Timing dense, long ring)
    {
        int p = _world.Size, r = _world.Rank, d = _options.D;
        var timing = TimeRounds(() =>
        {
            var result = exchange.ExchangeAlone(MyIndices, MyValues, _sum, announcements: _announcements);
            long resetStart = Stopwatch.GetTimestamp();
            exchange.ResetOutput(_sum);
            _resetSeconds = Stopwatch.GetElapsedTime(resetStart).TotalSeconds;
            return result;
        });
        var (correct, fillIn, checkedResult) = VerifyAgainstReference(exchange);
        int? applied = exchange is IGlobalTopKExchange ? _lastApplied : null;
        Span<double> bytes = [checkedResult.MessageBytes, checkedResult.BytesSent, checkedResult.BytesReceived];
        _world.Allreduce(bytes, ReduceOp.Sum);
        string? chosen = (exchange as AutoExchange)?.LastChoice;
        return new CommBenchRow
        {
            Exchange = name, Chosen = chosen, FillIn = fillIn, Overlap = _options.Overlap, Applied = applied,
            KMin = _counts.Min(), KMax = _counts.Max(), FromRun = _options.FromRun?.Directory, FromStep = _options.FromRun?.Step,
            MsPredicted = Predicted(chosen ?? name, k, fillIn),
            Ranks = p, D = d, Density = density, K = k,
            IndexFormat = "int32", ValueFormat = "fp32",
            MsSparse = timing.Median, MsDense = dense.Median, Speedup = dense.Median / timing.Median,
            MsSparseMin = timing.Min, MsDenseMin = dense.Min,
            MsSparseEncode = timing.Encode, MsSparseCommunicate = timing.Communicate, MsSparseDecode = timing.Decode,
            MsSparseReset = timing.Reset, MsZeroAllD = _zeroAllMs,
            BytesSparsePerRank = bytes[0] / p, BytesDensePerRank = 4L * d,
            BytesSparseSentPerRank = bytes[1] / p, BytesSparseReceivedPerRank = bytes[2] / p,
            BytesDenseSentPerRank = ring, BytesDenseReceivedPerRank = ring,
            Correct = correct, Repeat = _options.Repeat,
        };
    }

    /// <summary>
    /// One untimed exchange whose float additions may run in another order than rank order: every selected entry
    /// within the rounding bound of the rank-order reference (each of the two sums is within P·2^-24·Σ|v| of the
    /// exact one, as check-sparse bounds it), every other entry exactly zero, bitwise equal across ranks, and a
    /// clean reset. A global top-k exchange (oktopk) applies only part of the sum: there every written entry within
    /// the bound, every applied one too, at most 4k/3 applied (its threshold band; exactly k when the threshold was
    /// exact) and nothing written outside them. True on every rank when it is so everywhere; the fill-in of the sum.
    /// </summary>
    (bool Correct, double FillIn, ExchangeResult Result) VerifyAgainstReference(IGradientExchange exchange)
    {
        int p = _world.Size, k = _counts.Max(); // a global top-k keeps the largest announced k
        var result = exchange.ExchangeAlone(MyIndices, MyValues, _sum, announcements: _announcements);
        var magnitude = _magnitude!;
        _reference.AsSpan().Clear();
        magnitude.AsSpan().Clear();
        for (int q = 0; q < p; q++)
            for (int i = 0; i < _counts[q]; i++)
            {
                int index = _indices[q][i];
                _reference[index] += _values[q][i];
                magnitude[index] += Math.Abs(_values[q][i]);
            }
        bool ok = result.Completed;
        double bound = 2.0 * p * Math.ScaleB(1.0, -24) * 1.001; // the 1.001: the magnitudes are float sums themselves
        bool Within(int i) => magnitude[i] == 0 ? _sum[i] == 0f : Math.Abs(_sum[i] - _reference[i]) <= bound * magnitude[i];
        var topK = exchange as IGlobalTopKExchange;
        for (int i = 0; i < _sum.Length && ok; i++)
            ok = (topK != null && _sum[i] == 0f) || Within(i); // a global top-k leaves the entries it dropped at zero
        if (topK != null)
        {
            var applied = topK.Applied;
            _lastApplied = applied.Length;
            ok &= applied.Length <= k + k / 3 && FillInCounter.CountNonZero(_sum) <= applied.Length &&
                  (!topK.LastThresholdExact || applied.Length == Math.Min(k, FillInCounter.CountNonZero(_reference)));
            foreach (int i in applied) ok &= magnitude[i] > 0 && Within(i);
        }
        bool same = _world.AllEqual((long)Fnv1a.Hash(_sum));
        double fillIn = FillInCounter.FillIn(_fillIn.NonZeros(exchange, _sum), TotalK);
        exchange.ResetToZero(_sum); // the next row's exchange adds into it
        ok &= !_sum.AsSpan().ContainsAnyExcept(0f);
        return (_world.Allreduce(ok ? 1 : 0, ReduceOp.Min) == 1 && same, fillIn, result);
    }

    int _lastApplied; // VerifyAgainstReference's applied count of a global top-k exchange (the reset clears the exchange's)

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
    (bool Correct, double FillIn) Verify(SparseAllgatherExchange exchange, WireFormat format)
    {
        var result = exchange.ExchangeAlone(MyIndices, MyValues, _sum, announcements: _announcements);
        _reference.AsSpan().Clear();
        for (int q = 0; q < _world.Size; q++)
        {
            var indices = _indices[q];
            var values = _values[q];
            for (int i = 0; i < _counts[q]; i++) _reference[indices[i]] += ValueCodec.Quantize(values[i], format.Value);
        }
        bool ok = result.Completed && MemoryMarshal.AsBytes(_sum.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(_reference.AsSpan()));
        bool same = _world.AllEqual((long)Fnv1a.Hash(_sum));
        double fillIn = FillInCounter.FillIn(_fillIn.NonZeros(exchange, _sum), TotalK);
        exchange.ResetOutput(_sum);
        ok &= !_sum.AsSpan().ContainsAnyExcept(0f);
        return (_world.Allreduce(ok ? 1 : 0, ReduceOp.Min) == 1 && same, fillIn);
    }
}
