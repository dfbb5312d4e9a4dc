using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SparseMpi.Collectives.Sparse;

/// <summary>
/// Encodes and decodes the value payload. The rounding rules, identical in the SIMD and the scalar paths:
/// <list type="bullet">
/// <item>fp32: the bits, unchanged.</item>
/// <item>fp16: IEEE round to nearest, ties to even, with subnormals (values below 2^-24 / 2 become ±0). A finite
/// value whose magnitude exceeds 65504 (the largest half) <b>saturates</b> to ±65504 instead of becoming ±inf:
/// one large gradient entry must not poison every rank's model with an infinity.</item>
/// <item>bf16: the top 16 bits of the float, rounded to nearest, ties to even. Rounding can carry a finite float
/// of magnitude >= 0x7F7F8000 (about 3.3962e38) into inf; such values saturate to ±0x7F7F (about 3.3895e38).</item>
/// <item>Non-finite inputs keep their class in every format: ±inf stays ±inf, NaN stays a (quiet) NaN with its
/// sign. The exchange is no place to hide a diverged gradient; ranks flag it instead (see
/// <see cref="IGradientExchange"/>).</item>
/// </list>
/// Decoding widens exactly to float. The scalar <see cref="Quantize"/> is the reference the tests compare with.
/// </summary>
public static class ValueCodec
{
    /// <summary>The largest finite half.</summary>
    public const float MaxHalf = 65504f;
    /// <summary>The largest finite bfloat16, 0x7F7F.</summary>
    public static readonly float MaxBf16 = BitConverter.Int32BitsToSingle(0x7F7F0000);

    // Chunk of the fp16 saturation pass: small enough for the stack and L1, large enough to amortise the calls.
    const int Chunk = 512;

    public static void Encode(ReadOnlySpan<float> values, ValueFormat format, Span<byte> destination)
    {
        switch (format)
        {
            case ValueFormat.Fp32: MemoryMarshal.AsBytes(values).CopyTo(destination); break;
            case ValueFormat.Fp16: EncodeFp16(values, destination); break;
            case ValueFormat.Bf16: EncodeBf16(values, destination); break;
            default: throw new ArgumentOutOfRangeException(nameof(format), format, "unknown value format");
        }
    }

