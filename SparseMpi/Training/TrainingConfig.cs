using System.Globalization;
using SparseMpi.Collectives.Sparse;
using SparseMpi.Training.Devices;

namespace SparseMpi.Training;

/// <summary>
/// What a training run is asked to do, as plain data: built once by a verb from its validated command line
/// (<c>ToConfig()</c>) and never changed, so the training layer knows nothing of the command line. This part is
/// shared by both modes; <see cref="SyncConfig"/> and <see cref="HogwildConfig"/> add their own.
/// </summary>
public abstract class TrainingConfig
{
    public string Model { get; set; } = "";
    /// <summary>The mlp's hidden widths (<see cref="Models.Mlp.DefaultHidden"/> unless --hidden gave others).</summary>
    public int[] Hidden { get; set; } = [.. Models.Mlp.DefaultHidden];
    public string Data { get; set; } = "";
    /// <summary>Per rank. With <see cref="FullBatch"/>, 0 until the trainer sets it to the shard size.</summary>
    public int BatchSize { get; set; }
    /// <summary>Every step uses each rank's whole shard: full-batch gradient descent.</summary>
    public bool FullBatch { get; set; }
    public double Lr { get; set; }
    public double Momentum { get; set; }
    public long Seed { get; set; }
    public string Out { get; set; } = "";
    public int EvalBatchSize { get; set; }
    public string Compressor { get; set; } = "";
    public double Density { get; set; }
    /// <summary>k when given directly (0: from <see cref="Density"/>).</summary>
    public int K { get; set; }
    public bool ErrorFeedback { get; set; }
    public bool MomentumMasking { get; set; }
    public double Threshold { get; set; }
    /// <summary>Seconds without progress after which a rank ends the job (<see cref="StallWatchdog"/>); 0: off.</summary>
    public double StallTimeout { get; set; }

    public bool Dense => Compressor == "none";

    /// <summary>k for a model of <paramref name="d"/> parameters.</summary>
    public int KFor(int d) => K > 0 ? K : FixedKSchedule.KForDensity(d, Density);

    /// <summary>Checks what needs the model's d (k outside 1..d is an error, not clamped); null when fine, else one line.</summary>
    public virtual string? ProblemFor(int d) =>
        Dense ? null
        : K > d ? $"--k {K} is outside 1..d = {d} for model {Model}"
        : K == 0 && Math.Round(d * Density) < 1 ? $"--density {Density.ToString(CultureInfo.InvariantCulture)} gives k = round(d * density) = 0 of d = {d} for model {Model}; k must be in 1..d (use --density >= {0.5 / d:G2} or --k 1)"
        : null;

    /// <summary>
    /// A canonical text of every setting that changes the numbers a run computes (not where it writes, nor how
    /// long it runs): ranks compare its hash before training, and a checkpoint refuses a different one. Its text
    /// is stored in checkpoints: changing it refuses every older checkpoint.
    /// </summary>
    public virtual string MathConfiguration() =>
        string.Create(CultureInfo.InvariantCulture, $"model={Model}{HiddenText()};batch={(FullBatch ? "full" : BatchSize)};lr={Lr:R};momentum={Momentum:R};seed={Seed}");

    /// <summary>The widths, only when not the default: the default mlp keeps the configuration text (and so the
    /// checkpoints) it always had.</summary>
    string HiddenText() => Models.ModelFactory.IsDefaultHidden(Hidden) ? "" : $";hidden={string.Join(",", Hidden)}";

    /// <summary>The compression part of <see cref="MathConfiguration"/>, as the command line spelled it.</summary>
    protected string CompressionText() => string.Create(CultureInfo.InvariantCulture,
        $";density={Density:R};k={K};ef={Word(ErrorFeedback)};masking={Word(MomentumMasking)};threshold={Threshold:R}");

    static string Word(bool b) => b ? "true" : "false";
}

