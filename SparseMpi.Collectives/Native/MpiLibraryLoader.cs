using System.Runtime.InteropServices;

namespace SparseMpi.Collectives.Native;

/// <summary>
/// Chooses and loads the system MPI library. Order: <c>SPARSEMPI_MPI_LIB</c> (a path or soname) if set;
/// else the library that matches the launcher that started us (Open MPI's mpiexec sets OMPI_*, MPICH's Hydra
/// sets PMI_*/HYDRA_*); else (a singleton run without mpiexec) Open MPI first, then MPICH. The ABI is then read
/// off the library itself: Open MPI exports <c>ompi_mpi_comm_world</c>, the MPICH family does not.
/// </summary>
internal static class MpiLibraryLoader
{
    public const string OverrideVariable = "SPARSEMPI_MPI_LIB";
    static readonly string[] OpenMpiNames = ["libmpi.so.40"];
    static readonly string[] MpichNames = ["libmpich.so.12", "libmpi.so.12"];

    const int RtldNow = 0x2, RtldGlobal = 0x100;

    // Open MPI dlopen()s its own components, which expect libmpi's symbols to be global (as mpi4py does).
    [DllImport("libc", EntryPoint = "dlopen")] static extern nint DlOpen(string file, int mode);
    [DllImport("libc", EntryPoint = "dlerror")] static extern nint DlError();

    /// <summary>The candidate libraries, in the order they are tried, and why.</summary>
    public static IReadOnlyList<string> Candidates(Func<string, string?> getEnv)
    {
        string? forced = getEnv(OverrideVariable);
        if (!string.IsNullOrWhiteSpace(forced)) return [forced];
        bool openMpiLauncher = getEnv("OMPI_COMM_WORLD_SIZE") != null || getEnv("OMPI_UNIVERSE_SIZE") != null;
        bool mpichLauncher = !openMpiLauncher &&
            (getEnv("PMI_RANK") != null || getEnv("PMI_SIZE") != null || getEnv("HYDRA_CONTROL_FD") != null || getEnv("PMI_FD") != null);
        return mpichLauncher ? [.. MpichNames, .. OpenMpiNames] : [.. OpenMpiNames, .. MpichNames];
    }

    public static (nint Handle, string Name, MpiAbi Abi) Load(Func<string, string?> getEnv)
    {
        var tried = new List<string>();
        foreach (string name in Candidates(getEnv))
        {
            nint handle = DlOpen(name, RtldNow | RtldGlobal);
            if (handle == 0)
            {
                nint err = DlError();
                tried.Add($"{name} ({(err == 0 ? "not found" : Marshal.PtrToStringUTF8(err))})");
                continue;
            }
            // A library that loads but is not MPI (a wrong SPARSEMPI_MPI_LIB) must be one line, not a missing
            // entry point with a stack trace on every rank.
            if (!NativeLibrary.TryGetExport(handle, "MPI_Init_thread", out _))
                throw new MpiLibraryNotFoundException(
                    $"{name} is not an MPI library (it does not export MPI_Init_thread){(getEnv(OverrideVariable) is { Length: > 0 } ? $"; check {OverrideVariable}" : "")}");
            MpiAbi abi = NativeLibrary.TryGetExport(handle, "ompi_mpi_comm_world", out _)
                ? new OpenMpiAbi(handle)
                : new MpichAbi();
            return (handle, name, abi);
        }
        throw new MpiLibraryNotFoundException(
            $"no MPI library could be loaded; tried {string.Join(", ", tried)}. Install Open MPI (Debian: openmpi-bin) " +
            $"or MPICH (Debian: mpich), load your cluster's MPI module, or set {OverrideVariable} to the library's path.");
    }
}
