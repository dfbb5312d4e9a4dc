using System.Diagnostics;
using System.Numerics.Tensors;
using System.Text.Json;
using System.Text.Json.Nodes;
using SparseMpi.Collectives;
using SparseMpi.Metrics;
using SparseMpi.Sparsification;
using TorchSharp;
using static TorchSharp.torch;

namespace SparseMpi.Benchmarks;

/// <summary>
/// Times the sparsification kernels against the physical floor (one SIMD read pass) and torch.topk, on one
/// warm buffer of normal floats allocated once. Every timed call starts from a flushed cache (twice the last-level
/// cache this host reports, <see cref="CacheInfo"/>), and ratios are taken within each round and their median
/// reported, because the machine is shared and noisy.
/// </summary>
public sealed class TopKBenchmark(int d, int k, double density, int repeat, int seed, string? jsonPath)
{
    const float LearningRate = 0.1f;

    public int Run()
    {
        torch.set_num_threads(1);

        var cache = CacheInfo.Read();
        long flushBytes = cache.FlushBytes;
        bool fitsInCache = 4L * d <= cache.LastLevelBytes;
        Console.WriteLine($"bench-topk: d = {d}, k = {k}, repeat = {repeat}; {cache.CpuModel}, caches {cache.Describe()} ({cache.Source}), flush {flushBytes >> 20} MiB; preparing buffers...");
        if (fitsInCache)
            Console.WriteLine($"bench-topk: warning: d floats ({4L * d >> 20} MiB) fit in the last-level cache ({cache.LastLevelBytes >> 20} MiB): " +
                              "every figure is a cache figure, not a memory one; give a larger -d");
        var data = GC.AllocateUninitializedArray<float>(d);
        var grad = GC.AllocateUninitializedArray<float>(d);
        GaussianFill.Fill(data, (ulong)seed);
        GaussianFill.Fill(grad, (ulong)seed + 1);
        var flush = GC.AllocateUninitializedArray<byte>(checked((int)Math.Min(flushBytes, Array.MaxLength)));

        var exact = MagnitudeSelector.Exact();
        var approx = MagnitudeSelector.Approximate();
        var fusedSelector = MagnitudeSelector.Exact();
        var memory = new ErrorFeedback(d);
        data.AsSpan().CopyTo(memory.Residual);
        var indices = new int[approx.MaxSelected(k)];
        var values = new float[indices.Length];

        using var source = torch.tensor(data);
        using var magnitudes = torch.empty(d, ScalarType.Float32);

        long step = 0;
        int approxCount = 0;
        var phases = new PhaseTimes();
        var timers = new (string Name, Action Body)[]
        {
            ("memory_pass", () => TensorPrimitives.SumOfMagnitudes(data)),
            ("exact", () => exact.Select(data, k, 0, indices, values)),
            ("approx", () => approxCount = approx.Select(data, k, 0, indices, values)),
            ("fused_ef", () => memory.Step(grad, LearningRate, fusedSelector, k, step++, indices, values)),
            // The fused step's own floor: the same three streams (read residual and grad, write residual).
            ("accumulate", () => TensorPrimitives.MultiplyAdd(grad, LearningRate, memory.Residual, memory.Residual)),
            // Our own accumulate-only pass (the fused kernel's operator with no selection): the floor the
            // fused step can reach with this code; "accumulate" above is the library's version of it.
            ("accumulate_pass", () => AccumulateOnly(memory.Residual, grad, exact.Path)),
            // The exact route's phases, one flush, back to back as a call runs them.
            ("exact_phases", () => phases.Run(exact.Engine, data, k, indices, values)),
            ("torch_abs", () => magnitudes.copy_(source).abs_()),
            ("torch_topk", () => { var (v, i) = magnitudes.topk(k, sorted: false); v.Dispose(); i.Dispose(); }),
        };

        foreach (var (_, body) in timers) { body(); body(); } // warm-up: JIT tiers, scratch growth, torch init

        var ms = timers.ToDictionary(t => t.Name, _ => new List<double>());
        // Ratios to anything but the memory pass; those to the pass are perRound's, for every row.
        var ratios = new Dictionary<string, List<double>>
        {
            ["exact_speedup_vs_torch"] = [], ["fused_ef_vs_accumulate"] = [], ["fused_ef_vs_accumulate_pass"] = [],
        };
        foreach (var phase in PhaseTimes.Names) ms[phase] = [];
        var perRound = ms.Keys.ToDictionary(name => name, _ => new List<double>()); // each call over the same round's pass
        byte tick = 0;
        for (int round = 0; round < repeat; round++)
        {
            var t = new Dictionary<string, double>();
            foreach (var (name, body) in timers)
            {
                flush.AsSpan().Fill(++tick); // evict the data: back-to-back passes over a warm L3 look faster than memory
                long start = Stopwatch.GetTimestamp();
                body();
                t[name] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                ms[name].Add(t[name]);
            }
            foreach (var (name, value) in t) perRound[name].Add(value / t["memory_pass"]);
            ratios["exact_speedup_vs_torch"].Add(t["torch_topk"] / t["exact"]);
            ratios["fused_ef_vs_accumulate"].Add(t["fused_ef"] / t["accumulate"]);
            ratios["fused_ef_vs_accumulate_pass"].Add(t["fused_ef"] / t["accumulate_pass"]);
            foreach (var (name, value) in phases.Times)
            {
                ms[name].Add(value);
                perRound[name].Add(value / t["memory_pass"]);
            }
        }

        // Same index set as torch.topk? (Only magnitude ties at the boundary could make a correct answer differ.)
        int selected = exact.Select(data, k, 0, indices, values);
        magnitudes.copy_(source).abs_();
        var (_, torchIndices) = magnitudes.topk(k, sorted: false);
        var torchSet = torchIndices.to(ScalarType.Int32).data<int>().ToArray();
        torchIndices.Dispose();
        Array.Sort(torchSet);
        bool setEqual = selected == torchSet.Length && indices.AsSpan(0, selected).SequenceEqual(torchSet);

        var median = ms.ToDictionary(kv => kv.Key, kv => Median(kv.Value));
        var passRatio = perRound.ToDictionary(kv => kv.Key, kv => Median(kv.Value));
        var ratio = ratios.ToDictionary(kv => kv.Key, kv => Median(kv.Value));
        foreach (var (row, name) in new[] { ("exact", "exact_vs_memory_pass"), ("approx", "approx_vs_memory_pass"),
                     ("fused_ef", "fused_ef_vs_memory_pass"), ("exact_filter", "filter_vs_memory_pass") })
            ratio[name] = passRatio[row];
        string isa = exact.Path.ToString();

        Console.WriteLine($"isa = {isa}, d = {d}, k = {k}, medians of {repeat} rounds, cache flushed ({flush.Length >> 20} MiB) before each call" +
                          (fitsInCache ? "; the data FIT in the last-level cache" : ""));
        Console.WriteLine($"{"kernel",-16} {"ms",10} {"x memory pass",14}   (x pass: median over rounds of each round's ratio)");
        foreach (var (name, value) in median)
            Console.WriteLine($"{name,-16} {value,10:F2} {passRatio[name],14:F2}");
        Console.WriteLine($"per-round ratios: exact {ratio["exact_vs_memory_pass"]:F2}x, approx {ratio["approx_vs_memory_pass"]:F2}x, " +
                          $"fused EF {ratio["fused_ef_vs_memory_pass"]:F2}x of the memory pass " +
                          $"({ratio["fused_ef_vs_accumulate"]:F2}x of the library's accumulate-only pass, " +
                          $"{ratio["fused_ef_vs_accumulate_pass"]:F2}x of ours); exact is " +
                          $"{ratio["exact_speedup_vs_torch"]:F1}x faster than torch.topk");
        Console.WriteLine($"exact by phase: sample {median["exact_sample"]:F2} ms, filter {median["exact_filter"]:F2} ms " +
                          $"({ratio["filter_vs_memory_pass"]:F2}x of the memory pass), finish {median["exact_finish"]:F2} ms");
        Console.WriteLine($"approx selected {approxCount} (k = {k}); fallbacks: exact {exact.Fallbacks}, fused {fusedSelector.Fallbacks}");
        Console.WriteLine($"torch_set_equal = {setEqual} (exact kernel's index set {(setEqual ? "equals" : "DIFFERS FROM")} torch.topk's)");

        if (jsonPath != null)
        {
            var msNode = new JsonObject();
            foreach (var (name, value) in median) msNode[name] = Math.Round(value, 3);
            var json = new JsonObject
            {
                ["d"] = d,
                ["k"] = k,
                ["density"] = density,
                ["repeat"] = repeat,
                ["seed"] = seed,
                ["isa"] = isa,
                ["cpu_model"] = cache.CpuModel,
                ["caches"] = cache.Describe(),
                ["last_level_cache_bytes"] = cache.LastLevelBytes,
                ["flush_bytes"] = flush.Length,
                ["working_set_fits_in_cache"] = fitsInCache,
                ["ms"] = msNode,
                ["approx_selected"] = approxCount,
                ["exact_fallbacks"] = exact.Fallbacks,
                ["torch_set_equal"] = setEqual,
            };
            foreach (var (name, value) in ratio) json[name] = Math.Round(value, 3);
            AtomicFile.WriteAllText(jsonPath, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            Console.WriteLine($"wrote {jsonPath}");
        }
        return 0;
    }

    /// <summary>The accumulate-only pass of the fused kernel (no selection), on the same operator.</summary>
    static void AccumulateOnly(Span<float> residual, ReadOnlySpan<float> grad, VectorPath path)
    {
        var accumulation = new Accumulation(residual, grad, LearningRate, Span<float>.Empty, 0f, keepResidual: true);
        var pass = new AccumulationPass(residual, path);
        accumulation.Run(ref pass);
    }

    /// <summary>Times the exact route's three phases of one call (<see cref="SelectionEngine.SamplePhase"/>).</summary>
    sealed class PhaseTimes
    {
        public static readonly string[] Names = ["exact_sample", "exact_filter", "exact_finish"];
        public double Sample, Filter, Finish;
        public IEnumerable<(string, double)> Times => [("exact_sample", Sample), ("exact_filter", Filter), ("exact_finish", Finish)];

        public void Run(SelectionEngine engine, ReadOnlySpan<float> x, int k, Span<int> indices, Span<float> values)
        {
            long t0 = Stopwatch.GetTimestamp();
            var (threshold, limit) = engine.SamplePhase(x, k);
            long t1 = Stopwatch.GetTimestamp();
            int count = engine.FilterPhase(x, threshold, limit);
            long t2 = Stopwatch.GetTimestamp();
            if (count <= limit) engine.FinishPhase(count, k, indices, values);
            long t3 = Stopwatch.GetTimestamp();
            Sample = Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds;
            Filter = Stopwatch.GetElapsedTime(t1, t2).TotalMilliseconds;
            Finish = Stopwatch.GetElapsedTime(t2, t3).TotalMilliseconds;
        }
    }

    static double Median(List<double> xs)
    {
        var s = xs.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }
}

/// <summary>
/// Standard normal floats from a seed, fast enough for 2^25 of them: SplitMix64 bits and the Box-Muller
/// transform, two values per pair of uniforms.
/// </summary>
internal static class GaussianFill
{
    public static void Fill(Span<float> x, ulong seed)
    {
        var random = new SplitMix64(seed * SplitMix64.Gamma + 0x632BE59BD9B4E019ul);
        for (int i = 0; i < x.Length; i += 2)
        {
            ulong bits = random.Next();
            // 24-bit uniforms; u1 in (0, 1] keeps the logarithm finite.
            float u1 = ((bits >> 40) + 1) * (1f / (1 << 24));
            float u2 = ((bits >> 8) & 0xFFFFFF) * (1f / (1 << 24));
            float radius = MathF.Sqrt(-2f * MathF.Log(u1));
            var (sin, cos) = MathF.SinCos(2f * MathF.PI * u2);
            x[i] = radius * cos;
            if (i + 1 < x.Length) x[i + 1] = radius * sin;
        }
    }
}
