using System.Diagnostics;
using SparseMpi.Collectives;
using SparseMpi.Collectives.Sparse;
using SparseMpi.Sparsification;
using SparseMpi.Training.Models;

namespace SparseMpi.Training;

/// <summary>
/// What both sparsified rules share, wherever their accumulator lives (host spans for <see cref="SparsifiedRule"/>,
/// device tensors for <see cref="TorchSparsifiedRule"/>): in the local phase, compensate and select (the subclass),
/// then pack the selection for the <see cref="IGradientExchange"/>; in the collective phase, exchange, and apply
/// <c>p -= sum / P</c> at the entries the exchange wrote (the subclass applies, on its device). GRACE's split:
/// the subclass is compressor + memory, the exchange is the communicator.
/// </summary>
public abstract class CompressedRule : IUpdateRule
{
    readonly IGradientExchange _exchange;
    readonly IKSchedule _k;
    readonly int[] _indices;
    readonly float[] _values;
    readonly long[] _kPerRank;
    readonly float _scale;
    readonly FillInCounter? _fillIn; // auto counts its own (among node leaders too: no rank of auto --hierarchy node has one)
    readonly string _exchangeName;
    // The auto this rank runs (flat, or among node leaders: then null on the other ranks of a node), and its
    // algorithms by the names the metrics give what ran ("ssar-rd", or "ssar-rd/node" among leaders).
    readonly AutoExchange? _auto;
    readonly string[] _choiceNames = [];
    readonly bool _recordsNothing; // another rank of a node under auto --hierarchy node: it never learns the choice
    int _selected;

    /// <param name="capacity">the most entries one step can select (sizes the selection buffers once).</param>
    protected CompressedRule(Communicator world, IGradientExchange exchange, IKSchedule k, int capacity)
    {
        _exchange = exchange;
        _k = k;
        _indices = new int[capacity];
        _values = new float[capacity];
        _kPerRank = new long[world.Size];
        _scale = -1f / world.Size; // the values already carry lr: p -= (sum over ranks) / P
        _exchangeName = GradientExchanges.OptionName(exchange);
        _auto = GradientExchanges.AutoOf(exchange);
        if (_auto != null)
        {
            string suffix = exchange is HierarchicalExchange ? "/node" : "";
            _choiceNames = ExchangeCostModel.Algorithms.Select(a => a + suffix).ToArray();
        }
        // Only rank 0 writes the metrics and the summary, and rank 0 is a leader (node rank 0 of its node), so
        // the other ranks of a node need not learn the leaders' choice: no broadcast of it per step.
        _recordsNothing = _auto == null && GradientExchanges.IsAuto(exchange);
        _fillIn = GradientExchanges.IsAuto(exchange) ? null : new FillInCounter(exchange.Dimension);
    }

    /// <summary>The exchange this rule sums selections with.</summary>
    public IGradientExchange Exchange => _exchange;

    public ReadOnlySpan<long> KPerRank => _kPerRank;

    /// <summary>
    /// The fill-in is counted on every this-many-th step (the steps the metrics log, --log-every): it costs one more
    /// O(Σk) pass over the sum, O(d) when the exchange wrote all of it, which only the logged records and the
    /// summary's mean over them read. 1: every step.
    /// </summary>
    public int FillInEvery { get; init; } = 1;
    long _step;

    /// <summary>
    /// --log-assumption: measures the convergence assumption on the same steps as the fill-in (the logged ones),
    /// from this rule's accumulator and the exchange's sum; null: off (no extra collective on any step).
    /// </summary>
    public AssumptionProbe? Assumption { get; init; }

    /// <summary>--record-selections: writes this rank's selection on its steps, after the step's timed phases; null: off.</summary>
    public SelectionRecorder? Recorder { get; init; }

