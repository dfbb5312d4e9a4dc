namespace SparseMpi.Training.Data;

/// <summary>
/// Steele, Lea and Flood's SplitMix64 (2014): a 64-bit counter passed through a strong bit mixer. Used to turn
/// seeds into well-spread generator states (as Vigna recommends for xoshiro), and to derive independent
/// per-epoch seeds from one run seed. Written out here so results never depend on the .NET version.
/// </summary>
public struct SplitMix64(ulong state)
{
    ulong _state = state;

    public ulong Next()
    {
        _state += 0x9E3779B97F4A7C15UL;
        return Mix(_state);
    }

    /// <summary>The SplitMix64 finaliser: a bijection of 64-bit words with full avalanche.</summary>
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
