using static SparseMpi.Collectives.Sparse.SparseSelfCheck;

namespace SparseMpi.Collectives.Sparse;

/// <summary>
/// check-sparse's checks of <see cref="OkTopkExchange"/>, which applies only a global top-k of the sum. With an
/// exact threshold (refresh period 1) everything is checked exactly against a reference each rank computes alone
/// from regenerated inputs: the reduced sum in rank order (the owner's order), its top k by magnitude with ties to
/// the lower index (the applied set), the applied values bitwise, nothing else written, the same on every rank.
/// With re-used thresholds (refresh period 4): the applied entries hold the exact reduced values, at most 4k/3 of
/// them, identical on every rank, and every entry above the smallest applied magnitude is applied.
/// </summary>
internal static class OkTopkSelfCheck
{
    const int D = 1_000_003;

    public static void Run(Checker check, ulong seed)
    {
        var world = check.World;
        int p = world.Size;
        var f = WireFormat.Default;
        (string Case, int D, int K, Func<int, Input> Of)[] cases =
        [
            ("random, k per rank", D, 2000 + 300 * (p - 1), q => SparseSelfCheck.Random(seed, 9600 + (ulong)q, D, 2000 + 300 * q, f)),
            ("full overlap", D, 3000, q => SparseSelfCheck.Random(seed, 9700, D, 3000, f) with { Values = SparseSelfCheck.Random(seed, 9800 + (ulong)q, D, 3000, f).Values }),
            // Small integers: many equal magnitudes (ties at the threshold) and sums that cancel to zero.
            ("ties and zeros, every rank selects all of d=997", 997, 100, q =>
                new Input(Enumerable.Range(0, 997).ToArray(), Enumerable.Range(0, 997).Select(i => (float)((i * 7 + q) % 5 - 2)).ToArray(), f)),
            ("k=0 on one rank", D, 1500, q => SparseSelfCheck.Random(seed, 9900 + (ulong)q, D, q == Math.Min(1, p - 1) ? 0 : 1500, f)),
            ("fewer entries than k, d=101", 101, 500, q => SparseSelfCheck.Random(seed, 9950 + (ulong)q, 101, 5, f)),
            ("k=0 on every rank, d=13", 13, 0, _ => new Input([], [], f)),
        ];
        foreach (var (what, d, k, of) in cases)
        {
            var inputs = Enumerable.Range(0, p).Select(of).ToArray();
            var (reduced, support) = Reduce(inputs, d);
            var expected = support.OrderByDescending(i => ThresholdBand.Key(reduced[i])).ThenBy(i => i).Take(k).Order().ToArray();
            Exact(check, $"oktopk {what}", d, k, inputs, reduced, expected);
            Reused(check, $"oktopk {what}", d, k, inputs, reduced);
        }
    }

    /// <summary>The reduced sum as the owners compute it: every rank's values at an entry, added in rank order.</summary>
    static (float[] Reduced, int[] Support) Reduce(Input[] inputs, int d)
    {
        var reduced = new float[d];
        var present = new bool[d];
        foreach (var input in inputs)
            for (int j = 0; j < input.Indices.Length; j++)
            {
                int i = input.Indices[j];
                if (present[i]) reduced[i] += input.Values[j];
                else { reduced[i] = input.Values[j]; present[i] = true; }
            }
        return (reduced, Enumerable.Range(0, d).Where(i => present[i]).ToArray());
    }

