namespace SparseMpi.Training.Hogwild;

/// <summary>
/// The last <see cref="Depth"/> iterates x_{t-Depth+1} .. x_t of the delayed-gradient simulation, in one ring of
/// snapshots allocated once: <see cref="Advance"/> writes x_{t+1} = x_t - update into the next slot (one pass
/// over d), and <see cref="Iterate"/>(s) is x_{t-s}, read in place. Snapshots rather than a queue of updates
/// because reading x_{t-tau} then costs one copy whatever tau is (a queue costs tau dense updates per read).
/// </summary>
public sealed class ParameterHistory
{
    readonly float[][] _ring;
    long _t;

    public int D { get; }
    /// <summary>Snapshots held: staleness up to Depth - 1 can be read.</summary>
    public int Depth => _ring.Length;
    /// <summary>Updates applied so far (the t of <see cref="Current"/> = x_t).</summary>
    public long T => _t;

    public ParameterHistory(ReadOnlySpan<float> x0, int maxStaleness)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxStaleness);
        D = x0.Length;
        _ring = new float[maxStaleness + 1][];
        for (int i = 0; i < _ring.Length; i++) _ring[i] = new float[D];
        x0.CopyTo(_ring[0]);
    }

    /// <summary>Bytes the ring needs for a model of <paramref name="d"/> floats (checked before allocating).</summary>
    public static long BytesFor(int d, int maxStaleness) => 4L * d * (maxStaleness + 1);

    public Span<float> Current => _ring[_t % _ring.Length];

    /// <summary>
    /// x_{t-s}; s is clipped to t (before s updates exist the oldest iterate is x_0) and must be below
    /// <see cref="Depth"/>. Returns the staleness actually read, min(s, t).
    /// </summary>
    public ReadOnlySpan<float> Iterate(int s, out int staleness)
    {
        if (s >= _ring.Length) throw new ArgumentOutOfRangeException(nameof(s), $"staleness {s} exceeds the history's {_ring.Length - 1}");
        staleness = (int)Math.Min(s, _t);
        return _ring[(_t - staleness) % _ring.Length];
    }

    /// <summary>Starts x_{t+1} as a copy of x_t in the next slot (overwriting x_{t+1-Depth}) and returns it for the update.</summary>
    public Span<float> Advance()
    {
        float[] current = _ring[_t % _ring.Length];
        _t++;
        float[] next = _ring[_t % _ring.Length];
        if (!ReferenceEquals(next, current)) current.AsSpan().CopyTo(next);
        return next;
    }
}
