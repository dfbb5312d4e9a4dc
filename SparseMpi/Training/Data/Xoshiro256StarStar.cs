using System.Numerics;
using SparseMpi.Collectives;

namespace SparseMpi.Training.Data;

/// <summary>
/// Blackman and Vigna's xoshiro256** (2018), the general-purpose 64-bit generator: fast, 2^256-1 period, and
/// fully specified, so a permutation drawn from a seed is the same on every machine, rank and .NET version
/// (System.Random makes no such promise across versions).
/// </summary>
public struct Xoshiro256StarStar
{
    ulong _s0, _s1, _s2, _s3;

    /// <summary>Seeds the four state words from SplitMix64, which never yields the forbidden all-zero state in practice.</summary>
    public Xoshiro256StarStar(ulong seed)
    {
        var seeder = new SplitMix64(seed);
        _s0 = seeder.Next();
        _s1 = seeder.Next();
        _s2 = seeder.Next();
        _s3 = seeder.Next();
    }

    public ulong NextUInt64()
    {
        ulong result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>
    /// A uniform integer in [0, <paramref name="bound"/>), without modulo bias: Lemire's multiply-and-reject
    /// (2019), which almost never rejects.
    /// </summary>
    public uint NextBelow(uint bound)
    {
        ArgumentOutOfRangeException.ThrowIfZero(bound);
        ulong product = (ulong)(uint)(NextUInt64() >> 32) * bound;
        uint low = (uint)product;
        if (low < bound)
        {
            uint threshold = (uint)-bound % bound;
            while (low < threshold)
            {
                product = (ulong)(uint)(NextUInt64() >> 32) * bound;
                low = (uint)product;
            }
        }
        return (uint)(product >> 32);
    }
}
