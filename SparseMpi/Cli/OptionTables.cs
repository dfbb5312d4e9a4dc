using SparseMpi.Collectives.Sparse;
using SparseMpi.Training.Devices;

namespace SparseMpi.Cli;

/// <summary>
/// Which options act in which modes, for every verb: the one place that says it. A verb's Validate checks values
/// (ranges, names, files) and then its table (<see cref="OptionTable.Problem"/>): an option given on the command
/// line in a mode that would ignore it is refused, because a run that silently drops an option still records it
/// (summary.json, the configuration) as if it had acted. Ranks compare every option listed here before any work
/// (<see cref="OptionAgreement"/>). A new [Option] property must get a row: the tests fail until it has one.
/// Rows are checked in order, and within a row the rules in order; the first broken rule is the error line.
/// Each rule carries two example command lines (after the verb): one that breaks it and one that keeps it.
/// </summary>
public static class OptionTables
{
    // The rules train and hogwild share: a compressor's settings do nothing with --compressor none.
    static readonly OptionRule DensityNeedsCompressor = When((TrainingOptions v) => !v.Dense,
        "--density sets a compressor's k; --compressor none sends every entry", "--density 0.02 --compressor none", "--density 0.02");
    static readonly OptionRule DensityOrK = When((TrainingOptions v) => v.K == 0,
        "give --density or --k, not both (--k overrides --density)", "--density 0.02 --k 100", "--density 0.02");
    static readonly OptionRule KNeedsCompressor = When((TrainingOptions v) => !v.Dense,
        "--k is a compressor's k; --compressor none sends every entry", "--k 100 --compressor none", "--k 100");
    static readonly OptionRule ErrorFeedbackNeedsCompressor = When((TrainingOptions v) => !v.Dense,
        "--error-feedback keeps a compressor's unsent residual; --compressor none sends everything and has none",
        "--error-feedback false --compressor none", "--error-feedback false");
    static readonly OptionRule MaskingNeedsCompressor = When((TrainingOptions v) => !v.Dense,
        "--momentum-masking masks the momentum of a compressor's sent entries; --compressor none masks nothing",
        "--momentum-masking false --compressor none --momentum 0.5", "--momentum-masking false --momentum 0.5");
    static readonly OptionRule MaskingNeedsMomentum = When((TrainingOptions v) => v.Momentum > 0,
        "--momentum-masking masks the momentum of sent entries; with --momentum 0 there is none",
        "--momentum-masking false --momentum 0", "--momentum-masking false --momentum 0.5");
    static readonly OptionRule ThresholdNeedsThresholdCompressor = When((TrainingOptions v) => v.Compressor == "threshold",
        v => $"--threshold is the threshold compressor's tau; --compressor {v.Compressor} would ignore it",
        "--threshold 0.1 --compressor topk", "--threshold 0.1 --compressor threshold");

    static readonly OptionRule HiddenNeedsMlp = When((TrainingOptions v) => v.Model == "mlp",
        v => $"--hidden sets the mlp's hidden widths; --model {v.Model} has fixed layers", "--hidden 512 --model cnn", "--hidden 512 --model mlp");

