using SparseMpi.Metrics;

namespace SparseMpi.Tests.Metrics;

/// <summary>
/// A strong-scaling study of two methods on 1, 2 and 4 ranks with round numbers (d = 1000, 10 steps, global batch
/// 128), written as summary.json files in the layout of jobs/scaling-strong.sbatch: JOB/ranks-R/summary.json.
/// dense: 1000, 1500, 2000 samples/s (speedup 1.5 and 2); bytes per step 0, 2·1/2·4000 = 4000, 2·3/4·4000 = 6000.
/// topk 0.01 (k = 10, int32:fp32, message 24 + 10·8 = 104 B): 1250, 2500, 3750 samples/s (speedup 2 and 3);
/// bytes per step 0, 1·(4 + 104) = 108, 3·(4 + 104) = 324.
/// </summary>
public static class ScalingFixtures
{
    public const int D = 1000, Steps = 10, GlobalBatch = 128, K = 10;

    /// <summary>Writes both methods' jobs under <paramref name="root"/>; returns (dense job, topk job).</summary>
    public static (string Dense, string TopK) WriteStudy(string root)
    {
        string dense = Path.Combine(root, "scaling-dense"), topk = Path.Combine(root, "scaling-topk");
        Write(dense, 1, 1000, new PhaseMeans(100, 2, 0, 0, 26, 128), 0, 0.80);
        Write(dense, 2, 1500, new PhaseMeans(50, 2, 0, 30, 3, 85), 4000, 0.81);
        Write(dense, 4, 2000, new PhaseMeans(25, 2, 0, 35, 2, 64), 6000, 0.82);
        Write(topk, 1, 1250, new PhaseMeans(90, 5, 0, 1, 1, 97), 0, 0.79, sparse: true);
        Write(topk, 2, 2500, new PhaseMeans(50, 5, 0, 20, 1.5, 76.5), 108, 0.78, sparse: true);
        Write(topk, 4, 3750, new PhaseMeans(25, 5, 0, 30, 2, 62), 324, 0.77, sparse: true);
        return (dense, topk);
    }

    public static string Write(string job, int ranks, double samplesPerSecond, PhaseMeans ms, long bytesPerStep, double accuracy, bool sparse = false)
    {
        string dir = Path.Combine(job, $"ranks-{ranks}");
        Json.WriteFile(Path.Combine(dir, "summary.json"), new RunSummary
        {
            Ranks = ranks, Model = "mlp", D = D, Compressor = sparse ? "topk" : "none", Density = sparse ? (double)K / D : 1,
            K = sparse ? K : D, KMean = sparse ? K : D, ErrorFeedback = sparse, WireFormat = sparse ? "int32:fp32" : "dense",
            KRule = sparse ? "fixed" : "dense", Epochs = 1, Steps = Steps, StepsThisRun = Steps, BatchSizePerRank = GlobalBatch / ranks,
            SamplesPerSecond = samplesPerSecond, MsPerStep = ms, BytesSentPerRank = bytesPerStep * Steps, TestAccuracy = accuracy,
        });
        return dir;
    }
}
