using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SparseMpi.Sparsification;

/// <summary>
/// The one memory pass of the sampled-threshold selectors: emit, in ascending index order, every element
/// whose magnitude key is at least a threshold, with its signed value. Written as TensorPrimitives writes its
/// kernels: one driver per vector width over whole blocks, the remainder handled once by the scalar loop,
/// and one operator struct (<see cref="IAccumulationOperator"/>) that supplies the values.
///
/// What keeps it at memory speed (measured with the design prototype): hits are tested once per block of
/// 32-64 elements, not per vector, because taken branches disturb the load stream; with a threshold near
/// the top 0.1-0.2% most blocks have no hit. A block with hits stores every vector's selected lanes
/// branch-free: AVX-512 compress + plain store (faster than CompressStore), AVX2 a looked-up permutation.
/// Every stream is prefetched a page ahead (<see cref="CacheLine.PageAhead"/>): that took the pass from 1.06-1.16x
/// to about 1.0x of a memory pass on an Intel Xeon.
/// The loops are compiled fully optimised from the first call (AggressiveOptimization): a training step
/// calls them once, so tiered compilation would otherwise run them as on-stack-replacement code for a while.
/// </summary>
internal static class CandidateFilter
{
    /// <summary>
    /// Runs the pass. Returns the number of candidates if it is at most <paramref name="limit"/> (the buffer
    /// then holds them all); otherwise some number above the limit (overflow: the buffer contents are
    /// meaningless). A plain-read operator stops at the first overflow; an operator that writes back keeps
    /// going, because the accumulator must be complete whatever the selection does next.
    /// </summary>
    public static int Run<TOp>(ref TOp op, int threshold, int limit, CandidateBuffer buffer, VectorPath path)
        where TOp : IAccumulationOperator, allows ref struct
    {
        buffer.EnsureLimit(limit);
        ref int idx = ref buffer.Indices[0];
        ref float val = ref buffer.Values[0];
        int d = op.Length;
        int count = 0;
        int i = path switch
        {
            VectorPath.Vector512 => Pass512(ref op, d, threshold, limit, ref idx, ref val, ref count),
            VectorPath.Vector256 => Pass256(ref op, d, threshold, limit, ref idx, ref val, ref count),
            VectorPath.Vector128 => Pass128(ref op, d, threshold, limit, ref idx, ref val, ref count),
            _ => 0,
        };
        if (i < 0) return count; // stopped early on overflow
        return Remainder(ref op, i, d, threshold, limit, ref idx, ref val, count);
    }

    /// <summary>The scalar loop: the whole scalar path, and the remainder of every vector path.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static int Remainder<TOp>(ref TOp op, int i, int d, int threshold, int limit, ref int idx, ref float val, int count)
        where TOp : IAccumulationOperator, allows ref struct
    {
        for (; i < d; i++)
        {
            float v = op.Invoke(i);
            if (MagnitudeKey.Of(v) < threshold) continue;
            if (count <= limit)
            {
                Unsafe.Add(ref idx, count) = i;
                Unsafe.Add(ref val, count) = v;
            }
            else if (!TOp.WritesBack) return count;
            count++;
        }
        return count;
    }

    const int Block512 = 64;