/// <summary>A synchronous run (<see cref="SyncTrainer"/>).</summary>
public sealed class SyncConfig : TrainingConfig
{
    public int Epochs { get; set; }
    public long MaxSteps { get; set; }
    public int WarmupEpochs { get; set; }
    public WireFormat WireFormat { get; set; }
    /// <summary>"allgather" or "allreduce".</summary>
    public string Exchange { get; set; } = "";
    /// <summary>"none" or "node" (<see cref="Collectives.Sparse.Hierarchy"/>): whether node leaders run the exchange.</summary>
    public string Hierarchy { get; set; } = "none";
    /// <summary>Ok-Topk's period of exact thresholds (--threshold-refresh; used only with a global top-k exchange).</summary>
    public int ThresholdRefresh { get; set; } = OkTopkExchange.DefaultRefreshPeriod;
    /// <summary>"fixed" or "dynamic".</summary>
    public string KRule { get; set; } = "";
    public string CostModel { get; set; } = "";
    /// <summary>The dynamic rule's k_max as given (0: 10% of d).</summary>
    public int KMax { get; set; }
    public int HeaderBytes { get; set; }
    public int PacketBytes { get; set; }
    public int PacketHeaderBytes { get; set; }
    public double? MpiAlpha { get; set; }
    public double? MpiBeta { get; set; }
    /// <summary>"32" or "log2d": the index price of the payload model the dynamic rule weighs.</summary>
    public string IndexBits { get; set; } = "32";
    /// <summary>The objective is the mean loss + L2/2 ||w||^2 (0: no regularisation).</summary>
    public double L2 { get; set; }
    /// <summary>The step is 1/L (<see cref="SmoothnessBound"/>) instead of <see cref="TrainingConfig.Lr"/>.</summary>
    public bool InverseLStep { get; set; }
    /// <summary>Train on the first this many training images (0: all); the run logs the objective over them.</summary>
    public int TrainSamples { get; set; }
    /// <summary>Start from zero parameters (logreg) instead of torch's random init.</summary>
    public bool ZeroInit { get; set; }
    public int LogEvery { get; set; }
    /// <summary>--log-assumption: measure Alistarh et al.'s assumption on the logged steps (<see cref="AssumptionProbe"/>).
    /// Not part of <see cref="MathConfiguration()"/>: it changes no parameter.</summary>
    public bool LogAssumption { get; set; }
    /// <summary>--record-selections: write every rank's selection on every this-many-th step (0: never).</summary>
    public int RecordSelections { get; set; }
    /// <summary>Evaluate the test set every this many steps as well as at epoch ends (0: only at epoch ends).</summary>
    public long EvalEvery { get; set; }
    public long CheckpointEvery { get; set; }
    public long FaultNanStep { get; set; } = -1;
    public string Device { get; set; } = "";
    public string SelectKernel { get; set; } = "";
    /// <summary>The run directory to continue, or null for a new run in <see cref="TrainingConfig.Out"/>.</summary>
    public string? Resume { get; set; }

    public bool DynamicK => KRule == "dynamic";
    /// <summary>The exchange applies only a global top-k of the sum (oktopk), not the whole sum.</summary>
    public bool GlobalTopK => GradientExchanges.GlobalTopK.Contains(Exchange);
    public string RunDirectory => Resume ?? Out;

    /// <summary>The dynamic rule's k_max for a model of <paramref name="d"/> parameters.</summary>
    public int KMaxFor(int d) => KMax > 0 ? Math.Min(KMax, d) : Math.Max(1, d / 10);

    public override string? ProblemFor(int d) =>
        base.ProblemFor(d) ?? (DynamicK && KMax > d ? $"--k-max {KMax} is outside 1..d = {d} for model {Model}" : null);

    /// <summary>
    /// <see cref="MathConfiguration()"/> for a resolved placement. The kernel is not part of it: both kernels do
    /// the same float operations in the same order and select by the same rule, so on one device they compute the
    /// same bits (tested), and a checkpoint moves between them. The device type is, on a GPU only: its matrix
    /// products round differently, so a continuation there is not bit-identical to one on the CPU (and CPU runs
    /// keep the configuration text they always had).
    /// </summary>
    public string MathConfiguration(DevicePlacement placement) => MathConfiguration() + (placement.IsCuda ? ";device=cuda" : "");

