using NUnit.Framework;
using SparseMpi.Sparsification;

namespace SparseMpi.Tests.Sparsification;

/// <summary>
/// The specification of exact top-k, written independently of the kernels (float compares of |x|, a
/// comparison sort): order by (|x| descending, index ascending), keep k, sort the indices.
/// </summary>
public static class Reference
{
    /// <summary>All indices in selection order; the top-k is the first k of it, sorted.</summary>
    public static int[] SelectionOrder(float[] x)
    {
        var order = Enumerable.Range(0, x.Length).ToArray();
        Array.Sort(order, (a, b) =>
        {
            int c = MathF.Abs(x[b]).CompareTo(MathF.Abs(x[a]));
            return c != 0 ? c : a.CompareTo(b);
        });
        return order;
    }

    public static int[] TopK(int[] selectionOrder, int k)
    {
        var r = selectionOrder[..k];
        Array.Sort(r);
        return r;
    }

    public static int[] TopK(float[] x, int k) => TopK(SelectionOrder(x), k);

    /// <summary>Every vector path this machine can run, narrowest first, so each is tested, not only the widest.</summary>
    public static IEnumerable<VectorPath> Paths() =>
        Enum.GetValues<VectorPath>().Where(p => p <= VectorPaths.Best);

    public static void AssertSignedValues(float[] x, ReadOnlySpan<int> idx, ReadOnlySpan<float> val)
    {
        for (int j = 0; j < idx.Length; j++)
            Assert.That(BitConverter.SingleToInt32Bits(val[j]), Is.EqualTo(BitConverter.SingleToInt32Bits(x[idx[j]])),
                $"value of index {idx[j]}");
    }

    public static float[] Normal(int d, int seed) => TestVectors.Make("normal", d, seed);
}
