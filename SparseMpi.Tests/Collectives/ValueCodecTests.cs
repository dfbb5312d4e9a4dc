using NUnit.Framework;
using SparseMpi.Collectives.Sparse;

namespace SparseMpi.Tests.Collectives;

/// <summary>The rounding rules of fp16 and bf16, and that the SIMD paths agree with the scalar reference.</summary>
public class ValueCodecTests
{
    static float F(uint bits) => BitConverter.UInt32BitsToSingle(bits);
    static uint Bits(float f) => BitConverter.SingleToUInt32Bits(f);

    static float RoundTrip(float value, ValueFormat format)
    {
        var bytes = new byte[4];
        ValueCodec.Encode([value], format, bytes);
        var decoded = new float[1];
        ValueCodec.Decode(bytes.AsSpan(0, WireFormat.ValueSize(format)), format, decoded);
        return decoded[0];
    }

    [TestCase(65504f, 65504f)]
    [TestCase(65519f, 65504f)]          // rounds down to max half anyway
    [TestCase(65520f, 65504f)]          // would round to inf: saturates
    [TestCase(1e6f, 65504f)]
    [TestCase(-1e6f, -65504f)]
    [TestCase(float.MaxValue, 65504f)]
    [TestCase(1.00048828125f, 1f)]      // 1 + 2^-11: a tie, to even (1.0)
    [TestCase(1.00146484375f, 1.001953125f)] // 1 + 3*2^-11: a tie, to even (1 + 2^-9)
    [TestCase(1.0005f, 1.0009765625f)]  // above the tie 1 + 2^-11: up to 1 + 2^-10
    [TestCase(5.9604645e-8f, 5.9604645e-8f)] // 2^-24, the smallest subnormal half: exact
    [TestCase(2.9802322e-8f, 0f)]       // 2^-25, half the smallest subnormal: a tie, to even (0)
    [TestCase(4.4703484e-8f, 5.9604645e-8f)] // 1.5 * 2^-25: up to 2^-24
    [TestCase(6.1035156e-5f, 6.1035156e-5f)] // 2^-14, the smallest normal half
    [TestCase(1e-10f, 0f)]
    public void Fp16RoundsToNearestEvenAndSaturates(float input, float expected)
    {
        Assert.That(Bits(RoundTrip(input, ValueFormat.Fp16)), Is.EqualTo(Bits(expected)), $"{input:R}");
        Assert.That(Bits(ValueCodec.Quantize(input, ValueFormat.Fp16)), Is.EqualTo(Bits(expected)));
    }

    [Test]
    public void Fp16KeepsSignedZeroInfinityAndNaN()
    {
        Assert.That(Bits(RoundTrip(-0f, ValueFormat.Fp16)), Is.EqualTo(Bits(-0f)));
        Assert.That(Bits(RoundTrip(-1e-10f, ValueFormat.Fp16)), Is.EqualTo(Bits(-0f)));
        Assert.That(RoundTrip(float.PositiveInfinity, ValueFormat.Fp16), Is.EqualTo(float.PositiveInfinity));
        Assert.That(RoundTrip(float.NegativeInfinity, ValueFormat.Fp16), Is.EqualTo(float.NegativeInfinity));
        Assert.That(float.IsNaN(RoundTrip(float.NaN, ValueFormat.Fp16)), Is.True);
        Assert.That(float.IsNaN(RoundTrip(F(0x7F80_0001), ValueFormat.Fp16)), Is.True, "a signalling NaN must not become inf");
    }

    [TestCase(0x3F80_8000u, 0x3F80u)]   // 1 + 2^-8: a tie, to even (1.0)
    [TestCase(0x3F81_8000u, 0x3F82u)]   // 1 + 3*2^-8: a tie, to even (up)
    [TestCase(0x3F80_8001u, 0x3F81u)]   // just above the tie: up
    [TestCase(0x3F80_7FFFu, 0x3F80u)]   // just below the tie: down
    [TestCase(0xBF80_8000u, 0xBF80u)]   // negative tie, to even
    [TestCase(0x0000_0001u, 0x0000u)]   // smallest float subnormal: to zero
    [TestCase(0x0001_8000u, 0x0002u)]   // subnormal tie, to even
    [TestCase(0x7F7F_7FFFu, 0x7F7Fu)]   // below the overflow tie: max bf16
    [TestCase(0x7F7F_8000u, 0x7F7Fu)]   // would round to inf: saturates
    [TestCase(0x7F7F_FFFFu, 0x7F7Fu)]   // float.MaxValue: saturates
    [TestCase(0xFF7F_FFFFu, 0xFF7Fu)]   // -float.MaxValue: saturates
    [TestCase(0x7F80_0000u, 0x7F80u)]   // +inf stays inf
    [TestCase(0xFF80_0000u, 0xFF80u)]   // -inf stays -inf
    [TestCase(0x7F80_0001u, 0x7FC0u)]   // signalling NaN: quiet NaN, not inf
    [TestCase(0xFFC0_0000u, 0xFFC0u)]   // negative quiet NaN keeps its sign
    public void Bf16RoundsToNearestEvenAndSaturates(uint input, uint expectedTop)
    {
        Assert.That((uint)ValueCodec.ToBf16Bits(F(input)), Is.EqualTo(expectedTop));
        Assert.That(Bits(RoundTrip(F(input), ValueFormat.Bf16)), Is.EqualTo(expectedTop << 16));
    }

