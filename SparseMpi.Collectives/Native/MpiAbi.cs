namespace SparseMpi.Collectives.Native;

/// <summary>The two MPI application binary interfaces this binding speaks.</summary>
public enum MpiFlavor
{
    /// <summary>Open MPI (libmpi.so.40): handles are addresses of exported global objects.</summary>
    OpenMpi,
    /// <summary>MPICH ABI family (MPICH, Intel MPI, MVAPICH, Cray MPICH): handles are 32-bit integer constants.</summary>
    Mpich,
}

/// <summary>
/// The predefined handles and constants of one MPI ABI. Every handle is carried as an <c>nint</c>: Open MPI's
/// handles are pointers, MPICH's are <c>int</c>s, and on x86-64 an <c>int</c> argument is read from the low half
/// of the 64-bit register or stack slot, so one function-pointer table serves both.
/// </summary>
internal abstract class MpiAbi
{
    public abstract MpiFlavor Flavor { get; }
    public abstract nint CommWorld { get; }
    public abstract nint CommNull { get; }
    public abstract nint InfoNull { get; }
    public abstract nint WinNull { get; }
    public abstract nint ErrorsReturn { get; }
    public abstract nint InPlace { get; }
    /// <summary>MPI_STATUS_IGNORE: NULL in Open MPI, (MPI_Status *)1 in MPICH.</summary>
    public abstract nint StatusIgnore { get; }
    public abstract int CommTypeShared { get; }
    public const int ThreadFunneled = 1; // the same in both ABIs
    public const int Undefined = -32766;  // MPI_UNDEFINED, the same in both ABIs
    public abstract int MaxErrorString { get; }
    public abstract int MaxProcessorName { get; }

    public abstract nint Datatype(MpiType type);
    public abstract nint Op(ReduceOp op);

    /// <summary>Normalises a handle the library wrote through an out pointer (MPICH writes only 4 bytes).</summary>
    public abstract nint FromOut(nint raw);
}

/// <summary>The element types the binding can send.</summary>
internal enum MpiType { Byte, Int32, UInt32, Int64, UInt64, Float, Double, UInt16 }

internal sealed class OpenMpiAbi : MpiAbi
{
    readonly nint _lib;
    readonly Dictionary<MpiType, nint> _types;
    readonly Dictionary<ReduceOp, nint> _ops;

    public OpenMpiAbi(nint lib)
    {
        _lib = lib;
        CommWorld = Symbol("ompi_mpi_comm_world");
        CommNull = Symbol("ompi_mpi_comm_null");
        InfoNull = Symbol("ompi_mpi_info_null");
        WinNull = Symbol("ompi_mpi_win_null");
        ErrorsReturn = Symbol("ompi_mpi_errors_return");
        _types = new()
        {
            [MpiType.Byte] = Symbol("ompi_mpi_byte"),
            [MpiType.Int32] = Symbol("ompi_mpi_int32_t"),
            [MpiType.UInt32] = Symbol("ompi_mpi_uint32_t"),
            [MpiType.Int64] = Symbol("ompi_mpi_int64_t"),
            [MpiType.UInt64] = Symbol("ompi_mpi_uint64_t"),
            [MpiType.Float] = Symbol("ompi_mpi_float"),
            [MpiType.Double] = Symbol("ompi_mpi_double"),
            [MpiType.UInt16] = Symbol("ompi_mpi_uint16_t"),
        };
        _ops = new()
        {
            [ReduceOp.Sum] = Symbol("ompi_mpi_op_sum"),
            [ReduceOp.Max] = Symbol("ompi_mpi_op_max"),
            [ReduceOp.Min] = Symbol("ompi_mpi_op_min"),
            [ReduceOp.BitwiseOr] = Symbol("ompi_mpi_op_bor"),
        };
    }

    nint Symbol(string name) => System.Runtime.InteropServices.NativeLibrary.TryGetExport(_lib, name, out nint address) ? address
        : throw new MpiLibraryNotFoundException($"the Open MPI library does not export {name}: it is not a complete Open MPI (set {MpiLibraryLoader.OverrideVariable} to another libmpi)");

    public override MpiFlavor Flavor => MpiFlavor.OpenMpi;
    public override nint CommWorld { get; }
    public override nint CommNull { get; }
    public override nint InfoNull { get; }
    public override nint WinNull { get; }
    public override nint ErrorsReturn { get; }
    public override nint InPlace => 1;
    public override nint StatusIgnore => 0;
    public override int CommTypeShared => 0;
    public override int MaxErrorString => 256;
    public override int MaxProcessorName => 256;
    public override nint Datatype(MpiType type) => _types[type];
    public override nint Op(ReduceOp op) => _ops[op];
    public override nint FromOut(nint raw) => raw;
}

internal sealed class MpichAbi : MpiAbi
{
    public override MpiFlavor Flavor => MpiFlavor.Mpich;
    public override nint CommWorld => 0x44000000;
    public override nint CommNull => 0x04000000;
    public override nint InfoNull => 0x1c000000;
    public override nint WinNull => 0x20000000;
    public override nint ErrorsReturn => 0x54000001;
    public override nint InPlace => -1;
    public override nint StatusIgnore => 1;
    public override int CommTypeShared => 1;
    public override int MaxErrorString => 512;
    public override int MaxProcessorName => 128;

    public override nint Datatype(MpiType type) => type switch
    {
        MpiType.Byte => 0x4c00010d,
        MpiType.Int32 => 0x4c000439,
        MpiType.UInt32 => 0x4c00043d,
        MpiType.Int64 => 0x4c00083a,
        MpiType.UInt64 => 0x4c00083e,
        MpiType.Float => 0x4c00040a,
        MpiType.Double => 0x4c00080b,
        MpiType.UInt16 => 0x4c00023c,
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    public override nint Op(ReduceOp op) => op switch
    {
        ReduceOp.Max => 0x58000001,
        ReduceOp.Min => 0x58000002,
        ReduceOp.Sum => 0x58000003,
        ReduceOp.BitwiseOr => 0x58000008,
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };

    // MPICH handles are 32-bit: keep the low half, as the library itself will read it.
    public override nint FromOut(nint raw) => (nint)(uint)(int)raw;
}
