using System.Runtime.InteropServices;

namespace SparseMpi.Collectives.Sparse;

/// <summary>
/// Runs the gradient exchanges on the live communicator over cases chosen to break them (k different per rank,
/// k = 0 on one rank, all ranks selecting the same indices, disjoint indices, k = d, the first and last index,
/// fp16 saturation and subnormals, ranks using different formats, flags, odd d) and compares every sum bitwise
/// with a reference each rank computes alone by regenerating all ranks' inputs. Used by the hidden
/// <c>check-sparse</c> verb, which the integration tests run under Open MPI and MPICH.
/// </summary>
public static class SparseSelfCheck
{
    const int LargeD = 1_000_003; // odd, prime: not a multiple of any vector width or chunk

    /// <summary>One rank's input in a case.</summary>
    internal sealed record Input(int[] Indices, float[] Values, WireFormat Format);

    /// <summary>Returns one line per failed check on this rank (empty when all passed), the number of checks, and notes on what ran.</summary>
    /// <param name="nodes">
    /// how the hierarchical runs of every exact exchange group the ranks: <see cref="Hierarchy.Node"/> (the real
    /// nodes; on one machine a single node) or <see cref="Hierarchy.Blocks"/> (N consecutive ranks per "node").
    /// </param>
    /// <param name="hierarchyOnly">
    /// only the hierarchical runs (the leader probe, every exact exchange among node leaders, auto's fit among
    /// them): what a test of another node grouping needs, since the flat checks do not depend on it.
    /// </param>
    public static (List<string> Failures, int Checks, List<string> Notes) Run(Communicator world, ulong seed = 1, Hierarchy nodes = default,
        bool hierarchyOnly = false)
    {
        if (nodes.IsNone) nodes = Hierarchy.Node;
        var check = new Checker(world);
        var sum = new float[LargeD];
        var reference = new float[LargeD];
        if (!hierarchyOnly) Flat(check, seed, sum, reference);
        Hierarchical(check, seed, sum, nodes);
        if (!hierarchyOnly)
        {
            OkTopkSelfCheck.Run(check, seed);
            Auto(check, seed, sum);
        }
        return (check.Failures, check.Count, check.Notes);
    }

    /// <summary>Every wire format, the flag, the dense baseline and the sparse allreduces on the flat communicator.</summary>
    static void Flat(Checker check, ulong seed, float[] sum, float[] reference)
    {
        var world = check.World;
        int p = world.Size;
        foreach (var format in WireFormat.All)
        {
            string f = format.ToString();
            // k differs per rank and is 0 on rank 1 (on rank 0 when alone).
            Sparse(check, $"{f} random, k per rank, k=0 on one rank", LargeD, q =>
                Random(seed, (ulong)q, LargeD, q == Math.Min(1, p - 1) ? 0 : 1500 + 1100 * q, format), sum, reference);
            // Every rank selects the same indices: each entry is a sum of P values.
            Sparse(check, $"{f} full overlap", LargeD, q =>
            {
                var shared = Random(seed, 1000, LargeD, 4000, format);
                var own = Random(seed, 2000 + (ulong)q, LargeD, 4000, format);
                return shared with { Values = own.Values };
            }, sum, reference);
            // Rank q owns the indices congruent to q mod P: no entry is written twice.
            Sparse(check, $"{f} no overlap, d=997", 997, q =>
            {
                var indices = Enumerable.Range(0, 997).Where(i => i % p == q).ToArray();
                return new Input(indices, Random(seed, 3000 + (ulong)q, 997, indices.Length, format).Values, format);
            }, sum, reference);
            Sparse(check, $"{f} k=d=101 on every rank", 101, q => Random(seed, 4000 + (ulong)q, 101, 101, format), sum, reference);
            Sparse(check, $"{f} k=0 on every rank, d=13", 13, _ => new Input([], [], format), sum, reference);
            // The first and the last index (largest gaps) and values that saturate, underflow or round in fp16/bf16.
            Sparse(check, $"{f} edge indices and extreme values", LargeD, q =>
                new Input([0, 1, 65_537 + q, LargeD - 2, LargeD - 1], [1e6f * (q + 1), -70000f, 3e-8f, 1.00048828125f + q, -1e-40f], format), sum, reference);
            // One exchange, then ResetOutput, then another on the same sum: the reset must leave it all zero.
            Sparse(check, $"{f} second exchange after ResetOutput", LargeD, q => Random(seed, 5000 + (ulong)q, LargeD, 3000 + 7 * q, format), sum, reference, repeat: 2);
        }
        // Each rank in its own format: every message names its format, so one step may mix them.
        Sparse(check, "mixed formats across ranks", LargeD, q => Random(seed, 6000 + (ulong)q, LargeD, 2500, WireFormat.All[q % WireFormat.All.Count]), sum, reference);
        SparseFlag(check, seed, sum);
        Dense(check, seed, sum, reference);
        foreach (string name in GradientExchanges.SparseAllreduces)
            SparseAllreduce(check, name, seed, sum, d => GradientExchanges.Create(name, world, d, WireFormat.Default));
    }

