using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace SparseMpi.Sparsification;

/// <summary>
/// AVX2 has no compress instruction; the classic replacement is a permutation looked up by the 8-bit lane
/// mask: entry m lists the set lanes of m first, in order, so PermuteVar8x32 packs the selected lanes to the
/// front. Measured here to be as fast as AVX-512's compress for this filter. 256 entries x 32 bytes.
/// </summary>
internal static class PermuteTable
{
    static readonly int[] Table = Build();

    static int[] Build()
    {
        var t = new int[256 * 8];
        for (int m = 0; m < 256; m++)
        {
            int n = 0;
            for (int lane = 0; lane < 8; lane++)
                if ((m & (1 << lane)) != 0) t[m * 8 + n++] = lane;
            for (; n < 8; n++) t[m * 8 + n] = 0; // don't-care lanes: stored past the count, overwritten later
        }
        return t;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> For(uint mask) => Vector256.LoadUnsafe(ref MemoryMarshal.GetArrayDataReference(Table), (nuint)(mask * 8));
}