    /// <summary>This rank's error-feedback memory after its selection, on the host (only the host rule has one there).</summary>
    protected virtual ReadOnlySpan<float> HostResidual =>
        throw new NotSupportedException("--log-assumption reads the accumulator on the host; this rule keeps it on its device");

    public int Announcement { get; private set; }

    public double? RuleMsPerStep => _k.Filter is DynamicSparsity { Calls: > 0 } rule ? rule.Elapsed.TotalMilliseconds / rule.Calls : null;

    /// <summary>
    /// Compensate and select: fold the gradient of <paramref name="model"/> into the memory and write the k
    /// selected entries (ascending) to <paramref name="indices"/>/<paramref name="values"/>, keeping the rest;
    /// returns how many. Throws <see cref="NonFiniteGradientException"/> when the accumulator is not finite.
    /// </summary>
    protected abstract int Select(FlatModel model, float lr, int k, long step, Span<int> indices, Span<float> values, ISelectionFilter? filter);

    /// <summary>Adds <c>sum[i] * scale</c> (the product rounded first) to every parameter: the exchange wrote all of the sum.</summary>
    protected abstract void ApplyAll(FlatModel model, Span<float> sum, float scale);

    /// <summary>
    /// Adds <c>sum[i] * scale</c> to the parameters at <paramref name="touched"/> only (an index may repeat:
    /// <see cref="TakeOnce{TSink}"/> visits each once), leaving the sum zero there.
    /// </summary>
    protected abstract void ApplyTouched(FlatModel model, ReadOnlySpan<int> touched, Span<float> sum, float scale);

    /// <summary>The summed update on the host: all zero between steps (the exchange adds into it).</summary>
    protected abstract Span<float> Sum { get; }

    public bool Prepare(FlatModel model, long step, double lr, ref StepStats stats)
    {
        long t = Stopwatch.GetTimestamp();
        try
        {
            int k = _k.KAt(step);
            if (_exchange is IGlobalTopKExchange global) global.TargetK = k; // k is what it keeps of the sum
            _step = step;
            _selected = Select(model, (float)lr, k, step, _indices, _values, _k.Filter);
            // Packed here (timed as select) so the announcement can travel with the step's agreement.
            Announcement = _exchange.Pack(_indices.AsSpan(0, _selected), _values.AsSpan(0, _selected));
        }
        catch (NonFiniteGradientException)
        {
            _selected = 0;
            Announcement = 0;
            return false;
        }
        finally
        {
            stats.MsSelect = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
        }
        stats.K = _selected;
        return true;
    }

    public void ExchangeAndApply(FlatModel model, ReadOnlySpan<int> announcements, ref StepStats stats)
    {
        Span<float> sum = Sum;
        long t = Stopwatch.GetTimestamp();
        var result = _exchange.Exchange(announcements, sum);
        var counts = _exchange.RankCounts;
        for (int r = 0; r < _kPerRank.Length; r++) _kPerRank[r] = counts[r];
        stats.MsComm = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
        stats.BytesSent = result.BytesSent;
        stats.BytesReceived = result.BytesReceived;

        t = Stopwatch.GetTimestamp();
        RecordChoiceAndFillIn(sum, ref stats); // timed as apply
        double msProbe = 0;
        if (Assumption != null && _step % Math.Max(1, FillInEvery) == 0) // before the sum is applied and cleared
        {
            long p = Stopwatch.GetTimestamp();
            Assumption.Measure(HostResidual, _indices.AsSpan(0, _selected), _values.AsSpan(0, _selected), sum, ref stats);
            msProbe = Stopwatch.GetElapsedTime(p).TotalMilliseconds; // a measurement, not part of the step: left out of apply
        }
        if (_exchange.WroteAll) ApplyAll(model, sum, _scale);
        else ApplyTouched(model, _exchange.Touched, sum, _scale); // O(k * P): only entries some rank sent
        if (_exchange is IGlobalTopKExchange global)
        {
            // Only the global top-k was applied: what this rank sent outside it goes back into its memory.
            ReturnUnapplied(_indices.AsSpan(0, _selected), _values.AsSpan(0, _selected), global.Applied);
            stats.GlobalK = global.Applied.Length;
        }
        _exchange.ResetOutput(sum);
        AfterApply();
        stats.MsApply = Stopwatch.GetElapsedTime(t).TotalMilliseconds - msProbe;
        if (Recorder != null && Recorder.Records(_step)) // the selection as it was sent (ReturnUnapplied only read it)
            Recorder.Record(_step, _indices.AsSpan(0, _selected), _values.AsSpan(0, _selected));
    }

