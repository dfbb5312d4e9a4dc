using TorchSharp;
using static TorchSharp.torch;

namespace SparseMpi.Sparsification;

/// <summary>
/// Exact top-k for an accumulator that lives on the model's device (GPU), with TorchSharp ops there, copying
/// only the k selected indices and values to the host. Same contract as <see cref="MagnitudeSelector.Exact"/>: ascending
/// indices, signed values, ties to the lower index, NaN/Inf rejected. torch.topk does not promise which of
/// equal magnitudes it keeps, so the boundary is settled explicitly: entries strictly above the k-th
/// magnitude are certain, and the remaining slots go to the lowest-indexed entries equal to it.
/// </summary>
public sealed class TorchTopK
{
    Tensor? _magnitudes;

    public int Select(Tensor acc, int k, long step, Span<int> indices, Span<float> values)
    {
        if (acc.dim() != 1 || acc.dtype != ScalarType.Float32)
            throw new ArgumentException("the accumulator must be a 1-D float32 tensor", nameof(acc));
        int d = checked((int)acc.shape[0]);
        SelectionArguments.CheckK(k, d);
        SelectionArguments.CheckOutput(k, indices, values);

        using var scope = NewDisposeScope();
        // |acc| into a buffer kept across calls: fresh d-sized allocations are slow (TorchSharp has no abs(out:)).
        if (_magnitudes is null || _magnitudes.shape[0] != d || _magnitudes.device != acc.device)
        {
            _magnitudes?.Dispose();
            _magnitudes = empty(d, ScalarType.Float32, acc.device).DetachFromDisposeScope();
        }
        var mags = _magnitudes;
        mags.copy_(acc).abs_();

        var (topValues, topIndices) = mags.topk(k, sorted: false);
        // NaN and Inf sort above every finite magnitude, so if any exists it is among the top k.
        float largest = topValues.max().item<float>();
        if (!float.IsFinite(largest)) ThrowFirstNonFinite(acc, step);
        float kth = topValues.min().item<float>();

        var above = topIndices.masked_select(topValues.gt(kth));
        long ties = k - above.shape[0];
        // nonzero() lists indices in ascending order: the first `ties` equal entries are the lowest-indexed. The
        // comparison overwrites the magnitudes (no longer needed) with 1/0 instead of allocating d booleans.
        var equal = mags.eq_(kth).nonzero().flatten().narrow(0, 0, ties);
        var chosen = cat(new[] { above, equal }, 0).sort().Values;
        var chosenValues = acc.index_select(0, chosen);

        chosen.to(ScalarType.Int32).cpu().data<int>().CopyTo(indices[..k]);
        chosenValues.cpu().data<float>().CopyTo(values[..k]);
        return k;
    }

    static void ThrowFirstNonFinite(Tensor acc, long step)
    {
        var bad = acc.isfinite().logical_not().nonzero().flatten();
        long index = bad[0].item<long>();
        throw new NonFiniteGradientException(step, (int)index, acc[index].item<float>());
    }
}
