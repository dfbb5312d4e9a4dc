namespace SparseMpi.Collectives;

/// <summary>
/// An MPI-3 shared-memory window (MPI_Win_allocate_shared) on a node-local communicator: every rank of the node
/// can load and store directly into every other rank's segment. Used by Hogwild mode for the shared parameters.
/// Creating and freeing are collective over the communicator.
/// </summary>
public sealed unsafe class SharedWindow : IDisposable
{
    readonly Communicator _comm;
    nint _window;
    bool _locked;

    internal SharedWindow(Communicator comm, long bytesOnThisRank)
    {
        if (bytesOnThisRank < 0) throw new ArgumentOutOfRangeException(nameof(bytesOnThisRank));
        _comm = comm;
        var mpi = comm.Runtime;
        void* baseptr = null;
        nint raw = 0;
        mpi.Check(mpi.Fn.WinAllocateShared((nint)bytesOnThisRank, 1, mpi.Abi.InfoNull, comm.Handle, &baseptr, &raw), "MPI_Win_allocate_shared");
        _window = mpi.Abi.FromOut(raw);
    }

    /// <summary>The address and size in bytes of <paramref name="rank"/>'s segment, valid in this process.</summary>
    public (nint Address, long Bytes) Segment(int rank)
    {
        var mpi = _comm.Runtime;
        nint size = 0;
        int dispUnit = 0;
        void* baseptr = null;
        mpi.Check(mpi.Fn.WinSharedQuery(_window, rank, &size, &dispUnit, &baseptr), "MPI_Win_shared_query");
        return ((nint)baseptr, size);
    }

    /// <summary>Opens a passive-target epoch to all ranks (needed before <see cref="Sync"/> under the unified model).</summary>
    public void LockAll()
    {
        var mpi = _comm.Runtime;
        mpi.Check(mpi.Fn.WinLockAll(0, _window), "MPI_Win_lock_all");
        _locked = true;
    }

    public void UnlockAll()
    {
        if (!_locked) return;
        var mpi = _comm.Runtime;
        mpi.Check(mpi.Fn.WinUnlockAll(_window), "MPI_Win_unlock_all");
        _locked = false;
    }

    /// <summary>MPI_Win_sync: makes this rank's stores visible to the others' loads (a memory barrier).</summary>
    public void Sync()
    {
        var mpi = _comm.Runtime;
        mpi.Check(mpi.Fn.WinSync(_window), "MPI_Win_sync");
    }

    /// <summary>MPI_Win_free (collective over the node communicator).</summary>
    public void Dispose()
    {
        var mpi = _comm.Runtime;
        if (_window == mpi.Abi.WinNull) return;
        UnlockAll();
        nint w = _window;
        mpi.Check(mpi.Fn.WinFree(&w), "MPI_Win_free");
        _window = mpi.Abi.WinNull;
    }
}
