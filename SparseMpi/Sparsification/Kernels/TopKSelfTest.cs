namespace SparseMpi.Sparsification;

/// <summary>
/// Runs the selectors on <see cref="TestVectors"/> at one vector path and checks them against the
/// brute-force reference. Run in a process started with DOTNET_EnableAVX512=0 (or AVX2, or HWIntrinsic
/// off) it checks the narrower paths exactly as production would run them there.
/// </summary>
public static class TopKSelfTest
{
    public sealed record Report(VectorPath Path, int Passed, int Failed, IReadOnlyList<string> Failures);

    static readonly int[] Sizes = [1, 2, 3, 7, 16, 17, 31, 33, 63, 64, 65, 100, 1000, 4097, 65536, 65537];

    public static Report Run(VectorPath path, int seed, bool large)
    {
        var exact = MagnitudeSelector.Exact(path);
        var approx = MagnitudeSelector.Approximate(path);
        var failures = new List<string>();
        int passed = 0;

        void Check(bool ok, string what)
        {
            if (ok) passed++;
            else if (failures.Count < 1000) failures.Add(what);
        }

        IEnumerable<(string Kind, int D)> cases = TestVectors.Kinds.SelectMany(kind => Sizes.Select(d => (kind, d)));
        if (large)
            cases = cases.Concat(TestVectors.Kinds.Select(kind => (kind, 100_003)))
                .Concat([("normal", 1 << 20), ("few-values", 1 << 20), ("sparse", 1_000_001)]);
        foreach (var (kind, d) in cases)
        {
            var x = TestVectors.Make(kind, d, seed);
            foreach (int k in new[] { 1, 3, d / 1000 + 1, d / 2, d }.Where(k => k >= 1 && k <= d).Distinct())
            {
                string name = $"{kind} d={d} k={k}";
                var expected = TestVectors.ReferenceTopK(x, k);
                var idx = new int[approx.MaxSelected(k)];
                var val = new float[idx.Length];

                int n = exact.Select(x, k, 0, idx, val);
                Check(n == k && idx.AsSpan(0, n).SequenceEqual(expected) && ValuesMatch(x, idx, val, n), $"exact {name}");

                n = approx.Select(x, k, 0, idx, val);
                Check(n >= k && n <= approx.MaxSelected(k) && IsAscending(idx, n) && ValuesMatch(x, idx, val, n)
                      && IsSuperset(idx.AsSpan(0, n), expected), $"approx {name}");

                // Fused error feedback with lr = 0: acc = x + 0 * grad keeps the adversarial structure of x
                // (only the sign of zeros may change), and the expected accumulator is computed here.
                var grad = TestVectors.Make("normal", d, seed + 1);
                var acc = new float[d];
                for (int i = 0; i < d; i++) acc[i] = x[i] + grad[i] * 0f;
                var memory = new ErrorFeedback(d, path: path);
                x.CopyTo(memory.Residual);
                n = memory.Step(grad, 0f, exact, k, 0, idx, val);
                Check(n == k && idx.AsSpan(0, n).SequenceEqual(TestVectors.ReferenceTopK(acc, k))
                      && ValuesMatch(acc, idx, val, n) && SentPlusResidualIsAcc(acc, memory.Residual, idx, val, n),
                      $"fused-ef {name}");
            }
        }
        return new Report(exact.Path, passed, failures.Count, failures);
    }

    /// <summary>The error-feedback invariant, bit for bit: the sent entries plus the residual rebuild acc.</summary>
    public static bool SentPlusResidualIsAcc(ReadOnlySpan<float> acc, ReadOnlySpan<float> residual, int[] idx, float[] val, int n)
    {
        var rebuilt = residual.ToArray();
        for (int j = 0; j < n; j++)
        {
            if (rebuilt[idx[j]] != 0f) return false; // sent entries must have left the residual
            rebuilt[idx[j]] = val[j];
        }
        for (int i = 0; i < acc.Length; i++)
            if (BitConverter.SingleToInt32Bits(rebuilt[i]) != BitConverter.SingleToInt32Bits(acc[i])) return false;
        return true;
    }

    static bool ValuesMatch(float[] x, int[] idx, float[] val, int n)
    {
        for (int j = 0; j < n; j++)
            if (BitConverter.SingleToInt32Bits(x[idx[j]]) != BitConverter.SingleToInt32Bits(val[j])) return false;
        return true;
    }

    static bool IsAscending(int[] idx, int n)
    {
        for (int j = 1; j < n; j++) if (idx[j] <= idx[j - 1]) return false;
        return true;
    }

    static bool IsSuperset(ReadOnlySpan<int> sorted, int[] subset)
    {
        foreach (int i in subset) if (sorted.BinarySearch(i) < 0) return false;
        return true;
    }
}
