using System.Text;
using SparseMpi.Collectives.Native;

namespace SparseMpi.Collectives;

/// <summary>
/// The MPI library of this process: loads it (see <see cref="MpiLibraryLoader"/>), initialises it at thread
/// level FUNNELED (only the main thread calls MPI), makes errors return instead of abort, and finalises it on
/// dispose. Works under mpiexec/srun and as a singleton (one process started without a launcher).
/// </summary>
public sealed unsafe class MpiRuntime : IDisposable
{
    internal MpiFunctions Fn { get; }
    internal MpiAbi Abi { get; }
    bool _finalized;

    /// <summary>The soname or path that was loaded (e.g. libmpi.so.40).</summary>
    public string LibraryName { get; }
    public MpiFlavor Flavor => Abi.Flavor;
    /// <summary>MPI_Get_library_version, first line.</summary>
    public string LibraryVersion { get; }
    /// <summary>MPI_Get_processor_name: the node this rank runs on.</summary>
    public string ProcessorName { get; }
    /// <summary>The thread level the library granted (MPI_THREAD_FUNNELED = 1 was asked for).</summary>
    public int ThreadLevel { get; }
    public Communicator World { get; }

    MpiRuntime(nint lib, string name, MpiAbi abi)
    {
        LibraryName = name;
        Abi = abi;
        Fn = new MpiFunctions(lib, name);
        int initialized;
        Check(Fn.Initialized(&initialized), "MPI_Initialized");
        int provided = 0;
        if (initialized == 0)
            Check(Fn.InitThread(null, null, MpiAbi.ThreadFunneled, &provided), "MPI_Init_thread");
        else
            Check(Fn.QueryThread(&provided), "MPI_Query_thread");
        ThreadLevel = provided;
        Check(Fn.CommSetErrhandler(abi.CommWorld, abi.ErrorsReturn), "MPI_Comm_set_errhandler");
        World = new Communicator(this, abi.CommWorld, owned: false);
        LibraryVersion = ReadString(Fn.GetLibraryVersion, 8192, "MPI_Get_library_version").Split('\n')[0].Trim();
        ProcessorName = ReadString(Fn.GetProcessorName, abi.MaxProcessorName, "MPI_Get_processor_name");
    }

    /// <summary>Loads the MPI library chosen from the environment and initialises it.</summary>
    public static MpiRuntime Initialize(Func<string, string?>? getEnv = null)
    {
        var (lib, name, abi) = MpiLibraryLoader.Load(getEnv ?? Environment.GetEnvironmentVariable);
        return new MpiRuntime(lib, name, abi);
    }

    /// <summary>MPI_Wtime: seconds since an arbitrary time in the past.</summary>
    public double Wtime() => Fn.Wtime();

    internal void Check(int rc, string function)
    {
        if (rc == 0) return;
        throw new MpiException(function, rc, ErrorString(rc));
    }

    string ErrorString(int code)
    {
        var buffer = stackalloc byte[Abi.MaxErrorString + 1];
        int length = 0;
        if (Fn.ErrorString(code, buffer, &length) != 0) return "unknown error";
        return Encoding.UTF8.GetString(buffer, Math.Clamp(length, 0, Abi.MaxErrorString));
    }

    string ReadString(delegate* unmanaged<byte*, int*, int> getter, int capacity, string function)
    {
        var buffer = new byte[capacity + 1];
        int length = 0;
        fixed (byte* p = buffer) Check(getter(p, &length), function);
        return Encoding.UTF8.GetString(buffer, 0, Math.Clamp(length, 0, capacity)).TrimEnd('\0');
    }

    /// <summary>MPI_Finalize, once. Call only after every rank has finished its collectives.</summary>
    public void Dispose()
    {
        if (_finalized) return;
        _finalized = true;
        int finalized;
        if (Fn.Finalized(&finalized) == 0 && finalized == 0) Fn.Finalize();
    }
}