    /// <summary>Every exact exchange among node leaders: another order of additions, so checked like the sparse allreduces.</summary>
    static void Hierarchical(Checker check, ulong seed, float[] sum, Hierarchy nodes)
    {
        var world = check.World;
        int p = world.Size;
        int leaders;
        using (var probe = new HierarchicalExchange(world, nodes, "allgather", 1, WireFormat.Default))
        {
            leaders = world.Allreduce(probe.IsLeader ? 1 : 0, ReduceOp.Sum);
            check.Expect(nodes.RanksPerNode is not int n || leaders == (p + n - 1) / n, $"--hierarchy {nodes}: {leaders} node leaders");
            check.Expect(world.AllEqual(leaders), $"--hierarchy {nodes}: every rank counts {leaders} node leaders");
            if (world.Rank == 0) check.Note($"--hierarchy {nodes}: {leaders} node leaders of {p} ranks");
        }
        // auto among them with one network for every algorithm (1 us, 1 GB/s, as Auto below): no fit to time per
        // case, and different algorithms cheapest over the cases; AutoAmongLeaders checks the fit the leaders make.
        foreach (string name in GradientExchanges.Names)
            SparseAllreduce(check, $"{name} --hierarchy {nodes}", seed, sum, d => name == GradientExchanges.Auto
                ? new HierarchicalExchange(world, nodes, name, d, comm => new AutoExchange(comm, d, ExchangeCostFit.Uniform(comm.Size, alpha: 1e-6, beta: 1e-9)))
                : GradientExchanges.Create(name, world, d, WireFormat.Default, nodes));
        AutoAmongLeaders(check, seed, sum, nodes, leaders);
    }

    internal static Input Random(ulong seed, ulong stream, int d, int k, WireFormat format)
    {
        var input = new Input(new int[k], new float[k], format);
        SyntheticSparse.Fill(seed, stream, d, input.Indices, input.Values);
        return input;
    }

    static void Sparse(Checker check, string name, int d, Func<int, Input> inputOf, float[] sumBuffer, float[] referenceBuffer, int repeat = 1)
    {
        var world = check.World;
        var inputs = Enumerable.Range(0, world.Size).Select(inputOf).ToArray();
        var sum = sumBuffer.AsSpan(0, d);
        var reference = referenceBuffer.AsSpan(0, d);
        reference.Clear();
        foreach (var input in inputs)
            for (int i = 0; i < input.Indices.Length; i++)
                reference[input.Indices[i]] += ValueCodec.Quantize(input.Values[i], input.Format.Value);

        var mine = inputs[world.Rank];
        var exchange = new SparseAllgatherExchange(world, d, mine.Format);
        for (int round = 0; round < repeat; round++)
        {
            var result = exchange.ExchangeAlone(mine.Indices, mine.Values, sum);
            string what = repeat > 1 ? $"{name} (round {round + 1})" : name;
            check.Expect(result.Completed, $"{what}: completed");
            check.Expect(BitwiseEqual(sum, reference), $"{what}: sum equals the local reference bitwise");
            check.Expect(world.AllEqual(Hash(sum)), $"{what}: sum bitwise equal across ranks");
            check.Expect(exchange.RankCounts.SequenceEqual(inputs.Select(x => x.Indices.Length).ToArray()), $"{what}: per-rank counts");
            check.Expect(result.TotalPairs == inputs.Sum(x => x.Indices.Length), $"{what}: total pairs");
            var lengths = exchange.RankMessageBytes;
            long total = 0;
            foreach (int length in lengths) total += length;
            int p = world.Size, r = world.Rank;
            check.Expect(result.MessageBytes == lengths[r] && lengths[r] == SparseHeader.Size + IndexCodec.PayloadBytes(mine.Indices, mine.Format.Index) + (long)mine.Indices.Length * WireFormat.ValueSize(mine.Format.Value),
                $"{what}: message bytes");
            check.Expect(result.BytesReceived == (p == 1 ? 0 : total - lengths[r] + 4L * (p - 1)), $"{what}: bytes received");
            exchange.ResetOutput(sum);
            check.Expect(!sum.ContainsAnyExcept(0f), $"{what}: ResetOutput leaves the sum all zero");
        }

        // The split form the trainer uses: pack, lengths gathered by the caller, then only the messages move.
        var packedLengths = new int[world.Size];
        world.Allgather<int>([exchange.Pack(mine.Indices, mine.Values)], packedLengths);
        var packed = exchange.Exchange(packedLengths, sum);
        check.Expect(packed.Completed && BitwiseEqual(sum, reference), $"{name} (packed): sum equals the local reference bitwise");
        check.Expect(exchange.RankCounts.SequenceEqual(inputs.Select(x => x.Indices.Length).ToArray()), $"{name} (packed): per-rank counts");
        exchange.ResetOutput(sum);
    }

