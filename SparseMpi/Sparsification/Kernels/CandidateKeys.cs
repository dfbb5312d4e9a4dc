using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace SparseMpi.Sparsification;

/// <summary>
/// The magnitude keys of the candidates, with their minimum and maximum in the same sweep (the finish needs
/// all three: the range for its histogram, the maximum for the non-finite check). Measured on 62k candidates:
/// 9 us, against 160 us for TensorPrimitives.BitwiseAnd + Max on this runtime.
/// </summary>
internal static class CandidateKeys
{
    public static (int Min, int Max) Compute(ReadOnlySpan<float> values, Span<int> keys)
    {
        ref int src = ref Unsafe.As<float, int>(ref MemoryMarshal.GetReference(values));
        ref int dst = ref MemoryMarshal.GetReference(keys);
        int n = values.Length, i = 0;
        int min = int.MaxValue, max = 0;
        if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            var signClear = Vector256.Create(MagnitudeKey.SignClear);
            var lo = Vector256.Create(int.MaxValue);
            var hi = Vector256<int>.Zero;
            for (; i <= n - 8; i += 8)
            {
                var key = Vector256.LoadUnsafe(ref src, (nuint)i) & signClear;
                key.StoreUnsafe(ref dst, (nuint)i);
                lo = Vector256.Min(lo, key);
                hi = Vector256.Max(hi, key);
            }
            for (int j = 0; j < 8; j++) { min = Math.Min(min, lo[j]); max = Math.Max(max, hi[j]); }
        }
        else if (Vector128.IsHardwareAccelerated && n >= 4)
        {
            var signClear = Vector128.Create(MagnitudeKey.SignClear);
            var lo = Vector128.Create(int.MaxValue);
            var hi = Vector128<int>.Zero;
            for (; i <= n - 4; i += 4)
            {
                var key = Vector128.LoadUnsafe(ref src, (nuint)i) & signClear;
                key.StoreUnsafe(ref dst, (nuint)i);
                lo = Vector128.Min(lo, key);
                hi = Vector128.Max(hi, key);
            }
            for (int j = 0; j < 4; j++) { min = Math.Min(min, lo[j]); max = Math.Max(max, hi[j]); }
        }
        for (; i < n; i++)
        {
            int key = Unsafe.Add(ref src, i) & MagnitudeKey.SignClear;
            Unsafe.Add(ref dst, i) = key;
            min = Math.Min(min, key);
            max = Math.Max(max, key);
        }
        return (min, max);
    }
}
