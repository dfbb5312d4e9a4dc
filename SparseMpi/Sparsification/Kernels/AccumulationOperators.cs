using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace SparseMpi.Sparsification;

/// <summary>
/// The "operator struct" of the selection kernels (the TensorPrimitives pattern): it produces the values to
/// select from, at every vector width and for one element, so one filter driver serves a plain read of an
/// accumulator and the fused error-feedback accumulations alike. Operators that compute the accumulator also
/// store it back (<see cref="WritesBack"/>), which is what makes "accumulate + select" one memory pass.
/// All widths evaluate the same expression with the same roundings (no FMA contraction), so every path
/// produces bit-identical accumulators.
/// </summary>
internal interface IAccumulationOperator
{
    /// <summary>True when Invoke stores the value it returns, so a pass must visit every element.</summary>
    static abstract bool WritesBack { get; }

    int Length { get; }

    /// <summary>The value at i as Invoke would produce it, without side effects (used by the sampler).</summary>
    float Peek(int i);

    /// <summary>Peek for 4 lanes: the sampler reads whole runs with it (measured 2.5x faster than per element).</summary>
    Vector128<float> Peek128(int i);

    /// <summary>Starts loading the cache lines Peek(i) will read (the sampler's reads are scattered).</summary>
    void Prefetch(int i);

    float Invoke(int i);
    Vector128<float> Invoke128(int i);
    Vector256<float> Invoke256(int i);
    Vector512<float> Invoke512(int i);
}

/// <summary>Selects from an existing accumulator.</summary>
internal readonly ref struct ReadAccumulator : IAccumulationOperator
{
    readonly ref readonly float _x;
    public int Length { get; }

    public ReadAccumulator(ReadOnlySpan<float> x)
    {
        _x = ref MemoryMarshal.GetReference(x);
        Length = x.Length;
    }

    public static bool WritesBack => false;
    public void Prefetch(int i) => CacheLine.Prefetch(in _x, i);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Peek128(int i) => Vector128.LoadUnsafe(in _x, (nuint)i);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Peek(int i) => Unsafe.Add(ref Unsafe.AsRef(in _x), i);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(int i) => Unsafe.Add(ref Unsafe.AsRef(in _x), i);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke128(int i) => Vector128.LoadUnsafe(in _x, (nuint)i);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke256(int i) => Vector256.LoadUnsafe(in _x, (nuint)i);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke512(int i) => Vector512.LoadUnsafe(in _x, (nuint)i);
}

