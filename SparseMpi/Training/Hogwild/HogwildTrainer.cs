using System.Diagnostics;
using SparseMpi.Collectives;
using SparseMpi.Metrics;
using SparseMpi.Training.Data;
using SparseMpi.Training.Models;

namespace SparseMpi.Training.Hogwild;

/// <summary>
/// Hogwild mode: sets up the shared parameters, runs every rank's <see cref="HogwildWorker"/> without any
/// synchronisation between updates, lets rank 0 evaluate snapshots on the way, and after a final barrier
/// gathers the statistics and writes summary.json. Collective communication happens only before the loop and
/// after it.
/// </summary>
public sealed class HogwildTrainer(MpiRuntime mpi, HogwildConfig options)
{
    readonly Communicator _world = mpi.World;

    public int Run()
    {
        var wall = Stopwatch.StartNew();
        string configuration = options.MathConfiguration();
        Preflight.SameOnAllRanks(_world, CollectiveSelfCheck.StableHash(configuration), "the training configuration");
        bool root = _world.Rank == 0;

        // Refuse ranks on several nodes before any work: the parameters live in one node's memory.
        using var node = _world.SplitShared();
        int nodes = _world.Allreduce(node.Rank == 0 ? 1 : 0, ReduceOp.Sum);
        if (SingleNode.Problem(_world.Size, node.Size, nodes) is string refusal)
            throw new CollectiveUsageException(refusal, root);

        TorchSetup.Initialize();
        FashionMnist? data = options.ToyGradient ? null : TrainingSetup.LoadData(_world, options.Data);
        using var model = FlatModel.Create(options.Model, options.Seed, TorchSharp.torch.CPU, options.Hidden);
        TrainingSetup.Synchronise(_world, model, options.ProblemFor);
        var (train, validation) = data != null ? TrainingSetup.HoldOut(_world, data.Train, options.Validation, options.BatchSize) : (null, null);
        using ShardedBatches? batches = train != null ? TrainingSetup.Batches(_world, train, options.BatchSize, options.Seed) : null;
        long total = options.TotalUpdates(batches != null ? (long)batches.StepsPerEpoch * _world.Size : 0);
        long evalEvery = options.EvalInterval(total);
        using FlatModel? evalModel = root && data != null ? FlatModel.Create(options.Model, options.Seed, TorchSharp.torch.CPU, options.Hidden) : null;

        // The toy mode starts from zero so that its integer sums are exact in any order.
        using var shared = SharedParameters.Create(node, options.ToyGradient ? new float[model.D] : model.ParameterSpan);
        var worker = new HogwildWorker(options, _world.Rank, shared, model, batches, total);
        using SnapshotEvaluator? evaluator = evalModel != null
            ? new SnapshotEvaluator(evalModel, EvaluationSet(data!.Test), options.EvalBatchSize, evalEvery, options.Out, wall) : null;
        if (root)
            Console.WriteLine($"hogwild: {options.Model} (d = {model.D}) on {_world.Size} ranks, {options.Compressor}, {options.Update} writes, " +
                $"lr {options.LrPolicy}, delay {(options.FixedInFlight ? $"{options.InFlight} updates in flight per rank" : $"{options.DelayMs} ms")} {options.DelayDist} ({options.DelayMode}), {total} updates");
        evaluator?.EvaluateNow(shared); // the starting point, before the clock runs

        // Progress is the shared applied counter: while any rank writes, no rank is stalled.
        using var watchdog = StallWatchdog.Start(_world, options.StallTimeout, () => shared.Applied, new PeerProgress(shared, _world.Size, total).Stalled);
        _world.Barrier();
        double start = mpi.Wtime();
        // CPU time as well as wall time: on a shared machine other processes stretch the wall clock, not our CPU seconds.
        TimeSpan cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
        double lastPrint = 0;
        void RootDuties()
        {
            evaluator?.MaybeEvaluate(shared);
            if (wall.Elapsed.TotalSeconds - lastPrint >= 2)
            {
                lastPrint = wall.Elapsed.TotalSeconds;
                string accuracy = evaluator?.Last is { } p ? $", test accuracy {p.TestAccuracy:F4} at {p.Updates}" : "";
                Console.WriteLine($"updates {shared.Applied}/{total}, {shared.Applied / (mpi.Wtime() - start):F0} updates/s{accuracy}");
            }
        }
        watchdog.Mark(0, "updates");
        worker.Run(root ? RootDuties : null);
        watchdog.Mark(0, root ? "waiting for the other ranks' last updates" : "final barrier");
        if (root)
        {
            // Rank 0 keeps evaluating at the interval until the other ranks have written their last updates.
            while (!shared.StopRequested && shared.Applied < total)
            {
                RootDuties();
                Thread.Sleep(1);
            }
        }
        double cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpuStart).TotalSeconds;
        _world.Barrier();
        double loopSeconds = mpi.Wtime() - start;
        shared.Sync(); // every rank's last stores are visible to every rank's loads from here on

