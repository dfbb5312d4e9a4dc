using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace SparseMpi.Training.Hogwild;

/// <summary>
/// The two ways a Hogwild update is added into shared floats. x86 has no atomic float add, so the atomic way is
/// a compare-and-swap loop on the float's 32 bits (lock cmpxchg): an addition that raced with another writer is
/// retried, none is lost. The racy way is a plain load-add-store, Niu et al.'s Hogwild!: no float is ever torn
/// (an aligned 4-byte access is atomic on x86), but two writers interleaving on one entry can lose an addition.
/// </summary>
public static unsafe class FloatAtomics
{
    /// <summary>Adds <paramref name="value"/> to <paramref name="target"/> atomically (never loses a concurrent addition).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Add(ref float target, float value)
    {
        ref int bits = ref Unsafe.As<float, int>(ref target);
        int seen = Volatile.Read(ref bits);
        while (true)
        {
            int desired = BitConverter.SingleToInt32Bits(BitConverter.Int32BitsToSingle(seen) + value);
            int found = Interlocked.CompareExchange(ref bits, desired, seen);
            if (found == seen) return;
            seen = found;
        }
    }

    /// <summary>p[indices[j]] += scale * values[j] for every j, atomically per entry or racily.</summary>
    public static void AddSparse(Span<float> p, ReadOnlySpan<int> indices, ReadOnlySpan<float> values, float scale, bool atomic)
    {
        if (indices.Length != values.Length) throw new ArgumentException("indices and values differ in length");
        if (atomic)
            for (int j = 0; j < indices.Length; j++) Add(ref p[indices[j]], scale * values[j]);
        else
            for (int j = 0; j < indices.Length; j++) p[indices[j]] += scale * values[j];
    }

    /// <summary>p += scale * v over all d entries, atomically per entry or racily (vectorised, as fast as memory allows).</summary>
    public static void AddDense(Span<float> p, ReadOnlySpan<float> v, float scale, bool atomic)
    {
        if (p.Length != v.Length) throw new ArgumentException("the update and the parameters differ in length");
        if (atomic)
        {
            for (int i = 0; i < p.Length; i++)
                if (v[i] != 0f) Add(ref p[i], scale * v[i]); // an exact zero changes nothing: skip its lock
        }
        else
        {
            // Vector load-add-store: each float is still read and written whole; a concurrent writer's addition
            // between our load and our store is lost, exactly as with the scalar p[i] += v.
            TensorPrimitives.MultiplyAdd(v, scale, p, p);
        }
    }
}