    static void SparseFlag(Checker check, ulong seed, float[] sumBuffer)
    {
        var world = check.World;
        int p = world.Size;
        var flaggers = p > 2 ? new[] { 0, p - 1 } : new[] { p - 1 };
        var sum = sumBuffer.AsSpan(0, LargeD);
        var mine = Random(seed, 7000 + (ulong)world.Rank, LargeD, 1000, WireFormat.Default);
        var exchange = new SparseAllgatherExchange(world, LargeD, WireFormat.Default);
        bool flagging = flaggers.Contains(world.Rank);
        // A flagging rank may have nothing to send (e.g. it found a NaN before selecting).
        var result = flagging ? exchange.ExchangeAlone([], [], sum, flag: true) : exchange.ExchangeAlone(mine.Indices, mine.Values, sum);
        check.Expect(!result.Completed && result.FlaggedRanks.SequenceEqual(flaggers), $"sparse flag: every rank reports ranks {string.Join(",", flaggers)}");
        check.Expect(!sum.ContainsAnyExcept(0f) && exchange.Touched.IsEmpty, "sparse flag: no rank touched its sum");
        // The exchange stays usable: the next step proceeds normally.
        result = exchange.ExchangeAlone(mine.Indices, mine.Values, sum);
        check.Expect(result.Completed && result.TotalPairs == 1000L * p, "sparse flag: the next exchange completes");
        exchange.ResetOutput(sum);
    }

    /// <summary>The dense baseline on integer-valued floats, whose sums are exact in any reduction order.</summary>
    static void Dense(Checker check, ulong seed, float[] sumBuffer, float[] referenceBuffer)
    {
        var world = check.World;
        int p = world.Size, d = LargeD;
        var inputs = Enumerable.Range(0, p).Select(q =>
        {
            var input = Random(seed, 8000 + (ulong)q, d, 20_000 + 3000 * q, WireFormat.Default);
            for (int i = 0; i < input.Values.Length; i++) input.Values[i] = MathF.Round(input.Values[i] * 16);
            return input;
        }).ToArray();
        var reference = referenceBuffer.AsSpan(0, d);
        reference.Clear();
        foreach (var input in inputs) SparseScatter.Add(reference, input.Indices, input.Values);
        var mine = inputs[world.Rank];
        var dense = new float[d];
        SparseScatter.Add(dense, mine.Indices, mine.Values);
        var sum = sumBuffer.AsSpan(0, d);
        var exchange = new DenseAllreduceExchange(world, d);

        sum.Fill(float.NaN); // the dense exchange overwrites whatever was there
        var result = exchange.AllreduceDense(dense, sum);
        check.Expect(result.Completed && BitwiseEqual(sum, reference), "dense: allreduce of the dense vectors");
        check.Expect(world.AllEqual(Hash(sum)), "dense: sum bitwise equal across ranks");
        long ring = RingModel.AllreduceFloats(p, d);
        check.Expect(result.MessageBytes == 4L * d && result.BytesSent == ring && result.BytesReceived == ring, "dense: ring byte model");

        sum.Fill(float.NaN);
        result = exchange.ExchangeAlone(mine.Indices, mine.Values, sum);
        check.Expect(result.Completed && BitwiseEqual(sum, reference), "dense: allreduce of the scattered selections");
        check.Expect(exchange.RankCounts.SequenceEqual(inputs.Select(x => x.Indices.Length).ToArray()), "dense: per-rank counts");

        var inPlace = (float[])dense.Clone();
        result = exchange.AllreduceDense(inPlace, inPlace);
        check.Expect(result.Completed && BitwiseEqual(inPlace, reference), "dense: in place");

        result = world.Rank == 0 ? exchange.ExchangeAlone([], [], sum, flag: true) : exchange.ExchangeAlone(mine.Indices, mine.Values, sum);
        check.Expect(!result.Completed && result.FlaggedRanks.SequenceEqual([0]), "dense flag: every rank reports rank 0");
    }