    public static readonly OptionTable Train = new OptionTableBuilder<TrainVerb>()
        .Always("model", "batch-size", "momentum", "seed", "l2", "train-samples", "eval-batch-size", "compressor", "epochs", "max-steps",
            "log-every", "eval-every", "checkpoint-every", "fault-nan-step", "device", "stall-timeout",
            // Every run accounts its modelled cost under all three models (cost_payload_bits, cost_packet_bits,
            // cost_mpi_seconds), so the cost options act without the dynamic rule too. --cost-model itself is the
            // rule's model, the summary's cost_model label, and for a compressor without --mpi-alpha/--mpi-beta
            // whether the mpi model is fitted at start-up; the experiment scripts label fixed-rule runs with it.
            "cost-model", "header-bytes", "packet-bytes", "packet-header-bytes")
        .Paths("data", "resume")
        .Path("out",
            When((TrainVerb v) => v.Resume == null || SamePath(v.Out, v.Resume),
                v => $"--out {v.Out} is ignored with --resume {v.Resume}: a resumed run writes into the directory it resumes",
                "--out /tmp/sparsempi-ignored --resume /tmp", "--out /tmp --resume /tmp"))
        .Only("hidden", HiddenNeedsMlp)
        .Only("lr",
            When((TrainVerb v) => v.StepSize == "lr", "--lr is not used with --step-size inverse-L: the step is 1/L",
                "--lr 0.1 --step-size inverse-L --model logreg", "--lr 0.1 --model logreg"))
        .Only("step-size",
            When((TrainVerb v) => v.StepSize != "inverse-L" || v.Model == "logreg",
                v => $"--step-size inverse-L computes L from the softmax-regression Hessian bound; --model {v.Model} is not softmax regression (use --model logreg)",
                "--step-size inverse-L --model mlp", "--step-size inverse-L --model logreg"))
        .Only("init",
            When((TrainVerb v) => v.Init != "zero" || v.Model == "logreg",
                v => $"--init zero starts a convex model at x0 = 0; --model {v.Model} has hidden units that zero would keep identical (use --model logreg)",
                "--init zero --model mlp", "--init zero --model logreg"))
        .Only("index-bits",
            When((TrainVerb v) => v.DynamicK && v.CostModel == "payload",
                "--index-bits prices indices in the payload model the dynamic rule weighs (--k-rule dynamic --cost-model payload); every run accounts both prices anyway",
                "--index-bits log2d", "--index-bits log2d --k-rule dynamic"),
            When((TrainVerb v) => v.IndexFormat == "int32",
                "--index-bits prices int32 indices; --index-format delta already prices ceil(log2 d) bits",
                "--index-bits log2d --k-rule dynamic --index-format delta", "--index-bits log2d --k-rule dynamic"))
        .Only("density", DensityNeedsCompressor,
            When((TrainVerb v) => !v.DynamicK,
                "--density sets the fixed rule's k; the dynamic rule chooses k per step up to --k-max", "--density 0.02 --k-rule dynamic", "--density 0.02"),
            DensityOrK)
        .Only("k", KNeedsCompressor,
            When((TrainVerb v) => !v.DynamicK,
                "--k is the fixed rule's k; the dynamic rule chooses k per step up to --k-max", "--k 100 --k-rule dynamic", "--k 100"))
        .Only("error-feedback", ErrorFeedbackNeedsCompressor)
        .Only("momentum-masking", MaskingNeedsCompressor, MaskingNeedsMomentum)
        .Only("threshold", ThresholdNeedsThresholdCompressor)
        .Only("warmup-epochs",
            When((TrainVerb v) => !v.Dense,
                "--warmup-epochs warms up a compressor's density; --compressor none has none", "--warmup-epochs 2 --compressor none", "--warmup-epochs 2"),
            When((TrainVerb v) => !v.DynamicK,
                "--warmup-epochs warms up the fixed rule's density; the dynamic rule chooses k per step up to --k-max",
                "--warmup-epochs 2 --k-rule dynamic", "--warmup-epochs 2"))
        .Only("index-format", WireFormatRules("--index-format delta"))
        .Only("value-format", WireFormatRules("--value-format fp16"))
        .Only("exchange",
            When((TrainVerb v) => !v.Dense,
                "--exchange sums a compressor's selections; --compressor none sums the dense gradient with MPI_Allreduce",
                "--exchange allreduce --compressor none", "--exchange allreduce"),
            // Ok-Topk's local selection is its own re-used-threshold top-k, on the host.
            When((TrainVerb v) => v.Exchange != "oktopk" || v.Compressor == "topk",
                v => $"--exchange oktopk selects by its own re-used top-k threshold; --compressor {v.Compressor} is not supported with it (use topk)",
                "--exchange oktopk --compressor randomk", "--exchange oktopk --compressor topk"),
            When((TrainVerb v) => v.Exchange != "oktopk" || !v.DynamicK,
                "--exchange oktopk keeps a fixed global k; --k-rule dynamic chooses k per rank and step",
                "--exchange oktopk --k-rule dynamic", "--exchange oktopk"),
            When((TrainVerb v) => v.Exchange != "oktopk" || !(v.SelectKernel == "torch" || v.Device == "cuda"),
                "--exchange oktopk runs on the host SIMD kernel only; use --device cpu (or --select-kernel simd)",
                "--exchange oktopk --select-kernel torch", "--exchange oktopk --select-kernel simd"))
        .Only("threshold-refresh",
            When((TrainVerb v) => v.Exchange == "oktopk",
                v => $"--threshold-refresh is Ok-Topk's exact-threshold period; --exchange {v.Exchange} would ignore it",
                "--threshold-refresh 8", "--threshold-refresh 8 --exchange oktopk"))
        .Only("hierarchy",
            When((TrainVerb v) => !v.Dense,
                "--hierarchy groups a compressor's selections by node; --compressor none sums the dense gradient with one MPI_Allreduce",
                "--hierarchy node --compressor none", "--hierarchy node"),
            When((TrainVerb v) => v.Exchange != "oktopk",
                "--hierarchy node runs an exact exchange among node leaders; Ok-Topk's global top-k (--exchange oktopk) runs on every rank",
                "--hierarchy node --exchange oktopk", "--hierarchy node --exchange auto"))
        // The assumption compares the exchange's sum / P (mean TopK(acc)) with TopK(mean acc) for one k, from the
        // host memory: it needs an exact top-k, the same k on every rank, an exchange that applies the whole sum
        // (Ok-Topk applies a global top-k of it, another quantity), and the accumulator on the host.
        .Only("log-assumption",
            When((TrainVerb v) => !v.Dense,
                "--log-assumption measures a compressor's accumulator; --compressor none has none (dense training is one MPI_Allreduce)",
                "--log-assumption true --compressor none", "--log-assumption true"),
            When((TrainVerb v) => v.Compressor == "topk",
                v => $"--log-assumption compares the accumulator with its exact top-k; --compressor {v.Compressor} selects other entries (use topk)",
                "--log-assumption true --compressor randomk", "--log-assumption true --compressor topk"),
            When((TrainVerb v) => !v.DynamicK,
                "--log-assumption takes the top-k of the mean accumulator for the one k every rank sent; --k-rule dynamic chooses k per rank",
                "--log-assumption true --k-rule dynamic", "--log-assumption true"),
            When((TrainVerb v) => v.Exchange != "oktopk",
                "--log-assumption compares TopK(mean acc) with the applied mean of the ranks' top-k; --exchange oktopk applies a global top-k of that sum instead",
                "--log-assumption true --exchange oktopk", "--log-assumption true --exchange ssar-rd"),
            When((TrainVerb v) => !(v.SelectKernel == "torch" || v.Device == "cuda"),
                "--log-assumption reads the accumulator on the host; the torch kernel keeps it on the device (use --device cpu or --select-kernel simd)",
                "--log-assumption true --select-kernel torch", "--log-assumption true --select-kernel simd"))
        .Only("record-selections",
            When((TrainVerb v) => !v.Dense,
                "--record-selections writes a compressor's selections; --compressor none sends every entry", "--record-selections 5 --compressor none", "--record-selections 5"))
        .Only("k-rule",
            When((TrainVerb v) => !v.Dense,
                "--k-rule chooses a compressor's k; --compressor none sends every entry", "--k-rule dynamic --compressor none", "--k-rule dynamic"),
            When((TrainVerb v) => !v.DynamicK || v.Compressor is "topk" or "topk-approx",
                "--k-rule dynamic needs --compressor topk or topk-approx (it ranks candidates by magnitude)",
                "--k-rule dynamic --compressor randomk", "--k-rule dynamic --compressor topk-approx"))
        .Only("k-max",
            When((TrainVerb v) => v.DynamicK,
                "--k-max bounds the dynamic rule (--k-rule dynamic); the fixed rule takes --k or --density", "--k-max 100", "--k-max 100 --k-rule dynamic"))
        .Only("mpi-alpha",
            When((TrainVerb v) => v.MpiBeta != null, "--mpi-alpha and --mpi-beta go together", "--mpi-alpha 1e-5", "--mpi-alpha 1e-5 --mpi-beta 1e-9"))
        .Only("mpi-beta",
            When((TrainVerb v) => v.MpiAlpha != null, "--mpi-alpha and --mpi-beta go together", "--mpi-beta 1e-9", "--mpi-beta 1e-9 --mpi-alpha 1e-5"))
        .Only("select-kernel",
            When((TrainVerb v) => !(v.Device == "cuda" && v.SelectKernel == "simd"),
                "--select-kernel simd works on host memory, not with --device cuda; use --select-kernel torch (or auto)",
                "--select-kernel simd --device cuda", "--select-kernel simd --device cpu"),
            When((TrainVerb v) => v.SelectKernel != "torch" || DevicePlacement.TorchCompressors.Contains(v.Compressor),
                v => $"--select-kernel torch implements --compressor {string.Join(" and ", DevicePlacement.TorchCompressors)}, not {v.Compressor}",
                "--select-kernel torch --compressor randomk", "--select-kernel torch --compressor none"))
        .Build();

