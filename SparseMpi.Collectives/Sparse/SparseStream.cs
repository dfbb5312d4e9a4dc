using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace SparseMpi.Collectives.Sparse;

/// <summary>
/// One rank's partial sum inside a sparse allreduce (SparCML, Renggli et al., SC'19): strictly ascending
/// (index, value) pairs, or, past the dense switch, all d values. Its message is
/// <c>[int32 count, or -1 when dense][count int32 indices][count float32 values]</c> or <c>[-1][d float32]</c>.
/// <para>Merging is symmetric, so two partners that merge each other's stream end with the same bits: at an index
/// both hold, each computes <c>a + b</c> with its own value first, and IEEE addition is commutative; an index one
/// holds alone is copied, never added to a zero (which could flip the sign of a zero). The switch is decided on
/// the merged count, which both partners share.</para>
/// <para>Buffers grow only when a larger stream appears; the dense buffer (d floats) is allocated the first time
/// the stream switches and kept.</para>
/// </summary>
public sealed class SparseStream
{
    readonly int _d;
    readonly int _switchCount;
    GrowableBuffer<int> _indices, _spareIndices;
    GrowableBuffer<float> _values, _spareValues;
    float[]? _dense;

    /// <param name="d">the length of the vector.</param>
    /// <param name="switchCount">
    /// pairs at and above which the stream becomes dense: nnz * (index + value bytes) >= d * value bytes, d / 2 for
    /// int32 + fp32 (<see cref="DenseSwitch"/>).
    /// </param>
    public SparseStream(int d, int switchCount)
    {
        _d = d;
        _switchCount = switchCount;
    }

    /// <summary>SparCML's switch: a sparse stream is no smaller than the dense vector once nnz * 8 >= d * 4.</summary>
    public static int DenseSwitch(int d) => (d + 1) / 2;

    public int Count { get; private set; }
    public bool IsDense { get; private set; }
    public ReadOnlySpan<int> Indices => _indices.Array.AsSpan(0, Count);
    public ReadOnlySpan<float> Values => _values.Array.AsSpan(0, Count);
    public ReadOnlySpan<float> Dense => _dense.AsSpan(0, IsDense ? _d : 0);

    /// <summary>Bytes of this stream's message.</summary>
    public int MessageBytes => checked(4 + (IsDense ? 4 * _d : 8 * Count));

    /// <summary>Starts from a selection (strictly ascending indices inside 0..d-1, checked).</summary>
    public void Set(ReadOnlySpan<int> indices, ReadOnlySpan<float> values)
    {
        if (indices.Length != values.Length) throw new ArgumentException($"the selection has {indices.Length} indices but {values.Length} values");
        IndexCodec.CheckSelection(indices, _d);
        IsDense = false;
        Count = indices.Length;
        indices.CopyTo(_indices.Get(Count));
        values.CopyTo(_values.Get(Count));
        if (Count >= _switchCount) Densify();
    }

    /// <summary>Writes this stream's message into <paramref name="message"/> (exactly <see cref="MessageBytes"/> long).</summary>
    public void Write(Span<byte> message)
    {
        MemoryMarshal.Write(message, IsDense ? -1 : Count);
        if (IsDense)
        {
            MemoryMarshal.AsBytes(Dense).CopyTo(message[4..]);
            return;
        }
        MemoryMarshal.AsBytes(Indices).CopyTo(message[4..]);
        MemoryMarshal.AsBytes(Values).CopyTo(message[(4 + 4 * Count)..]);
    }

    /// <summary>Replaces this stream by the one <paramref name="message"/> holds (a result sent back).</summary>
    public void Read(ReadOnlySpan<byte> message)
    {
        var parsed = Parse(message);
        int count = parsed.Count;
        if (count < 0)
        {
            parsed.Dense.CopyTo(EnsureDense());
            IsDense = true;
            Count = 0;
            return;
        }
        IsDense = false;
        Count = count;
        parsed.Indices.CopyTo(_indices.Get(count));
        parsed.Values.CopyTo(_values.Get(count));
    }

