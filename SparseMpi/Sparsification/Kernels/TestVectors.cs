namespace SparseMpi.Sparsification;

/// <summary>
/// Inputs that break naive top-k kernels, shared by the unit tests and the in-process self-test: ties of
/// every kind, an outlier that wrecks histogram ranges, sorted runs that wreck quickselect, signed zeros,
/// denormals, sparse vectors with fewer non-zeros than k, and data periodic in the sampler's stride.
/// Deterministic in (kind, d, seed).
/// </summary>
public static class TestVectors
{
    public static readonly string[] Kinds =
    [
        "normal", "uniform", "all-equal", "all-zero", "few-values", "outlier", "ascending", "descending",
        "alternating", "denormal", "signed-zeros", "sparse", "periodic", "huge-range",
    ];

    public static float[] Make(string kind, int d, int seed)
    {
        var rng = new Random(seed * 7919 + d);
        var x = new float[d];
        switch (kind)
        {
            case "normal":
                for (int i = 0; i < d; i++) x[i] = Normal(rng);
                break;
            case "uniform":
                for (int i = 0; i < d; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
                break;
            case "all-equal":
                Array.Fill(x, -1.25f);
                break;
            case "all-zero":
                break;
            case "few-values": // huge tie groups at every level, both signs
                for (int i = 0; i < d; i++) x[i] = rng.Next(-2, 3);
                break;
            case "outlier":
                for (int i = 0; i < d; i++) x[i] = Normal(rng);
                x[rng.Next(d)] = 3e38f;
                break;
            case "ascending":
                for (int i = 0; i < d; i++) x[i] = (i % 2 == 0 ? 1 : -1) * (i + 1) * 1e-3f;
                break;
            case "descending":
                for (int i = 0; i < d; i++) x[i] = (d - i) * 0.5f;
                break;
            case "alternating":
                for (int i = 0; i < d; i++) x[i] = (i % 2 == 0 ? 1f : -1f) * (1 + i % 5);
                break;
            case "denormal": // below float.MinNormal (1.18e-38), signs mixed, with ties
                for (int i = 0; i < d; i++) x[i] = BitConverter.Int32BitsToSingle(rng.Next(0, 1000) | (rng.Next(2) << 31));
                break;
            case "signed-zeros": // +0 and -0 are equal magnitudes: index order decides
                for (int i = 0; i < d; i++) x[i] = rng.Next(2) == 0 ? 0f : -0f;
                for (int i = 0; i < Math.Max(1, d / 100); i++) x[rng.Next(d)] = Normal(rng);
                break;
            case "sparse": // fewer non-zeros than most k: the rest of the selection is zeros by index
                for (int i = 0; i < Math.Max(1, d / 5000); i++) x[rng.Next(d)] = Normal(rng);
                break;
            case "periodic": // large values exactly where the sampler's runs are likely to miss
                for (int i = 0; i < d; i++) x[i] = i % 4096 == 4095 ? 100f + (i % 7) : Normal(rng) * 1e-3f;
                break;
            case "huge-range":
                for (int i = 0; i < d; i++) x[i] = MathF.Pow(10, rng.Next(-40, 39)) * (rng.Next(2) == 0 ? 1 : -1);
                break;
            default:
                throw new ArgumentException($"unknown test vector kind '{kind}'", nameof(kind));
        }
        return x;
    }

    static float Normal(Random rng)
    {
        double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
        return (float)(Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
    }

    /// <summary>
    /// The specification, by brute force: sort by (|x| descending, index ascending), keep k, sort the
    /// indices. O(d log d); for checking only.
    /// </summary>
    public static int[] ReferenceTopK(ReadOnlySpan<float> x, int k)
    {
        // Pack (magnitude key, reversed index) into one long: one ascending sort orders by |x| then index.
        var packed = new long[x.Length];
        for (int i = 0; i < x.Length; i++)
            packed[i] = ((long)MagnitudeKey.Of(x[i]) << 32) | (uint)(x.Length - 1 - i);
        Array.Sort(packed);
        var result = new int[k];
        for (int j = 0; j < k; j++) result[j] = x.Length - 1 - (int)(uint)packed[^(j + 1)];
        Array.Sort(result);
        return result;
    }
}
