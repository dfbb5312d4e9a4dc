using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SparseMpi.Sparsification;

/// <summary>How the candidates of a filter pass become the selection (<see cref="MagnitudeSelector.Mode"/>).</summary>
public enum SelectionMode
{
    /// <summary>Exactly the k largest magnitudes, ties to the lower index.</summary>
    Exact,
    /// <summary>Everything at or above a sampled threshold when that is k..1.5k entries, else exact.</summary>
    Approximate,
    /// <summary>Everything at or above a fixed threshold, at most k (the k largest when more pass).</summary>
    Threshold,
}

/// <summary>
/// Sample a threshold, filter in one SIMD pass, finish exactly on the candidates: the shared core of the
/// exact, approximate and hard-threshold compressors, for a plain accumulator or a fused error-feedback
/// accumulation. Measured (d = 2^25, k = d/1000) at 1.05-1.1x one memory pass with AVX-512 and ~1.2x with
/// AVX2 on an AMD EPYC, 1.03-1.08x and 1.13-1.15x on an Intel Xeon, against ~5x for a radix select and
/// 40-60x for torch.topk.
///
/// Exact results are defined by the data alone (never by the sample, the vector width or which fallback
/// ran); approximate ones by the data and the sample positions, which depend only on d. So all ranks and
/// all ISAs agree bit for bit. The routes:
/// <list type="bullet">
/// <item>candidates in [k, limit]: finish on them (histogram refinement, then emit in index order);</item>
/// <item>fewer than k (the sample overestimated the threshold): one more pass with a lower threshold;</item>
/// <item>more than the limit (ties, mostly zeros, a misleading sample) or still too few: radix select;</item>
/// <item>a hard threshold that far more than k entries reach: exact top-k (the cap), by the route above.</item>
/// </list>
/// </summary>
internal sealed class SelectionEngine(VectorPath path)
{
    /// <summary>Standard deviations of margin on the sampled count: 4 makes a second pass a ~1e-4 event.</summary>
    const double ExactSigmas = 4.0;

    /// <summary>
    /// Approximate selection aims lower (about 1.35k at density 0.001) so that most calls land in [k, 1.5k]
    /// and return the candidates as they are; above 1.5k it finishes exactly, which is cheap; below k
    /// (about 0.6% of calls) it needs a second pass.
    /// </summary>
    const double ApproximateSigmas = 2.5;

    /// <summary>Radix fallback filters the top bin into the candidate buffer when it has at most this many.</summary>
    const int FallbackCandidateFloor = 1 << 16;

    readonly CandidateBuffer _candidates = new();
    readonly ThresholdSampler _sampler = new();
    readonly RadixSelect _radix = new();
    readonly int[] _histogram = new int[KthLargestKey.HistogramLength];

    public VectorPath Path { get; } = VectorPaths.Resolve(path);

    /// <summary>Calls that needed a second filter pass (diagnostics; should stay rare).</summary>
    public long SecondPasses { get; private set; }

    /// <summary>Calls that ended in the radix fallback (diagnostics; rare except on adversarial data).</summary>
    public long Fallbacks { get; private set; }

    /// <summary>The most entries a mode can return: approximate selection may send up to 1.5k.</summary>
    public static int MaxSelected(SelectionMode mode, int k) => mode == SelectionMode.Approximate ? k + k / 2 : k;

    public int Select(ReadOnlySpan<float> acc, int k, SelectionMode mode, int thresholdKey, long step, Span<int> indices, Span<float> values)
    {
        var op = new ReadAccumulator(acc);
        return Run(ref op, acc, k, mode, thresholdKey, step, indices, values);
    }

    public int SelectAccumulating(in Accumulation a, int k, SelectionMode mode, int thresholdKey, long step, Span<int> indices, Span<float> values)
    {
        var selection = new FusedSelection(this, a.Residual, k, mode, thresholdKey, step, indices, values);
        return a.Run(ref selection);
    }

