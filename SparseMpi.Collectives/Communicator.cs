using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SparseMpi.Collectives.Native;

namespace SparseMpi.Collectives;

/// <summary>
/// A typed, span-based view of one MPI communicator. The MPI handle never leaves this class. Element types are
/// byte, ushort, int, uint, long, ulong, float and double; errors surface as <see cref="MpiException"/>.
/// </summary>
public sealed unsafe class Communicator : IDisposable
{
    readonly MpiRuntime _mpi;
    nint _handle;
    readonly bool _owned;

    public int Rank { get; }
    public int Size { get; }

    /// <summary>
    /// Collective calls this rank made on this communicator and on the ones split from it (a hierarchical
    /// exchange's node and leader communicators): a training step's protocol is counted, not assumed
    /// (summary.json's collectives_per_step, checked by tests).
    /// </summary>
    public long CollectiveCalls { get; private set; }

    // The communicator this one was split from, which counts this one's collectives too.
    readonly Communicator? _parent;

    internal Communicator(MpiRuntime mpi, nint handle, bool owned, Communicator? parent = null)
    {
        _mpi = mpi;
        _parent = parent;
        _handle = handle;
        _owned = owned;
        int rank, size;
        mpi.Check(mpi.Fn.CommRank(handle, &rank), "MPI_Comm_rank");
        mpi.Check(mpi.Fn.CommSize(handle, &size), "MPI_Comm_size");
        Rank = rank;
        Size = size;
    }

    internal nint Handle => _handle;
    internal MpiRuntime Runtime => _mpi;

    /// <summary>The ranks that share this rank's node (MPI_Comm_split_type with MPI_COMM_TYPE_SHARED).</summary>
    public Communicator SplitShared()
    {
        nint raw = 0;
        _mpi.Check(_mpi.Fn.CommSplitType(_handle, _mpi.Abi.CommTypeShared, Rank, _mpi.Abi.InfoNull, &raw), "MPI_Comm_split_type");
        return new Communicator(_mpi, _mpi.Abi.FromOut(raw), owned: true, parent: this);
    }

    /// <summary>MPI_Comm_split: ranks with the same color form a communicator, ordered by key.</summary>
    public Communicator Split(int color, int key)
    {
        nint raw = 0;
        _mpi.Check(_mpi.Fn.CommSplit(_handle, color, key, &raw), "MPI_Comm_split");
        return new Communicator(_mpi, _mpi.Abi.FromOut(raw), owned: true, parent: this);
    }

    void CountCollective()
    {
        for (var c = this; c != null; c = c._parent) c.CollectiveCalls++;
    }

    public void Barrier()
    {
        CountCollective();
        _mpi.Check(_mpi.Fn.Barrier(_handle), "MPI_Barrier");
    }

    /// <summary>MPI_Bcast of <paramref name="data"/> from <paramref name="root"/> to every rank.</summary>
    public void Broadcast<T>(Span<T> data, int root) where T : unmanaged
    {
        CountCollective();
        fixed (T* p = data)
            _mpi.Check(_mpi.Fn.Bcast(p, data.Length, Type<T>(), root, _handle), "MPI_Bcast");
    }

    /// <summary>In-place MPI_Allreduce: every rank ends with the reduction of all ranks' <paramref name="data"/>.</summary>
    public void Allreduce<T>(Span<T> data, ReduceOp op) where T : unmanaged
    {
        CountCollective();
        fixed (T* p = data)
            _mpi.Check(_mpi.Fn.Allreduce((void*)_mpi.Abi.InPlace, p, data.Length, Type<T>(), _mpi.Abi.Op(op), _handle), "MPI_Allreduce");
    }

    /// <summary>MPI_Allreduce from <paramref name="send"/> into <paramref name="receive"/> (same length).</summary>
    public void Allreduce<T>(ReadOnlySpan<T> send, Span<T> receive, ReduceOp op) where T : unmanaged
    {
        if (send.Length != receive.Length) throw new ArgumentException("send and receive lengths differ");
        CountCollective();
        fixed (T* s = send)
        fixed (T* r = receive)
            _mpi.Check(_mpi.Fn.Allreduce(s, r, send.Length, Type<T>(), _mpi.Abi.Op(op), _handle), "MPI_Allreduce");
    }

