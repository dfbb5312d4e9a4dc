namespace SparseMpi.Collectives.Sparse;

/// <summary>
/// What this rank contributes to one gradient exchange: its dense vector (length d), its selection (k strictly
/// ascending indices and their values), or both. The training loop has both at hand each step (the
/// error-corrected accumulator and its top-k), so it can pass both and switch strategies by option alone.
/// </summary>
public readonly ref struct LocalGradient
{
    public ReadOnlySpan<float> Dense { get; }
    public ReadOnlySpan<int> Indices { get; }
    public ReadOnlySpan<float> Values { get; }
    public bool HasDense { get; }
    /// <summary>True when a selection was given, even an empty one (k = 0 is a valid selection).</summary>
    public bool HasSelection { get; }

    LocalGradient(ReadOnlySpan<float> dense, bool hasDense, ReadOnlySpan<int> indices, ReadOnlySpan<float> values, bool hasSelection)
    {
        if (hasSelection && indices.Length != values.Length)
            throw new ArgumentException($"the selection has {indices.Length} indices but {values.Length} values");
        Dense = dense; HasDense = hasDense;
        Indices = indices; Values = values; HasSelection = hasSelection;
    }

    public static LocalGradient FromDense(ReadOnlySpan<float> dense) => new(dense, true, default, default, false);

    public static LocalGradient FromSelection(ReadOnlySpan<int> indices, ReadOnlySpan<float> values) => new(default, false, indices, values, true);

    public static LocalGradient Both(ReadOnlySpan<float> dense, ReadOnlySpan<int> indices, ReadOnlySpan<float> values) => new(dense, true, indices, values, true);
}