    /// <summary>The selection's arguments, waiting for the operator <see cref="Accumulation.Run"/> picks.</summary>
    readonly ref struct FusedSelection : IAccumulationConsumer
    {
        readonly SelectionEngine _engine;
        readonly ReadOnlySpan<float> _after;
        readonly int _k, _thresholdKey;
        readonly SelectionMode _mode;
        readonly long _step;
        readonly Span<int> _indices;
        readonly Span<float> _values;

        public FusedSelection(SelectionEngine engine, ReadOnlySpan<float> after, int k, SelectionMode mode, int thresholdKey,
            long step, Span<int> indices, Span<float> values)
        {
            (_engine, _k, _mode, _thresholdKey, _step) = (engine, k, mode, thresholdKey, step);
            _after = after; // spans cannot travel in a tuple
            _indices = indices;
            _values = values;
        }

        public int Run<TOp>(ref TOp op) where TOp : IAccumulationOperator, allows ref struct =>
            _engine.Run(ref op, _after, _k, _mode, _thresholdKey, _step, _indices, _values);
    }

    /// <summary>
    /// <paramref name="after"/> is the accumulator as it stands once the operator's pass is done (the input
    /// itself, or the residual buffer the fused operator writes): second passes and fallbacks read it.
    /// </summary>
    int Run<TOp>(ref TOp op, ReadOnlySpan<float> after, int k, SelectionMode mode, int thresholdKey, long step,
        Span<int> indices, Span<float> values) where TOp : IAccumulationOperator, allows ref struct
    {
        int d = op.Length;
        int threshold;
        long expected;
        double sigmas = mode == SelectionMode.Approximate ? ApproximateSigmas : ExactSigmas;
        if (mode == SelectionMode.Threshold)
            (threshold, expected) = (thresholdKey, k);
        else
        {
            _sampler.Take(ref op, Path, k);
            (threshold, expected) = _sampler.Threshold(k, sigmas);
        }
        int limit = Limit(expected, d);
        int count = CandidateFilter.Run(ref op, threshold, limit, _candidates, Path);
        if (count <= limit)
        {
            int selected = Finish(count, k, mode, step, indices, values);
            if (selected > 0 || mode == SelectionMode.Threshold) return selected;

            // Too few candidates: the sample put the threshold too high. Aim at 4k on the same sample.
            SecondPasses++;
            (threshold, expected) = _sampler.Threshold(4L * k, sigmas);
            limit = Limit(expected, d);
            var read = new ReadAccumulator(after);
            count = CandidateFilter.Run(ref read, threshold, limit, _candidates, Path);
            if (count <= limit)
            {
                selected = Finish(count, k, mode, step, indices, values);
                if (selected > 0) return selected;
            }
        }
        if (mode == SelectionMode.Threshold)
        {
            // Far more than k entries reach tau, so the cap applies: the k largest, by the sampled route.
            var read = new ReadAccumulator(after);
            return Run(ref read, after, k, SelectionMode.Exact, 0, step, indices, values);
        }
        Fallbacks++;
        return ExactByRadix(after, k, step, indices, values);
    }

    /// <summary>
    /// The exact route's three phases one at a time, for bench-topk's per-phase timings (the engine's own
    /// calls run them back to back): the sample and its threshold, the filter pass, the finish.
    /// </summary>
    internal (int Threshold, int Limit) SamplePhase(ReadOnlySpan<float> acc, int k)
    {
        var op = new ReadAccumulator(acc);
        _sampler.Take(ref op, Path, k);
        var (threshold, expected) = _sampler.Threshold(k, ExactSigmas);
        return (threshold, Limit(expected, acc.Length));
    }

    /// <inheritdoc cref="SamplePhase"/>
    internal int FilterPhase(ReadOnlySpan<float> acc, int threshold, int limit)
    {
        var op = new ReadAccumulator(acc);
        return CandidateFilter.Run(ref op, threshold, limit, _candidates, Path);
    }

    /// <inheritdoc cref="SamplePhase"/>
    internal int FinishPhase(int count, int k, Span<int> indices, Span<float> values) =>
        Finish(count, k, SelectionMode.Exact, 0, indices, values);

    static int Limit(long expected, int d) => (int)Math.Min(d, 2 * expected + 1024);

