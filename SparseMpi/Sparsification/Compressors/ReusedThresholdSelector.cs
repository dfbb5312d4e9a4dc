using SparseMpi.Collectives.Sparse;

namespace SparseMpi.Sparsification;

/// <summary>
/// Ok-Topk's local selection (Li and Hoefler, PPoPP'22), used with <c>--exchange oktopk</c>: the exact top-k (the
/// <see cref="MagnitudeSelector.Exact"/> kernel) every <see cref="RefreshPeriod"/> steps, which learns the k-th
/// largest magnitude; in between every entry whose magnitude reaches that threshold, in one pass (the threshold
/// kernel), and the threshold is adjusted for the next step when the count leaves [2k/3, 4k/3]
/// (<see cref="ThresholdBand"/>). At most <see cref="MaxSelected"/> = k + floor(k/3) entries, the top of the band:
/// when more pass, the largest that many are sent (the kernel caps the candidates), so the buffers and the wire stay
/// bounded (Ok-Topk's 6k(P-1)/P words), and the threshold is then raised to the exact k-th magnitude of them. Its threshold is state a checkpoint keeps.
/// </summary>
public sealed class ReusedThresholdSelector : IFusedCompressor
{
    readonly SelectionEngine _engine;
    int[] _scratch = [];

    public ReusedThresholdSelector(int refreshPeriod, VectorPath maxPath = VectorPath.Vector512)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(refreshPeriod, 1);
        RefreshPeriod = refreshPeriod;
        _engine = new SelectionEngine(maxPath);
    }

    public string Name => "topk-reused-threshold";
    public int RefreshPeriod { get; }

    /// <summary>The magnitude key (float bits of |x|) the next non-refresh step selects at.</summary>
    public int ThresholdKey { get; private set; }

    /// <summary>The count of the last selection, and whether it was an exact top-k (a refresh step).</summary>
    public int LastCount { get; private set; }
    public bool LastExact { get; private set; }

    public int MaxSelected(int k) => k + k / 3;

    public static bool IsRefresh(long step, int period) => step % period == 0;

    public int Select(ReadOnlySpan<float> acc, int k, long step, Span<int> indices, Span<float> values)
    {
        SelectionArguments.CheckK(k, acc.Length);
        SelectionArguments.CheckOutput(MaxSelected(k), indices, values);
        var (mode, cap) = Plan(k, step, acc.Length);
        return Learn(_engine.Select(acc, cap, mode, ThresholdKey, step, indices, values), k, cap, mode, values);
    }

    int IFusedCompressor.SelectAccumulating(in Accumulation accumulation, int k, long step, Span<int> indices, Span<float> values)
    {
        SelectionArguments.CheckK(k, accumulation.Residual.Length);
        SelectionArguments.CheckOutput(MaxSelected(k), indices, values);
        var (mode, cap) = Plan(k, step, accumulation.Residual.Length);
        return Learn(_engine.SelectAccumulating(accumulation, cap, mode, ThresholdKey, step, indices, values), k, cap, mode, values);
    }

    (SelectionMode Mode, int Cap) Plan(int k, long step, int d) =>
        IsRefresh(step, RefreshPeriod) ? (SelectionMode.Exact, k) : (SelectionMode.Threshold, Math.Min(MaxSelected(k), d));

    int Learn(int count, int k, int cap, SelectionMode mode, ReadOnlySpan<float> values)
    {
        LastCount = count;
        LastExact = mode == SelectionMode.Exact;
        var selected = values[..count];
        if (LastExact)
        {
            int smallest = count == 0 ? 0 : int.MaxValue; // the smallest magnitude sent is the k-th largest
            foreach (float v in selected) smallest = Math.Min(smallest, ThresholdBand.Key(v));
            ThresholdKey = smallest;
        }
        else
        {
            if (_scratch.Length < count) _scratch = new int[Math.Max(count, _scratch.Length + _scratch.Length / 4)];
            // A capped selection says only that at least cap passed: above the band, like a count past 4k/3.
            ThresholdKey = count >= cap && count > k ? ThresholdBand.KthLargestKey(selected, k, _scratch)
                : ThresholdBand.Adjusted(ThresholdKey, count, k, selected, _scratch);
        }
        return count;
    }

    public void WriteState(BinaryWriter writer) => writer.Write(ThresholdKey);

    public void ReadState(BinaryReader reader)
    {
        int key = reader.ReadInt32();
        if (key < 0) throw new InvalidDataException($"local threshold key {key} out of range");
        ThresholdKey = key;
    }
}
