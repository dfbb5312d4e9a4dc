using System.Globalization;
using System.Text;
using CommandLine;
using SparseMpi.Training.Data;
using SparseMpi.Training.Models;

namespace SparseMpi.Cli;

/// <summary>
/// Options shared by the training verbs (train, hogwild): model, data, optimiser, seed, output. Each verb adds
/// its own. Defaults here are the ones the README documents.
/// </summary>
public abstract class TrainingOptions
{
    [Option("model", Default = ModelFactory.Default, HelpText = "Model: mlp (784-256-10), cnn (LeNet-5-like) or logreg (convex).")]
    public string Model { get; set; } = ModelFactory.Default;

    [Option("data", Default = FashionMnist.DefaultDirectory, HelpText = "Directory with the Fashion-MNIST idx files (gzip or raw).")]
    public string Data { get; set; } = FashionMnist.DefaultDirectory;

    [Option("batch-size", Default = 64, HelpText = "Mini-batch size per rank.")]
    public int BatchSize { get; set; } = 64;

    [Option("lr", Default = 0.05, HelpText = "Learning rate.")]
    public double Lr { get; set; } = 0.05;

    [Option("momentum", Default = 0.9, HelpText = "Momentum (applied before compression: local momentum accumulation, as in DGC).")]
    public double Momentum { get; set; } = 0.9;

    [Option("seed", Default = 1L, HelpText = "Seed of initialisation, data order and random compressors; runs are reproducible for a fixed rank count.")]
    public long Seed { get; set; } = 1;

    [Option("out", Default = "runs/train", HelpText = "Run directory: summary.json, metrics.jsonl/csv, tensorboard/, checkpoints/.")]
    public string Out { get; set; } = "runs/train";

    [Option("eval-batch-size", Default = 1000, HelpText = "Batch size of test-set evaluation.")]
    public int EvalBatchSize { get; set; } = 1000;

    /// <summary>Checks the shared options; null when valid, else one line.</summary>
    protected string? ValidateShared()
    {
        if (ModelFactory.FindProblem(Model) is string modelProblem) return modelProblem;
        if (BatchSize < 1) return $"--batch-size must be at least 1 (got {BatchSize})";
        if (!(Lr > 0) || !double.IsFinite(Lr)) return $"--lr must be a positive finite number (got {Lr.ToString(CultureInfo.InvariantCulture)})";
        if (!(Momentum >= 0 && Momentum < 1)) return $"--momentum must be in [0, 1) (got {Momentum.ToString(CultureInfo.InvariantCulture)})";
        if (EvalBatchSize < 1) return $"--eval-batch-size must be at least 1 (got {EvalBatchSize})";
        if (string.IsNullOrWhiteSpace(Out)) return "--out must name a directory";
        if (FashionMnist.FindProblem(Data) is string dataProblem) return dataProblem;
        return null;
    }

    /// <summary>
    /// A canonical text of every option that changes the numbers a run computes (not where it writes, nor how
    /// long it runs): ranks compare its hash before training, and a checkpoint refuses a different one.
    /// </summary>
    public virtual string MathConfiguration()
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(c, $"model={Model};batch={BatchSize};lr={Lr:R};momentum={Momentum:R};seed={Seed}");
        return sb.ToString();
    }
}
