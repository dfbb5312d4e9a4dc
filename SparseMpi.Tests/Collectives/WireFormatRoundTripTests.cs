using NUnit.Framework;
using SparseMpi.Collectives.Sparse;

namespace SparseMpi.Tests.Collectives;

/// <summary>Encode/decode round trips of whole messages, for every index format x value format.</summary>
public class WireFormatRoundTripTests
{
    static IEnumerable<WireFormat> Formats => WireFormat.All;

    static (int[] Indices, float[] Values) RoundTrip(int[] indices, float[] values, int d, WireFormat format, out int length)
    {
        var buffer = new byte[SparseCodec.MaxMessageBytes(indices.Length, format)];
        length = SparseCodec.Encode(indices, values, d, format, buffer);
        var decodedIndices = new int[indices.Length];
        var decodedValues = new float[indices.Length];
        var header = SparseCodec.Decode(buffer.AsSpan(0, length), d, decodedIndices, decodedValues);
        Assert.That(header.Format, Is.EqualTo(format));
        Assert.That(header.D, Is.EqualTo(d));
        Assert.That(header.Count, Is.EqualTo(indices.Length));
        return (decodedIndices, decodedValues);
    }

    static float[] Quantized(float[] values, ValueFormat format) => values.Select(v => ValueCodec.Quantize(v, format)).ToArray();

    [TestCaseSource(nameof(Formats))]
    public void RandomSelectionsRoundTrip(WireFormat format)
    {
        foreach (var (d, k) in new[] { (1_000_003, 1000), (1_000_003, 250_000), (97, 50), (16, 16) })
        {
            var indices = new int[k];
            var values = new float[k];
            SyntheticSparse.Fill(7, (ulong)k, d, indices, values);
            var (gotIndices, gotValues) = RoundTrip(indices, values, d, format, out int length);
            Assert.That(gotIndices, Is.EqualTo(indices), $"d {d} k {k}");
            Assert.That(gotValues, Is.EqualTo(Quantized(values, format.Value)), $"d {d} k {k}");
            long expectedLength = SparseHeader.Size + IndexCodec.PayloadBytes(indices, format.Index) + (long)k * WireFormat.ValueSize(format.Value);
            Assert.That(length, Is.EqualTo(expectedLength));
        }
    }

    [TestCaseSource(nameof(Formats))]
    public void EmptySelectionIsJustTheHeader(WireFormat format)
    {
        var (indices, values) = RoundTrip([], [], 1000, format, out int length);
        Assert.That(length, Is.EqualTo(SparseHeader.Size));
        Assert.That(indices, Is.Empty);
        Assert.That(values, Is.Empty);
        RoundTrip([], [], 0, format, out length); // d = 0 is a valid (empty) vector
        Assert.That(length, Is.EqualTo(SparseHeader.Size));
    }

    [TestCaseSource(nameof(Formats))]
    public void FullSelectionKEqualsD(WireFormat format)
    {
        const int d = 1001;
        var indices = Enumerable.Range(0, d).ToArray();
        var values = indices.Select(i => i * 0.25f - 100).ToArray();
        var (gotIndices, gotValues) = RoundTrip(indices, values, d, format, out int length);
        Assert.That(gotIndices, Is.EqualTo(indices));
        Assert.That(gotValues, Is.EqualTo(Quantized(values, format.Value)));
        if (format.Index == IndexFormat.Delta) Assert.That(length, Is.EqualTo(SparseHeader.Size + d + d * WireFormat.ValueSize(format.Value)), "every gap is 1: one byte per index");
    }

    [TestCaseSource(nameof(Formats))]
    public void FirstAndLastIndexAndHugeGaps(WireFormat format)
    {
        // d near 2^31: the gaps 2^28.. need 5-byte varints; no dense vector of length d is ever allocated.
        const int d = int.MaxValue;
        int[] indices = [0, 127, 128, 16_511, 16_512, (1 << 28) + 16_512, d - 2, d - 1];
        float[] values = [1, -2, 3, -4, 5, -6, 7, -8];
        var (gotIndices, gotValues) = RoundTrip(indices, values, d, format, out _);
        Assert.That(gotIndices, Is.EqualTo(indices));
        Assert.That(gotValues, Is.EqualTo(values)); // small integers are exact in every format

        // The single index d - 1 is one gap of d: 5 bytes when d >= 2^28.
        RoundTrip([d - 1], [1f], d, format, out int length);
        Assert.That(length, Is.EqualTo(SparseHeader.Size + (format.Index == IndexFormat.Delta ? 5 : 4) + WireFormat.ValueSize(format.Value)));
    }

