using System.Runtime.InteropServices;

namespace SparseMpi.Collectives.Native;

/// <summary>
/// The MPI C functions the binding uses, resolved once from the loaded library as unmanaged function pointers
/// (no per-call marshalling). Handles are <c>nint</c> (see <see cref="MpiAbi"/>); every function returns the MPI
/// error code, checked by the callers in <see cref="Communicator"/> and <see cref="MpiRuntime"/>.
/// </summary>
internal sealed unsafe class MpiFunctions
{
    public readonly delegate* unmanaged<int*, int> Initialized;
    public readonly delegate* unmanaged<int*, int> Finalized;
    public readonly delegate* unmanaged<int*, byte***, int, int*, int> InitThread;
    public readonly delegate* unmanaged<int> Finalize;
    public readonly delegate* unmanaged<int*, int> QueryThread;
    public readonly delegate* unmanaged<nint, int*, int> CommRank;
    public readonly delegate* unmanaged<nint, int*, int> CommSize;
    public readonly delegate* unmanaged<nint, int, int, nint, nint*, int> CommSplitType;
    public readonly delegate* unmanaged<nint, int, int, nint*, int> CommSplit;
    public readonly delegate* unmanaged<nint*, int> CommFree;
    public readonly delegate* unmanaged<nint, nint, int> CommSetErrhandler;
    public readonly delegate* unmanaged<nint, int> Barrier;
    public readonly delegate* unmanaged<void*, int, nint, int, nint, int> Bcast;
    public readonly delegate* unmanaged<void*, void*, int, nint, nint, nint, int> Allreduce;
    public readonly delegate* unmanaged<void*, int, nint, void*, int, nint, nint, int> Allgather;
    public readonly delegate* unmanaged<void*, int, nint, void*, int*, int*, nint, nint, int> Allgatherv;
    public readonly delegate* unmanaged<nint, int, int> Abort;
    public readonly delegate* unmanaged<double> Wtime;
    public readonly delegate* unmanaged<int, byte*, int*, int> ErrorString;
    public readonly delegate* unmanaged<byte*, int*, int> GetLibraryVersion;
    public readonly delegate* unmanaged<byte*, int*, int> GetProcessorName;
    public readonly delegate* unmanaged<nint, int, nint, nint, void**, nint*, int> WinAllocateShared;
    public readonly delegate* unmanaged<nint, int, nint*, int*, void**, int> WinSharedQuery;
    public readonly delegate* unmanaged<nint*, int> WinFree;
    public readonly delegate* unmanaged<int, nint, int> WinLockAll;
    public readonly delegate* unmanaged<nint, int> WinUnlockAll;
    public readonly delegate* unmanaged<nint, int> WinSync;
    public readonly delegate* unmanaged<void*, int, nint, int, int, void*, int, nint, int, int, nint, nint, int> Sendrecv;
    public readonly delegate* unmanaged<void*, int, nint, void*, int, nint, nint, int> Alltoall;
    public readonly delegate* unmanaged<void*, int, nint, int, int, nint, int> Send;
    public readonly delegate* unmanaged<void*, int, nint, int, int, nint, nint, int> Recv;
    public readonly delegate* unmanaged<void*, int*, int*, nint, void*, int*, int*, nint, nint, int> Alltoallv;

    /// <summary>
    /// Resolves every function from <paramref name="lib"/> (loaded as <paramref name="libraryName"/>). A library
    /// that lacks one (not MPI at all, or older than MPI-3) is one clear error, not an EntryPointNotFoundException.
    /// </summary>
    public MpiFunctions(nint lib, string libraryName)
    {
        nint F(string name) => NativeLibrary.TryGetExport(lib, name, out nint address) ? address
            : throw new MpiLibraryNotFoundException(
                $"{libraryName} does not export {name}: it is not an MPI-3 library (set {MpiLibraryLoader.OverrideVariable} to your MPI's libmpi, or unset it)");
        Initialized = (delegate* unmanaged<int*, int>)F("MPI_Initialized");
        Finalized = (delegate* unmanaged<int*, int>)F("MPI_Finalized");
        InitThread = (delegate* unmanaged<int*, byte***, int, int*, int>)F("MPI_Init_thread");
        Finalize = (delegate* unmanaged<int>)F("MPI_Finalize");
        QueryThread = (delegate* unmanaged<int*, int>)F("MPI_Query_thread");
        CommRank = (delegate* unmanaged<nint, int*, int>)F("MPI_Comm_rank");
        CommSize = (delegate* unmanaged<nint, int*, int>)F("MPI_Comm_size");
        CommSplitType = (delegate* unmanaged<nint, int, int, nint, nint*, int>)F("MPI_Comm_split_type");
        CommSplit = (delegate* unmanaged<nint, int, int, nint*, int>)F("MPI_Comm_split");
        CommFree = (delegate* unmanaged<nint*, int>)F("MPI_Comm_free");
        CommSetErrhandler = (delegate* unmanaged<nint, nint, int>)F("MPI_Comm_set_errhandler");
        Barrier = (delegate* unmanaged<nint, int>)F("MPI_Barrier");
        Bcast = (delegate* unmanaged<void*, int, nint, int, nint, int>)F("MPI_Bcast");
        Allreduce = (delegate* unmanaged<void*, void*, int, nint, nint, nint, int>)F("MPI_Allreduce");
        Allgather = (delegate* unmanaged<void*, int, nint, void*, int, nint, nint, int>)F("MPI_Allgather");
        Allgatherv = (delegate* unmanaged<void*, int, nint, void*, int*, int*, nint, nint, int>)F("MPI_Allgatherv");
        Abort = (delegate* unmanaged<nint, int, int>)F("MPI_Abort");
        Wtime = (delegate* unmanaged<double>)F("MPI_Wtime");
        ErrorString = (delegate* unmanaged<int, byte*, int*, int>)F("MPI_Error_string");
        GetLibraryVersion = (delegate* unmanaged<byte*, int*, int>)F("MPI_Get_library_version");
        GetProcessorName = (delegate* unmanaged<byte*, int*, int>)F("MPI_Get_processor_name");
        WinAllocateShared = (delegate* unmanaged<nint, int, nint, nint, void**, nint*, int>)F("MPI_Win_allocate_shared");
        WinSharedQuery = (delegate* unmanaged<nint, int, nint*, int*, void**, int>)F("MPI_Win_shared_query");
        WinFree = (delegate* unmanaged<nint*, int>)F("MPI_Win_free");
        WinLockAll = (delegate* unmanaged<int, nint, int>)F("MPI_Win_lock_all");
        WinUnlockAll = (delegate* unmanaged<nint, int>)F("MPI_Win_unlock_all");
        WinSync = (delegate* unmanaged<nint, int>)F("MPI_Win_sync");
        Sendrecv = (delegate* unmanaged<void*, int, nint, int, int, void*, int, nint, int, int, nint, nint, int>)F("MPI_Sendrecv");
        Alltoall = (delegate* unmanaged<void*, int, nint, void*, int, nint, nint, int>)F("MPI_Alltoall");
        Send = (delegate* unmanaged<void*, int, nint, int, int, nint, int>)F("MPI_Send");
        Recv = (delegate* unmanaged<void*, int, nint, int, int, nint, nint, int>)F("MPI_Recv");
        Alltoallv = (delegate* unmanaged<void*, int*, int*, nint, void*, int*, int*, nint, nint, int>)F("MPI_Alltoallv");
    }
}