    /// <summary>Returns the index where the remainder starts, or -1 when it stopped on overflow.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static int Pass512<TOp>(ref TOp op, int d, int threshold, int limit, ref int idx, ref float val, ref int count)
        where TOp : IAccumulationOperator, allows ref struct
    {
        var t = Vector512.Create(threshold);
        var signClear = Vector512.Create(MagnitudeKey.SignClear);
        var lanes = Vector512<int>.Indices;
        int n = count;
        int i = 0;
        for (; i <= d - Block512; i += Block512)
        {
            CacheLine.PrefetchAhead(ref op, i, d, Block512 / 16);
            var v0 = op.Invoke512(i);
            var v1 = op.Invoke512(i + 16);
            var v2 = op.Invoke512(i + 32);
            var v3 = op.Invoke512(i + 48);
            var k0 = v0.AsInt32() & signClear;
            var k1 = v1.AsInt32() & signClear;
            var k2 = v2.AsInt32() & signClear;
            var k3 = v3.AsInt32() & signClear;
            // One compare on the block's largest key: fewer instructions than testing four masks.
            if (!Vector512.GreaterThanOrEqualAny(Vector512.Max(Vector512.Max(k0, k1), Vector512.Max(k2, k3)), t)) continue;
            var m0 = Vector512.GreaterThanOrEqual(k0, t);
            var m1 = Vector512.GreaterThanOrEqual(k1, t);
            var m2 = Vector512.GreaterThanOrEqual(k2, t);
            var m3 = Vector512.GreaterThanOrEqual(k3, t);
            if (n > limit)
            {
                if (TOp.WritesBack) continue;
                count = n;
                return -1;
            }
            var at = lanes + Vector512.Create(i);
            n = Store512(m0, at, v0, ref idx, ref val, n);
            n = Store512(m1, at + Vector512.Create(16), v1, ref idx, ref val, n);
            n = Store512(m2, at + Vector512.Create(32), v2, ref idx, ref val, n);
            n = Store512(m3, at + Vector512.Create(48), v3, ref idx, ref val, n);
        }
        count = n;
        return i;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static int Store512(Vector512<int> mask, Vector512<int> at, Vector512<float> v, ref int idx, ref float val, int n)
    {
        Avx512F.Compress(Vector512<int>.Zero, mask, at).StoreUnsafe(ref idx, (nuint)n);
        Avx512F.Compress(Vector512<float>.Zero, mask.AsSingle(), v).StoreUnsafe(ref val, (nuint)n);
        return n + BitOperations.PopCount(mask.ExtractMostSignificantBits());
    }

    const int Block256 = 32;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static int Pass256<TOp>(ref TOp op, int d, int threshold, int limit, ref int idx, ref float val, ref int count)
        where TOp : IAccumulationOperator, allows ref struct
    {
        // x86 before AVX-512 has no integer >=, only >: compare against threshold - 1 (threshold >= 0).
        var t = Vector256.Create(threshold - 1);
        var signClear = Vector256.Create(MagnitudeKey.SignClear);
        int n = count;
        int i = 0;
        for (; i <= d - Block256; i += Block256)
        {
            CacheLine.PrefetchAhead(ref op, i, d, Block256 / 16);
            var v0 = op.Invoke256(i);
            var v1 = op.Invoke256(i + 8);
            var v2 = op.Invoke256(i + 16);
            var v3 = op.Invoke256(i + 24);
            var any = (Vector256.GreaterThan(v0.AsInt32() & signClear, t) | Vector256.GreaterThan(v1.AsInt32() & signClear, t))
                    | (Vector256.GreaterThan(v2.AsInt32() & signClear, t) | Vector256.GreaterThan(v3.AsInt32() & signClear, t));
            if (any == Vector256<int>.Zero) continue;
            if (n > limit)
            {
                if (TOp.WritesBack) continue;
                count = n;
                return -1;
            }
            n = StoreBlock256(v0, v1, v2, v3, threshold, i, ref idx, ref val, n);
        }
        count = n;
        return i;
    }

    /// <summary>
    /// The rare block with hits, kept out of line: AVX2 has 16 vector registers, and with the masks and the
    /// stores inline the JIT spilled every loaded vector in the hot loop. Here the masks are recomputed.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    static int StoreBlock256(Vector256<float> v0, Vector256<float> v1, Vector256<float> v2, Vector256<float> v3,
        int threshold, int i, ref int idx, ref float val, int n)
    {
        var t = Vector256.Create(threshold - 1);
        var signClear = Vector256.Create(MagnitudeKey.SignClear);
        var at = Vector256<int>.Indices + Vector256.Create(i);
        n = Store256(Vector256.GreaterThan(v0.AsInt32() & signClear, t), at, v0, ref idx, ref val, n);
        n = Store256(Vector256.GreaterThan(v1.AsInt32() & signClear, t), at + Vector256.Create(8), v1, ref idx, ref val, n);
        n = Store256(Vector256.GreaterThan(v2.AsInt32() & signClear, t), at + Vector256.Create(16), v2, ref idx, ref val, n);
        n = Store256(Vector256.GreaterThan(v3.AsInt32() & signClear, t), at + Vector256.Create(24), v3, ref idx, ref val, n);
        return n;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static int Store256(Vector256<int> mask, Vector256<int> at, Vector256<float> v, ref int idx, ref float val, int n)
    {
        uint bits = mask.ExtractMostSignificantBits();
        var perm = PermuteTable.For(bits);
        Avx2.PermuteVar8x32(at, perm).StoreUnsafe(ref idx, (nuint)n);
        Avx2.PermuteVar8x32(v, perm).StoreUnsafe(ref val, (nuint)n);
        return n + BitOperations.PopCount(bits);
    }

    const int Block128 = 32;

    /// <summary>
    /// The portable path (SSE without AVX2, or Arm NEON): the block test is vectorised, the rare hits are
    /// stored lane by lane from the mask bits, as there is no cheap 128-bit compress everywhere.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static int Pass128<TOp>(ref TOp op, int d, int threshold, int limit, ref int idx, ref float val, ref int count)
        where TOp : IAccumulationOperator, allows ref struct
    {
        var t = Vector128.Create(threshold - 1); // integer > is what SSE and NEON have; threshold >= 0
        var signClear = Vector128.Create(MagnitudeKey.SignClear);
        int n = count;
        int i = 0;
        for (; i <= d - Block128; i += Block128)
        {
            CacheLine.PrefetchAhead(ref op, i, d, Block128 / 16);
            var v0 = op.Invoke128(i);
            var v1 = op.Invoke128(i + 4);
            var v2 = op.Invoke128(i + 8);
            var v3 = op.Invoke128(i + 12);
            var v4 = op.Invoke128(i + 16);
            var v5 = op.Invoke128(i + 20);
            var v6 = op.Invoke128(i + 24);
            var v7 = op.Invoke128(i + 28);
            var any = ((Vector128.GreaterThan(v0.AsInt32() & signClear, t) | Vector128.GreaterThan(v1.AsInt32() & signClear, t))
                     | (Vector128.GreaterThan(v2.AsInt32() & signClear, t) | Vector128.GreaterThan(v3.AsInt32() & signClear, t)))
                    | ((Vector128.GreaterThan(v4.AsInt32() & signClear, t) | Vector128.GreaterThan(v5.AsInt32() & signClear, t))
                     | (Vector128.GreaterThan(v6.AsInt32() & signClear, t) | Vector128.GreaterThan(v7.AsInt32() & signClear, t)));
            if (any == Vector128<int>.Zero) continue;
            if (n > limit)
            {
                if (TOp.WritesBack) continue;
                count = n;
                return -1;
            }
            n = StoreBlock128(v0, v1, v2, v3, threshold, i, ref idx, ref val, n);
            n = StoreBlock128(v4, v5, v6, v7, threshold, i + 16, ref idx, ref val, n);
        }
        count = n;
        return i;
    }

    /// <summary>Out of line for the same reason as <see cref="StoreBlock256"/>.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    static int StoreBlock128(Vector128<float> v0, Vector128<float> v1, Vector128<float> v2, Vector128<float> v3,
        int threshold, int i, ref int idx, ref float val, int n)
    {
        var t = Vector128.Create(threshold - 1);
        var signClear = Vector128.Create(MagnitudeKey.SignClear);
        n = Store128(Vector128.GreaterThan(v0.AsInt32() & signClear, t), i, v0, ref idx, ref val, n);
        n = Store128(Vector128.GreaterThan(v1.AsInt32() & signClear, t), i + 4, v1, ref idx, ref val, n);
        n = Store128(Vector128.GreaterThan(v2.AsInt32() & signClear, t), i + 8, v2, ref idx, ref val, n);
        n = Store128(Vector128.GreaterThan(v3.AsInt32() & signClear, t), i + 12, v3, ref idx, ref val, n);
        return n;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static int Store128(Vector128<int> mask, int at, Vector128<float> v, ref int idx, ref float val, int n)
    {
        uint bits = mask.ExtractMostSignificantBits();
        while (bits != 0)
        {
            int lane = BitOperations.TrailingZeroCount(bits);
            Unsafe.Add(ref idx, n) = at + lane;
            Unsafe.Add(ref val, n) = v.GetElement(lane);
            n++;
            bits &= bits - 1;
        }
        return n;
    }
}
