namespace SparseMpi.Sparsification;

/// <summary>
/// The dynamic sparsity rule of Khirirat, Magnússon, Aytekin and Johansson (2020): among the k_max candidates
/// of largest magnitude, send the k that maximises S(k) / C(k), where S(k) is the sum of the k largest squared
/// magnitudes (the guaranteed descent of a step with that top-k part is proportional to it) and C(k) the cost
/// model's price of a k-entry message. Work is O(k_max) to bucket the candidates by magnitude (a counting sort on
/// the top bits of their float patterns) plus a sort of only the buckets the scan reaches: nothing proportional
/// to d. With an affine cost the ratio is unimodal (S is concave, C affine), so the scan
/// stops at the first k whose ratio falls; a step-shaped (packet) cost is scanned to k_max.
/// </summary>
public sealed class DynamicSparsity : ISelectionFilter
{
    const int BinShift = 18;            // keep sign, exponent and 5 mantissa bits of a magnitude's bit pattern
    const int Bins = 1 << (32 - BinShift);

    readonly ICostModel _cost;
    readonly int[] _binCounts = new int[Bins];
    readonly int[] _binEnds = new int[Bins];
    int[] _byBin = [];          // positive candidates' positions, bin by bin, largest magnitudes first
    uint[] _keys = [];          // bit patterns of the magnitudes
    ulong[] _sortScratch = [];
    float[] _magnitudes = [];

    public DynamicSparsity(ICostModel cost) => _cost = cost;

    public ICostModel Cost => _cost;

    /// <summary>S(k)/C(k) of the last choice (0 when nothing was worth sending).</summary>
    public double LastRatio { get; private set; }

    /// <summary>How many candidates the last choice took, largest first, before it could stop.</summary>
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
        int n = BucketByMagnitude(values, count);

        double s = 0, bestRatio = 0;
        int best = 0, taken = 0, bin = 0, sortedEnd = 0;
        for (int p = 0; p < n; p++)
        {
            if (p == sortedEnd) sortedEnd = SortBin(p, bin++);
            double m = _magnitudes[_byBin[p]];
            s += m * m;
            taken++;
            double ratio = s / _cost.Cost(taken);
            if (ratio > bestRatio) { bestRatio = ratio; best = taken; }
            else if (_cost.IsAffine) break; // unimodal: once the ratio falls it never rises again
            if (p + 1 < n)
            {
                if (p + 1 == sortedEnd) sortedEnd = SortBin(p + 1, bin++);
                if (CannotImprove(s, taken, _magnitudes[_byBin[p + 1]], bestRatio)) break;
            }
        }
        LastRatio = bestRatio;
        LastScanned = taken;

        // The chosen positions, back in ascending index order (the wire format delta-encodes them).
        Span<int> chosen = _byBin.AsSpan(0, best);
        chosen.Sort();
        for (int j = 0; j < best; j++)
        {
            int from = chosen[j];
            indices[j] = indices[from];
            values[j] = values[from];
        }
        return best;
    }

    /// <summary>
    /// Counting sort of the positive candidates by the top bits of their magnitude (sign, exponent and five
    /// mantissa bits: for non-negative floats the bit pattern orders like the value), largest bin first, into
    /// <see cref="_byBin"/>. O(count); only the bins the scan reaches are then sorted. Returns how many are positive.
    /// </summary>
    int BucketByMagnitude(Span<float> values, int count)
    {
        Array.Clear(_binCounts);
        for (int j = 0; j < count; j++)
        {
            float m = MathF.Abs(values[j]);
            _magnitudes[j] = m;
            uint key = BitConverter.SingleToUInt32Bits(m);
            _keys[j] = key;
            if (key != 0) _binCounts[key >> BinShift]++;
        }
        int n = 0, bins = 0;
        for (int b = Bins - 1; b >= 0; b--)
        {
            int c = _binCounts[b];
            _binCounts[b] = n; // now the bin's first slot
            if (c == 0) continue;
            n += c;
            _binEnds[bins++] = n;
        }
        for (int j = 0; j < count; j++)
            if (_keys[j] != 0) _byBin[_binCounts[_keys[j] >> BinShift]++] = j;
        return n;
    }

    /// <summary>Sorts the bin starting at <paramref name="start"/> by (magnitude desc, index asc); returns its end.</summary>
    int SortBin(int start, int bin)
    {
        int end = _binEnds[bin];
        Span<ulong> order = _sortScratch.AsSpan(start, end - start);
        for (int p = start; p < end; p++)
        {
            int j = _byBin[p];
            order[p - start] = ((ulong)~_keys[j] << 32) | (uint)j; // ascending = larger magnitude, then lower index
        }
        order.Sort();
        for (int p = start; p < end; p++) _byBin[p] = (int)(uint)order[p - start];
        return end;
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

    void Grow(int count)
    {
        if (_byBin.Length >= count) return;
        int size = Math.Max(count, _byBin.Length * 5 / 4);
        _byBin = new int[size];
        _keys = new uint[size];
        _sortScratch = new ulong[size];
        _magnitudes = new float[size];
    }
}