    // Without a sparse message there is no wire format: dense training and --exchange allreduce send fp32 floats.
    static OptionRule[] WireFormatRules(string given) =>
    [
        When((TrainVerb v) => !v.Dense,
            $"{given.Split(' ')[0]} is the sparse allgather's wire format; --compressor none sends dense fp32", $"{given} --compressor none", given),
        When((TrainVerb v) => v.Exchange != "allreduce",
            $"{given.Split(' ')[0]} is the sparse allgather's wire format; --exchange allreduce sends dense fp32", $"{given} --exchange allreduce", given),
        When((TrainVerb v) => v.Exchange == "allreduce" || GradientExchanges.UsesWireFormat(v.Exchange),
            $"{given.Split(' ')[0]} is the sparse allgather's wire format; the sparse allreduces and auto (--exchange {string.Join(", ", [.. GradientExchanges.SparseAllreduces, GradientExchanges.Auto])}) send int32 indices and fp32 values",
            $"{given} --exchange ssar-rd", given),
    ];

    // --toy-gradient adds fixed integers to zero parameters: no data, no model gradient, no optimiser, no compressor
    // (only whether the update is dense or sparse), no evaluation.
    static OptionRule NotWithToy(string option, string example, string what) => When((HogwildVerb v) => !v.ToyGradient,
        $"{option} {what}; --toy-gradient adds fixed integer updates and would ignore it", $"{example} --toy-gradient --updates 10", example);

