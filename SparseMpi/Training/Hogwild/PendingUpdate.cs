namespace SparseMpi.Training.Hogwild;

/// <summary>
/// One computed update on its way into the shared parameters: sparse (index, value) pairs, or a dense d-vector.
/// Values already carry the learning rate (they are what error feedback sent). Buffers are allocated once per
/// object and reused, so an update allocates nothing.
/// </summary>
public sealed class PendingUpdate
{
    public PendingUpdate(int d, int sparseCapacity, bool dense)
    {
        Dense = dense ? new float[d] : [];
        Indices = dense ? [] : new int[sparseCapacity];
        Values = dense ? [] : new float[sparseCapacity];
    }

    public float[] Dense { get; }
    public int[] Indices { get; }
    public float[] Values { get; }
    public bool IsDense => Dense.Length > 0;

    /// <summary>Selected entries (sparse) or d (dense).</summary>
    public int Count { get; set; }

    /// <summary>The applied counter when the parameters this update was computed from were read.</summary>
    public long SnapshotCounter { get; set; }

    /// <summary>Stopwatch timestamp at which the update was ready (its delay starts).</summary>
    public long ComputedTimestamp { get; set; }

    /// <summary>Stopwatch timestamp at which a deferred update may be written (long.MaxValue: only when forced out).</summary>
    public long DueTimestamp { get; set; }
}

/// <summary>
/// The updates a rank holds in flight with --delay-mode defer: each is written when its delay has passed, while
/// the rank computes on from fresh snapshots. Objects are recycled through a free list and grow lazily up to the
/// limit, so the d-sized buffers are allocated at most once per slot ever used.
/// </summary>
public sealed class InFlightUpdates(int limit, Func<PendingUpdate> create)
{
    readonly List<PendingUpdate> _waiting = [];
    readonly Stack<PendingUpdate> _free = new();
    int _created;

    public int Count => _waiting.Count;
    public bool Full => _waiting.Count >= limit;

    /// <summary>Most updates held at once so far.</summary>
    public int Peak { get; private set; }

    /// <summary>A free update object (callers fill it and <see cref="Add"/> it, or <see cref="Release"/> it).</summary>
    public PendingUpdate Rent()
    {
        if (_free.TryPop(out var update)) return update;
        if (_created >= limit + 1) throw new InvalidOperationException("more update objects rented than in flight allows");
        _created++;
        return create();
    }

    public void Add(PendingUpdate update)
    {
        _waiting.Add(update);
        Peak = Math.Max(Peak, _waiting.Count);
    }

    /// <summary>The waiting update due first, or null (with exponential delays due order is not FIFO).</summary>
    public PendingUpdate? Earliest()
    {
        PendingUpdate? first = null;
        foreach (var u in _waiting) // in insertion order, so equal due times leave first in, first out
            if (first == null || u.DueTimestamp < first.DueTimestamp) first = u;
        return first;
    }

    /// <summary>Removes <paramref name="update"/> from the waiting set and recycles it.</summary>
    public void Release(PendingUpdate update)
    {
        _waiting.Remove(update);
        _free.Push(update);
    }
}
