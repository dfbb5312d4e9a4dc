namespace SparseMpi.Collectives.Sparse;

/// <summary>Decodes messages into index and value buffers it owns and reuses; they grow only when a larger k appears.</summary>
public sealed class SparseDecoder
{
    GrowableBuffer<int> _indices;
    GrowableBuffer<float> _values;
    int _count;

    /// <summary>The indices of the last decoded message, valid until the next call.</summary>
    public ReadOnlySpan<int> Indices => _indices.Array.AsSpan(0, _count);
    /// <summary>The values of the last decoded message, valid until the next call.</summary>
    public ReadOnlySpan<float> Values => _values.Array.AsSpan(0, _count);

    /// <summary>Checks and decodes <paramref name="message"/> for a receiver of dimension <paramref name="d"/> (&lt; 0: any).</summary>
    public SparseHeader Decode(ReadOnlySpan<byte> message, int d)
    {
        _count = 0;
        var header = SparseHeader.Read(message, d);
        SparseCodec.Decode(message, d, _indices.Get(header.Count), _values.Get(header.Count));
        _count = header.Count;
        return header;
    }
}