    // --staleness-model runs the delayed-gradient simulation: one process, serial updates, tau drawn, not timed.
    // given: the option alone (the violating example), satisfying: a whole valid command line with it.
    static OptionRule NotSimulated(string option, string given, string what, string? satisfying = null) => When((HogwildVerb v) => v.StalenessModel == null,
        $"{option} {what}; --staleness-model simulates the delays in one process and would ignore it", $"{given} --staleness-model fixed:4", satisfying ?? given);

    public static readonly OptionTable Hogwild = new OptionTableBuilder<HogwildVerb>()
        .Always("model", "seed", "compressor", "updates", "staleness-model")
        .Only("update", NotSimulated("--update", "--update racy", "chooses how concurrent writers add into the shared window"))
        .Only("stall-timeout", NotSimulated("--stall-timeout", "--stall-timeout 60", "watches peer ranks for progress"))
        .Only("validation", NotWithToy("--validation", "--validation 1000", "holds out training samples"))
        .Paths("out")
        .Path("data", NotWithToy("--data", "--data " + Training.Data.FashionMnist.DefaultDirectory, "names the training data"))
        .Only("hidden", HiddenNeedsMlp)
        .Only("batch-size", NotWithToy("--batch-size", "--batch-size 32", "sizes the gradient's mini-batch"),
            When((HogwildVerb v) => !v.FullBatch,
                "--batch-size full is synchronous full-batch gradient descent (train); hogwild's workers each apply their own mini-batch",
                "--batch-size full", "--batch-size 32"))
        .Only("lr", NotWithToy("--lr", "--lr 0.1", "scales the gradient"))
        .Only("momentum", NotWithToy("--momentum", "--momentum 0.5", "accumulates the gradient"))
        .Only("eval-batch-size", NotWithToy("--eval-batch-size", "--eval-batch-size 500", "sizes the evaluation's batches"))
        .Only("density", DensityNeedsCompressor, DensityOrK, NotWithToy("--density", "--density 0.02", "sets the compressor's k"))
        .Only("k", KNeedsCompressor, NotWithToy("--k", "--k 100", "is the compressor's k"))
        .Only("error-feedback", ErrorFeedbackNeedsCompressor, NotWithToy("--error-feedback", "--error-feedback false", "keeps the compressor's residual"))
        .Only("momentum-masking", MaskingNeedsCompressor, MaskingNeedsMomentum)
        .Only("threshold", ThresholdNeedsThresholdCompressor,
            NotWithToy("--threshold", "--threshold 0.1 --compressor threshold", "is the threshold compressor's tau"))
        .Only("epochs",
            When((HogwildVerb v) => v.Updates == 0, "give --updates or --epochs, not both", "--epochs 2 --updates 10", "--epochs 2"),
            When((HogwildVerb v) => !v.ToyGradient, "--toy-gradient needs --updates N (it reads no data set, so it has no epochs)",
                "--epochs 2 --toy-gradient", "--epochs 2"))
        .Only("delay-ms", NotSimulated("--delay-ms", "--delay-ms 5", "injects a delay in wall-clock time"),
            When((HogwildVerb v) => v.InFlight == 0, "give --delay-ms or --in-flight, not both",
                "--delay-ms 5 --delay-mode defer --in-flight 2", "--delay-ms 5 --delay-mode defer"))
        .Only("delay-dist", NotSimulated("--delay-dist", "--delay-dist exp", "shapes the injected wall-clock delay", "--delay-dist exp --delay-ms 2"),
            When((HogwildVerb v) => v.DelayMs > 0, "--delay-dist shapes the injected delay; without --delay-ms there is none",
                "--delay-dist exp", "--delay-dist exp --delay-ms 2"))
        .Only("delay-mode", NotSimulated("--delay-mode", "--delay-mode defer", "chooses how a rank waits", "--delay-mode defer --in-flight 2"),
            When((HogwildVerb v) => v.DelayMs > 0 || v.InFlight > 0,
                v => $"--delay-mode {v.DelayMode} has nothing to delay: give --delay-ms MS{(v.DelayMode == "defer" ? " or --in-flight L" : "")}",
                "--delay-mode defer", "--delay-mode defer --in-flight 2"))
        .Only("in-flight", NotSimulated("--in-flight", "--in-flight 2", "sets the ranks' pipeline depth", "--in-flight 2 --delay-mode defer"),
            When((HogwildVerb v) => v.DelayMode == "defer", "--in-flight needs --delay-mode defer", "--in-flight 2", "--in-flight 2 --delay-mode defer"),
            When((HogwildVerb v) => v.InFlight <= v.MaxInFlight, v => $"--in-flight {v.InFlight} exceeds --max-in-flight {v.MaxInFlight}",
                "--in-flight 100 --delay-mode defer --max-in-flight 4", "--in-flight 4 --delay-mode defer --max-in-flight 4"))
        .Only("max-in-flight", NotSimulated("--max-in-flight", "--max-in-flight 8", "bounds a rank's deferred updates", "--max-in-flight 8 --delay-ms 2 --delay-mode defer"),
            When((HogwildVerb v) => v.DelayMode == "defer",
                "--max-in-flight bounds deferred updates (--delay-mode defer); with --delay-mode sleep a rank has one in flight",
                "--max-in-flight 8 --delay-ms 2", "--max-in-flight 8 --delay-ms 2 --delay-mode defer"))
        .Only("lr-policy",
            When((HogwildVerb v) => !v.ToyGradient, v => $"--toy-gradient adds exact integers and cannot be scaled by --lr-policy {v.LrPolicy}",
                "--lr-policy staleness-aware --toy-gradient --updates 10", "--lr-policy staleness-aware"))
        .Only("eval-every", NotWithToy("--eval-every", "--eval-every 5", "sets when rank 0 evaluates"),
            NotSimulated("--eval-every", "--eval-every 5", "sets when rank 0 evaluates snapshots during the run (the simulation evaluates at the end)"))
        .Only("eval-samples", NotWithToy("--eval-samples", "--eval-samples 100", "sizes rank 0's evaluations"),
            NotSimulated("--eval-samples", "--eval-samples 100", "sizes rank 0's evaluations during the run (the simulation evaluates at the end)"))
        .Only("toy-gradient",
            When((HogwildVerb v) => v.Updates > 0, "--toy-gradient needs --updates N (it reads no data set, so it has no epochs)",
                "--toy-gradient", "--toy-gradient --updates 10"),
            NotSimulated("--toy-gradient", "--toy-gradient --updates 10", "adds integer updates into the shared window"))
        .Build();