    /// <summary>
    /// The sparse allreduces (SparCML's and ours), whose sums add in another order than the rank-order reference:
    /// every entry within the rounding bound of an exact (double) sum, entries nobody selected exactly zero,
    /// bitwise equal across ranks and from one run to the next, per-rank counts, and a clean reset.
    /// </summary>
    static void SparseAllreduce(Checker check, string name, ulong seed, float[] sumBuffer,
        Func<int, IGradientExchange>? create = null, Action<IGradientExchange, string>? after = null)
    {
        var world = check.World;
        int p = world.Size;
        var f = WireFormat.Default;
        (string Case, int D, Func<int, Input> Of)[] cases =
        [
            ("random, k per rank, k=0 on one rank", LargeD, q => Random(seed, 9000 + (ulong)q, LargeD, q == Math.Min(1, p - 1) ? 0 : 1500 + 1100 * q, f)),
            ("full overlap", LargeD, q => Random(seed, 9100, LargeD, 4000, f) with { Values = Random(seed, 9200 + (ulong)q, LargeD, 4000, f).Values }),
            ("no overlap, d=997", 997, q =>
            {
                var indices = Enumerable.Range(0, 997).Where(i => i % p == q).ToArray();
                return new Input(indices, Random(seed, 9300 + (ulong)q, 997, indices.Length, f).Values, f);
            }),
            ("k=d=101 (dense from the start)", 101, q => Random(seed, 9400 + (ulong)q, 101, 101, f)),
            ("fill-in crosses the dense switch mid-way, d=20011", 20_011, q => Random(seed, 9500 + (ulong)q, 20_011, 20_011 * 3 / 10, f)),
            ("k=0 on every rank, d=13", 13, _ => new Input([], [], f)),
        ];
        foreach (var (what, d, of) in cases)
        {
            var inputs = Enumerable.Range(0, p).Select(of).ToArray();
            var exact = new double[d];
            var magnitude = new double[d];
            var selected = new bool[d];
            foreach (var input in inputs)
                for (int j = 0; j < input.Indices.Length; j++)
                {
                    exact[input.Indices[j]] += input.Values[j];
                    magnitude[input.Indices[j]] += Math.Abs(input.Values[j]);
                    selected[input.Indices[j]] = true;
                }
            var mine = inputs[world.Rank];
            var exchange = create?.Invoke(d) ?? GradientExchanges.Create(name, world, d, f);
            var sum = sumBuffer.AsSpan(0, d);
            sum.Clear();
            long firstHash = 0;
            string? firstChoice = null;
            for (int round = 0; round < 2; round++)
            {
                var result = exchange.ExchangeAlone(mine.Indices, mine.Values, sum);
                string label = $"{name} {what} (round {round + 1})";
                check.Expect(result.Completed, $"{label}: completed");
                // What ranks say they sent is what ranks say they received, over the whole job.
                check.Expect(world.Allreduce(result.BytesSent, ReduceOp.Sum) == world.Allreduce(result.BytesReceived, ReduceOp.Sum), $"{label}: bytes sent and received balance");
                int outside = 0;
                for (int i = 0; i < d; i++)
                {
                    // Each of the at most P-1 additions rounds by half an ulp of a partial sum no larger than the sum of magnitudes.
                    double bound = p * Math.ScaleB(magnitude[i], -24);
                    if (selected[i] ? Math.Abs(sum[i] - exact[i]) > bound : sum[i] != 0f) outside++;
                }
                check.Expect(outside == 0, $"{label}: {outside} entries outside the rounding bound of the exact sum");
                long hash = Hash(sum);
                check.Expect(world.AllEqual(hash), $"{label}: sum bitwise equal across ranks");
                // auto may choose again with the fill-in it measured in round 1: another algorithm adds in another order.
                // Among node leaders only the leaders know the choice (the same on each): the others take theirs.
                string? choice = GradientExchanges.AutoOf(exchange)?.LastChoice;
                if (exchange is HierarchicalExchange { InnerName: GradientExchanges.Auto })
                {
                    int chosen = world.Allreduce(choice == null ? -1 : Array.IndexOf(ExchangeCostModel.Algorithms, choice), ReduceOp.Max);
                    check.Expect(choice == null || ExchangeCostModel.Algorithms[chosen] == choice, $"{label}: every leader chose the same");
                    choice = chosen >= 0 ? ExchangeCostModel.Algorithms[chosen] : null;
                }
                if (round == 0) (firstHash, firstChoice) = (hash, choice);
                else if (choice == firstChoice) check.Expect(hash == firstHash, $"{label}: the same bits as the first exchange");
                check.Expect(exchange.RankCounts.SequenceEqual(inputs.Select(x => x.Indices.Length).ToArray()), $"{label}: per-rank counts");
                if (!exchange.WroteAll)
                {
                    int missing = 0;
                    var touched = new HashSet<int>(exchange.Touched.ToArray());
                    for (int i = 0; i < d; i++) if (sum[i] != 0f && !touched.Contains(i)) missing++;
                    check.Expect(missing == 0, $"{label}: every written entry is in Touched");
                }
                after?.Invoke(exchange, label);
                exchange.ResetOutput(sum);
                check.Expect(!sum.ContainsAnyExcept(0f), $"{label}: ResetOutput leaves the sum all zero");
            }
            (exchange as IDisposable)?.Dispose();
        }
    }

