using System.Runtime.InteropServices;

namespace SparseMpi.Collectives;

/// <summary>
/// The 64-bit FNV-1a hash (Fowler, Noll, Vo), the program's one stable hash: of parameters (ranks must hold
/// bit-identical ones), of sums in the self-checks, and of configuration text (stored in checkpoints, compared
/// across ranks; string.GetHashCode is randomised per process). Chosen because it is fully specified and
/// trivially reproduced elsewhere (a few lines of Python recompute it from a checkpoint), not for speed: about
/// 1 GB/s, so 0.1 s for 25M parameters; it is meant for occasional identity checks, not for every step.
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

    /// <summary>
    /// The hash of a text, one step per UTF-16 code unit (not per byte): the definition the configuration hashes
    /// in existing checkpoints were made with, so it must stay.
    /// </summary>
    public static ulong Hash(string text)
    {
        ulong hash = OffsetBasis;
        foreach (char c in text)
            hash = (hash ^ c) * Prime;
        return hash;
    }
}
