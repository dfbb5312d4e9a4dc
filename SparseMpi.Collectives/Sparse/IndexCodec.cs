using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SparseMpi.Collectives.Sparse;

/// <summary>
/// Encodes and decodes the index payload. A message's indices are always distinct and strictly ascending, in
/// both formats, so both formats describe the same sets and the receiver's scatter-add order is the sender's.
/// The encoder rejects bad input with <see cref="ArgumentException"/> (a bug on the sending rank); the decoder
/// rejects bad bytes with <see cref="MalformedMessageException"/>.
/// </summary>
public static class IndexCodec
{
    /// <summary>Exact bytes the index payload of <paramref name="indices"/> takes in <paramref name="format"/>.</summary>
    public static long PayloadBytes(ReadOnlySpan<int> indices, IndexFormat format)
    {
        if (format == IndexFormat.Int32) return 4L * indices.Length;
        long bytes = 0;
        int previous = -1;
        foreach (int index in indices)
        {
            bytes += Varint.Length((uint)(index - previous));
            previous = index;
        }
        return bytes;
    }

    /// <summary>Upper bound of the index payload for <paramref name="count"/> indices.</summary>
    public static long MaxPayloadBytes(int count, IndexFormat format) => (format == IndexFormat.Int32 ? 4L : Varint.MaxBytes) * count;

    /// <summary>Checks that <paramref name="indices"/> are strictly ascending and in 0..d-1.</summary>
    public static void CheckSelection(ReadOnlySpan<int> indices, int d)
    {
        int previous = -1;
        for (int i = 0; i < indices.Length; i++)
        {
            int index = indices[i];
            if (index <= previous)
                throw new ArgumentException($"indices must be strictly ascending: indices[{i}] = {index} follows {previous}");
            previous = index;
        }
        if (indices.Length > 0 && indices[^1] >= d)
            throw new ArgumentException($"index {indices[^1]} is outside 0..{d - 1}");
    }

    /// <summary>Writes the index payload; returns its length. The caller has checked the selection.</summary>
    public static int Encode(ReadOnlySpan<int> indices, IndexFormat format, Span<byte> destination)
    {
        if (format == IndexFormat.Int32)
        {
            MemoryMarshal.AsBytes(indices).CopyTo(destination); // little-endian hosts only (see SparseCodec)
            return 4 * indices.Length;
        }
        return EncodeDelta(indices, destination);
    }

    static int EncodeDelta(ReadOnlySpan<int> indices, Span<byte> destination)
    {
        // The loop below writes without bounds checks; the exact size is computed only for a buffer below the worst case.
        if (destination.Length < MaxPayloadBytes(indices.Length, IndexFormat.Delta) && destination.Length < PayloadBytes(indices, IndexFormat.Delta))
            throw new ArgumentException("destination too small for the delta payload");
        ref byte dst = ref MemoryMarshal.GetReference(destination);
        int n = 0, previous = -1;
        foreach (int index in indices)
        {
            uint gap = (uint)(index - previous);
            previous = index;
            while (gap >= 0x80)
            {
                Unsafe.Add(ref dst, n++) = (byte)(gap | 0x80);
                gap >>= 7;
            }
            Unsafe.Add(ref dst, n++) = (byte)gap;
        }
        return n;
    }

    /// <summary>
    /// Decodes <paramref name="count"/> indices from <paramref name="payload"/> (exactly the index payload) into
    /// <paramref name="destination"/>, checking range, order and (delta) varint shape and payload length.
    /// </summary>
    public static void Decode(ReadOnlySpan<byte> payload, IndexFormat format, int count, int d, Span<int> destination)
    {
        if (destination.Length < count) throw new ArgumentException($"destination holds {destination.Length} indices, the message has {count}");
        if (format == IndexFormat.Int32) DecodeInt32(payload, count, d, destination);
        else DecodeDelta(payload, count, d, destination);
    }

    static void DecodeInt32(ReadOnlySpan<byte> payload, int count, int d, Span<int> destination)
    {
        if (payload.Length != 4L * count) throw new MalformedMessageException($"int32 index payload of {payload.Length} bytes for {count} indices");
        var source = MemoryMarshal.Cast<byte, int>(payload);
        int previous = -1;
        for (int i = 0; i < count; i++)
        {
            int index = source[i];
            if (index <= previous)
                throw new MalformedMessageException(index < 0 ? $"negative index {index} at position {i}" : $"indices not ascending at position {i}: {index} after {previous}");
            destination[i] = index;
            previous = index;
        }
        if (count > 0 && previous >= d) throw new MalformedMessageException($"index {previous} >= d = {d}");
    }

    static void DecodeDelta(ReadOnlySpan<byte> payload, int count, int d, Span<int> destination)
    {
        ref byte src = ref MemoryMarshal.GetReference(payload);
        ref int dst = ref MemoryMarshal.GetReference(destination);
        int length = payload.Length, position = 0;
        long previous = -1;
        for (int i = 0; i < count; i++)
        {
            // The common case (gap < 128, every density above ~1%) is one byte; longer varints take the general path.
            if (position >= length) throw new MalformedMessageException($"truncated delta index payload: {i} of {count} indices in {length} bytes");
            uint gap = Unsafe.Add(ref src, position);
            if (gap < 0x80) position++;
            else
            {
                int read = Varint.TryRead(payload[position..], out gap);
                if (read == 0)
                    throw new MalformedMessageException(length - position < Varint.MaxBytes && payload[position..].IndexOfAnyInRange((byte)0, (byte)0x7F) < 0
                        ? $"truncated delta index payload: varint of index {i} runs past the payload"
                        : $"bad varint at index {i}: longer than 5 bytes or beyond 32 bits");
                position += read;
            }
            if (gap == 0) throw new MalformedMessageException($"indices not ascending at position {i}: zero gap repeats index {previous}");
            long index = previous + gap;
            if (index >= d) throw new MalformedMessageException($"index {index} >= d = {d} at position {i}");
            Unsafe.Add(ref dst, i) = (int)index;
            previous = index;
        }
        if (position != length)
            throw new MalformedMessageException($"lengths disagree: {count} delta indices end after {position} bytes, the index payload has {length}");
    }
}
