using System.Globalization;
using CommandLine;
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

    [Option("compressor", Default = "none", HelpText = "Gradient compressor: none (dense MPI_Allreduce).")]
    public string Compressor { get; set; } = "none";

    [Option("log-every", Default = 10, HelpText = "Write a metrics record every this many steps.")]
    public int LogEvery { get; set; } = 10;

    [Option("checkpoint-every", Default = 0L, HelpText = "Write a checkpoint every this many steps, and at the end (0: never).")]
    public long CheckpointEvery { get; set; }

    [Option("resume", HelpText = "Continue the run in this directory from its latest checkpoint (and write into it).")]
    public string? Resume { get; set; }

    public static readonly string[] Compressors = ["none"];

    public string? Validate()
    {
        if (ValidateShared() is string problem) return problem;
        if (Epochs < 1) return $"--epochs must be at least 1 (got {Epochs})";
        if (MaxSteps < 0) return $"--max-steps must not be negative (got {MaxSteps})";
        if (LogEvery < 1) return $"--log-every must be at least 1 (got {LogEvery})";
        if (CheckpointEvery < 0) return $"--checkpoint-every must not be negative (got {CheckpointEvery})";
        if (!Compressors.Contains(Compressor)) return $"unknown compressor '{Compressor}'; valid: {string.Join(", ", Compressors)}";
        if (Resume != null && !Directory.Exists(Resume)) return $"--resume {Resume}: no such run directory";
        return null;
    }

    public override string MathConfiguration() =>
        base.MathConfiguration() + string.Create(CultureInfo.InvariantCulture, $";compressor={Compressor}");

    public int Run() => MpiSession.Run(mpi => new SyncTrainer(mpi, this).Run());
}
