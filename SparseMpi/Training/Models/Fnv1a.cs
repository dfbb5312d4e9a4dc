using System.Runtime.InteropServices;

namespace SparseMpi.Training.Models;

/// <summary>
/// The 64-bit FNV-1a hash (Fowler, Noll, Vo) of raw bytes, for checking that ranks hold bit-identical
/// parameters. Chosen because it is fully specified and trivially reproduced elsewhere (a few lines of Python
/// recompute it from a checkpoint), not for speed: about 1 GB/s, so 0.1 s for 25M parameters; it is meant for
/// occasional identity checks, not for every step.
/// </summary>
public static class Fnv1a
{
    const ulong OffsetBasis = 0xcbf29ce484222325UL;
    const ulong Prime = 0x100000001b3UL;

    public static ulong Hash(ReadOnlySpan<byte> bytes)
    {
        ulong hash = OffsetBasis;
        foreach (byte b in bytes)
            hash = (hash ^ b) * Prime;
        return hash;
    }

    /// <summary>The hash of the floats' little-endian bytes in memory order.</summary>
    public static ulong Hash(ReadOnlySpan<float> values) => Hash(MemoryMarshal.AsBytes(values));
}
