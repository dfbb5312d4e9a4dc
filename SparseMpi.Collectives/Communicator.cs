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
    /// Collective calls this rank made on this communicator: a training step's protocol is counted, not assumed
    /// (summary.json's collectives_per_step, checked by tests).
    /// </summary>
    public long CollectiveCalls { get; private set; }

    internal Communicator(MpiRuntime mpi, nint handle, bool owned)
    {
        _mpi = mpi;
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
        return new Communicator(_mpi, _mpi.Abi.FromOut(raw), owned: true);
    }

    /// <summary>MPI_Comm_split: ranks with the same color form a communicator, ordered by key.</summary>
    public Communicator Split(int color, int key)
    {
        nint raw = 0;
        _mpi.Check(_mpi.Fn.CommSplit(_handle, color, key, &raw), "MPI_Comm_split");
        return new Communicator(_mpi, _mpi.Abi.FromOut(raw), owned: true);
    }

    public void Barrier()
    {
        CollectiveCalls++;
        _mpi.Check(_mpi.Fn.Barrier(_handle), "MPI_Barrier");
    }

    /// <summary>MPI_Bcast of <paramref name="data"/> from <paramref name="root"/> to every rank.</summary>
    public void Broadcast<T>(Span<T> data, int root) where T : unmanaged
    {
        CollectiveCalls++;
        fixed (T* p = data)
            _mpi.Check(_mpi.Fn.Bcast(p, data.Length, Type<T>(), root, _handle), "MPI_Bcast");
    }

    /// <summary>In-place MPI_Allreduce: every rank ends with the reduction of all ranks' <paramref name="data"/>.</summary>
    public void Allreduce<T>(Span<T> data, ReduceOp op) where T : unmanaged
    {
        CollectiveCalls++;
        fixed (T* p = data)
            _mpi.Check(_mpi.Fn.Allreduce((void*)_mpi.Abi.InPlace, p, data.Length, Type<T>(), _mpi.Abi.Op(op), _handle), "MPI_Allreduce");
    }

    /// <summary>MPI_Allreduce from <paramref name="send"/> into <paramref name="receive"/> (same length).</summary>
    public void Allreduce<T>(ReadOnlySpan<T> send, Span<T> receive, ReduceOp op) where T : unmanaged
    {
        if (send.Length != receive.Length) throw new ArgumentException("send and receive lengths differ");
        CollectiveCalls++;
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
        CollectiveCalls++;
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
        CollectiveCalls++;
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
