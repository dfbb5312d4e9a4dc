namespace SparseMpi.Collectives.Sparse;

/// <summary>
/// This rank's selection kept from Pack to Exchange by the exchanges that use it only then (the dense allreduce
/// scatters it into the sum; auto packs it for the algorithm it chooses): checked (ascending, inside 0..d-1) and
/// copied into buffers that grow only when a larger k arrives.
/// </summary>
internal struct KeptSelection
{
    GrowableBuffer<int> _indices;
    GrowableBuffer<float> _values;

    /// <summary>k of the kept selection.</summary>
    public int K { get; private set; }

    public ReadOnlySpan<int> Indices => _indices.Array.AsSpan(0, K);
    public ReadOnlySpan<float> Values => _values.Array.AsSpan(0, K);

    /// <summary>Checks and copies the selection; returns k (the announcement of these exchanges).</summary>
    public int Keep(ReadOnlySpan<int> indices, ReadOnlySpan<float> values, int d)
    {
        if (indices.Length != values.Length) throw new ArgumentException($"the selection has {indices.Length} indices but {values.Length} values");
        IndexCodec.CheckSelection(indices, d);
        indices.CopyTo(_indices.Get(indices.Length));
        values.CopyTo(_values.Get(values.Length));
        K = indices.Length;
        return K;
    }
}