    /// <summary>Random bit patterns (every class of float) through the SIMD path, at lengths that exercise the remainder loop.</summary>
    [TestCase(ValueFormat.Fp16)]
    [TestCase(ValueFormat.Bf16)]
    [TestCase(ValueFormat.Fp32)]
    public void SimdPathEqualsScalarReference(ValueFormat format)
    {
        var random = new Random(17);
        foreach (int length in new[] { 1, 7, 15, 16, 17, 31, 33, 63, 64, 65, 511, 512, 513, 1025, 100_003 })
        {
            var values = new float[length];
            for (int i = 0; i < length; i++)
            {
                values[i] = (i % 4) switch
                {
                    0 => F((uint)random.NextInt64(0, 1L << 32)),                          // any bits: NaN, inf, subnormal, huge
                    1 => (float)(random.NextDouble() * 2 - 1) * MathF.Pow(2, random.Next(-30, 20)), // the range of gradients
                    2 => F(0x3F80_0000u | (uint)random.Next(0, 1 << 23) & 0xFFFF_E000u | 0x1000u), // fp16 ties near 1
                    _ => F((uint)random.Next(0, 1 << 16) << 16 | 0x8000u),              // bf16 ties
                };
            }
            var bytes = new byte[4 * length];
            ValueCodec.Encode(values, format, bytes);
            var decoded = new float[length];
            ValueCodec.Decode(bytes.AsSpan(0, length * WireFormat.ValueSize(format)), format, decoded);
            for (int i = 0; i < length; i++)
            {
                float expected = ValueCodec.Quantize(values[i], format);
                if (float.IsNaN(expected))
                    Assert.That(float.IsNaN(decoded[i]) && float.IsNegative(decoded[i]) == float.IsNegative(expected), Is.True, $"length {length}, i {i}: NaN with its sign");
                else
                    Assert.That(Bits(decoded[i]), Is.EqualTo(Bits(expected)), $"length {length}, i {i}, input {values[i]:R} (0x{Bits(values[i]):x8})");
            }
        }
    }

    [Test]
    public void DecodeWidensEveryHalfAndBf16Exactly()
    {
        var halves = new byte[2 * 65536];
        for (int b = 0; b < 65536; b++) BitConverter.TryWriteBytes(halves.AsSpan(2 * b), (ushort)b);
        var fromHalf = new float[65536];
        var fromBf16 = new float[65536];
        ValueCodec.Decode(halves, ValueFormat.Fp16, fromHalf);
        ValueCodec.Decode(halves, ValueFormat.Bf16, fromBf16);
        for (int b = 0; b < 65536; b++)
        {
            float half = (float)BitConverter.UInt16BitsToHalf((ushort)b);
            if (float.IsNaN(half)) Assert.That(float.IsNaN(fromHalf[b]), Is.True);
            else Assert.That(Bits(fromHalf[b]), Is.EqualTo(Bits(half)), $"half 0x{b:x4}");
            Assert.That(Bits(fromBf16[b]), Is.EqualTo((uint)b << 16), $"bf16 0x{b:x4}");
        }
    }

    [Test]
    public void FiniteInputsStayFiniteInEveryFormat()
    {
        var random = new Random(3);
        foreach (var format in new[] { ValueFormat.Fp16, ValueFormat.Bf16 })
            for (int i = 0; i < 100_000; i++)
            {
                float x = F((uint)random.NextInt64(0, 1L << 32));
                if (float.IsFinite(x)) Assert.That(float.IsFinite(ValueCodec.Quantize(x, format)), Is.True, $"{format} {x:R}");
            }
    }
}
