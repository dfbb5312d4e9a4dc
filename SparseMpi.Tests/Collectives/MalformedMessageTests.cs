using NUnit.Framework;
using System.Buffers.Binary;
using SparseMpi.Collectives.Sparse;

namespace SparseMpi.Tests.Collectives;

/// <summary>The decoder rejects every kind of bad message with a <see cref="MalformedMessageException"/> that says what is wrong.</summary>
public class MalformedMessageTests
{
    const int D = 1000;

    static byte[] Valid(WireFormat format, int[]? indices = null)
    {
        indices ??= [3, 200, 999];
        var values = indices.Select(i => i * 0.5f).ToArray();
        var buffer = new byte[SparseCodec.MaxMessageBytes(indices.Length, format)];
        int length = SparseCodec.Encode(indices, values, D, format, buffer);
        return buffer[..length];
    }

    /// <summary>A message with the given index payload bytes and a consistent header, for hand-made index payloads.</summary>
    static byte[] WithIndexPayload(IndexFormat format, int count, byte[] indexPayload, int d = D)
    {
        var message = new byte[SparseHeader.Size + indexPayload.Length + 4 * count];
        new SparseHeader(format, ValueFormat.Fp32, d, count, indexPayload.Length, 4 * count).Write(message);
        indexPayload.CopyTo(message, SparseHeader.Size);
        return message;
    }

    static void Rejects(byte[] message, string expectedFragment, int receiverD = D)
    {
        var e = Assert.Throws<MalformedMessageException>(() =>
            SparseCodec.Decode(message, receiverD, new int[D + 10], new float[D + 10]));
        Assert.That(e!.Message, Does.Contain(expectedFragment));
        Assert.That(e.Message, Does.StartWith("malformed sparse message"));
    }

    static byte[] Mutated(byte[] message, Action<byte[]> change)
    {
        var copy = (byte[])message.Clone();
        change(copy);
        return copy;
    }

    static IEnumerable<WireFormat> Formats => WireFormat.All;

    [TestCaseSource(nameof(Formats))]
    public void ValidMessagesDecode(WireFormat format)
        => Assert.That(SparseCodec.Decode(Valid(format), D, new int[3], new float[3]).Count, Is.EqualTo(3));

    [TestCaseSource(nameof(Formats))]
    public void HeaderFaults(WireFormat format)
    {
        var good = Valid(format);
        Rejects(Mutated(good, m => m[0] = (byte)'X'), "bad magic");
        Rejects(Mutated(good, m => m[4] = 2), "unsupported version 2");
        Rejects(Mutated(good, m => m[5] = 0), "unknown index format byte 0");
        Rejects(Mutated(good, m => m[5] = 3), "unknown index format byte 3");
        Rejects(Mutated(good, m => m[6] = 0), "unknown value format byte 0");
        Rejects(Mutated(good, m => m[6] = 4), "unknown value format byte 4");
        Rejects(Mutated(good, m => m[7] = 1), "reserved byte");
        Rejects(good, "d mismatch", receiverD: D + 1);
        Rejects(Mutated(good, m => BinaryPrimitives.WriteInt32LittleEndian(m.AsSpan(8), -5)), "negative d");
        Rejects(Mutated(good, m => BinaryPrimitives.WriteInt32LittleEndian(m.AsSpan(12), -1)), "count -1");
        Rejects(Mutated(good, m => BinaryPrimitives.WriteInt32LittleEndian(m.AsSpan(12), 4)), "disagrees with count 4");
        Rejects(Mutated(good, m => BinaryPrimitives.WriteInt32LittleEndian(m.AsSpan(20), 999)), "value payload length 999");
        Rejects(good[..(SparseHeader.Size - 1)], "truncated header");
        Rejects([], "truncated header");
        Rejects(good[..^1], "truncated payload");
        Rejects([.. good, 0], "lengths disagree");
    }

    [Test]
    public void CountAboveDIsRejected()
    {
        var message = WithIndexPayload(IndexFormat.Int32, 3, new byte[12], d: 2);
        Rejects(message, "count 3 outside 0..d", receiverD: 2);
    }

    [Test]
    public void IndexPayloadLengthImpossibleForTheCount()
    {
        Rejects(Mutated(Valid(WireFormat.Default), m => BinaryPrimitives.WriteInt32LittleEndian(m.AsSpan(16), 11)), "index payload length 11");
        Rejects(WithIndexPayload(IndexFormat.Delta, 2, [1]), "index payload length 1 impossible for 2 delta");
        Rejects(WithIndexPayload(IndexFormat.Delta, 1, new byte[6]), "index payload length 6 impossible for 1 delta");
    }

    [Test]
    public void Int32IndexFaults()
    {
        byte[] Int32s(params int[] indices) => indices.SelectMany(BitConverter.GetBytes).ToArray();
        Rejects(WithIndexPayload(IndexFormat.Int32, 2, Int32s(5, D)), $"index {D} >= d");
        Rejects(WithIndexPayload(IndexFormat.Int32, 2, Int32s(-3, 5)), "negative index -3");
        Rejects(WithIndexPayload(IndexFormat.Int32, 3, Int32s(1, 9, 4)), "not ascending at position 2");
        Rejects(WithIndexPayload(IndexFormat.Int32, 2, Int32s(7, 7)), "not ascending at position 1");
    }

    [Test]
    public void DeltaIndexFaults()
    {
        Rejects(WithIndexPayload(IndexFormat.Delta, 2, [5, 0]), "zero gap");                           // repeated index
        Rejects(WithIndexPayload(IndexFormat.Delta, 1, [0]), "zero gap");                              // first gap must be >= 1
        Rejects(WithIndexPayload(IndexFormat.Delta, 2, [0xE8, 0x07, 0x01]), $"index {D} >= d");       // 999, then 1000
        Rejects(WithIndexPayload(IndexFormat.Delta, 1, [0x80, 0x80, 0x80, 0x80, 0x80]), "bad varint"); // continuation on the 5th byte
        Rejects(WithIndexPayload(IndexFormat.Delta, 1, [0x81, 0x80, 0x80, 0x80, 0x10]), "bad varint"); // beyond 32 bits
        Rejects(WithIndexPayload(IndexFormat.Delta, 2, [0x01, 0x81]), "truncated delta index payload");  // last varint runs off the end
        Rejects(WithIndexPayload(IndexFormat.Delta, 2, [0x01, 0x01, 0x01]), "lengths disagree");        // 2 indices, 3 bytes
        // A huge gap that would pass 2^31 as an int must be caught as out of range, not wrap negative.
        Rejects(WithIndexPayload(IndexFormat.Delta, 2, [0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F]), ">= d");
    }

    [Test]
    public void SourceRankIsNamedWhenKnown()
    {
        var inner = new MalformedMessageException("bad magic");
        var e = new MalformedMessageException(3, inner);
        Assert.That(e.SourceRank, Is.EqualTo(3));
        Assert.That(e.Message, Is.EqualTo("malformed sparse message from rank 3: bad magic"));
    }
}
