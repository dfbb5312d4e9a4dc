using System.Globalization;
using CommandLine;
using SparseMpi.Training;
using SparseMpi.Training.Hogwild;

namespace SparseMpi.Cli;

/// <summary>
/// <c>hogwild</c>: lock-free asynchronous (sparsified) SGD of the ranks of one node on parameters in an MPI
/// shared-memory window, with measured staleness (Niu et al.'s Hogwild!, in the setting of Candela et al.).
/// Model, data, compressor and error-feedback options are the ones <c>train</c> has.
/// </summary>
[Verb("hogwild", HelpText = "Asynchronous lock-free SGD of the ranks of ONE node on shared parameters (MPI shared-memory window), with measured staleness.")]
public sealed class HogwildVerb : TrainingOptions, IMpiVerb
{
    [Option("momentum", Default = 0.0, HelpText = "Local momentum per rank, folded in before compression as in DGC (each rank's own u; 0: plain SGD, the Hogwild! setting).")]
    public override double Momentum { get; set; }

    [Option("out", Default = "runs/hogwild", HelpText = "Run directory: summary.json, metrics.jsonl.")]
    public override string Out { get; set; } = "runs/hogwild";

    [Option("updates", Default = 0L, HelpText = "Total updates across all ranks (exactly this many are applied). 0: use --epochs.")]
    public long Updates { get; set; }

    [Option("epochs", Default = 0, HelpText = "Alternative to --updates: epochs of the training set across all ranks (updates = epochs * batches per epoch, counted over all ranks' shards). Without either: 1 epoch.")]
    public int Epochs { get; set; }

    [Option("delay-ms", Default = 0.0, HelpText = "Injected delay between a rank's snapshot and its write, in ms (mean for --delay-dist exp), seeded per rank.")]
    public double DelayMs { get; set; }

    [Option("delay-dist", Default = "fixed", HelpText = "Distribution of the injected delay: fixed or exp (exponential with mean --delay-ms: stragglers).")]
    public string DelayDist { get; set; } = "fixed";

    [Option("delay-mode", Default = "sleep", HelpText = "sleep: the rank sleeps between snapshot and write (a straggler; mean staleness stays near ranks-1). defer: the update is written when its delay has passed while the rank computes on (updates in flight; raises the mean staleness).")]
    public string DelayMode { get; set; } = "sleep";

    [Option("in-flight", Default = 0, HelpText = "With --delay-mode defer, instead of --delay-ms: each rank keeps exactly this many computed updates in flight and writes its oldest when it has computed the next, so the staleness (about ranks * (L + 1) - 1) does not depend on the machine's speed.")]
    public int InFlight { get; set; }

    [Option("max-in-flight", Default = 64, HelpText = "With --delay-mode defer: most updates a rank holds in flight; a rank with this many waits for its oldest.")]
    public int MaxInFlight { get; set; } = 64;

    [Option("lr-policy", Default = "constant", HelpText = "constant, or staleness-aware: lr / max(1, staleness) per update (Zhang et al. 2016).")]
    public string LrPolicy { get; set; } = "constant";

    [Option("update", Default = "atomic", HelpText = "How an update is added into the shared parameters: atomic (compare-and-swap per float, no lost updates) or racy (plain p[i] += v, as in Hogwild!; concurrent writers may lose additions).")]
    public string Update { get; set; } = "atomic";

    [Option("eval-every", Default = 0L, HelpText = "Rank 0 evaluates a snapshot each time this many more updates have been applied (0: updates / 20, at least 1).")]
    public long EvalEvery { get; set; }

    [Option("eval-samples", Default = 0, HelpText = "Test samples rank 0 evaluates at each --eval-every point (the first N; 0: all). The final accuracy always uses the whole test set.")]
    public int EvalSamples { get; set; }

    [Option("staleness-model", Default = null, HelpText = "Instead of real lock-free ranks: a deterministic one-process delayed-gradient simulation, x_{t+1} = x_t - lr * Phi(grad f(x_{t-tau})), tau drawn from DIST: fixed:T, uniform:T (0..2T) or geometric:T (mean T). Run without mpiexec or with -n 1.")]
    public string? StalenessModel { get; set; }

