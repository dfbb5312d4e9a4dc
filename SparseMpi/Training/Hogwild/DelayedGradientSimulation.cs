using System.Diagnostics;
using System.Numerics.Tensors;
using SparseMpi.Collectives;
using SparseMpi.Metrics;
using SparseMpi.Sparsification;
using SparseMpi.Training.Data;
using SparseMpi.Training.Models;

namespace SparseMpi.Training.Hogwild;

/// <summary>
/// hogwild --staleness-model: Candela et al.'s analysis model run as it is written, in one process,
/// x_{t+1} = x_t - Phi(lr * grad f(x_{t - tau_t}; batch_t)), tau_t drawn from a <see cref="StalenessModel"/>.
/// The staleness is then exactly the one asked for and independent of machine speed, and the run is
/// deterministic: the same seed gives the same floats. It uses the real mode's model, batches, compressors,
/// error feedback (one worker's memory), lr policy and staleness histogram; there is no shared window and no
/// writer to race with. Per update: copy x_{t-tau} out of the <see cref="ParameterHistory"/> into the model
/// (before tau updates exist, x_0), one gradient, compress, write x_{t+1} (<see cref="DelayedSgd"/>); nothing
/// proportional to d is allocated.
/// </summary>
public sealed class DelayedGradientSimulation(MpiRuntime mpi, HogwildConfig options)
{
    /// <summary>The most memory the snapshot history may take (a geometric model of large mean on a wide model).</summary>
    public const long MaxHistoryBytes = 4L << 30;

    public int Run()
    {
        var wall = Stopwatch.StartNew();
        var world = mpi.World;
        if (world.Size != 1)
            throw new CollectiveUsageException(
                $"--staleness-model simulates delayed gradients in one process; run it without mpiexec or with -n 1 (got {world.Size} ranks)", world.Rank == 0);
        var staleness = StalenessModel.Parse(options.StalenessModel!, options.Seed);
        string configuration = options.MathConfiguration();

        TorchSetup.Initialize();
        FashionMnist data = TrainingSetup.LoadData(world, options.Data);
        var (train, validation) = TrainingSetup.HoldOut(world, data.Train, options.Validation, options.BatchSize);
        using var model = FlatModel.Create(options.Model, options.Seed, TorchSharp.torch.CPU, options.Hidden);
        TrainingSetup.Synchronise(world, model, options.ProblemFor);
        Preflight.Agree(world, () =>
        {
            long bytes = ParameterHistory.BytesFor(model.D, staleness.Max);
            if (bytes > MaxHistoryBytes)
                throw new UsageException($"--staleness-model {staleness} reads up to {staleness.Max} updates back: {staleness.Max + 1} snapshots of d = {model.D} floats " +
                    $"need {bytes / (double)(1L << 30):F1} GiB, more than {MaxHistoryBytes >> 30} GiB (use a smaller T or model)");
        });
        using var batches = TrainingSetup.Batches(world, train, options.BatchSize, options.Seed);
        long total = options.TotalUpdates(batches.StepsPerEpoch);
        int d = model.D;

        var history = new ParameterHistory(model.ParameterSpan, staleness.Max);
        bool dense = options.Dense;
        int k = dense ? d : options.KFor(d);
        var sgd = new DelayedSgd(history, (float)options.Lr, options.StalenessAware,
            dense ? null : UpdateRules.CreateCompressor(options, 0),
            dense ? null : new ErrorFeedback(d, options.ErrorFeedback, (float)options.Momentum, options.MomentumMasking), k, (float)options.Momentum);
        double lossSum = 0;
        // The model's parameters are the point the step reads x_{t - tau} into; its gradient span the gradient there.
        ReadOnlySpan<float> Gradient(long t)
        {
            batches.Next();
            float loss = model.ComputeGradient(batches.Input, batches.Target);
            if (!float.IsFinite(loss)) throw NonFinite("loss", t, total);
            lossSum += loss;
            return model.GradientSpan;
        }
        GradientOracle gradient = Gradient; // one delegate for the whole run

        Console.WriteLine($"hogwild: delayed-gradient simulation, staleness {staleness} (at most {staleness.Max}), {options.Model} (d = {d}), " +
            $"{options.Compressor}, lr {options.LrPolicy}, {total} updates" + (validation != null ? $", {validation.Count} validation samples held out" : ""));
        TimeSpan cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
        var loop = Stopwatch.StartNew();
        for (long t = 0; t < total; t++)
        {
            try { sgd.Step(staleness.Next(), model.ParameterSpan, gradient); }
            catch (NonFiniteGradientException) { throw NonFinite("update (lr * gradient)", t, total); }
        }
        double loopSeconds = loop.Elapsed.TotalSeconds;
        double cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpuStart).TotalSeconds;

