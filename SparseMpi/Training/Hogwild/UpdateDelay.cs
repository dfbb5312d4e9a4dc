using System.Diagnostics;
using SparseMpi.Collectives;
using SparseMpi.Training.Data;

namespace SparseMpi.Training.Hogwild;

/// <summary>
/// The injected delay between a rank's snapshot and its write, to mimic stragglers: fixed, or exponential with
/// the given mean (a heavy-ish tail of slow updates). Drawn from a generator seeded with (seed, rank), so a run's
/// delay sequence per rank is reproducible even though the interleaving of ranks is not.
/// </summary>
public sealed class UpdateDelay
{
    readonly double _meanMs;
    readonly bool _exponential;
    Xoshiro256StarStar _random;

    public UpdateDelay(double meanMs, string distribution, long seed, int rank)
    {
        if (!(meanMs >= 0)) throw new ArgumentOutOfRangeException(nameof(meanMs));
        _meanMs = meanMs;
        _exponential = distribution switch
        {
            "fixed" => false,
            "exp" => true,
            _ => throw new ArgumentException($"unknown delay distribution '{distribution}'", nameof(distribution)),
        };
        _random = new Xoshiro256StarStar(SplitMix64.Mix(SplitMix64.Mix((ulong)seed ^ 0xDE1A_7000ul) + (ulong)rank));
    }

    public bool None => _meanMs == 0;

    /// <summary>The next delay in milliseconds.</summary>
    public double NextMs()
    {
        if (_meanMs == 0 || !_exponential) return _meanMs;
        double u = (_random.NextUInt64() >> 11) * (1.0 / (1ul << 53)); // uniform in [0, 1)
        return -_meanMs * Math.Log(1 - u);
    }

    /// <summary>The next delay in Stopwatch ticks.</summary>
    public long NextTicks() => (long)Math.Round(NextMs() * Stopwatch.Frequency / 1000.0);
}
