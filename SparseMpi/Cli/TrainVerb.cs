using System.Globalization;
using CommandLine;
using SparseMpi.Collectives.Sparse;
using SparseMpi.Sparsification;
using SparseMpi.Training;
using SparseMpi.Training.Devices;

namespace SparseMpi.Cli;

/// <summary><c>train</c>: synchronous data-parallel SGD over MPI, dense or with a compressor.</summary>
[Verb("train", HelpText = "Synchronous data-parallel training of Fashion-MNIST (run it under mpiexec or srun).")]
public sealed class TrainVerb : TrainingOptions, IMpiVerb
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

    [Option("exchange", Default = "allgather", HelpText = "How compressed selections are summed: allgather (sparse allgather of index/value pairs), allreduce (scattered into a dense MPI_Allreduce), ssar-rd (SparCML recursive doubling with a dense switch), ssar-split (SparCML split allgather: reduce ranges at owners, allgather them sparse or dense), dsar-split (the same, with a dense allgather), auto (per step the one of these five with the least predicted time, from an alpha-beta fit of each at start-up, the step's k per rank and the last step's fill-in), oktopk (Ok-Topk: applies only the global top-k of the sum, not the whole sum; the rest returns to each rank's residual).")]
    public string Exchange { get; set; } = "allgather";

    [Option("hierarchy", Default = "none", HelpText = "none: every rank takes part in --exchange; node: ranks first sum their selections on their node's leader, the leaders run --exchange among themselves, and each leader sends the result back to its node (inter-node ranks P / ranks per node).")]
    public string Hierarchy { get; set; } = "none";
    [Option("threshold-refresh", Default = OkTopkExchange.DefaultRefreshPeriod, HelpText = "--exchange oktopk: compute the local and global thresholds exactly every this many steps (in between they are re-used and adjusted).")]
    public int ThresholdRefresh { get; set; } = OkTopkExchange.DefaultRefreshPeriod;

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

    [Option("index-bits", Default = "32", HelpText = "Index price in the payload model the dynamic rule weighs: 32 (the int32 wire format) or log2d (ceil(log2 d) bits, the count of Khirirat et al.). Every run accounts both (cost_payload_bits, cost_payload_log2d_bits).")]
    public string IndexBits { get; set; } = "32";

    [Option("l2", Default = 0.0, HelpText = "L2 regularisation: minimise the mean loss + l2/2 ||w||^2 over all parameters (with --model logreg a strongly convex f with a unique minimiser).")]
    public double L2 { get; set; }

    [Option("step-size", Default = "lr", HelpText = "lr: the step is --lr; inverse-L (--model logreg): the step is 1/L, L = lambda_max(X~^T X~)/(2n) + l2 (the softmax cross-entropy Hessian bound, X~ the training images with a 1 for the bias), by power iteration over the ranks' samples; printed at start-up.")]
    public string StepSize { get; set; } = "lr";

    [Option("train-samples", Default = 0, HelpText = "Train on the first N training images only (0: all): a small problem whose full-batch steps are cheap; its mean loss + l2 term (objective) is logged.")]
    public int TrainSamples { get; set; }

    [Option("init", Default = "torch", HelpText = "Initial parameters: torch (the layers' default random init) or zero (--model logreg: x0 = 0, the convex-optimisation start).")]
    public string Init { get; set; } = "torch";

    [Option("log-every", Default = 10, HelpText = "Write a metrics record every this many steps.")]
    public int LogEvery { get; set; } = 10;

    [Option("log-assumption", Default = "false", HelpText = "true: on every --log-every step, measure the convergence assumption of top-k SGD (Alistarh et al. 2018): ||acc - TopK(acc)|| / ||acc|| (largest over ranks) beside sqrt(1 - k/d), and xi = ||TopK(mean acc) - mean TopK(acc)|| / ||mean acc|| (metrics.jsonl: topk_residual_ratio, randomk_bound, xi, and xi_topk: the same difference / ||TopK(mean acc)||). Costs a dense allreduce of d floats on those steps only.")]
    public string LogAssumption { get; set; } = "false";

    [Option("record-selections", Default = 0, HelpText = "Write each rank's selection (the indices and values it sent) on every this-many-th step (0, N, 2N, ...) to selections/step-S-rank-R.bin in the run directory, 8 bytes per entry: what bench-comm --from-run replays (0: never).")]
    public int RecordSelections { get; set; }

    [Option("eval-every", Default = 0L, HelpText = "Also evaluate the test set every this many steps (0: only at epoch ends). Each evaluation is a line of evaluations.jsonl with its step and wall seconds; its time is on the run's wall clock but in no step phase.")]
    public long EvalEvery { get; set; }

    [Option("checkpoint-every", Default = 0L, HelpText = "Write a checkpoint every this many steps, and at the end (0: never).")]
    public long CheckpointEvery { get; set; }

    [Option("fault-nan-step", Default = -1L, Hidden = true, HelpText = "Fault injection for tests: rank 0's gradient becomes NaN at this step.")]
    public long FaultNanStep { get; set; } = -1;

    [Option("device", Default = "auto", HelpText = "Where each rank trains: auto (cuda:(node-local rank % GPUs) when CUDA is available, else cpu), cpu, or cuda (an error without CUDA).")]
    public string Device { get; set; } = "auto";

    [Option("select-kernel", Default = "auto", HelpText = "Top-k and optimiser path: auto (simd on cpu, torch on cuda), simd (host SIMD kernel, cpu only), torch (torch ops on the device; topk or none only).")]
    public string SelectKernel { get; set; } = "auto";

    [Option("resume", HelpText = "Continue the run in this directory from its latest checkpoint (and write into it).")]
    public string? Resume { get; set; }

    public static readonly string[] CostModels = ["payload", "packet", "mpi"];

    public bool DynamicK => KRule == "dynamic";

    public WireFormat WireFormat
    {
        get
        {
            WireFormat.TryParse($"{IndexFormat}:{ValueFormat}", out var f);
            return f;
        }
    }

    /// <summary>
    /// Values first (ranges, names, files), then which options act in the mode they select: that is the table in
    /// <see cref="OptionTables.Train"/>, not a chain of conditions here, so that no option can be left out.
    /// </summary>
    public string? Validate()
    {
        if (ValidateShared() is string problem) return problem;
        if (Epochs < 1) return $"--epochs must be at least 1 (got {Epochs})";
        if (MaxSteps < 0) return $"--max-steps must not be negative (got {MaxSteps})";
        if (LogEvery < 1) return $"--log-every must be at least 1 (got {LogEvery})";
        if (LogAssumption is not ("true" or "false")) return $"--log-assumption must be true or false (got '{LogAssumption}')";
        if (RecordSelections < 0) return $"--record-selections must not be negative (got {RecordSelections}; 0: never)";
        if (EvalEvery < 0) return $"--eval-every must not be negative (got {EvalEvery})";
        if (CheckpointEvery < 0) return $"--checkpoint-every must not be negative (got {CheckpointEvery})";
        if (ValidateCompression() is string compressionProblem) return compressionProblem;
        if (WarmupEpochs < 0) return $"--warmup-epochs must not be negative (got {WarmupEpochs})";
        if (!Collectives.Sparse.WireFormat.TryParse($"{IndexFormat}:{ValueFormat}", out _))
            return $"unknown wire format --index-format {IndexFormat} --value-format {ValueFormat}; index formats: int32, delta; value formats: fp32, fp16, bf16";
        if (KRule is not ("fixed" or "dynamic")) return $"--k-rule must be fixed or dynamic (got '{KRule}')";
        if (!CostModels.Contains(CostModel)) return $"unknown cost model '{CostModel}'; valid: {string.Join(", ", CostModels)}";
        if (KMax < 0) return $"--k-max must be at least 1 (got {KMax})";
        if (HeaderBytes < 1) return $"--header-bytes must be at least 1 (got {HeaderBytes}): without a fixed part the payload model always picks k = 1";
        if (PacketHeaderBytes < 0 || PacketBytes <= PacketHeaderBytes) return $"--packet-bytes ({PacketBytes}) must exceed --packet-header-bytes ({PacketHeaderBytes}) >= 0";
        if (MpiAlpha is double a && !(a > 0 && double.IsFinite(a))) return $"--mpi-alpha must be a positive number of seconds (got {a})";
        if (MpiBeta is double b && !(b >= 0 && double.IsFinite(b))) return $"--mpi-beta must be a number of seconds per byte >= 0 (got {b})";
        if (IndexBits is not ("32" or "log2d")) return $"--index-bits must be 32 or log2d (got '{IndexBits}')";
        if (!(L2 >= 0 && double.IsFinite(L2))) return $"--l2 must be a finite number >= 0 (got {L2.ToString(CultureInfo.InvariantCulture)})";
        if (StepSize is not ("lr" or "inverse-L")) return $"--step-size must be lr or inverse-L (got '{StepSize}')";
        if (TrainSamples < 0) return $"--train-samples must not be negative (got {TrainSamples}; 0: all)";
        if (Init is not ("torch" or "zero")) return $"--init must be torch or zero (got '{Init}')";
        if (!GradientExchanges.All.Contains(Exchange)) return $"--exchange must be one of {string.Join(", ", GradientExchanges.All)} (got '{Exchange}')";
        if (!Collectives.Sparse.Hierarchy.Names.Contains(Hierarchy)) return $"--hierarchy must be one of {string.Join(", ", Collectives.Sparse.Hierarchy.Names)} (got '{Hierarchy}')";
        if (ThresholdRefresh < 1) return $"--threshold-refresh must be at least 1 (got {ThresholdRefresh})";
        if (Resume != null && !Directory.Exists(Resume)) return $"--resume {Resume}: no such run directory";
        if (!DeviceSelector.Options.Contains(Device)) return $"unknown --device '{Device}'; valid: {string.Join(", ", DeviceSelector.Options)}";
        if (!DevicePlacement.KernelOptions.Contains(SelectKernel)) return $"unknown --select-kernel '{SelectKernel}'; valid: {string.Join(", ", DevicePlacement.KernelOptions)}";
        if (OptionTables.Train.Problem(this) is string modeProblem) return modeProblem;
        // A resumed run writes into the directory it resumes.
        return Resume != null ? OutputPaths.DirectoryProblem("--resume", Resume) : OutputPaths.DirectoryProblem("--out", Out);
    }

    /// <summary>The plain configuration the training layer runs (after <see cref="Validate"/>).</summary>
    public SyncConfig ToConfig() => Shared(new SyncConfig
    {
        Epochs = Epochs, MaxSteps = MaxSteps, WarmupEpochs = WarmupEpochs, WireFormat = WireFormat, Exchange = Exchange, Hierarchy = Hierarchy, ThresholdRefresh = ThresholdRefresh,
        KRule = KRule, CostModel = CostModel, KMax = KMax, HeaderBytes = HeaderBytes, PacketBytes = PacketBytes,
        PacketHeaderBytes = PacketHeaderBytes, MpiAlpha = MpiAlpha, MpiBeta = MpiBeta, LogEvery = LogEvery, LogAssumption = LogAssumption == "true", RecordSelections = RecordSelections, EvalEvery = EvalEvery,
        IndexBits = IndexBits, L2 = L2, InverseLStep = StepSize == "inverse-L", TrainSamples = TrainSamples, ZeroInit = Init == "zero",
        CheckpointEvery = CheckpointEvery, FaultNanStep = FaultNanStep, Device = Device, SelectKernel = SelectKernel, Resume = Resume,
    });

    public int Run() => MpiSession.Run(mpi =>
    {
        using var trainer = new SyncTrainer(mpi, ToConfig());
        return trainer.Run();
    });
}