    /// <summary>
    /// auto: every exact algorithm forced once through the sparse-allreduce cases (the same bounds, the same
    /// reset); then auto left to choose, on shapes where different algorithms are cheapest under one network,
    /// must run the model's cheapest (computed here from the same formulas) on every rank alike; and an auto
    /// without a fit must fit one at its first exchange, the same on every rank.
    /// </summary>
    static void Auto(Checker check, ulong seed, float[] sumBuffer)
    {
        var world = check.World;
        int p = world.Size;
        // 1 us, 1 GB/s: the sparse ones win at small k, allreduce or dsar-split where the sum fills in (on P > 1).
        var fit = ExchangeCostFit.Uniform(p, alpha: 1e-6, beta: 1e-9);
        foreach (string forced in ExchangeCostModel.Algorithms)
            SparseAllreduce(check, $"auto (forced {forced})", seed, sumBuffer,
                d => new AutoExchange(world, d, fit) { Force = forced },
                (e, label) => check.Expect(((AutoExchange)e).LastChoice == forced, $"{label}: ran {forced}"));

        var chosen = new HashSet<string>();
        SparseAllreduce(check, "auto (chooses)", seed, sumBuffer, d => new AutoExchange(world, d, fit), (e, label) =>
        {
            var auto = (AutoExchange)e;
            var shape = ExchangeShape.Of(auto.Dimension, auto.RankCounts, auto.AssumedFillIn);
            string expected = ExchangeCostModel.Algorithms.MinBy(a => fit.Predict(a, shape))!;
            check.Expect(auto.LastChoice == expected, $"{label}: chose {auto.LastChoice}, the model's cheapest is {expected}");
            check.Expect(world.AllEqual(Array.IndexOf(ExchangeCostModel.Algorithms, auto.LastChoice)), $"{label}: every rank chose the same");
            check.Expect(Math.Abs(auto.LastPredictedSeconds - fit.Predict(expected, shape)) <= 1e-12, $"{label}: the prediction is the chosen one's");
            double fillIn = auto.LastFillIn;
            check.Expect(double.IsNaN(fillIn) ? auto.RankCounts.ToArray().Sum() == 0 : fillIn >= 1.0 / p - 1e-12 && fillIn <= 1 + 1e-12,
                $"{label}: fill-in {fillIn} in [1/P, 1]");
            check.Expect(world.AllEqual(BitConverter.DoubleToInt64Bits(fillIn)), $"{label}: the same fill-in on every rank");
            chosen.Add(auto.LastChoice!);
        });
        if (p > 1) check.Expect(chosen.Count >= 2, $"auto (chooses): more than one algorithm chosen over the cases ({string.Join(", ", chosen)})");

        // No fit given: the first exchange fits one (collective), the same on every rank, and the sum is right.
        var lazy = new AutoExchange(world, 997);
        var mine = Random(seed, 9900 + (ulong)world.Rank, 997, 50, WireFormat.Default);
        var sum = sumBuffer.AsSpan(0, 997);
        sum.Clear();
        var result = lazy.ExchangeAlone(mine.Indices, mine.Values, sum);
        check.Expect(result.Completed && lazy.Fit is { Source: "fitted" }, "auto (fits at the first exchange): completed with a fitted model");
        check.Expect(world.AllEqual(lazy.Fit?.Hash() ?? 0), "auto (fits at the first exchange): the same fit on every rank");
        check.Expect(lazy.Fit?.Costs.All(c => c.FixedSeconds >= 0 && c.SecondsPerByte >= 0) == true, "auto (fits at the first exchange): no negative cost");
        lazy.ResetOutput(sum);
        check.Expect(!sum.ContainsAnyExcept(0f), "auto (fits at the first exchange): ResetOutput leaves the sum all zero");
    }