    // The other verbs have one mode: every option acts. They are listed so that ranks compare all of them and a
    // new option cannot be left out.
    public static readonly OptionTable FitMpiCost = new OptionTableBuilder<FitMpiCostVerb>()
        .Always("model", "index-format", "value-format", "repeat", "dense-floats").Paths("json").Build();

    public static readonly OptionTable BenchComm = new OptionTableBuilder<BenchCommVerb>()
        .Always("repeat", "warmup", "exchanges").Paths("json", "from-run")
        .Only("d", NotWithFromRun("-d", "-d 100000", "d is the run's"))
        .Only("densities", NotWithFromRun("--densities", "--densities 0.01", "each rank's k is the run's"))
        .Only("overlap", NotWithFromRun("--overlap", "--overlap 0.5", "the index sets are the run's"))
        .Only("seed", NotWithFromRun("--seed", "--seed 3", "the indices and values are the run's"))
        .Only("from-step",
            When((BenchCommVerb v) => v.FromRun != null, "--from-step picks a recorded step of --from-run's run", "--from-step 10", "--from-step 10 --from-run /tmp"))
        .Only("formats",
            When((BenchCommVerb v) => v.Exchanges == null || v.Exchanges.Split(',').Any(e => e.Trim().ToLowerInvariant() is "allgather" or "all"),
                "--formats are the sparse allgather's wire formats; the other exchanges send int32 indices and fp32 values",
                "--formats delta:fp16 --exchanges ssar-rd", "--formats delta:fp16 --exchanges allgather,ssar-rd"))
        .Only("mpi-alpha",
            When((BenchCommVerb v) => v.MpiBeta != null, "--mpi-alpha and --mpi-beta go together", "--mpi-alpha 1e-5", "--mpi-alpha 1e-5 --mpi-beta 1e-9"))
        .Only("mpi-beta",
            When((BenchCommVerb v) => v.MpiAlpha != null, "--mpi-alpha and --mpi-beta go together", "--mpi-beta 1e-9", "--mpi-beta 1e-9 --mpi-alpha 1e-5"))
        .Build();

