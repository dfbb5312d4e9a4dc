namespace SparseMpi.Sparsification;

/// <summary>
/// Reusable scratch for the candidates of one filter pass: their indices (ascending, as the pass emits
/// them), their signed values, and an integer key scratch for finishing the selection. Sized to a small
/// multiple of k, grown rarely (by doubling), never per call.
/// </summary>
internal sealed class CandidateBuffer
{
    /// <summary>
    /// Room past the logical limit: the vector filters store whole vectors after checking the limit once
    /// per block, so a block may write up to one block (64 entries) plus one vector past it.
    /// </summary>
    public const int Slack = 128;

    public int[] Indices { get; private set; } = [];
    public float[] Values { get; private set; } = [];
    public int[] Keys { get; private set; } = [];

    /// <summary>Makes room for a filter pass whose logical limit is <paramref name="limit"/> candidates.</summary>
    public void EnsureLimit(int limit)
    {
        long needed = (long)limit + Slack;
        if (Indices.Length >= needed) return;
        int size = (int)Math.Min(Array.MaxLength, Math.Max(needed, 2L * Indices.Length));
        Indices = GC.AllocateUninitializedArray<int>(size);
        Values = GC.AllocateUninitializedArray<float>(size);
        Keys = GC.AllocateUninitializedArray<int>(size);
    }
}