    /// <summary>
    /// auto --hierarchy without a fit given: the first exchange fits one on the leaders' communicator (collective
    /// among the leaders only, inside their exchange), the same on every leader and for as many ranks as there are
    /// leaders; the other ranks hold no auto. The sum is bitwise equal on every rank, and the reset leaves it zero.
    /// </summary>
    static void AutoAmongLeaders(Checker check, ulong seed, float[] sumBuffer, Hierarchy nodes, int leaders)
    {
        var world = check.World;
        const string what = "auto --hierarchy (fits among the leaders at the first exchange)";
        using var exchange = new HierarchicalExchange(world, nodes, GradientExchanges.Auto, 997, WireFormat.Default);
        var auto = GradientExchanges.AutoOf(exchange);
        check.Expect((auto != null) == exchange.IsLeader, $"{what}: an auto on the leaders only");
        var mine = Random(seed, 9950 + (ulong)world.Rank, 997, 50, WireFormat.Default);
        var sum = sumBuffer.AsSpan(0, 997);
        sum.Clear();
        var result = exchange.ExchangeAlone(mine.Indices, mine.Values, sum);
        check.Expect(result.Completed, $"{what}: completed");
        if (auto != null)
        {
            check.Expect(auto.Fit is { Source: "fitted" } fit && fit.Ranks == leaders, $"{what}: a fit of the {leaders} leaders (got {auto.Fit?.Ranks} ranks)");
            check.Expect(auto.Fit?.Costs.All(c => c.FixedSeconds >= 0 && c.SecondsPerByte >= 0) == true, $"{what}: no negative cost");
        }
        // The leaders' hashes compared over the world (the others join with none): min and max over the leaders.
        long hash = auto?.Fit?.Hash() ?? 0;
        check.Expect(world.Allreduce(auto != null ? hash : long.MaxValue, ReduceOp.Min) == world.Allreduce(auto != null ? hash : long.MinValue, ReduceOp.Max),
            $"{what}: the same fit on every leader");
        check.Expect(world.AllEqual(Hash(sum)), $"{what}: sum bitwise equal across ranks");
        exchange.ResetOutput(sum);
        check.Expect(!sum.ContainsAnyExcept(0f), $"{what}: ResetOutput leaves the sum all zero");
    }

    internal static bool BitwiseEqual(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
        => MemoryMarshal.AsBytes(a).SequenceEqual(MemoryMarshal.AsBytes(b));

    /// <summary>FNV-1a over the float bits: equal sums give equal hashes on every rank (compared in-run, never stored).</summary>
    internal static long Hash(ReadOnlySpan<float> values) => (long)Fnv1a.Hash(values);

    internal sealed class Checker(Communicator world)
    {
        public Communicator World { get; } = world;
        public List<string> Failures { get; } = [];
        public int Count { get; private set; }

        /// <summary>Lines for the verb to print (what ran, not whether it passed).</summary>
        public List<string> Notes { get; } = [];

        public void Note(string line) => Notes.Add(line);

        public void Expect(bool ok, string what)
        {
            Count++;
            if (!ok) Failures.Add($"rank {World.Rank}: {what}");
        }
    }
}