    public override string MathConfiguration()
    {
        // The objective's settings, appended only when given: runs without them keep their text (and checkpoints).
        string s = base.MathConfiguration() + string.Create(CultureInfo.InvariantCulture,
            $"{(L2 > 0 ? $";l2={L2:R}" : "")}{(InverseLStep ? ";step=inverse-L" : "")}{(TrainSamples > 0 ? $";train-samples={TrainSamples}" : "")}{(ZeroInit ? ";init=zero" : "")}") +
            $";compressor={Compressor}";
        if (Dense) return s;
        return s + CompressionText() + string.Create(CultureInfo.InvariantCulture, $";warmup={WarmupEpochs};format={WireFormat};exchange={Exchange}") +
            // The node sums add in another order; a flat run keeps the text it always had (and its checkpoints).
            (Hierarchy == "none" ? "" : $";hierarchy={Hierarchy}") +
            (DynamicK ? string.Create(CultureInfo.InvariantCulture,
                $";k-rule=dynamic;cost={CostModel};k-max={KMax};header={HeaderBytes};packet={PacketBytes}/{PacketHeaderBytes};mpi={MpiAlpha:R}/{MpiBeta:R}{(IndexBits == "32" ? "" : $";index-bits={IndexBits}")}") : "") +
            // Only k entries of the sum are applied: a different update rule, named as such.
            (GlobalTopK ? string.Create(CultureInfo.InvariantCulture,
                $";global-topk={Exchange};threshold-refresh={ThresholdRefresh};repartition={OkTopkExchange.DefaultRepartitionPeriod}") : "");
    }
}

/// <summary>An asynchronous run (<see cref="Hogwild.HogwildTrainer"/>).</summary>
public sealed class HogwildConfig : TrainingConfig
{
    /// <summary>Total updates across all ranks (0: from <see cref="Epochs"/>).</summary>
    public long Updates { get; set; }
    public int Epochs { get; set; }
    public double DelayMs { get; set; }
    /// <summary>"fixed" or "exp".</summary>
    public string DelayDist { get; set; } = "";
    /// <summary>"sleep" or "defer".</summary>
    public string DelayMode { get; set; } = "";
    public int InFlight { get; set; }
    public int MaxInFlight { get; set; }
    /// <summary>"constant" or "staleness-aware".</summary>
    public string LrPolicy { get; set; } = "";
    /// <summary>"atomic" or "racy".</summary>
    public string Update { get; set; } = "";
    public long EvalEvery { get; set; }
    public int EvalSamples { get; set; }
    public bool ToyGradient { get; set; }
    /// <summary>--staleness-model DIST: run the single-process delayed-gradient simulation instead (null: real Hogwild).</summary>
    public string? StalenessModel { get; set; }
    /// <summary>Training samples held out at the end of the training set for validation (0: none).</summary>
    public int Validation { get; set; }

    public bool Simulated => StalenessModel != null;
    public bool StalenessAware => LrPolicy == "staleness-aware";
    public bool Atomic => Update == "atomic";
    public bool Defer => DelayMode == "defer";
    /// <summary>Deferred writes are forced out by a fixed pipeline depth (--in-flight), not by the clock.</summary>
    public bool FixedInFlight => InFlight > 0;

    /// <summary>Total updates for a training set that gives <paramref name="batchesPerEpoch"/> batches over all ranks.</summary>
    public long TotalUpdates(long batchesPerEpoch) => Updates > 0 ? Updates : Math.Max(1, Epochs) * batchesPerEpoch;

    /// <summary>The evaluation interval for <paramref name="totalUpdates"/>.</summary>
    public long EvalInterval(long totalUpdates) => EvalEvery > 0 ? EvalEvery : Math.Max(1, totalUpdates / 20);

    public override string MathConfiguration()
    {
        var c = CultureInfo.InvariantCulture;
        string s = base.MathConfiguration() + $";mode=hogwild;compressor={Compressor}";
        if (!Dense) s += CompressionText();
        return s + string.Create(c,
            $";updates={Updates};epochs={Epochs};delay={DelayMs:R}/{InFlight}/{DelayDist}/{DelayMode}/{MaxInFlight};lr_policy={LrPolicy};update={Update};toy={ToyGradient}") +
            // Only when given: real runs keep the text they always had.
            (Validation > 0 ? $";validation={Validation}" : "") + (Simulated ? $";staleness-model={StalenessModel}" : "");
    }
}