    /// <summary>Allreduce of one value.</summary>
    public T Allreduce<T>(T value, ReduceOp op) where T : unmanaged
    {
        T result = value;
        Allreduce(new Span<T>(ref result), op);
        return result;
    }

    /// <summary>MPI_Allgather: <paramref name="receive"/> holds Size blocks of send.Length elements, in rank order.</summary>
    public void Allgather<T>(ReadOnlySpan<T> send, Span<T> receive) where T : unmanaged
    {
        if (receive.Length != (long)send.Length * Size) throw new ArgumentException("receive must hold Size * send.Length elements");
        CountCollective();
        fixed (T* s = send)
        fixed (T* r = receive)
            _mpi.Check(_mpi.Fn.Allgather(s, send.Length, Type<T>(), r, send.Length, Type<T>(), _handle), "MPI_Allgather");
    }

    /// <summary>
    /// MPI_Allgatherv: rank i contributes counts[i] elements, placed at displacements[i] in <paramref name="receive"/>.
    /// </summary>
    public void Allgatherv<T>(ReadOnlySpan<T> send, Span<T> receive, ReadOnlySpan<int> counts, ReadOnlySpan<int> displacements) where T : unmanaged
    {
        if (counts.Length != Size || displacements.Length != Size) throw new ArgumentException("counts and displacements need one entry per rank");
        if (counts[Rank] != send.Length) throw new ArgumentException($"counts[{Rank}] = {counts[Rank]} but this rank sends {send.Length}");
        for (int i = 0; i < Size; i++)
            if (counts[i] < 0 || displacements[i] < 0 || (long)displacements[i] + counts[i] > receive.Length)
                throw new ArgumentException($"block {i} (displacement {displacements[i]}, count {counts[i]}) does not fit the receive buffer of {receive.Length}");
        CountCollective();
        if (Size == 1)
        {
            // MPICH before 4.1 ignores the displacement on one rank (pmodels/mpich#6374, found by check-mpi).
            send.CopyTo(receive.Slice(displacements[0]));
            return;
        }
        fixed (T* s = send)
        fixed (T* r = receive)
        fixed (int* c = counts)
        fixed (int* d = displacements)
            _mpi.Check(_mpi.Fn.Allgatherv(s, send.Length, Type<T>(), r, c, d, Type<T>(), _handle), "MPI_Allgatherv");
    }

    /// <summary>
    /// MPI_Sendrecv: sends <paramref name="send"/> to <paramref name="destination"/> and receives
    /// <paramref name="receive"/>.Length elements from <paramref name="source"/> (the sender must send exactly
    /// that many). Point to point, not counted in <see cref="CollectiveCalls"/>.
    /// </summary>
    public void Sendrecv<T>(ReadOnlySpan<T> send, int destination, Span<T> receive, int source, int tag = 0) where T : unmanaged
    {
        fixed (T* s = send)
        fixed (T* r = receive)
            _mpi.Check(_mpi.Fn.Sendrecv(s, send.Length, Type<T>(), destination, tag, r, receive.Length, Type<T>(), source, tag, _handle, _mpi.Abi.StatusIgnore), "MPI_Sendrecv");
    }

    /// <summary>MPI_Send of <paramref name="send"/> to <paramref name="destination"/> (point to point).</summary>
    public void Send<T>(ReadOnlySpan<T> send, int destination, int tag = 0) where T : unmanaged
    {
        fixed (T* s = send)
            _mpi.Check(_mpi.Fn.Send(s, send.Length, Type<T>(), destination, tag, _handle), "MPI_Send");
    }

    /// <summary>MPI_Recv of exactly <paramref name="receive"/>.Length elements from <paramref name="source"/> (point to point).</summary>
    public void Receive<T>(Span<T> receive, int source, int tag = 0) where T : unmanaged
    {
        fixed (T* r = receive)
            _mpi.Check(_mpi.Fn.Recv(r, receive.Length, Type<T>(), source, tag, _handle, _mpi.Abi.StatusIgnore), "MPI_Recv");
    }