    /// <summary>
    /// With a global top-k exchange (<see cref="IGlobalTopKExchange"/>): returns the sent entries that are not in
    /// <paramref name="applied"/> (both ascending) to the error-feedback memory, bit for bit as they were.
    /// </summary>
    protected abstract void ReturnUnapplied(ReadOnlySpan<int> sent, ReadOnlySpan<float> values, ReadOnlySpan<int> applied);

    /// <summary>The exchange's own state when it has any (a global top-k exchange's thresholds and regions), for checkpoints.</summary>
    protected void WriteExchangeState(BinaryWriter writer) => (_exchange as IGlobalTopKExchange)?.WriteState(writer);

    protected void ReadExchangeState(BinaryReader reader) => (_exchange as IGlobalTopKExchange)?.ReadState(reader);
    void RecordChoiceAndFillIn(ReadOnlySpan<float> sum, ref StepStats stats)
    {
        if (_recordsNothing) return; // stats.Exchange, PredictedCommMs and FillIn stay null
        if (_auto is { } auto)
        {
            stats.Exchange = _choiceNames[Array.IndexOf(ExchangeCostModel.Algorithms, auto.LastChoice)];
            stats.PredictedCommMs = 1e3 * auto.LastPredictedSeconds;
            // Auto's own count, over every world rank's k (among leaders auto divides by the node sums' k).
            if (auto.FillInCounted) stats.FillIn = FillIn(auto.LastNonZeros);
            return;
        }
        stats.Exchange = _exchangeName;
        if (_step % Math.Max(1, FillInEvery) != 0) return; // not a logged step: stats.FillIn stays null
        stats.FillIn = FillIn(_fillIn!.NonZeros(_exchange, sum));
    }

    /// <summary>nnz / Σk over every rank's k this step; null where no rank sent anything.</summary>
    double? FillIn(long nonZeros)
    {
        long total = 0;
        foreach (long k in _kPerRank) total += k;
        double fillIn = FillInCounter.FillIn(nonZeros, total);
        return double.IsNaN(fillIn) ? null : fillIn;
    }

    /// <summary>Runs inside the timed apply phase, after the sum was reset (the torch rule waits for its device here).</summary>
    protected virtual void AfterApply() { }

    /// <summary>Receives each touched entry once, with its scaled update.</summary>
    protected interface ITouchedSink
    {
        void Add(int index, float update);
    }

    /// <summary>
    /// Visits every distinct entry of <paramref name="touched"/> once: an index several ranks sent appears once per
    /// rank; the first visit takes <c>sum[i] * scale</c> and clears <c>sum[i]</c>, later visits find 0 and skip.
    /// A (ref) struct sink, so the loop is specialised for each device: no call through an interface per entry.
    /// </summary>
    protected static void TakeOnce<TSink>(ReadOnlySpan<int> touched, Span<float> sum, float scale, ref TSink sink)
        where TSink : ITouchedSink, allows ref struct
    {
        foreach (int i in touched)
        {
            float s = sum[i];
            if (s == 0f) continue;
            sink.Add(i, s * scale);
            sum[i] = 0f;
        }
    }

    public abstract void WriteState(BinaryWriter writer);
    public abstract void ReadState(BinaryReader reader);
    public virtual void Dispose() { }
}