    /// <summary>This stream plus the one in <paramref name="message"/>, computed as the partner computes it (see the type's summary).</summary>
    public void Merge(ReadOnlySpan<byte> message)
    {
        var parsed = Parse(message);
        int count = parsed.Count;
        ReadOnlySpan<int> theirIndices = parsed.Indices;
        ReadOnlySpan<float> theirValues = parsed.Values, theirDense = parsed.Dense;
        if (IsDense && count < 0)
        {
            TensorPrimitives.Add(_dense!.AsSpan(0, _d), theirDense, _dense.AsSpan(0, _d));
        }
        else if (IsDense)
        {
            var dense = _dense!;
            for (int j = 0; j < count; j++) dense[theirIndices[j]] += theirValues[j];
        }
        else if (count < 0)
        {
            var dense = EnsureDense();
            theirDense.CopyTo(dense);
            var mine = Indices;
            var mineValues = Values;
            for (int j = 0; j < mine.Length; j++) dense[mine[j]] = mineValues[j] + dense[mine[j]];
            IsDense = true;
            Count = 0;
        }
        else
        {
            MergeSparse(theirIndices, theirValues);
            if (Count >= _switchCount) Densify();
        }
    }

    /// <summary>Writes the stream into <paramref name="sum"/> (all zero before): every entry when dense, else the pairs (assigned, not added).</summary>
    public void WriteTo(Span<float> sum)
    {
        if (IsDense)
        {
            Dense.CopyTo(sum);
            return;
        }
        var indices = Indices;
        var values = Values;
        for (int j = 0; j < indices.Length; j++) sum[indices[j]] = values[j];
    }

    void MergeSparse(ReadOnlySpan<int> theirIndices, ReadOnlySpan<float> theirValues)
    {
        var mine = Indices;
        var mineValues = Values;
        int capacity = mine.Length + theirIndices.Length;
        var outIndices = _spareIndices.Get(capacity);
        var outValues = _spareValues.Get(capacity);
        int a = 0, b = 0, n = 0;
        while (a < mine.Length && b < theirIndices.Length)
        {
            int ia = mine[a], ib = theirIndices[b];
            if (ia < ib) { outIndices[n] = ia; outValues[n++] = mineValues[a++]; }
            else if (ib < ia) { outIndices[n] = ib; outValues[n++] = theirValues[b++]; }
            else { outIndices[n] = ia; outValues[n++] = mineValues[a++] + theirValues[b++]; }
        }
        for (; a < mine.Length; a++) { outIndices[n] = mine[a]; outValues[n++] = mineValues[a]; }
        for (; b < theirIndices.Length; b++) { outIndices[n] = theirIndices[b]; outValues[n++] = theirValues[b]; }
        (_indices, _spareIndices) = (_spareIndices, _indices);
        (_values, _spareValues) = (_spareValues, _values);
        Count = n;
    }

    void Densify()
    {
        var dense = EnsureDense();
        Array.Clear(dense);
        var indices = Indices;
        var values = Values;
        for (int j = 0; j < indices.Length; j++) dense[indices[j]] = values[j];
        IsDense = true;
        Count = 0;
    }

    float[] EnsureDense() => _dense ??= GC.AllocateUninitializedArray<float>(_d);

    readonly ref struct Parsed(int count, ReadOnlySpan<int> indices, ReadOnlySpan<float> values, ReadOnlySpan<float> dense)
    {
        public readonly int Count = count;
        public readonly ReadOnlySpan<int> Indices = indices;
        public readonly ReadOnlySpan<float> Values = values;
        public readonly ReadOnlySpan<float> Dense = dense;
    }

    Parsed Parse(ReadOnlySpan<byte> message)
    {
        if (message.Length < 4) throw new MalformedMessageException("a sparse stream shorter than its 4-byte count");
        int count = MemoryMarshal.Read<int>(message);
        if (count < 0)
        {
            if (count != -1 || message.Length != 4 + 4L * _d) throw new MalformedMessageException($"a dense stream of {message.Length} bytes for d = {_d}");
            return new Parsed(-1, default, default, MemoryMarshal.Cast<byte, float>(message[4..]));
        }
        if (message.Length != 4 + 8L * count) throw new MalformedMessageException($"a sparse stream of {count} pairs in {message.Length} bytes");
        var indices = MemoryMarshal.Cast<byte, int>(message.Slice(4, 4 * count));
        foreach (int i in indices)
            if ((uint)i >= (uint)_d) throw new MalformedMessageException($"index {i} outside 0..{_d - 1}");
        return new Parsed(count, indices, MemoryMarshal.Cast<byte, float>(message.Slice(4 + 4 * count, 4 * count)), default);
    }
}
