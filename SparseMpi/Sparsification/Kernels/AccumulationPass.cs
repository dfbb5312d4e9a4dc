using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SparseMpi.Sparsification;

/// <summary>
/// The accumulation alone, for compressors that cannot select in the same pass (random-k): one pass
/// that writes the accumulator and ORs together "exponent all ones" masks, so non-finite values are
/// detected without a second pass. Same operator structs, so the accumulator is bit-identical to the one the
/// fused selectors compute.
/// </summary>
internal readonly ref struct AccumulationPass(ReadOnlySpan<float> after, VectorPath path) : IAccumulationConsumer
{
    const int ExponentMask = MagnitudeKey.NonFiniteFloor;

    readonly ReadOnlySpan<float> _after = after; // the accumulator once the pass has written it
    readonly VectorPath _path = path;

    /// <summary>Returns the index of the first non-finite accumulator entry, or -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int Run<TOp>(ref TOp op) where TOp : IAccumulationOperator, allows ref struct
    {
        var after = _after;
        var path = _path;
        int d = op.Length;
        int i = 0;
        bool bad = false;
        var e512 = Vector512.Create(ExponentMask);
        var e256 = Vector256.Create(ExponentMask);
        var e128 = Vector128.Create(ExponentMask);
        // One cache line (16 floats) per iteration at every width, each stream prefetched a page ahead as the
        // filter pass does (CacheLine.PageAhead), so that bench-topk's accumulate-only floor runs the fused
        // kernel's loads. Its own gain is not shown: the committed Intel runs have this pass at 1.66-1.77x of a
        // one-stream read pass, quick runs without the prefetch at 1.71-1.89x (docs/results/kernels/intel).
        if (path == VectorPath.Vector512)
        {
            var acc = Vector512<int>.Zero;
            for (; i <= d - 16; i += 16)
            {
                CacheLine.PrefetchAhead(ref op, i, d, 1);
                acc |= Vector512.Equals(op.Invoke512(i).AsInt32() & e512, e512);
            }
            bad = acc != Vector512<int>.Zero;
        }
        else if (path == VectorPath.Vector256)
        {
            var acc = Vector256<int>.Zero;
            for (; i <= d - 16; i += 16)
            {
                CacheLine.PrefetchAhead(ref op, i, d, 1);
                acc |= Vector256.Equals(op.Invoke256(i).AsInt32() & e256, e256)
                     | Vector256.Equals(op.Invoke256(i + 8).AsInt32() & e256, e256);
            }
            bad = acc != Vector256<int>.Zero;
        }
        else if (path == VectorPath.Vector128)
        {
            var acc = Vector128<int>.Zero;
            for (; i <= d - 16; i += 16)
            {
                CacheLine.PrefetchAhead(ref op, i, d, 1);
                acc |= (Vector128.Equals(op.Invoke128(i).AsInt32() & e128, e128)
                      | Vector128.Equals(op.Invoke128(i + 4).AsInt32() & e128, e128))
                     | (Vector128.Equals(op.Invoke128(i + 8).AsInt32() & e128, e128)
                      | Vector128.Equals(op.Invoke128(i + 12).AsInt32() & e128, e128));
            }
            bad = acc != Vector128<int>.Zero;
        }
        for (; i < d; i++)
            bad |= MagnitudeKey.IsNonFinite(MagnitudeKey.Of(op.Invoke(i)));
        if (!bad) return -1;
        for (int j = 0; j < d; j++)
            if (MagnitudeKey.IsNonFinite(MagnitudeKey.Of(after[j]))) return j;
        return -1;
    }
}