    [Test]
    public void DeltaGapsFromMinusOneAndVarintLengths()
    {
        // First gap from -1: index 0 is gap 1, index 126 is gap 127 (1 byte), index 127 is gap 128 (2 bytes).
        Assert.That(IndexCodec.PayloadBytes([0], IndexFormat.Delta), Is.EqualTo(1));
        Assert.That(IndexCodec.PayloadBytes([126], IndexFormat.Delta), Is.EqualTo(1));
        Assert.That(IndexCodec.PayloadBytes([127], IndexFormat.Delta), Is.EqualTo(2));
        Assert.That(IndexCodec.PayloadBytes([(1 << 14) - 2], IndexFormat.Delta), Is.EqualTo(2));
        Assert.That(IndexCodec.PayloadBytes([(1 << 14) - 1], IndexFormat.Delta), Is.EqualTo(3));
        Assert.That(IndexCodec.PayloadBytes([(1 << 28) - 1], IndexFormat.Delta), Is.EqualTo(5));
        var buffer = new byte[5];
        foreach (uint value in new[] { 1u, 127u, 128u, 16_383u, 16_384u, (1u << 21) - 1, 1u << 21, (1u << 28) - 1, 1u << 28, uint.MaxValue })
        {
            int written = Varint.Write(value, buffer);
            Assert.That(written, Is.EqualTo(Varint.Length(value)));
            Assert.That(Varint.TryRead(buffer.AsSpan(0, written), out uint read), Is.EqualTo(written));
            Assert.That(read, Is.EqualTo(value));
        }
    }

    [TestCaseSource(nameof(Formats))]
    public void EncoderRejectsBadSelections(WireFormat format)
    {
        var buffer = new byte[1024];
        Assert.Throws<ArgumentException>(() => SparseCodec.Encode([3, 3], [1, 2], 10, format, buffer), "repeated index");
        Assert.Throws<ArgumentException>(() => SparseCodec.Encode([5, 2], [1, 2], 10, format, buffer), "descending");
        Assert.Throws<ArgumentException>(() => SparseCodec.Encode([-1], [1], 10, format, buffer), "negative");
        Assert.Throws<ArgumentException>(() => SparseCodec.Encode([10], [1], 10, format, buffer), "index d");
        Assert.Throws<ArgumentException>(() => SparseCodec.Encode([1, 2], [1], 10, format, buffer), "counts differ");
        Assert.Throws<ArgumentException>(() => SparseCodec.Encode([1, 2], [1, 2], 10, format, new byte[SparseHeader.Size]), "buffer too small");
    }

    [Test]
    public void MixedFormatsDecodeByTheirOwnHeader()
    {
        // The decoder needs no format argument: each message names its own.
        int[] indices = [2, 40, 99];
        float[] values = [0.1f, -1e5f, 3.5f];
        var decoder = new SparseDecoder();
        foreach (var format in WireFormat.All)
        {
            var encoder = new SparseEncoder(format);
            var header = decoder.Decode(encoder.Encode(indices, values, 100), 100);
            Assert.That(header.Format, Is.EqualTo(format));
            Assert.That(decoder.Indices.ToArray(), Is.EqualTo(indices));
            Assert.That(decoder.Values.ToArray(), Is.EqualTo(Quantized(values, format.Value)));
        }
    }

    [TestCaseSource(nameof(Formats))]
    public void EncoderAndDecoderDoNotAllocatePerStep(WireFormat format)
    {
        const int d = 1_000_003, k = 20_000;
        var indices = new int[k];
        var values = new float[k];
        SyntheticSparse.Fill(3, 0, d, indices, values);
        var encoder = new SparseEncoder(format);
        var decoder = new SparseDecoder();
        decoder.Decode(encoder.Encode(indices, values, d), d); // first call sizes the buffers
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int step = 0; step < 5; step++)
            decoder.Decode(encoder.Encode(indices.AsSpan(0, k - step), values.AsSpan(0, k - step), d), d);
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
    }

    [Test]
    public void FormatNamesParseAndPrint()
    {
        foreach (var format in WireFormat.All)
        {
            Assert.That(WireFormat.TryParse(format.ToString(), out var parsed), Is.True);
            Assert.That(parsed, Is.EqualTo(format));
        }
        Assert.That(WireFormat.TryParse("DELTA:FP16", out var upper) && upper == new WireFormat(IndexFormat.Delta, ValueFormat.Fp16), Is.True);
        Assert.That(WireFormat.TryParse("int32", out _), Is.False);
        Assert.That(WireFormat.TryParse("int64:fp32", out _), Is.False);
        Assert.That(WireFormat.TryParse("int32:fp8", out _), Is.False);
    }
}