    [Option("validation", Default = 0, HelpText = "Hold out the last N training samples as a validation split (never trained on); its accuracy is reported as validation_accuracy, for tuning the lr without the test set.")]
    public int Validation { get; set; }

    /// <summary>
    /// Test mode: no model gradient; update u of rank r adds the fixed sparse vector of <see cref="ToyGradient"/>
    /// (small integers, no lr) to parameters that start at zero, so every order of the same updates sums to the
    /// same floats and the result can be checked exactly.
    /// </summary>
    [Option("toy-gradient", Hidden = true, Default = false, HelpText = "Test mode: deterministic integer updates from zero parameters, checked exactly against the serial sum.")]
    public bool ToyGradient { get; set; }

    public static readonly string[] DelayDists = ["fixed", "exp"];
    public static readonly string[] DelayModes = ["sleep", "defer"];
    public static readonly string[] LrPolicies = ["constant", "staleness-aware"];
    public static readonly string[] UpdateModes = ["atomic", "racy"];

    public bool StalenessAware => LrPolicy == "staleness-aware";

    /// <summary>Values first; which options act in which mode is the table in <see cref="OptionTables.Hogwild"/>.</summary>
    public string? Validate()
    {
        if (ValidateShared() is string problem) return problem;
        if (ValidateCompression() is string compressionProblem) return compressionProblem;
        if (Updates < 0) return $"--updates must not be negative (got {Updates})";
        if (Epochs < 0) return $"--epochs must not be negative (got {Epochs})";
        if (!(DelayMs >= 0) || !double.IsFinite(DelayMs) || DelayMs > 60_000)
            return $"--delay-ms must be between 0 and 60000 (got {DelayMs.ToString(CultureInfo.InvariantCulture)})";
        if (InFlight < 0 || InFlight > 100_000) return $"--in-flight must be between 0 and 100000 (got {InFlight})";
        if (!DelayDists.Contains(DelayDist)) return $"--delay-dist must be one of {string.Join(", ", DelayDists)} (got '{DelayDist}')";
        if (!DelayModes.Contains(DelayMode)) return $"--delay-mode must be one of {string.Join(", ", DelayModes)} (got '{DelayMode}')";
        if (MaxInFlight < 1) return $"--max-in-flight must be at least 1 (got {MaxInFlight})";
        if (!LrPolicies.Contains(LrPolicy)) return $"--lr-policy must be one of {string.Join(", ", LrPolicies)} (got '{LrPolicy}')";
        if (!UpdateModes.Contains(Update)) return $"--update must be one of {string.Join(", ", UpdateModes)} (got '{Update}')";
        if (EvalEvery < 0) return $"--eval-every must not be negative (got {EvalEvery})";
        if (EvalSamples < 0) return $"--eval-samples must not be negative (got {EvalSamples})";
        if (StalenessModel != null && Training.Hogwild.StalenessModel.Problem(StalenessModel) is string stalenessProblem) return stalenessProblem;
        if (Validation < 0 || Validation >= Training.Data.FashionMnist.TrainCount)
            return $"--validation must be in 0..{Training.Data.FashionMnist.TrainCount - 1} training samples (got {Validation})";
        if (OptionTables.Hogwild.Problem(this) is string modeProblem) return modeProblem;
        return OutputPaths.DirectoryProblem("--out", Out);
    }

    /// <summary>The plain configuration the training layer runs (after <see cref="Validate"/>).</summary>
    public HogwildConfig ToConfig() => Shared(new HogwildConfig
    {
        Updates = Updates, Epochs = Epochs, DelayMs = DelayMs, DelayDist = DelayDist, DelayMode = DelayMode, InFlight = InFlight,
        MaxInFlight = MaxInFlight, LrPolicy = LrPolicy, Update = Update, EvalEvery = EvalEvery, EvalSamples = EvalSamples,
        ToyGradient = ToyGradient, StalenessModel = StalenessModel, Validation = Validation,
    });

    public int Run() => StalenessModel != null
        ? MpiSession.Run(mpi => new DelayedGradientSimulation(mpi, ToConfig()).Run())
        : MpiSession.Run(mpi => new HogwildTrainer(mpi, ToConfig()).Run());
}
