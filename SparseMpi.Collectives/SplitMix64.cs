namespace SparseMpi.Collectives;

/// <summary>
/// Steele, Lea and Flood's SplitMix64 (2014): a 64-bit counter passed through a strong bit mixer. The one copy
/// every seeded stream of the program uses (shuffle seeds, random-k, delays, toy updates, synthetic vectors,
/// benchmark data), written out so results never depend on the .NET version. It lives here, below the program,
/// because the collectives' synthetic sparse vectors need it too.
/// </summary>
public struct SplitMix64(ulong state)
{
    /// <summary>The counter's increment (2^64 / golden ratio, odd): also used to spread seeds before mixing.</summary>
    public const ulong Gamma = 0x9E3779B97F4A7C15UL;

    ulong _state = state;

    public ulong Next() => Mix(_state += Gamma);

    /// <summary>The SplitMix64 finaliser: a bijection of 64-bit words with full avalanche.</summary>
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, n) by Lemire's multiply-shift (bias below 2^-32 for n below 2^32).</summary>
    public ulong NextBelow(ulong n) => (ulong)(((UInt128)Next() * n) >> 64);

    /// <summary>Uniform in (0, 1]: never 0, so its logarithm is finite.</summary>
    public double NextUnit() => ((Next() >> 11) + 1) * (1.0 / (1UL << 53));

    public double NextExponential() => -Math.Log(NextUnit());

    /// <summary>Box-Muller, one of the pair (simple; for k normals, not for d of them).</summary>
    public double NextNormal() => Math.Sqrt(-2.0 * Math.Log(NextUnit())) * Math.Cos(2.0 * Math.PI * NextUnit());
}
