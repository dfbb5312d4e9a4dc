using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SparseMpi.Collectives.Sparse;

/// <summary>Scatter operations between a sparse selection and a dense vector.</summary>
public static class SparseScatter
{
    /// <summary><c>dense[indices[i]] += values[i]</c> in order. Every index must be in 0..dense.Length-1.</summary>
    public static void Add(Span<float> dense, ReadOnlySpan<int> indices, ReadOnlySpan<float> values)
    {
        if (indices.Length != values.Length) throw new ArgumentException($"{indices.Length} indices but {values.Length} values");
        ref float d = ref MemoryMarshal.GetReference(dense);
        ref float v = ref MemoryMarshal.GetReference(values);
        uint length = (uint)dense.Length;
        for (int i = 0; i < indices.Length; i++)
        {
            int index = indices[i];
            // Random stores into a large vector: the check is a predicted branch, the cost is the cache miss.
            if ((uint)index >= length) throw new ArgumentOutOfRangeException(nameof(indices), index, $"index outside 0..{dense.Length - 1}");
            Unsafe.Add(ref d, index) += Unsafe.Add(ref v, i);
        }
    }

    /// <summary><c>dense[index] = 0</c> for every index: clears what a scatter wrote without touching all of dense.</summary>
    public static void Clear(Span<float> dense, ReadOnlySpan<int> indices)
    {
        foreach (int index in indices) dense[index] = 0f;
    }
}
