using System.Diagnostics;

namespace SparseMpi.Collectives.Sparse;

/// <summary>
/// <c>--exchange auto</c>: per step, the exact exchange with the least predicted time. It holds one instance of
/// every algorithm the cost fit knows (<see cref="ExchangeCostModel.Algorithms"/>), made when first chosen; <see cref="Pack"/> keeps this
/// rank's selection and announces k; <see cref="Exchange"/> predicts every algorithm from the announcements (k per
/// rank), the fill-in last counted (every <see cref="FillInEvery"/> exchanges; 1, the worst case, before the first) and the
/// <see cref="ExchangeCostFit"/>, packs the selection for the cheapest (keeping the last choice, or the allgather
/// before the first, unless the cheapest beats it by more than the fits' own error: <see cref="ExchangeCostFit.Choose"/>) and runs it. The decision reads only data
/// every rank shares — the announcements, a fill-in counted on a sum that is bitwise identical on every rank, and a
/// fit fitted from max-over-ranks timings — so every rank chooses the same algorithm without a message of its own.
/// <para>The allgather runs in int32:fp32, whose message length follows from k (header + 8k), so the k
/// announcements give every rank's length and no second gather is needed; that is why auto takes no wire format.
/// Packing the chosen algorithm happens inside Exchange (local, O(k)) and is counted as its encode time.</para>
/// <para>Without a fit given, the first Exchange fits one (<see cref="ExchangeCalibration"/>, collective: every rank
/// is in Exchange with the same announcements) at the mean announced k; <see cref="Calibrate"/> does it up front.</para>
/// <para>Under <c>--hierarchy node</c> it is the inner exchange of a <see cref="HierarchicalExchange"/>: its
/// communicator is the node leaders', its selection a node's sum, its announcements the node sums' k and its fit
/// the leaders' own; the choice is shared by the leaders as it is by every rank here.</para>
/// </summary>
public sealed class AutoExchange : IGradientExchange
{
    readonly Communicator _comm;
    // In the fit's order; each made when first chosen, so the d-sized buffers of algorithms a run never picks
    // (the dense allreduce's, dsar-split's) are never allocated.
    readonly IGradientExchange?[] _candidates;
    readonly double[] _predictions;
    readonly int[] _counts, _translated;
    readonly FillInCounter _fillIn;
    KeptSelection _selection; // from Pack to Exchange, packed there for the chosen algorithm
    int _chosen = -1;
    long _exchanges; // how many Exchange calls so far (the fill-in is counted on every FillInEvery-th, from the first)
    bool _resetPending; // between an Exchange and its ResetOutput
    ExchangeCostFit? _fit;

    public AutoExchange(Communicator comm, int d, ExchangeCostFit? fit = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(d);
        _comm = comm;
        Dimension = d;
        _candidates = new IGradientExchange?[ExchangeCostModel.Algorithms.Length];
        _predictions = new double[_candidates.Length];
        _counts = new int[comm.Size];
        _translated = new int[comm.Size];
        _fillIn = new FillInCounter(d);
        if (fit != null) Fit = fit;
    }

    public string Name => "auto";
    public int Dimension { get; }
    public Communicator Communicator => _comm;
    public ReadOnlySpan<int> RankCounts => _counts;
    public bool WroteAll => _chosen >= 0 && _candidates[_chosen]!.WroteAll;
    public ReadOnlySpan<int> Touched => _chosen >= 0 ? _candidates[_chosen]!.Touched : [];

