namespace SparseMpi.Collectives.Sparse;

/// <summary>Encodes selections into a buffer it owns and reuses; it grows only when a larger k appears.</summary>
public sealed class SparseEncoder(WireFormat format)
{
    GrowableBuffer<byte> _buffer;
    int _length;

    /// <summary>The format of the next message; may change between steps (each message names its own format).</summary>
    public WireFormat Format { get; set; } = format;

    /// <summary>The message, valid until the next call.</summary>
    public ReadOnlySpan<byte> Encode(ReadOnlySpan<int> indices, ReadOnlySpan<float> values, int d)
    {
        var buffer = _buffer.Get(SparseCodec.MaxMessageBytes(indices.Length, Format));
        _length = SparseCodec.Encode(indices, values, d, Format, buffer);
        return buffer[.._length];
    }

    /// <summary>The last message <see cref="Encode"/> produced, valid until the next call.</summary>
    public ReadOnlySpan<byte> Last => _buffer.Get(_length)[.._length];
}
