using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SparseMpi.CostModels;

namespace SparseMpi.Sparsification;

/// <summary>
/// The dynamic sparsity rule of Khirirat, Magnússon, Aytekin and Johansson (2020): among the k_max candidates
/// of largest magnitude, send the k that maximises S(k) / C(k), where S(k) is the sum of the k largest squared
/// magnitudes (the guaranteed descent of a step with that top-k part is proportional to it) and C(k) the cost
/// model's price of a k-entry message. Nothing is proportional to d: the candidates are bucketed by the top bits
/// of their magnitudes (a counting sort, O(k_max)) and scanned bucket by bucket, largest first. A bucket is only
/// sorted when the answer may lie inside it: with an affine cost the ratio is unimodal (S concave, C affine), so a
/// bucket throughout which the ratio provably rises is taken whole, and the scan stops at the first fall; a
/// step-shaped (packet) cost stops once an affine lower envelope of it proves that no larger k can win.
/// </summary>
public sealed class DynamicSparsity : ISelectionFilter
{
    const int BinShift = 18;            // keep sign, exponent and 5 mantissa bits of a magnitude's bit pattern
    const int Bins = 1 << (32 - BinShift);

    readonly ICostModel _cost;
    readonly int[] _binCounts = new int[Bins];  // all zero between calls
    readonly int[] _binEnds = new int[Bins];    // per non-empty bin, largest first: end position in _byBin
    readonly uint[] _binIds = new uint[Bins];   // ... and its bin id (the top bits of its magnitudes)
    int[] _byBin = [];          // positive candidates' positions, bin by bin, largest magnitudes first
    uint[] _keys = [];          // bit patterns of the magnitudes
    ulong[] _sortScratch = [];
    bool[] _marked = [];

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
        if ((uint)count > (uint)Math.Min(indices.Length, values.Length))
            throw new ArgumentOutOfRangeException(nameof(count), $"{count} candidates, but spans of {indices.Length} and {values.Length}");
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        int k = ChooseCore(indices, values, count);
        Elapsed += System.Diagnostics.Stopwatch.GetElapsedTime(started);
        Calls++;
        return k;
    }

    int ChooseCore(Span<int> indices, Span<float> values, int count)
    {
        Grow(count);
        int bins = BucketByMagnitude(values, count);
        var (fixedCost, perEntry) = _cost.LowerEnvelope;

        double s = 0, bestRatio = 0;
        int best = 0, taken = 0;
        for (int b = 0; b < bins; b++)
        {
            int end = _binEnds[b];
            uint bin = _binIds[b];
            // Every entry from here on is at most this bin's upper edge: if even those cannot win, stop.
            if (CannotImprove(s, taken, UpperEdgeSquare(bin), fixedCost, perEntry, bestRatio)) break;
            if (_cost.IsAffine && RisesThroughBin(s, taken, end, bin, fixedCost, perEntry, out double sEnd))
            {
                // The ratio rises at every entry of this bin, so its best k here is the bin's end: no sort needed.
                s = sEnd;
                taken = end;
                double ratio = s / _cost.Cost(taken);
                if (ratio > bestRatio) { bestRatio = ratio; best = taken; }
                continue;
            }
            SortBin(taken, end);
            for (; taken < end;)
            {
                double m = Magnitude(_byBin[taken]);
                s += m * m;
                taken++;
                double ratio = s / _cost.Cost(taken);
                if (ratio > bestRatio) { bestRatio = ratio; best = taken; }
                else if (_cost.IsAffine) goto Chosen; // unimodal: once the ratio falls it never rises again
                if (taken < end && CannotImprove(s, taken, Square(Magnitude(_byBin[taken])), fixedCost, perEntry, bestRatio)) goto Chosen;
            }
        }
    Chosen:
        LastRatio = bestRatio;
        LastScanned = taken;
        KeepChosen(indices, values, count, best);
        return best;
    }

    /// <summary>
    /// True when S(k)/C(k) rises at every k inside the bin [taken, end) (affine C = F + E k), which holds if
    /// the bin's smallest possible square s_lo satisfies s_lo * C(taken) > E * S(end): adding an entry s to
    /// (S, C) raises the ratio iff s * C > E * S, and inside the bin s >= s_lo, C >= C(taken), S <= S(end).
    /// Gives S(end) (the bin's squares summed) in <paramref name="sEnd"/>.
    /// </summary>
    bool RisesThroughBin(double s, int taken, int end, uint bin, double fixedCost, double perEntry, out double sEnd)
    {
        sEnd = s;
        for (int p = taken; p < end; p++)
        {
            double m = Magnitude(_byBin[p]);
            sEnd += m * m;
        }
        double lower = BitConverter.UInt32BitsToSingle(bin << BinShift);
        return lower * lower * (fixedCost + perEntry * taken) > perEntry * sEnd;
    }

    /// <summary>
    /// Moves the <paramref name="best"/> chosen candidates (positions _byBin[0..best)) to the front, in ascending
    /// index order (the wire format delta-encodes them; candidates arrive in ascending index order). Few: sort
    /// their positions; many: mark them and sweep the candidates once, O(count) without a sort.
    /// </summary>
    void KeepChosen(Span<int> indices, Span<float> values, int count, int best)
    {
        Span<int> chosen = _byBin.AsSpan(0, best);
        if ((long)best * 16 < count)
        {
            chosen.Sort();
            for (int j = 0; j < best; j++)
            {
                int from = chosen[j];
                indices[j] = indices[from];
                values[j] = values[from];
            }
            return;
        }
        Span<bool> marked = _marked.AsSpan(0, count);
        marked.Clear();
        foreach (int position in chosen) marked[position] = true;
        int kept = 0;
        for (int j = 0; j < count; j++)
        {
            if (!marked[j]) continue;
            indices[kept] = indices[j];
            values[kept] = values[j];
            kept++;
        }
    }

    float Magnitude(int candidate) => BitConverter.UInt32BitsToSingle(_keys[candidate]);

    static double Square(float m) => (double)m * m;

    static double UpperEdgeSquare(uint bin)
    {
        double upper = BitConverter.UInt32BitsToSingle(((bin + 1) << BinShift) - 1);
        return upper * upper;
    }

    /// <summary>
    /// Counting sort of the positive candidates by the top bits of their magnitude (sign, exponent and five
    /// mantissa bits: for non-negative floats the bit pattern orders like the value), largest bin first, into
    /// <see cref="_byBin"/>; the non-empty bins' ids and ends go to <see cref="_binIds"/> and
    /// <see cref="_binEnds"/>. O(count + the span of bins the candidates occupy); only the bins the scan reaches
    /// are then sorted. Returns the number of non-empty bins.
    /// </summary>
    int BucketByMagnitude(Span<float> values, int count)
    {
        // Two passes over the candidates dominate the rule's time: index without bounds checks (all arrays were
        // grown to at least count; bins are < Bins by construction).
        ref uint keys = ref MemoryMarshal.GetArrayDataReference(_keys);
        ref int binCounts = ref MemoryMarshal.GetArrayDataReference(_binCounts);
        ref uint bits = ref Unsafe.As<float, uint>(ref MemoryMarshal.GetReference(values));
        uint lowBin = uint.MaxValue, highBin = 0;
        for (int j = 0; j < count; j++)
        {
            uint key = Unsafe.Add(ref bits, j) & 0x7FFF_FFFFu; // |value|
            Unsafe.Add(ref keys, j) = key;
            if (key == 0) continue;
            uint bin = key >> BinShift;
            Unsafe.Add(ref binCounts, bin)++;
            lowBin = Math.Min(lowBin, bin);
            highBin = Math.Max(highBin, bin);
        }
        if (lowBin > highBin) return 0;
        int n = 0, bins = 0;
        for (uint b = highBin + 1; b-- > lowBin;)
        {
            int c = _binCounts[b];
            _binCounts[b] = n; // now the bin's first slot
            if (c == 0) continue;
            n += c;
            _binIds[bins] = b;
            _binEnds[bins++] = n;
        }
        ref int byBin = ref MemoryMarshal.GetArrayDataReference(_byBin);
        for (int j = 0; j < count; j++)
        {
            uint key = Unsafe.Add(ref keys, j);
            if (key != 0) Unsafe.Add(ref byBin, Unsafe.Add(ref binCounts, key >> BinShift)++) = j;
        }
        Array.Clear(_binCounts, (int)lowBin, (int)(highBin - lowBin + 1)); // zero again for the next call
        return bins;
    }

    /// <summary>Sorts positions [start, end) of one bin by (magnitude desc, index asc).</summary>
    void SortBin(int start, int end)
    {
        Span<ulong> order = _sortScratch.AsSpan(start, end - start);
        for (int p = start; p < end; p++)
        {
            int j = _byBin[p];
            order[p - start] = ((ulong)~_keys[j] << 32) | (uint)j; // ascending = larger magnitude, then lower index
        }
        order.Sort();
        for (int p = start; p < end; p++) _byBin[p] = (int)(uint)order[p - start];
    }

    int ISelectionFilter.Filter(Span<int> indices, Span<float> values, int count) => Choose(indices, values, count);

    /// <summary>
    /// True when no k' > k can beat <paramref name="best"/>: every further entry adds at most next² to S, and
    /// C(k') >= F + E k', so S(k')/C(k') <= (S + (k' - k) next²) / (F + E k'), which is monotone in k' and so
    /// at most the larger of its values at k' = k + 1 and k' -> infinity (next² / E).
    /// </summary>
    static bool CannotImprove(double s, int k, double next2, double fixedCost, double perEntry, double best)
    {
        double atNext = (s + next2) / (fixedCost + perEntry * (k + 1));
        double limit = perEntry > 0 ? next2 / perEntry : double.PositiveInfinity;
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
        _marked = new bool[size];
    }
}
