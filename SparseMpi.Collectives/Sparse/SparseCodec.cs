namespace SparseMpi.Collectives.Sparse;

/// <summary>
/// Packs one rank's (index, value) pairs into one contiguous message (<see cref="SparseHeader"/>, index payload,
/// value payload) and unpacks it. Allocation-free: the caller owns every buffer (see <see cref="SparseEncoder"/>
/// and <see cref="SparseDecoder"/> for reusable ones). The wire format is little-endian, so is the host.
/// </summary>
public static class SparseCodec
{
    /// <summary>The most bytes a message of <paramref name="count"/> pairs can take in <paramref name="format"/>.</summary>
    public static long MaxMessageBytes(int count, WireFormat format)
        => SparseHeader.Size + IndexCodec.MaxPayloadBytes(count, format.Index) + (long)count * WireFormat.ValueSize(format.Value);

    /// <summary>
    /// Encodes the selection (strictly ascending indices in 0..d-1, one value each) into
    /// <paramref name="destination"/>, which must hold <see cref="MaxMessageBytes"/>; returns the message length.
    /// Values are rounded as <see cref="ValueCodec"/> describes.
    /// </summary>
    public static int Encode(ReadOnlySpan<int> indices, ReadOnlySpan<float> values, int d, WireFormat format, Span<byte> destination)
    {
        RequireLittleEndian();
        if (d < 0) throw new ArgumentOutOfRangeException(nameof(d), d, "d must be >= 0");
        if (indices.Length != values.Length) throw new ArgumentException($"{indices.Length} indices but {values.Length} values");
        IndexCodec.CheckSelection(indices, d);
        int count = indices.Length;
        long max = MaxMessageBytes(count, format);
        if (max > int.MaxValue) throw new ArgumentException($"a message of {count} pairs may exceed 2 GiB");
        if (destination.Length < max) throw new ArgumentException($"destination holds {destination.Length} bytes, a message of {count} pairs in {format} needs up to {max}");

        int indexBytes = IndexCodec.Encode(indices, format.Index, destination[SparseHeader.Size..]);
        int valueBytes = count * WireFormat.ValueSize(format.Value);
        ValueCodec.Encode(values, format.Value, destination.Slice(SparseHeader.Size + indexBytes, valueBytes));
        new SparseHeader(format.Index, format.Value, d, count, indexBytes, valueBytes).Write(destination);
        return SparseHeader.Size + indexBytes + valueBytes;
    }

    /// <summary>
    /// Checks and decodes a whole message into <paramref name="indices"/> and <paramref name="values"/> (each must
    /// hold the header's count; read it first with <see cref="SparseHeader.Read"/> when sizing buffers).
    /// <paramref name="expectedD"/> is the receiver's d (&lt; 0 accepts any). Throws
    /// <see cref="MalformedMessageException"/> for bad bytes; on a throw the destinations hold garbage.
    /// </summary>
    public static SparseHeader Decode(ReadOnlySpan<byte> message, int expectedD, Span<int> indices, Span<float> values)
    {
        RequireLittleEndian();
        var header = SparseHeader.Read(message, expectedD);
        if (indices.Length < header.Count || values.Length < header.Count)
            throw new ArgumentException($"the message holds {header.Count} pairs; the destinations hold {indices.Length} indices and {values.Length} values");
        var payload = message[SparseHeader.Size..];
        IndexCodec.Decode(payload[..header.IndexBytes], header.IndexFormat, header.Count, header.D, indices);
        ValueCodec.Decode(payload.Slice(header.IndexBytes, header.ValueBytes), header.ValueFormat, values[..header.Count]);
        return header;
    }

    static void RequireLittleEndian()
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("the sparse wire format needs a little-endian host");
    }
}
