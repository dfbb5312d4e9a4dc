using System.Globalization;
using CommandLine;
using SparseMpi.Collectives.Sparse;
using SparseMpi.Training;

namespace SparseMpi.Cli;

/// <summary><c>train</c>: synchronous data-parallel SGD over MPI, dense or with a compressor.</summary>
[Verb("train", HelpText = "Synchronous data-parallel training of Fashion-MNIST (run it under mpiexec or srun).")]
public sealed class TrainVerb : TrainingOptions, IVerb
{
    [Option("epochs", Default = 1, HelpText = "Epochs to train (in total, counting those before a --resume).")]
    public int Epochs { get; set; } = 1;

    [Option("max-steps", Default = 0L, HelpText = "Stop after this many steps in total (0: no limit; for quick runs).")]
    public long MaxSteps { get; set; }

    [Option("warmup-epochs", Default = 0, HelpText = "Density warm-up as in DGC: decay geometrically from dense to --density over this many epochs.")]
    public int WarmupEpochs { get; set; }

    [Option("index-format", Default = "int32", HelpText = "Wire format of indices: int32 or delta (sorted gaps as LEB128 varints).")]
    public string IndexFormat { get; set; } = "int32";

    [Option("value-format", Default = "fp32", HelpText = "Wire format of values: fp32, fp16 or bf16.")]
    public string ValueFormat { get; set; } = "fp32";

    [Option("exchange", Default = "allgather", HelpText = "How compressed selections are summed: allgather (sparse allgather of index/value pairs) or allreduce (scattered into a dense MPI_Allreduce).")]
    public string Exchange { get; set; } = "allgather";

    [Option("log-every", Default = 10, HelpText = "Write a metrics record every this many steps.")]
    public int LogEvery { get; set; } = 10;

    [Option("checkpoint-every", Default = 0L, HelpText = "Write a checkpoint every this many steps, and at the end (0: never).")]
    public long CheckpointEvery { get; set; }

    [Option("resume", HelpText = "Continue the run in this directory from its latest checkpoint (and write into it).")]
    public string? Resume { get; set; }

    public WireFormat WireFormat
    {
        get
        {
            WireFormat.TryParse($"{IndexFormat}:{ValueFormat}", out var f);
            return f;
        }
    }

    public string? Validate()
    {
        if (ValidateShared() is string problem) return problem;
        if (Epochs < 1) return $"--epochs must be at least 1 (got {Epochs})";
        if (MaxSteps < 0) return $"--max-steps must not be negative (got {MaxSteps})";
        if (LogEvery < 1) return $"--log-every must be at least 1 (got {LogEvery})";
        if (CheckpointEvery < 0) return $"--checkpoint-every must not be negative (got {CheckpointEvery})";
        if (ValidateCompression() is string compressionProblem) return compressionProblem;
        if (WarmupEpochs < 0) return $"--warmup-epochs must not be negative (got {WarmupEpochs})";
        if (!Collectives.Sparse.WireFormat.TryParse($"{IndexFormat}:{ValueFormat}", out _))
            return $"unknown wire format --index-format {IndexFormat} --value-format {ValueFormat}; index formats: int32, delta; value formats: fp32, fp16, bf16";
        if (Exchange is not ("allgather" or "allreduce")) return $"--exchange must be allgather or allreduce (got '{Exchange}')";
        if (Resume != null && !Directory.Exists(Resume)) return $"--resume {Resume}: no such run directory";
        return null;
    }

    public override string MathConfiguration()
    {
        string s = base.MathConfiguration() + $";compressor={Compressor}";
        if (Dense) return s;
        return s + string.Create(CultureInfo.InvariantCulture,
            $";density={Density:R};k={K};ef={ErrorFeedback};masking={MomentumMasking};threshold={Threshold:R};warmup={WarmupEpochs};format={WireFormat};exchange={Exchange}");
    }

    public int Run() => MpiSession.Run(mpi => new SyncTrainer(mpi, this).Run());
}
