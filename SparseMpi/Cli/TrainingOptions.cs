using System.Globalization;
using CommandLine;
using SparseMpi.Training;
using SparseMpi.Training.Data;
using SparseMpi.Training.Models;

namespace SparseMpi.Cli;

/// <summary>
/// Options shared by the training verbs (train, hogwild): model, data, optimiser, seed, output. Each verb adds
/// its own. Defaults here are the ones the README documents.
/// </summary>
public abstract class TrainingOptions
{
    [Option("model", Default = ModelFactory.Default, HelpText = "Model: mlp (784-256-10; other widths with --hidden), cnn (LeNet-5-like) or logreg (convex).")]
    public string Model { get; set; } = ModelFactory.Default;

    [Option("hidden", Default = "256", HelpText = "Hidden layer widths of --model mlp, comma-separated: 256 is the default 784-256-10 (d = 203,530); 2048,2048 gives d = 5,824,522, where communication matters at 10 Gb/s.")]
    public string Hidden { get; set; } = "256";

    [Option("data", Default = FashionMnist.DefaultDirectory, HelpText = "Directory with the Fashion-MNIST idx files (gzip or raw).")]
    public string Data { get; set; } = FashionMnist.DefaultDirectory;

    [Option("batch-size", Default = "64", HelpText = "Mini-batch size per rank, or (train) full: each rank's whole shard every step, so the mean over ranks is the true gradient (full-batch gradient descent).")]
    public string BatchSizeText { get; set; } = "64";

    /// <summary>--batch-size full: full-batch gradient descent.</summary>
    public bool FullBatch => BatchSizeText == "full";

