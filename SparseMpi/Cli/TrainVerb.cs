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

    [Option("compressor", Default = "topk", HelpText = "Gradient compressor: none (dense MPI_Allreduce), topk (exact), topk-approx (sampled threshold, up to 1.5k), randomk, threshold.")]
    public string Compressor { get; set; } = "topk";

    [Option("density", Default = 0.01, HelpText = "Fraction of the d entries each rank sends per step (k = round(d * density)).")]
    public double Density { get; set; } = 0.01;

    [Option('k', Default = 0, HelpText = "(also --k) Entries each rank sends per step; overrides --density when > 0.")]
    public int K { get; set; }

    [Option("error-feedback", Default = "true", HelpText = "true: keep what was not sent and add it to the next step (Alistarh et al.); false: drop it.")]
    public string ErrorFeedback { get; set; } = "true";

    [Option("momentum-masking", Default = "true", HelpText = "true: zero the momentum of entries just sent (DGC's momentum factor masking).")]
    public string MomentumMasking { get; set; } = "true";

    [Option("threshold", Default = 0.0, HelpText = "For --compressor threshold: send every entry with |acc| >= this (at most k of them).")]
    public double Threshold { get; set; }

    [Option("warmup-epochs", Default = 0, HelpText = "Density warm-up as in DGC: decay geometrically from dense to --density over this many epochs.")]
    public int WarmupEpochs { get; set; }

    [Option("index-format", Default = "int32", HelpText = "Wire format of indices: int32 or delta (sorted gaps as LEB128 varints).")]
    public string IndexFormat { get; set; } = "int32";

    [Option("value-format", Default = "fp32", HelpText = "Wire format of values: fp32, fp16 or bf16.")]
    public string ValueFormat { get; set; } = "fp32";

    [Option("exchange", Default = "allgather", HelpText = "How compressed selections are summed: allgather (sparse allgather of index/value pairs) or allreduce (scattered into a dense MPI_Allreduce).")]
    public string Exchange { get; set; } = "allgather";

    [Option("k-rule", Default = "fixed", HelpText = "fixed: the same k every step; dynamic: each rank picks k each step maximising descent per cost (Khirirat et al. 2020).")]
    public string KRule { get; set; } = "fixed";

    [Option("cost-model", Default = "payload", HelpText = "Cost of sending k entries: payload (bits), packet (whole packets), mpi (alpha + beta*bytes fitted at start-up). Used by --k-rule dynamic, and for accounting.")]
    public string CostModel { get; set; } = "payload";

    [Option("k-max", Default = 0, HelpText = "Most entries the dynamic rule may send per step (0: 10% of d).")]
    public int KMax { get; set; }

    [Option("header-bytes", Default = 28, HelpText = "Fixed bytes per message in the payload and packet models (our 24-byte header + the 4-byte length).")]
    public int HeaderBytes { get; set; } = 28;

    [Option("packet-bytes", Default = 1500, HelpText = "Packet size of the packet cost model.")]
    public int PacketBytes { get; set; } = 1500;

    [Option("packet-header-bytes", Default = 64, HelpText = "Header bytes inside each packet of the packet cost model.")]
    public int PacketHeaderBytes { get; set; } = 64;

    [Option("mpi-alpha", HelpText = "Use this fitted latency (seconds) for the mpi cost model instead of fitting at start-up (with --mpi-beta; see the fit-mpi-cost verb).")]
    public double? MpiAlpha { get; set; }

    [Option("mpi-beta", HelpText = "Use this fitted time per byte (seconds) for the mpi cost model (with --mpi-alpha).")]
    public double? MpiBeta { get; set; }

    [Option("log-every", Default = 10, HelpText = "Write a metrics record every this many steps.")]
    public int LogEvery { get; set; } = 10;

    [Option("checkpoint-every", Default = 0L, HelpText = "Write a checkpoint every this many steps, and at the end (0: never).")]
    public long CheckpointEvery { get; set; }

    [Option("fault-nan-step", Default = -1L, Hidden = true, HelpText = "Fault injection for tests: rank 0's gradient becomes NaN at this step.")]
    public long FaultNanStep { get; set; } = -1;

    [Option("resume", HelpText = "Continue the run in this directory from its latest checkpoint (and write into it).")]
    public string? Resume { get; set; }

    public static readonly string[] Compressors = ["none", "topk", "topk-approx", "randomk", "threshold"];
    public static readonly string[] CostModels = ["payload", "packet", "mpi"];

    public bool DynamicK => KRule == "dynamic";

    /// <summary>The dynamic rule's k_max for a model of <paramref name="d"/> parameters.</summary>
    public int KMaxFor(int d) => KMax > 0 ? Math.Min(KMax, d) : Math.Max(1, d / 10);

    public bool Dense => Compressor == "none";
    public bool UseErrorFeedback => ErrorFeedback == "true";
    public bool UseMomentumMasking => MomentumMasking == "true";
    public WireFormat WireFormat
    {
        get
        {
            WireFormat.TryParse($"{IndexFormat}:{ValueFormat}", out var f);
            return f;
        }
    }

    /// <summary>k for a model of <paramref name="d"/> parameters.</summary>
    public int KFor(int d) => K > 0 ? K : FixedKSchedule.KForDensity(d, Density);

    public string? Validate()
    {
        if (ValidateShared() is string problem) return problem;
        if (Epochs < 1) return $"--epochs must be at least 1 (got {Epochs})";
        if (MaxSteps < 0) return $"--max-steps must not be negative (got {MaxSteps})";
        if (LogEvery < 1) return $"--log-every must be at least 1 (got {LogEvery})";
        if (CheckpointEvery < 0) return $"--checkpoint-every must not be negative (got {CheckpointEvery})";
        if (!Compressors.Contains(Compressor)) return $"unknown compressor '{Compressor}'; valid: {string.Join(", ", Compressors)}";
        if (!(Density > 0 && Density <= 1)) return $"--density must be in (0, 1] (got {Density.ToString(CultureInfo.InvariantCulture)})";
        if (K < 0) return $"--k must be at least 1 (got {K})";
        if (ErrorFeedback is not ("true" or "false")) return $"--error-feedback must be true or false (got '{ErrorFeedback}')";
        if (MomentumMasking is not ("true" or "false")) return $"--momentum-masking must be true or false (got '{MomentumMasking}')";
        if (!double.IsFinite(Threshold) || Threshold < 0) return $"--threshold must be a finite number >= 0 (got {Threshold.ToString(CultureInfo.InvariantCulture)})";
        if (Compressor == "threshold" && Threshold == 0) return "--compressor threshold needs --threshold TAU > 0";
        if (WarmupEpochs < 0) return $"--warmup-epochs must not be negative (got {WarmupEpochs})";
        if (!Collectives.Sparse.WireFormat.TryParse($"{IndexFormat}:{ValueFormat}", out _))
            return $"unknown wire format --index-format {IndexFormat} --value-format {ValueFormat}; index formats: int32, delta; value formats: fp32, fp16, bf16";
        if (KRule is not ("fixed" or "dynamic")) return $"--k-rule must be fixed or dynamic (got '{KRule}')";
        if (!CostModels.Contains(CostModel)) return $"unknown cost model '{CostModel}'; valid: {string.Join(", ", CostModels)}";
        if (DynamicK && Dense) return "--k-rule dynamic needs a compressor (not --compressor none)";
        if (DynamicK && Compressor is not ("topk" or "topk-approx")) return "--k-rule dynamic needs --compressor topk or topk-approx (it ranks candidates by magnitude)";
        if (KMax < 0) return $"--k-max must be at least 1 (got {KMax})";
        if (HeaderBytes < 1) return $"--header-bytes must be at least 1 (got {HeaderBytes}): without a fixed part the payload model always picks k = 1";
        if (PacketHeaderBytes < 0 || PacketBytes <= PacketHeaderBytes) return $"--packet-bytes ({PacketBytes}) must exceed --packet-header-bytes ({PacketHeaderBytes}) >= 0";
        if ((MpiAlpha == null) != (MpiBeta == null)) return "--mpi-alpha and --mpi-beta go together";
        if (MpiAlpha is double a && !(a > 0 && double.IsFinite(a))) return $"--mpi-alpha must be a positive number of seconds (got {a})";
        if (MpiBeta is double b && !(b >= 0 && double.IsFinite(b))) return $"--mpi-beta must be a number of seconds per byte >= 0 (got {b})";
        if (Exchange is not ("allgather" or "allreduce")) return $"--exchange must be allgather or allreduce (got '{Exchange}')";
        if (Resume != null && !Directory.Exists(Resume)) return $"--resume {Resume}: no such run directory";
        return null;
    }

    /// <summary>Checks k against the model's d once it is known (k outside 1..d is an error, not clamped).</summary>
    public string? ValidateFor(int d) =>
        !Dense && K > d ? $"--k {K} is outside 1..d = {d} for model {Model}"
        : DynamicK && KMax > d ? $"--k-max {KMax} is outside 1..d = {d} for model {Model}" : null;

    public override string MathConfiguration()
    {
        string s = base.MathConfiguration() + $";compressor={Compressor}";
        if (Dense) return s;
        return s + string.Create(CultureInfo.InvariantCulture,
            $";density={Density:R};k={K};ef={ErrorFeedback};masking={MomentumMasking};threshold={Threshold:R};warmup={WarmupEpochs};format={WireFormat};exchange={Exchange}") +
            (DynamicK ? string.Create(CultureInfo.InvariantCulture,
                $";k-rule=dynamic;cost={CostModel};k-max={KMax};header={HeaderBytes};packet={PacketBytes}/{PacketHeaderBytes};mpi={MpiAlpha:R}/{MpiBeta:R}") : "");
    }

    public int Run() => MpiSession.Run(mpi => new SyncTrainer(mpi, this).Run());
}
