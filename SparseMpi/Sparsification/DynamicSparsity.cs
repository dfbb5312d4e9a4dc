namespace SparseMpi.Sparsification;

/// <summary>
/// The dynamic sparsity rule of Khirirat, Magnússon, Aytekin and Johansson (2020): among the k_max candidates
/// of largest magnitude, send the k that maximises S(k) / C(k), where S(k) is the sum of the k largest squared
/// magnitudes (the guaranteed descent of a step with that top-k part is proportional to it) and C(k) the cost
/// model's price of a k-entry message. Work is O(k_max) to build a heap plus O(k log k_max) per entry taken:
/// nothing proportional to d. With an affine cost the ratio is unimodal (S is concave, C affine), so the scan
/// stops at the first k whose ratio falls; a step-shaped (packet) cost is scanned to k_max.
/// </summary>
public sealed class DynamicSparsity : ISelectionFilter
{
    readonly ICostModel _cost;
    int[] _heap = [];         // candidate positions, max-heap by (magnitude desc, index asc)
    int[] _order = [];        // positions in the order taken
    float[] _magnitudes = [];

    public DynamicSparsity(ICostModel cost) => _cost = cost;

    public ICostModel Cost => _cost;

    /// <summary>S(k)/C(k) of the last choice (0 when nothing was worth sending).</summary>
    public double LastRatio { get; private set; }

    /// <summary>How many candidates the last choice took from the heap before it could stop.</summary>
    public int LastScanned { get; private set; }

    /// <summary>Time spent choosing, over all calls: the rule's own overhead beyond the selection pass.</summary>
    public TimeSpan Elapsed { get; private set; }
    public long Calls { get; private set; }

    /// <summary>
    /// Chooses k among the <paramref name="count"/> candidates (ascending <paramref name="indices"/> with their
    /// <paramref name="values"/>), moves the chosen ones to the front in ascending index order, and returns k.
    /// Candidates of magnitude 0 carry no descent and are never chosen: an all-zero accumulator sends nothing.
    /// </summary>
    public int Choose(Span<int> indices, Span<float> values, int count)
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        int k = ChooseCore(indices, values, count);
        Elapsed += System.Diagnostics.Stopwatch.GetElapsedTime(started);
        Calls++;
        return k;
    }

    int ChooseCore(Span<int> indices, Span<float> values, int count)
    {
        Grow(count);
        int n = 0;
        for (int j = 0; j < count; j++)
        {
            float m = MathF.Abs(values[j]);
            _magnitudes[j] = m;
            if (m > 0f) _heap[n++] = j;
        }
        for (int i = n / 2 - 1; i >= 0; i--) SiftDown(i, n);

        double s = 0, bestRatio = 0;
        int best = 0, taken = 0;
        while (n > 0)
        {
            int top = _heap[0];
            _heap[0] = _heap[--n];
            SiftDown(0, n);
            _order[taken++] = top;
            double m = _magnitudes[top];
            s += m * m;
            double ratio = s / _cost.Cost(taken);
            if (ratio > bestRatio) { bestRatio = ratio; best = taken; }
            else if (_cost.IsAffine) break; // unimodal: once the ratio falls it never rises again
            if (n > 0 && CannotImprove(s, taken, _magnitudes[_heap[0]], bestRatio)) break;
        }
        LastRatio = bestRatio;
        LastScanned = taken;

        // The chosen positions, back in ascending index order (the wire format delta-encodes them).
        Span<int> chosen = _order.AsSpan(0, best);
        chosen.Sort();
        for (int j = 0; j < best; j++)
        {
            int from = chosen[j];
            indices[j] = indices[from];
            values[j] = values[from];
        }
        return best;
    }

    int ISelectionFilter.Filter(Span<int> indices, Span<float> values, int count) => Choose(indices, values, count);

    /// <summary>
    /// True when no k' > k can beat <paramref name="best"/>: every further entry adds at most next² to S, and
    /// C(k') >= F + E k', so S(k')/C(k') <= (S + (k' - k) next²) / (F + E k'), which is monotone in k' and so
    /// at most the larger of its values at k' = k + 1 and k' -> infinity (next² / E).
    /// </summary>
    bool CannotImprove(double s, int k, float next, double best)
    {
        var (f, e) = _cost.LowerEnvelope;
        double next2 = (double)next * next;
        double atNext = (s + next2) / (f + e * (k + 1));
        double limit = e > 0 ? next2 / e : double.PositiveInfinity;
        return Math.Max(atNext, limit) <= best;
    }

    /// <summary>Brute force of the same rule, for tests: every k from 1 to the candidate count, sorted.</summary>
    public static int ChooseByBruteForce(ReadOnlySpan<float> values, ICostModel cost)
    {
        var squares = values.ToArray().Select(v => (double)v * v).Where(x => x > 0).OrderByDescending(x => x).ToArray();
        double s = 0, bestRatio = 0;
        int best = 0;
        for (int k = 1; k <= squares.Length; k++)
        {
            s += squares[k - 1];
            double r = s / cost.Cost(k);
            if (r > bestRatio) { bestRatio = r; best = k; }
        }
        return best;
    }

    // Larger magnitude first; equal magnitudes: lower index first (deterministic on every rank).
    bool Before(int a, int b) => _magnitudes[a] > _magnitudes[b] || (_magnitudes[a] == _magnitudes[b] && a < b);

    void SiftDown(int i, int n)
    {
        int item = _heap[i];
        while (true)
        {
            int child = 2 * i + 1;
            if (child >= n) break;
            if (child + 1 < n && Before(_heap[child + 1], _heap[child])) child++;
            if (!Before(_heap[child], item)) break;
            _heap[i] = _heap[child];
            i = child;
        }
        _heap[i] = item;
    }

    void Grow(int count)
    {
        if (_heap.Length >= count) return;
        int size = Math.Max(count, _heap.Length * 5 / 4);
        _heap = new int[size];
        _order = new int[size];
        _magnitudes = new float[size];
    }
}