    /// <summary>The cost fit the choice uses (null until given or calibrated). Must hold every algorithm and match this communicator.</summary>
    public ExchangeCostFit? Fit
    {
        get => _fit;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            if (value.Ranks != _comm.Size) throw new ArgumentException($"the cost fit is for {value.Ranks} ranks, the communicator has {_comm.Size}");
            if (!value.Costs.Select(c => c.Algorithm).SequenceEqual(ExchangeCostModel.Algorithms))
                throw new ArgumentException($"the cost fit must cover {string.Join(", ", ExchangeCostModel.Algorithms)} in that order");
            _fit = value;
        }
    }

    /// <summary>Collective: fits the cost of every algorithm on this communicator around k per rank.</summary>
    public ExchangeCostFit Calibrate(int k, int repeats = ExchangeCalibration.DefaultRepeats) =>
        Fit = ExchangeCalibration.Fit(_comm, Math.Max(1, Dimension), k, repeats);

    /// <summary>
    /// Test hook (check-sparse): the algorithm to run regardless of the prediction (null: the cheapest). Every rank
    /// must set the same.
    /// </summary>
    public string? Force { get; set; }

    /// <summary>The algorithm the last exchange ran ("allgather", "ssar-rd", ...; null before the first).</summary>
    public string? LastChoice => _chosen >= 0 ? ExchangeCostModel.Algorithms[_chosen] : null;

    /// <summary>The chosen algorithm's predicted seconds in the last exchange.</summary>
    public double LastPredictedSeconds => _chosen >= 0 ? _predictions[_chosen] : double.NaN;

    /// <summary>Every algorithm's predicted seconds in the last exchange, in <see cref="ExchangeCostModel.Algorithms"/> order.</summary>
    public ReadOnlySpan<double> LastPredictions => _predictions;

    /// <summary>The fill-in the last exchange's choice assumed (the one measured on the step before).</summary>
    public double AssumedFillIn { get; private set; } = 1;

    /// <summary>
    /// The fill-in of the last counted exchange's sum, nnz(sum) / Σk (NaN when every k was 0, or before the first
    /// count); the next choice reads it.
    /// </summary>
    public double LastFillIn { get; private set; } = double.NaN;

    /// <summary>
    /// nnz of the last counted exchange's sum (0 before the first count), the numerator of <see cref="LastFillIn"/>:
    /// for a caller that divides by another Σk (the node hierarchy's: every world rank's k, not the node sums').
    /// </summary>
    public long LastNonZeros { get; private set; }

    /// <summary>Whether the last exchange counted its fill-in (<see cref="FillInEvery"/>).</summary>
    public bool FillInCounted { get; private set; }

    /// <summary>
    /// Count the fill-in on the first exchange and on every FillInEvery-th after it (1: every exchange). The count
    /// is a random pass over the Σk received entries (or a pass over d where the algorithm wrote all of the sum),
    /// as much as the allgather's own decode, and on an oversubscribed node every rank's CPU work queues for the
    /// same cores. A gradient's fill-in drifts over many steps, so a count every few steps steers the choice as
    /// well. Every rank must set the same.
    /// </summary>
    public int FillInEvery
    {
        get;
        init { ArgumentOutOfRangeException.ThrowIfLessThan(value, 1); field = value; }
    } = 16;

    /// <summary>Keeps a copy of the selection (checked: ascending, inside 0..d-1); the announcement is k.</summary>
    public int Pack(ReadOnlySpan<int> indices, ReadOnlySpan<float> values) => _selection.Keep(indices, values, Dimension);

    public ExchangeResult Exchange(ReadOnlySpan<int> announcements, Span<float> sum)
    {
        ExchangeChecks.Sum(sum, Dimension);
        ExchangeChecks.Announcements(announcements, _comm.Size);
        ExchangeChecks.AnnouncedK(announcements, _comm.Rank, _selection.K);
        // The next algorithm may add into the sum the last one wrote: it must be clean, whichever ran.
        if (_resetPending) throw new InvalidOperationException("ResetOutput(sum) must run between two exchanges: auto's next algorithm may add into the sum");
        announcements.CopyTo(_counts);
        if (_fit == null)
        {
            long total = 0;
            foreach (int k in announcements) total += k;
            Calibrate((int)Math.Max(1, total / _comm.Size));
        }

        AssumedFillIn = double.IsNaN(LastFillIn) ? AssumedFillIn : LastFillIn;
        var shape = ExchangeShape.Of(Dimension, announcements, AssumedFillIn);
        // The incumbent: the last choice, or before the first the allgather, whose bytes follow from k alone.
        int cheapest = _fit!.Choose(shape, _predictions, _chosen >= 0 ? _chosen : 0);
        _chosen = Force is string forced ? Array.IndexOf(ExchangeCostModel.Algorithms, forced) : cheapest;
        if (_chosen < 0) throw new ArgumentException($"auto cannot force '{Force}'; known: {string.Join(", ", ExchangeCostModel.Algorithms)}");
        var exchange = _candidates[_chosen] ??= GradientExchanges.Create(ExchangeCostModel.Algorithms[_chosen], _comm, Dimension, WireFormat.Default);

        long start = Stopwatch.GetTimestamp();
        int mine = exchange.Pack(_selection.Indices, _selection.Values);
        bool lengths = exchange is SparseAllgatherExchange;
        for (int r = 0; r < _translated.Length; r++)
            _translated[r] = lengths ? checked((int)ExchangeCostModel.AllgatherMessageBytes(announcements[r])) : announcements[r];
        if (mine != _translated[_comm.Rank]) throw new InvalidOperationException($"{exchange.Name} announced {mine}, auto expected {_translated[_comm.Rank]}");
        double packSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;

        var result = exchange.Exchange(_translated, sum);
        FillInCounted = _exchanges++ % FillInEvery == 0;
        if (FillInCounted) LastFillIn = FillInCounter.FillIn(LastNonZeros = _fillIn.NonZeros(exchange, sum), shape.TotalK);
        _resetPending = true;
        return result with { EncodeSeconds = result.EncodeSeconds + packSeconds };
    }

    public void ResetOutput(Span<float> sum)
    {
        ExchangeChecks.Sum(sum, Dimension);
        if (_chosen >= 0)
        {
            _candidates[_chosen]!.ResetToZero(sum); // the next step's algorithm may be another one, which adds into the sum
        }
        _resetPending = false;
    }
}