    public static void Decode(ReadOnlySpan<byte> payload, ValueFormat format, Span<float> destination)
    {
        switch (format)
        {
            case ValueFormat.Fp32: payload.CopyTo(MemoryMarshal.AsBytes(destination)); break;
            case ValueFormat.Fp16: TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(payload), destination); break;
            case ValueFormat.Bf16: DecodeBf16(MemoryMarshal.Cast<byte, ushort>(payload), destination); break;
            default: throw new ArgumentOutOfRangeException(nameof(format), format, "unknown value format");
        }
    }

    /// <summary>What a value becomes after an encode/decode round trip in <paramref name="format"/> (scalar reference).</summary>
    public static float Quantize(float value, ValueFormat format) => format switch
    {
        ValueFormat.Fp32 => value,
        ValueFormat.Fp16 => (float)(Half)SaturateFp16(value),
        ValueFormat.Bf16 => BitConverter.Int32BitsToSingle(ToBf16Bits(value) << 16),
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "unknown value format"),
    };

    /// <summary>Scalar fp16 saturation: finite values clamp to ±65504, inf and NaN pass through.</summary>
    public static float SaturateFp16(float x) => float.IsFinite(x) && Math.Abs(x) > MaxHalf ? MathF.CopySign(MaxHalf, x) : x;

    /// <summary>Scalar bf16 encoding (the reference of the SIMD path).</summary>
    public static int ToBf16Bits(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        uint abs = bits & 0x7FFF_FFFF;
        if (abs > 0x7F80_0000) return (int)((bits >> 16) | 0x0040);              // NaN: keep sign and top payload, force quiet
        if (abs >= 0x7F7F_8000 && abs < 0x7F80_0000) return (int)(((bits >> 16) & 0x8000) | 0x7F7F); // would round to inf: saturate
        return (int)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);               // round to nearest, ties to even
    }

    static void EncodeFp16(ReadOnlySpan<float> values, Span<byte> destination)
    {
        var halves = MemoryMarshal.Cast<byte, Half>(destination);
        if (halves.Length < values.Length) throw new ArgumentException("destination too small for the fp16 payload");
        Span<float> saturated = stackalloc float[Chunk];
        for (int start = 0; start < values.Length; start += Chunk)
        {
            int n = Math.Min(Chunk, values.Length - start);
            SaturateFp16(values.Slice(start, n), saturated);
            TensorPrimitives.ConvertToHalf(saturated[..n], halves.Slice(start, n));
        }
    }

    static void SaturateFp16(ReadOnlySpan<float> source, Span<float> destination)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var max = new Vector<float>(MaxHalf);
            var inf = new Vector<float>(float.PositiveInfinity);
            for (; i <= source.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var x = Vector.LoadUnsafe(ref MemoryMarshal.GetReference(source), (nuint)i);
                var abs = Vector.Abs(x);
                // abs > max and abs < inf: finite and too large. NaN compares false and passes through.
                var clamp = Vector.GreaterThan(abs, max) & Vector.LessThan(abs, inf);
                Vector.ConditionalSelect(clamp, Vector.CopySign(max, x), x).StoreUnsafe(ref MemoryMarshal.GetReference(destination), (nuint)i);
            }
        }
        for (; i < source.Length; i++) destination[i] = SaturateFp16(source[i]);
    }

    static void EncodeBf16(ReadOnlySpan<float> values, Span<byte> destination)
    {
        var output = MemoryMarshal.Cast<byte, ushort>(destination);
        if (output.Length < values.Length) throw new ArgumentException("destination too small for the bf16 payload");
        var bits = MemoryMarshal.Cast<float, uint>(values);
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            ref uint src = ref MemoryMarshal.GetReference(bits);
            ref ushort dst = ref MemoryMarshal.GetReference(output);
            int step = 2 * Vector<uint>.Count; // two uint vectors narrow into one ushort vector
            for (; i <= bits.Length - step; i += step)
            {
                var lo = Bf16(Vector.LoadUnsafe(ref src, (nuint)i));
                var hi = Bf16(Vector.LoadUnsafe(ref src, (nuint)(i + Vector<uint>.Count)));
                Vector.Narrow(lo, hi).StoreUnsafe(ref dst, (nuint)i);
            }
        }
        for (; i < bits.Length; i++) output[i] = (ushort)ToBf16Bits(values[i]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector<uint> Bf16(Vector<uint> bits)
    {
        var abs = bits & new Vector<uint>(0x7FFF_FFFF);
        var top = bits >> 16;
        var rounded = (bits + new Vector<uint>(0x7FFF) + (top & Vector<uint>.One)) >> 16;
        var nan = top | new Vector<uint>(0x0040);
        var saturated = (top & new Vector<uint>(0x8000)) | new Vector<uint>(0x7F7F);
        var isNaN = Vector.GreaterThan(abs, new Vector<uint>(0x7F80_0000));
        var overflows = Vector.GreaterThanOrEqual(abs, new Vector<uint>(0x7F7F_8000)) & Vector.LessThan(abs, new Vector<uint>(0x7F80_0000));
        return Vector.ConditionalSelect(isNaN, nan, Vector.ConditionalSelect(overflows, saturated, rounded));
    }

    static void DecodeBf16(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        if (destination.Length < source.Length) throw new ArgumentException("destination too small for the bf16 values");
        var output = MemoryMarshal.Cast<float, uint>(destination);
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            ref ushort src = ref MemoryMarshal.GetReference(source);
            ref uint dst = ref MemoryMarshal.GetReference(output);
            for (; i <= source.Length - Vector<ushort>.Count; i += Vector<ushort>.Count)
            {
                Vector.Widen(Vector.LoadUnsafe(ref src, (nuint)i), out var lo, out var hi);
                (lo << 16).StoreUnsafe(ref dst, (nuint)i);
                (hi << 16).StoreUnsafe(ref dst, (nuint)(i + Vector<uint>.Count));
            }
        }
        for (; i < source.Length; i++) output[i] = (uint)source[i] << 16;
    }
}
