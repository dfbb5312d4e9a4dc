using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SparseMpi.Sparsification;

/// <summary>
/// The vector width a kernel runs at. Ordered narrow to wide so a caller can cap the width
/// (<c>Math.Min(requested, Best)</c>); every path computes bit-identical results.
/// </summary>
public enum VectorPath
{
    Scalar = 0,
    Vector128 = 1,
    Vector256 = 2,
    Vector512 = 3,
}

public static class VectorPaths
{
    /// <summary>
    /// The widest path this process can run, decided the way TensorPrimitives decides it: Vector512, then
    /// Vector256, then Vector128, then scalar. The 512- and 256-bit filters use x86 compress/permute
    /// instructions, so those paths also need AVX-512F and AVX2. The runtime switches
    /// (DOTNET_EnableAVX512=0, DOTNET_EnableAVX2=0, DOTNET_EnableHWIntrinsic=0,
    /// DOTNET_PreferredVectorBitWidth=256) all act through these properties.
    /// </summary>
    public static VectorPath Best { get; } = Detect();

    /// <summary>The requested path, narrowed to what the hardware and runtime allow.</summary>
    public static VectorPath Resolve(VectorPath requested) => requested < Best ? requested : Best;

    static VectorPath Detect()
    {
        if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported) return VectorPath.Vector512;
        if (Vector256.IsHardwareAccelerated && Avx2.IsSupported) return VectorPath.Vector256;
        if (Vector128.IsHardwareAccelerated) return VectorPath.Vector128;
        return VectorPath.Scalar;
    }
}