        if (shared.Stop is { } stop)
        {
            string what = stop.Reason == SharedParameters.StopReason.NonFiniteLoss ? "loss" : "update (lr * gradient)";
            throw new CollectiveUsageException(
                $"non-finite {what} on rank {stop.Rank} at update {stop.Update} of {total}; hogwild stopped all ranks after {shared.Applied} applied updates" +
                " (lower --lr)", root);
        }

        watchdog.Mark(0, "final evaluation");
        // Final evaluation with every worker stopped, shared out over the ranks.
        shared.Parameters.CopyTo(model.ParameterSpan);
        Evaluation final = data != null ? DistributedEvaluation.Evaluate(_world, model, data.Test, options.EvalBatchSize) : default;
        Evaluation? held = validation != null ? DistributedEvaluation.Evaluate(_world, model, validation, options.EvalBatchSize) : null;
        var statistics = RankStatistics.Gather(_world, worker);
        cpuSeconds = _world.Allreduce(cpuSeconds, ReduceOp.Sum);
        worker.Staleness.MergeAcross(_world);
        long applied = shared.Applied;
        ulong hash = model.ParameterHash();
        var placement = RunPlacement.Gather(mpi, "cpu"); // collective

        if (root)
        {
            if (evaluator != null) evaluator.Add(new AccuracyPoint(applied, final.Accuracy, final.Loss, wall.Elapsed.TotalSeconds));
            var summary = new HogwildSummary
            {
                Ranks = _world.Size, Model = options.Model, Hidden = options.Model == "mlp" ? options.Hidden : null, D = model.D, Compressor = options.Compressor,
                Density = options.Dense ? 1.0 : (double)options.KFor(model.D) / model.D, K = options.Dense ? model.D : options.KFor(model.D),
                ErrorFeedback = !options.Dense && options.ErrorFeedback, UpdateMode = options.Update, LrPolicy = options.LrPolicy,
                Lr = options.Lr, Momentum = options.Momentum, BatchSizePerRank = options.BatchSize,
                DelayMs = options.DelayMs, InFlight = options.InFlight, DelayDist = options.DelayDist, DelayMode = options.DelayMode,
                DelayMsMeasured = statistics.DelayMsTotal / Math.Max(1, applied), PeakInFlight = statistics.PeakInFlight,
                Seed = options.Seed, ToyGradient = options.ToyGradient,
                Updates = applied, UpdatesPerRank = statistics.UpdatesPerRank, UpdatesPerSecond = applied / loopSeconds,
                CpuSeconds = cpuSeconds, UpdatesPerCpuSecond = applied / cpuSeconds,
                LoopSeconds = loopSeconds, WallSeconds = wall.Elapsed.TotalSeconds, EvalSeconds = evaluator?.Seconds ?? 0,
                MsSnapshot = 1000 * statistics.SecondsSnapshot / Math.Max(1, applied),
                MsGradient = 1000 * statistics.SecondsGradient / Math.Max(1, applied),
                MsWrite = 1000 * statistics.SecondsWrite / Math.Max(1, applied),
                Staleness = worker.Staleness.ToSummary(),
                ValidationSamples = validation?.Count ?? 0, ValidationAccuracy = held?.Accuracy, ValidationLoss = held?.Loss,
                GradNormSqMean = data != null ? statistics.GradNormSqSum / Math.Max(1, applied) : null, EvalEvery = evalEvery, EvalSamples = evaluator != null ? EvaluationSet(data!.Test).Count : 0,
                AccuracyOverUpdates = evaluator?.Points ?? [],
                TestAccuracy = data != null ? final.Accuracy : double.NaN, TestLoss = data != null ? final.Loss : double.NaN,
                BytesWrittenPerRank = statistics.EntriesPerRank.Select(e => 4 * e).ToArray(),
                BytesWrittenTotal = 4 * statistics.EntriesPerRank.Sum(),
                ToyMismatchedEntries = options.ToyGradient ? ToyMismatches(model.ParameterSpan, statistics.UpdatesPerRank) : null,
                ParameterHash = hash.ToString("x16"), MpiLibrary = $"{mpi.LibraryName}: {mpi.LibraryVersion}", Configuration = configuration,
                Placement = placement,
            };
            Json.WriteFile(Path.Combine(options.Out, "summary.json"), summary);
            var s = summary.Staleness!;
            Console.WriteLine($"hogwild: {applied} updates in {loopSeconds:F1} s ({summary.UpdatesPerSecond:F0}/s), staleness mean {s.Mean:F2} " +
                $"p50 {s.P50} p90 {s.P90} max {s.Max}" + (data != null ? $", test accuracy {final.Accuracy:F4}" : "") +
                (summary.ToyMismatchedEntries is long m ? $", toy entries off the serial sum: {m}" : "") + $"; results in {options.Out}/summary.json");
        }
        return 0;
    }

    /// <summary>The first --eval-samples test samples: the in-loop evaluations take rank 0 away from its updates.</summary>
    ImageSet EvaluationSet(ImageSet test) =>
        options.EvalSamples > 0 && options.EvalSamples < test.Count ? test.Slice(0, options.EvalSamples) : test;

    static long ToyMismatches(ReadOnlySpan<float> parameters, long[] updatesPerRank)
    {
        float[] expected = ToyGradient.SerialSum(parameters.Length, updatesPerRank);
        long mismatches = 0;
        for (int i = 0; i < parameters.Length; i++)
            if (BitConverter.SingleToInt32Bits(parameters[i]) != BitConverter.SingleToInt32Bits(expected[i])) mismatches++;
        return mismatches;
    }

    /// <summary>Per-rank counters, gathered once at the end (one allgather, one allreduce).</summary>
    sealed record RankStatistics(long[] UpdatesPerRank, long[] EntriesPerRank, double DelayMsTotal, int PeakInFlight,
        double SecondsSnapshot, double SecondsGradient, double SecondsWrite, double GradNormSqSum)
    {
        public static RankStatistics Gather(Communicator world, HogwildWorker w)
        {
            var all = new long[2 * world.Size];
            world.Allgather<long>([w.Updates, w.EntriesWritten], all);
            Span<double> sums = [w.DelayMsTotal, w.SecondsSnapshot, w.SecondsGradient, w.SecondsWrite, w.GradNormSqSum];
            world.Allreduce(sums, ReduceOp.Sum);
            int peak = world.Allreduce(w.PeakInFlight, ReduceOp.Max);
            return new RankStatistics(
                Enumerable.Range(0, world.Size).Select(r => all[2 * r]).ToArray(),
                Enumerable.Range(0, world.Size).Select(r => all[2 * r + 1]).ToArray(),
                sums[0], peak, sums[1], sums[2], sums[3], sums[4]);
        }
    }
}
