namespace SparseMpi.Collectives.Sparse;

/// <summary>
/// An array that only grows, by at least a quarter each time, so a slowly rising k (dynamic k) reallocates
/// rarely and a steady k never does. Fresh memory is slow on these machines (~12 us per 4 KiB page).
/// </summary>
internal struct GrowableBuffer<T>
{
    T[] _array;

    public T[] Array => _array ??= [];

    /// <summary>A span of exactly <paramref name="length"/> elements, reusing the array when it is large enough.</summary>
    public Span<T> Get(long length)
    {
        if (length > System.Array.MaxLength) throw new ArgumentOutOfRangeException(nameof(length), length, "buffer larger than an array can be");
        _array ??= [];
        if (_array.Length < length)
            _array = GC.AllocateUninitializedArray<T>((int)Math.Min(System.Array.MaxLength, Math.Max(length, _array.Length + _array.Length / 4L)));
        return _array.AsSpan(0, (int)length);
    }
}