/// <summary>Error feedback: residual = residual + lr * grad, the new value is the accumulator.</summary>
internal readonly ref struct ErrorFeedbackAccumulator : IAccumulationOperator
{
    readonly ref float _r;
    readonly ref readonly float _g;
    readonly float _lr;
    public int Length { get; }

    public ErrorFeedbackAccumulator(Span<float> residual, ReadOnlySpan<float> grad, float lr)
    {
        _r = ref MemoryMarshal.GetReference(residual);
        _g = ref MemoryMarshal.GetReference(grad);
        _lr = lr;
        Length = residual.Length;
    }

    public static bool WritesBack => true;

    public void Prefetch(int i)
    {
        CacheLine.Prefetch(in _r, i);
        CacheLine.Prefetch(in _g, i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Peek128(int i) => Vector128.LoadUnsafe(ref _r, (nuint)i) + Vector128.LoadUnsafe(in _g, (nuint)i) * _lr;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Peek(int i) => Unsafe.Add(ref _r, i) + Unsafe.Add(ref Unsafe.AsRef(in _g), i) * _lr;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Invoke(int i)
    {
        ref float r = ref Unsafe.Add(ref _r, i);
        float a = r + Unsafe.Add(ref Unsafe.AsRef(in _g), i) * _lr;
        r = a;
        return a;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Invoke128(int i)
    {
        var a = Vector128.LoadUnsafe(ref _r, (nuint)i) + Vector128.LoadUnsafe(in _g, (nuint)i) * _lr;
        a.StoreUnsafe(ref _r, (nuint)i);
        return a;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke256(int i)
    {
        var a = Vector256.LoadUnsafe(ref _r, (nuint)i) + Vector256.LoadUnsafe(in _g, (nuint)i) * _lr;
        a.StoreUnsafe(ref _r, (nuint)i);
        return a;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Invoke512(int i)
    {
        var a = Vector512.LoadUnsafe(ref _r, (nuint)i) + Vector512.LoadUnsafe(in _g, (nuint)i) * _lr;
        a.StoreUnsafe(ref _r, (nuint)i);
        return a;
    }
}

/// <summary>Error feedback off: the accumulator is lr * grad, written into the (scratch) buffer.</summary>
internal readonly ref struct ScaledGradientAccumulator : IAccumulationOperator
{
    readonly ref float _out;
    readonly ref readonly float _g;
    readonly float _lr;
    public int Length { get; }

    public ScaledGradientAccumulator(Span<float> buffer, ReadOnlySpan<float> grad, float lr)
    {
        _out = ref MemoryMarshal.GetReference(buffer);
        _g = ref MemoryMarshal.GetReference(grad);
        _lr = lr;
        Length = buffer.Length;
    }

    public static bool WritesBack => true;
    public void Prefetch(int i) => CacheLine.Prefetch(in _g, i);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Peek128(int i) => Vector128.LoadUnsafe(in _g, (nuint)i) * _lr;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Peek(int i) => Unsafe.Add(ref Unsafe.AsRef(in _g), i) * _lr;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Invoke(int i) => Unsafe.Add(ref _out, i) = Unsafe.Add(ref Unsafe.AsRef(in _g), i) * _lr;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Invoke128(int i)
    {
        var a = Vector128.LoadUnsafe(in _g, (nuint)i) * _lr;
        a.StoreUnsafe(ref _out, (nuint)i);
        return a;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke256(int i)
    {
        var a = Vector256.LoadUnsafe(in _g, (nuint)i) * _lr;
        a.StoreUnsafe(ref _out, (nuint)i);
        return a;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Invoke512(int i)
    {
        var a = Vector512.LoadUnsafe(in _g, (nuint)i) * _lr;
        a.StoreUnsafe(ref _out, (nuint)i);
        return a;
    }
}

/// <summary>
/// DGC momentum correction: u = beta * u + grad, then acc = residual + lr * u (or lr * u with error
/// feedback off). Both u and the accumulator are stored back in the same pass.
/// </summary>
internal readonly ref struct MomentumAccumulator<TResidual> : IAccumulationOperator
    where TResidual : struct, IResidualMode
{
    readonly ref float _r;
    readonly ref float _u;
    readonly ref readonly float _g;
    readonly float _lr;
    readonly float _beta;
    public int Length { get; }

    public MomentumAccumulator(Span<float> residual, Span<float> momentum, ReadOnlySpan<float> grad, float lr, float beta)
    {
        _r = ref MemoryMarshal.GetReference(residual);
        _u = ref MemoryMarshal.GetReference(momentum);
        _g = ref MemoryMarshal.GetReference(grad);
        _lr = lr;
        _beta = beta;
        Length = residual.Length;
    }

    public static bool WritesBack => true;

    public void Prefetch(int i)
    {
        CacheLine.Prefetch(in _r, i);
        CacheLine.Prefetch(in _u, i);
        CacheLine.Prefetch(in _g, i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Peek128(int i)
    {
        var u = Vector128.LoadUnsafe(ref _u, (nuint)i) * _beta + Vector128.LoadUnsafe(in _g, (nuint)i);
        return TResidual.Keep ? Vector128.LoadUnsafe(ref _r, (nuint)i) + u * _lr : u * _lr;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Peek(int i)
    {
        float u = Unsafe.Add(ref _u, i) * _beta + Unsafe.Add(ref Unsafe.AsRef(in _g), i);
        return TResidual.Keep ? Unsafe.Add(ref _r, i) + u * _lr : u * _lr;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Invoke(int i)
    {
        ref float u = ref Unsafe.Add(ref _u, i);
        ref float r = ref Unsafe.Add(ref _r, i);
        float nu = u * _beta + Unsafe.Add(ref Unsafe.AsRef(in _g), i);
        u = nu;
        float a = TResidual.Keep ? r + nu * _lr : nu * _lr;
        r = a;
        return a;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Invoke128(int i)
    {
        var u = Vector128.LoadUnsafe(ref _u, (nuint)i) * _beta + Vector128.LoadUnsafe(in _g, (nuint)i);
        u.StoreUnsafe(ref _u, (nuint)i);
        var a = TResidual.Keep ? Vector128.LoadUnsafe(ref _r, (nuint)i) + u * _lr : u * _lr;
        a.StoreUnsafe(ref _r, (nuint)i);
        return a;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke256(int i)
    {
        var u = Vector256.LoadUnsafe(ref _u, (nuint)i) * _beta + Vector256.LoadUnsafe(in _g, (nuint)i);
        u.StoreUnsafe(ref _u, (nuint)i);
        var a = TResidual.Keep ? Vector256.LoadUnsafe(ref _r, (nuint)i) + u * _lr : u * _lr;
        a.StoreUnsafe(ref _r, (nuint)i);
        return a;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Invoke512(int i)
    {
        var u = Vector512.LoadUnsafe(ref _u, (nuint)i) * _beta + Vector512.LoadUnsafe(in _g, (nuint)i);
        u.StoreUnsafe(ref _u, (nuint)i);
        var a = TResidual.Keep ? Vector512.LoadUnsafe(ref _r, (nuint)i) + u * _lr : u * _lr;
        a.StoreUnsafe(ref _r, (nuint)i);
        return a;
    }
}

/// <summary>Software prefetch where the ISA has it; a no-op elsewhere (the hint only affects speed).</summary>
internal static class CacheLine
{
    /// <summary>
    /// How far ahead the passes prefetch: one 4 KB page. Measured on an Intel Xeon (AVX-512, d = 2^25): without
    /// it the filter ran at 1.06-1.16x of a memory pass, with it 0.92-1.02x (512 to 4096 floats ahead all did
    /// about as well). The hardware streamer stops at page boundaries, and every block with hits is a
    /// mispredicted branch that throws away the loads issued behind it; prefetches already sent survive that.
    /// </summary>
    public const int PageAhead = 1024;

    /// <summary>Prefetches the <paramref name="lines"/> cache lines of every stream one page ahead of i.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void PrefetchAhead<TOp>(ref TOp op, int i, int d, int lines) where TOp : IAccumulationOperator, allows ref struct
    {
        int ahead = i + PageAhead;
        if (ahead >= d) return;
        for (int line = 0; line < lines; line++) op.Prefetch(ahead + 16 * line);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Prefetch(ref readonly float origin, int i)
    {
        if (System.Runtime.Intrinsics.X86.Sse.IsSupported)
            System.Runtime.Intrinsics.X86.Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref Unsafe.AsRef(in origin), i)));
    }
}

/// <summary>Compile-time switch for <see cref="MomentumAccumulator{TResidual}"/>: keep the residual or not.</summary>
internal interface IResidualMode { static abstract bool Keep { get; } }
internal struct KeepResidual : IResidualMode { public static bool Keep => true; }
internal struct DiscardResidual : IResidualMode { public static bool Keep => false; }