    /// <summary>The batch size per rank; 0 for full (the trainer takes the shard size), -1 when not a number.</summary>
    public int BatchSize => FullBatch ? 0 : int.TryParse(BatchSizeText, NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : -1;

    [Option("lr", Default = 0.05, HelpText = "Learning rate.")]
    public double Lr { get; set; } = 0.05;

    /// <summary>Virtual so a verb can document its own default (hogwild: 0).</summary>
    [Option("momentum", Default = 0.9, HelpText = "Momentum (applied before compression: local momentum accumulation, as in DGC).")]
    public virtual double Momentum { get; set; } = 0.9;

    [Option("seed", Default = 1L, HelpText = "Seed of initialisation, data order and random compressors; runs are reproducible for a fixed rank count.")]
    public long Seed { get; set; } = 1;

    [Option("out", Default = "runs/train", HelpText = "Run directory: summary.json, metrics.jsonl/csv, tensorboard/, checkpoints/.")]
    public virtual string Out { get; set; } = "runs/train";

    [Option("eval-batch-size", Default = 1000, HelpText = "Batch size of test-set evaluation.")]
    public int EvalBatchSize { get; set; } = 1000;

    // Compression: the compressor / memory pair every training verb shares (what is exchanged differs per verb).

    [Option("compressor", Default = "topk", HelpText = "Gradient compressor: none (dense), topk (exact), topk-approx (sampled threshold, up to 1.5k), randomk, threshold.")]
    public string Compressor { get; set; } = "topk";

    [Option("density", Default = 0.01, HelpText = "Fraction of the d entries each rank sends per step (k = round(d * density)).")]
    public double Density { get; set; } = 0.01;

    [Option('k', Default = 0, HelpText = "(also --k) Entries each rank sends per step; instead of --density (give one of the two).")]
    public int K { get; set; }

    [Option("error-feedback", Default = "true", HelpText = "true: keep what was not sent and add it to the next step (Alistarh et al.); false: drop it.")]
    public string ErrorFeedback { get; set; } = "true";

    [Option("momentum-masking", Default = "true", HelpText = "true: zero the momentum of entries just sent (DGC's momentum factor masking).")]
    public string MomentumMasking { get; set; } = "true";

    [Option("threshold", Default = 0.0, HelpText = "For --compressor threshold: send every entry with |acc| >= this (at most k of them).")]
    public double Threshold { get; set; }

    [Option("stall-timeout", Default = 300.0, HelpText = "End the job (MPI_Abort, one line naming rank, step and phase) when a rank makes no progress for this many seconds: a stopped or dead peer, a cut link (0: wait forever).")]
    public double StallTimeout { get; set; } = 300;

    public static readonly string[] Compressors = ["none", "topk", "topk-approx", "randomk", "threshold"];

    public bool Dense => Compressor == "none";
    public bool UseErrorFeedback => ErrorFeedback == "true";
    public bool UseMomentumMasking => MomentumMasking == "true";

    /// <summary>Copies the shared options into the configuration a verb hands to the training layer.</summary>
    protected T Shared<T>(T c) where T : TrainingConfig
    {
        c.Model = Model; c.Hidden = ModelFactory.ParseHidden(Hidden, out _) ?? throw new InvalidOperationException("Validate must run first"); c.Data = Data; c.BatchSize = BatchSize; c.FullBatch = FullBatch; c.Lr = Lr; c.Momentum = Momentum; c.Seed = Seed;
        c.Out = Out; c.EvalBatchSize = EvalBatchSize; c.Compressor = Compressor; c.Density = Density; c.K = K;
        c.ErrorFeedback = UseErrorFeedback; c.MomentumMasking = UseMomentumMasking; c.Threshold = Threshold; c.StallTimeout = StallTimeout;
        return c;
    }

    /// <summary>Checks the shared options; null when valid, else one line.</summary>
    protected string? ValidateShared()
    {
        if (ModelFactory.FindProblem(Model) is string modelProblem) return modelProblem;
        if (ModelFactory.ParseHidden(Hidden, out string? hiddenProblem) == null) return hiddenProblem;
        if (!FullBatch && BatchSize < 1) return $"--batch-size must be at least 1 (a whole number) or full (got '{BatchSizeText}')";
        if (!(Lr > 0) || !float.IsFinite((float)Lr)) return $"--lr must be a positive finite number (got {Lr.ToString(CultureInfo.InvariantCulture)})";
        if (!(Momentum >= 0 && Momentum < 1)) return $"--momentum must be in [0, 1) (got {Momentum.ToString(CultureInfo.InvariantCulture)})";
        if (EvalBatchSize < 1) return $"--eval-batch-size must be at least 1 (got {EvalBatchSize})";
        if (string.IsNullOrWhiteSpace(Out)) return "--out must name a directory";
        if (!(StallTimeout >= 0 && StallTimeout <= 1e6)) return $"--stall-timeout must be a number of seconds in [0, 1000000] (0: off; got {StallTimeout.ToString(CultureInfo.InvariantCulture)})";
        if (FashionMnist.FindProblem(Data) is string dataProblem) return dataProblem;
        return null;
    }

    /// <summary>Checks the compression options; null when valid, else one line.</summary>
    protected string? ValidateCompression()
    {
        if (!Compressors.Contains(Compressor)) return $"unknown compressor '{Compressor}'; valid: {string.Join(", ", Compressors)}";
        if (!(Density > 0 && Density <= 1)) return $"--density must be in (0, 1] (got {Density.ToString(CultureInfo.InvariantCulture)})";
        if (K < 0) return $"--k must be at least 1 (got {K})";
        if (ErrorFeedback is not ("true" or "false")) return $"--error-feedback must be true or false (got '{ErrorFeedback}')";
        if (MomentumMasking is not ("true" or "false")) return $"--momentum-masking must be true or false (got '{MomentumMasking}')";
        if (!double.IsFinite(Threshold) || Threshold < 0) return $"--threshold must be a finite number >= 0 (got {Threshold.ToString(CultureInfo.InvariantCulture)})";
        if (Compressor == "threshold" && Threshold == 0) return "--compressor threshold needs --threshold TAU > 0";
        return null;
    }
}