        history.Current.CopyTo(model.ParameterSpan);
        if (!float.IsFinite(TensorPrimitives.Sum<float>(model.ParameterSpan))) throw NonFinite("parameter", total, total);
        Evaluation test = model.Evaluate(data.Test, options.EvalBatchSize);
        Evaluation? held = validation != null ? model.Evaluate(validation, options.EvalBatchSize) : null;
        var summary = new HogwildSummary
        {
            Mode = "staleness-simulation", StalenessModel = staleness.ToString(),
            Ranks = 1, Model = options.Model, Hidden = options.Model == "mlp" ? options.Hidden : null, D = d, Compressor = options.Compressor,
            Density = dense ? 1.0 : (double)k / d, K = k, ErrorFeedback = !dense && options.ErrorFeedback,
            UpdateMode = "serial", LrPolicy = options.LrPolicy, Lr = options.Lr, Momentum = options.Momentum, BatchSizePerRank = options.BatchSize,
            DelayDist = "", DelayMode = "", PeakInFlight = 1, Seed = options.Seed,
            Updates = total, UpdatesPerRank = [total], UpdatesPerSecond = total / loopSeconds,
            CpuSeconds = cpuSeconds, UpdatesPerCpuSecond = total / cpuSeconds, LoopSeconds = loopSeconds, WallSeconds = wall.Elapsed.TotalSeconds,
            Staleness = sgd.Staleness.ToSummary(),
            AccuracyOverUpdates = [new AccuracyPoint(total, test.Accuracy, test.Loss, wall.Elapsed.TotalSeconds)],
            TestAccuracy = test.Accuracy, TestLoss = test.Loss,
            ValidationSamples = validation?.Count ?? 0, ValidationAccuracy = held?.Accuracy, ValidationLoss = held?.Loss,
            GradNormSqMean = sgd.GradNormSqSum / total, MeanTrainLoss = lossSum / total,
            BytesWrittenPerRank = [4 * sgd.Entries], BytesWrittenTotal = 4 * sgd.Entries,
            ParameterHash = model.ParameterHash().ToString("x16"), MpiLibrary = $"{mpi.LibraryName}: {mpi.LibraryVersion}", Configuration = configuration,
        };
        Directory.CreateDirectory(options.Out);
        Json.WriteFile(Path.Combine(options.Out, "summary.json"), summary);
        var s = summary.Staleness!;
        Console.WriteLine($"hogwild: simulated {total} updates, staleness mean {s.Mean:F2} p50 {s.P50} p90 {s.P90} max {s.Max}, " +
            $"mean |grad|^2 {summary.GradNormSqMean:G4}" + (held is { } h ? $", validation accuracy {h.Accuracy:F4}" : "") +
            $", test accuracy {test.Accuracy:F4}; results in {options.Out}/summary.json");
        return 0;
    }

    static CollectiveUsageException NonFinite(string what, long t, long total) =>
        new($"non-finite {what} at update {t} of {total} of the staleness simulation (lower --lr)", reporter: true);
}