    /// <summary>MPI_Alltoall of one block of send.Length / Size elements per rank.</summary>
    public void Alltoall<T>(ReadOnlySpan<T> send, Span<T> receive) where T : unmanaged
    {
        if (send.Length % Size != 0 || receive.Length != send.Length) throw new ArgumentException("send and receive must hold Size equal blocks");
        CountCollective();
        int block = send.Length / Size;
        fixed (T* s = send)
        fixed (T* r = receive)
            _mpi.Check(_mpi.Fn.Alltoall(s, block, Type<T>(), r, block, Type<T>(), _handle), "MPI_Alltoall");
    }

    /// <summary>MPI_Alltoallv: block q of <paramref name="send"/> goes to rank q; block q of <paramref name="receive"/> comes from it.</summary>
    public void Alltoallv<T>(ReadOnlySpan<T> send, ReadOnlySpan<int> sendCounts, ReadOnlySpan<int> sendDisplacements,
        Span<T> receive, ReadOnlySpan<int> receiveCounts, ReadOnlySpan<int> receiveDisplacements) where T : unmanaged
    {
        if (sendCounts.Length != Size || sendDisplacements.Length != Size || receiveCounts.Length != Size || receiveDisplacements.Length != Size)
            throw new ArgumentException("counts and displacements need one entry per rank");
        for (int i = 0; i < Size; i++)
        {
            if (sendCounts[i] < 0 || sendDisplacements[i] < 0 || (long)sendDisplacements[i] + sendCounts[i] > send.Length)
                throw new ArgumentException($"send block {i} does not fit the send buffer of {send.Length}");
            if (receiveCounts[i] < 0 || receiveDisplacements[i] < 0 || (long)receiveDisplacements[i] + receiveCounts[i] > receive.Length)
                throw new ArgumentException($"receive block {i} does not fit the receive buffer of {receive.Length}");
        }
        CountCollective();
        fixed (T* s = send)
        fixed (T* r = receive)
        fixed (int* sc = sendCounts)
        fixed (int* sd = sendDisplacements)
        fixed (int* rc = receiveCounts)
        fixed (int* rd = receiveDisplacements)
            _mpi.Check(_mpi.Fn.Alltoallv(s, sc, sd, Type<T>(), r, rc, rd, Type<T>(), _handle), "MPI_Alltoallv");
    }

    /// <summary>True on every rank when every rank passed the same value (min == max), e.g. a configuration hash.</summary>
    public bool AllEqual(long value) => Allreduce(value, ReduceOp.Min) == Allreduce(value, ReduceOp.Max);

    /// <summary>MPI_Abort: ends every rank of the job with <paramref name="errorCode"/>. Does not return.</summary>
    public void Abort(int errorCode)
    {
        _mpi.Fn.Abort(_handle, errorCode);
        Environment.Exit(errorCode); // MPI_Abort should not return; if it does, do not keep running.
    }

    /// <summary>Allocates a node-shared window (this communicator must be a node-local one).</summary>
    public SharedWindow AllocateShared(long bytesOnThisRank) => new(this, bytesOnThisRank);

    internal nint Type<T>() where T : unmanaged
    {
        MpiType t = typeof(T) == typeof(float) ? MpiType.Float
            : typeof(T) == typeof(double) ? MpiType.Double
            : typeof(T) == typeof(int) ? MpiType.Int32
            : typeof(T) == typeof(long) ? MpiType.Int64
            : typeof(T) == typeof(byte) ? MpiType.Byte
            : typeof(T) == typeof(uint) ? MpiType.UInt32
            : typeof(T) == typeof(ulong) ? MpiType.UInt64
            : typeof(T) == typeof(ushort) ? MpiType.UInt16
            : throw new NotSupportedException($"MPI element type {typeof(T).Name} is not supported");
        return _mpi.Abi.Datatype(t);
    }

    public void Dispose()
    {
        if (!_owned || _handle == _mpi.Abi.CommNull) return;
        nint h = _handle;
        _mpi.Fn.CommFree(&h);
        _handle = _mpi.Abi.CommNull;
    }
}
