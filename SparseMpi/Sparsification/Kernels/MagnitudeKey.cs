using System.Runtime.CompilerServices;

namespace SparseMpi.Sparsification;

/// <summary>
/// Magnitudes are compared as the float's bits with the sign cleared. For IEEE-754 floats that integer order
/// is exactly the order of |x| (denormals included, +0 and -0 both map to 0), and every Inf/NaN maps to a key
/// at or above <see cref="NonFiniteFloor"/>, above every finite value. So one integer compare per element
/// ranks magnitudes, and a threshold never above NonFiniteFloor keeps every non-finite value as a candidate:
/// that is how the selectors detect NaN/Inf without a separate pass.
/// </summary>
internal static class MagnitudeKey
{
    public const int SignClear = 0x7FFF_FFFF;

    /// <summary>The key of +Inf; NaNs are above it.</summary>
    public const int NonFiniteFloor = 0x7F80_0000;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Of(float x) => BitConverter.SingleToInt32Bits(x) & SignClear;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsNonFinite(int key) => key >= NonFiniteFloor;
}