    static void Exact(Checker check, string what, int d, int k, Input[] inputs, float[] reduced, int[] expected)
    {
        var world = check.World;
        int p = world.Size;
        var mine = inputs[world.Rank];
        var exchange = new OkTopkExchange(world, d, refreshPeriod: 1, repartitionPeriod: 1);
        var sum = new float[d];
        for (int round = 1; round <= 2; round++) // the second round runs on the regions the first one balanced
        {
            string label = $"{what} (exact, round {round})";
            exchange.TargetK = k;
            var result = exchange.ExchangeAlone(mine.Indices, mine.Values, sum);
            check.Expect(result.Completed && exchange.LastThresholdExact, $"{label}: completed with an exact threshold");
            check.Expect(exchange.Applied.SequenceEqual(expected), $"{label}: the applied set is the global top-{k} of the reduced sum ({exchange.Applied.Length} applied, {expected.Length} expected)");
            check.Expect(exchange.Touched.SequenceEqual(expected) && !exchange.WroteAll, $"{label}: Touched is the applied set");
            var want = new float[d];
            foreach (int i in expected) want[i] = reduced[i];
            check.Expect(BitwiseEqual(sum, want), $"{label}: the sum holds the rank-order reduced values at the applied set, zero elsewhere");
            check.Expect(world.AllEqual(Hash(sum)) && world.AllEqual(Hash(System.Runtime.InteropServices.MemoryMarshal.Cast<int, float>(exchange.RegionStarts))), $"{label}: sum and regions bitwise equal across ranks");
            check.Expect(exchange.RankCounts.SequenceEqual(inputs.Select(x => x.Indices.Length).ToArray()), $"{label}: per-rank counts");
            check.Expect(result.TotalPairs == inputs.Sum(x => x.Indices.Length), $"{label}: total pairs");
            if (round == 2 && k > 0 && p > 1 && inputs.All(x => 3L * x.Indices.Length <= 4L * k)) // the bound assumes Ok-Topk's local counts
            {
                // Ok-Topk's bound, 6k(P-1)/P words, plus what does not scale with k: the P×P counts, the survivors'
                // counts, the tie counts, the total, the radix select and the repartition's allreduce.
                long fixedBytes = 4L * p * (p - 1) + 2 * RingModel.AnnouncementBytes(p) + RingModel.AllreduceBytes(p, 8)
                    + GlobalRadixSelect.BytesPerSelect(p) + RingModel.AllreduceBytes(p, 8L * (p - 1));
                long bound = 24L * k * (p - 1) / p + fixedBytes;
                check.Expect(result.BytesSent <= bound && result.BytesReceived <= bound,
                    $"{label}: sent {result.BytesSent} and received {result.BytesReceived} bytes within 6k(P-1)/P words + {fixedBytes} = {bound}");
            }
            exchange.ResetOutput(sum);
            check.Expect(!sum.AsSpan().ContainsAnyExcept(0f), $"{label}: ResetOutput leaves the sum all zero");
        }
    }

    static void Reused(Checker check, string what, int d, int k, Input[] inputs, float[] reduced)
    {
        var world = check.World;
        var mine = inputs[world.Rank];
        var exchange = new OkTopkExchange(world, d, refreshPeriod: 4);
        var sum = new float[d];
        for (int round = 1; round <= 4; round++)
        {
            string label = $"{what} (re-used threshold, round {round})";
            exchange.TargetK = k;
            var result = exchange.ExchangeAlone(mine.Indices, mine.Values, sum);
            var applied = exchange.Applied.ToArray();
            bool values = applied.All(i => BitConverter.SingleToInt32Bits(sum[i]) == BitConverter.SingleToInt32Bits(reduced[i]));
            int smallest = applied.Length == 0 ? int.MaxValue : applied.Min(i => ThresholdBand.Key(reduced[i]));
            var set = applied.ToHashSet();
            bool complete = Enumerable.Range(0, d).All(i => ThresholdBand.Key(reduced[i]) <= smallest || set.Contains(i));
            check.Expect(result.Completed && values, $"{label}: applied entries hold the reduced values");
            check.Expect(3L * applied.Length <= 4L * k || applied.Length == 0, $"{label}: {applied.Length} applied, at most 4k/3 = {4 * k / 3}");
            check.Expect(complete, $"{label}: every entry larger than the smallest applied one is applied");
            check.Expect(world.AllEqual(Hash(sum)), $"{label}: sum bitwise equal across ranks");
            exchange.ResetOutput(sum);
            check.Expect(!sum.AsSpan().ContainsAnyExcept(0f), $"{label}: ResetOutput leaves the sum all zero");
        }
    }
}