    /// <summary>
    /// Turns the <paramref name="count"/> candidates in the buffer into the selection; 0 means "too few
    /// candidates for this mode" (a threshold selection may legitimately select none, and returns 0 too).
    /// </summary>
    int Finish(int count, int k, SelectionMode mode, long step, Span<int> indices, Span<float> values)
    {
        var candidateValues = _candidates.Values.AsSpan(0, count);
        var (min, max) = CandidateKeys.Compute(candidateValues, _candidates.Keys.AsSpan(0, count));
        if (count > 0 && MagnitudeKey.IsNonFinite(max))
            ThrowFirstNonFiniteCandidate(count, step);

        bool takeAll = mode switch
        {
            SelectionMode.Threshold => count <= k,
            SelectionMode.Approximate => count >= k && count <= MaxSelected(mode, k),
            _ => count == k,
        };
        if (takeAll)
        {
            _candidates.Indices.AsSpan(0, count).CopyTo(indices);
            candidateValues.CopyTo(values);
            return count;
        }
        if (count < k) return 0;
        return FinishExact(count, k, min, max, indices, values);
    }

    /// <summary>
    /// The k largest of the candidates (whose keys are in the key scratch, between min and max), emitted in
    /// index order. The emit loop is branch-free (about half the candidates go out, so a branch on each would
    /// mispredict half the time: measured 2x slower).
    /// </summary>
    int FinishExact(int count, int k, int min, int max, Span<int> indices, Span<float> values)
    {
        var r = KthLargestKey.Find(_candidates.Keys.AsSpan(0, count), k, _histogram, min, max);
        int ties = k - r.Greater; // how many entries equal to the k-th largest go out: the lowest-indexed ones
        var idx = _candidates.Indices.AsSpan(0, count);
        var val = _candidates.Values.AsSpan(0, count);
        ref int outIdx = ref MemoryMarshal.GetReference(indices);
        ref float outVal = ref MemoryMarshal.GetReference(values);
        int n = 0;
        for (int j = 0; j < idx.Length && n < k; j++)
        {
            int key = MagnitudeKey.Of(val[j]);
            int equal = key == r.Value ? 1 : 0;
            int take = (key > r.Value ? 1 : 0) | (equal & (ties > 0 ? 1 : 0));
            Unsafe.Add(ref outIdx, n) = idx[j]; // n < k <= output length: always in bounds
            Unsafe.Add(ref outVal, n) = val[j];
            n += take;
            ties -= equal & take;
        }
        return n;
    }

    void ThrowFirstNonFiniteCandidate(int count, long step)
    {
        for (int j = 0; j < count; j++)
            if (MagnitudeKey.IsNonFinite(_candidates.Keys[j]))
                throw new NonFiniteGradientException(step, _candidates.Indices[j], _candidates.Values[j]);
    }

    /// <summary>
    /// Exact top-k that no input can mislead. The first histogram level usually leaves a small top bin: then
    /// one filter pass at the bin's floor collects the candidates and the exact finish applies. A huge tie
    /// group (all equal, mostly zeros) refines to the exact k-th key and emits straight from the vector.
    /// </summary>
    int ExactByRadix(ReadOnlySpan<float> x, int k, long step, Span<int> indices, Span<float> values)
    {
        var top = _radix.FirstLevel(x, k, step);
        long candidates = (long)top.Greater + top.Count;
        if (candidates <= Math.Max(4L * k, FallbackCandidateFloor))
        {
            var read = new ReadAccumulator(x);
            int limit = (int)candidates;
            int count = CandidateFilter.Run(ref read, top.Floor, limit, _candidates, Path);
            var (min, max) = CandidateKeys.Compute(_candidates.Values.AsSpan(0, count), _candidates.Keys.AsSpan(0, count));
            return FinishExact(count, k, min, max, indices, values);
        }
        var (value, greater) = _radix.Refine(x, k, top);
        int ties = k - greater;
        int n = 0;
        for (int i = 0; n < k; i++)
        {
            int key = MagnitudeKey.Of(x[i]);
            if (key > value || (key == value && ties-- > 0))
            {
                indices[n] = i;
                values[n] = x[i];
                n++;
            }
        }
        return n;
    }
}
