namespace SparseMpi.Sparsification;

/// <summary>Argument checks shared by every compressor, so each fails the same clear way.</summary>
internal static class SelectionArguments
{
    public static void CheckK(int k, int d)
    {
        if (k < 1 || k > d)
            throw new ArgumentOutOfRangeException(nameof(k), k,
                $"k must be between 1 and the vector length d = {d}, but was {k}");
    }

    public static void CheckOutput(int needed, Span<int> indices, Span<float> values)
    {
        if (indices.Length < needed || values.Length < needed)
            throw new ArgumentException(
                $"the output buffers must hold at least {needed} entries (indices: {indices.Length}, values: {values.Length})");
    }
}
