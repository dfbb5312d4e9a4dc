using SparseMpi.Collectives;

namespace SparseMpi.Benchmarks;

/// <summary>
/// bench-step's stand-in for the model's gradient: <see cref="Count"/> buffers of d normal values per rank, drawn
/// once from SplitMix64 streams of (seed, rank, buffer), so a step's gradient is deterministic per rank and step
/// and no step allocates or draws d numbers (a copy is all a step costs). Ranks get different gradients, so their
/// top-k selections overlap only partly, as in training.
/// </summary>
public sealed class SyntheticGradients
{
    /// <summary>Buffers per rank: enough that consecutive steps differ, few enough to keep memory at a few d.</summary>
    public const int Count = 3;

    readonly float[][] _buffers;

    public SyntheticGradients(int d, ulong seed, int rank)
    {
        _buffers = new float[Count][];
        for (int g = 0; g < Count; g++)
        {
            var rng = new SplitMix64(SplitMix64.Mix(seed ^ ((ulong)rank * SplitMix64.Gamma)) ^ (ulong)(g + 1) * 0xD1B54A32D192ED03UL);
            var buffer = _buffers[g] = GC.AllocateUninitializedArray<float>(d);
            // Scaled like a trained model's gradient entries; the scale only matters for what top-k picks, not for time.
            for (int i = 0; i < d; i++) buffer[i] = (float)(1e-3 * rng.NextNormal());
        }
    }

    /// <summary>Writes the gradient of <paramref name="step"/> into <paramref name="gradient"/> (length d).</summary>
    public void CopyTo(Span<float> gradient, long step) => _buffers[step % Count].CopyTo(gradient);
}