    public static readonly OptionTable BenchStep = new OptionTableBuilder<BenchStepVerb>()
        .Always("d", "compressor", "compute-ms", "steps", "warmup", "seed").Paths("json")
        .Only("density", When((BenchStepVerb v) => !v.Dense,
            "--density sets a compressor's k; --compressor none sums all d floats with MPI_Allreduce", "--density 0.02 --compressor none", "--density 0.02"))
        .Only("exchange", When((BenchStepVerb v) => !v.Dense,
            "--exchange sums a compressor's selections; --compressor none sums the dense gradient with MPI_Allreduce", "--exchange ssar-rd --compressor none", "--exchange ssar-rd"))
        .Only("format",
            When((BenchStepVerb v) => !v.Dense, "--format is the sparse allgather's wire format; --compressor none sends dense fp32",
                "--format delta:fp16 --compressor none", "--format delta:fp16"),
            When((BenchStepVerb v) => v.Exchanges.Contains("allgather"),
                "--format is the sparse allgather's wire format; the other exchanges send int32 indices and fp32 values",
                "--format delta:fp16 --exchange ssar-rd", "--format delta:fp16 --exchange allgather,ssar-rd"))
        .Build();

    public static readonly OptionTable CheckMpi = new OptionTableBuilder<CheckMpiVerb>().Build();
    public static readonly OptionTable CheckSparse = new OptionTableBuilder<CheckSparseVerb>().Always("seed", "ranks-per-node", "hierarchy-only").Build();
    public static readonly OptionTable BenchTopK = new OptionTableBuilder<BenchTopKVerb>().Always("d", "density", "repeat", "seed").Paths("json").Build();
    public static readonly OptionTable SelfTestTopK = new OptionTableBuilder<SelfTestTopKVerb>().Always("seed", "large").Build();
    public static readonly OptionTable Plot = new OptionTableBuilder<PlotVerb>().Always("labels", "target-loss", "target-accuracy", "title", "prefix").Paths("out").Build();
    public static readonly OptionTable Report = new OptionTableBuilder<ReportVerb>().Always("network", "pair-ns", "bench-step", "title").Paths("out").Build();

    public static IReadOnlyList<OptionTable> All { get; } =
        [Train, Hogwild, FitMpiCost, BenchComm, BenchStep, CheckMpi, CheckSparse, BenchTopK, SelfTestTopK, Plot, Report];

    static OptionRule When<T>(Func<T, bool> holds, string refusal, string violating, string satisfying) where T : class =>
        OptionTableBuilder<T>.When(holds, refusal, violating, satisfying);

    static OptionRule NotWithFromRun(string option, string example, string why) =>
        When((BenchCommVerb v) => v.FromRun == null, $"{option} is ignored with --from-run: {why}", $"{example} --from-run /tmp", example);

    static OptionRule When<T>(Func<T, bool> holds, Func<T, string> refusal, string violating, string satisfying) where T : class =>
        OptionTableBuilder<T>.When(holds, refusal, violating, satisfying);

    static bool SamePath(string a, string b)
    {
        try { return Path.TrimEndingDirectorySeparator(Path.GetFullPath(a)) == Path.TrimEndingDirectorySeparator(Path.GetFullPath(b)); }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException) { return a == b; }
    }
}
