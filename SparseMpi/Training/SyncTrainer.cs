using System.Diagnostics;
using SparseMpi.Cli;
using SparseMpi.Collectives;
using SparseMpi.Metrics;
using SparseMpi.Sparsification;
using SparseMpi.Training.Data;
using SparseMpi.Training.Devices;
using SparseMpi.Training.Models;

namespace SparseMpi.Training;

/// <summary>
/// Synchronous data-parallel training. Each step every rank computes the gradient of its own mini-batch, the
/// update rule turns all ranks' gradients into one update (dense allreduce or sparse exchange), and every rank
/// applies it, so the parameters stay identical everywhere (checked at the end, bit for bit).
/// <para>Two paths (<see cref="DevicePlacement"/>): the SIMD path works on the model's host spans; the torch path
/// keeps everything on the model's device (a GPU, or the CPU in tests) and copies to host memory only what MPI,
/// checkpoints and the final hash need.</para>
/// </summary>
public sealed class SyncTrainer
{
    readonly MpiRuntime _mpi;
    readonly Communicator _world;
    readonly TrainVerb _options;
    readonly string _runDir;

    public SyncTrainer(MpiRuntime mpi, TrainVerb options)
    {
        _mpi = mpi;
        _world = mpi.World;
        _options = options;
        _runDir = options.Resume ?? options.Out;
    }

    public int Run()
    {
        double processStart = Process.GetCurrentProcess().StartTime.ToUniversalTime().Subtract(DateTime.UnixEpoch).TotalSeconds;
        var wall = Stopwatch.StartNew();
        TorchSetup.Initialize();
        DevicePlacement placement = ResolvePlacement();
        string configuration = _options.MathConfiguration(placement);
        long configHash = CollectiveSelfCheck.StableHash(configuration);
        Preflight.SameOnAllRanks(_world, configHash, "the training configuration");

        FashionMnist data = null!;
        Preflight.Agree(_world, () => data = FashionMnist.Load(_options.Data));
        Preflight.SameOnAllRanks(_world, data.Train.Count * 31L + data.Test.Count, "the data set sizes");

        using var model = FlatModel.Create(_options.Model, _options.Seed, placement.TorchDevice);
        // The torch path reaches the parameters only through copies (the SIMD path uses the model's own span).
        float[]? hostCopy = placement.UsesTorch ? new float[model.D] : null;
        Span<float> ParametersOnHost()
        {
            if (hostCopy is null) return model.ParameterSpan;
            model.CopyParametersTo(hostCopy);
            return hostCopy;
        }
        void HostParametersChanged()
        {
            if (hostCopy is not null) model.CopyParametersFrom(hostCopy);
        }
        _world.Broadcast(ParametersOnHost(), root: 0); // identical start even if torch's init differed somewhere
        HostParametersChanged();
        Preflight.Agree(_world, () => { if (_options.ValidateFor(model.D) is string p) throw new UsageException(p); });
        ShardedBatches batches = null!;
        Preflight.Agree(_world, () => batches = new ShardedBatches(data.Train, _options.BatchSize, _options.Seed, _world.Rank, _world.Size));
        using var _ = batches;
        using DeviceBatch? deviceBatch = placement.UsesTorch ? new DeviceBatch(batches.BatchSize, model.Device) : null;
        MpiCostFit? fit = _options.MpiAlpha is double alpha && _options.MpiBeta is double beta
            ? new MpiCostFit(alpha, beta, [], [])
            : !_options.Dense && _options.CostModel == "mpi" ? FitMpiCostModel(model.D) : null;
        var cost = new CommunicationCost(model.D, _options.WireFormat, _options.HeaderBytes, _options.PacketBytes, _options.PacketHeaderBytes, fit);
        using IUpdateRule rule = UpdateRules.Create(_world, _options, model.D, batches.StepsPerEpoch, cost, placement);

        var position = new TrainingPosition(0, 0, 0, 0, 0, 0, 0, 0);
        if (_options.Resume != null)
        {
            Checkpoint.Latest latest = null!;
            Preflight.Agree(_world, () => latest = Checkpoint.ReadLatest(_runDir, configuration, configHash, _world.Size));
            Preflight.Agree(_world, () => Checkpoint.Load(_world, _runDir, latest, configHash, ParametersOnHost(), rule));
            HostParametersChanged();
            position = new TrainingPosition(latest.Step, latest.Epoch, latest.StepInEpoch, latest.CumulativeBytesSent, latest.WallSeconds,
                latest.CostPayloadBits, latest.CostPacketBits, latest.CostMpiSeconds);
            batches.Seek(new BatchPosition(latest.Epoch, latest.StepInEpoch));
            cost.Restore(position.CostPayloadBits, position.CostPacketBits, position.CostMpiSeconds);
        }

        long stepsPerEpoch = batches.StepsPerEpoch;
        long totalSteps = _options.Epochs * stepsPerEpoch;
        if (_options.MaxSteps > 0) totalSteps = Math.Min(totalSteps, _options.MaxSteps);
        bool root = _world.Rank == 0;
        // Resuming a run that already reached its end would train nothing and overwrite its summary.
        if (_options.Resume != null && position.Step >= totalSteps)
            throw new CollectiveUsageException(
                $"--resume {_runDir}: the run already ended at step {position.Step}; to continue it, give a larger --epochs (now {_options.Epochs}) or --max-steps", root);
        using MetricsWriter? metrics = root ? new MetricsWriter(_runDir, _options.Resume != null ? position.Step : -1, _options.LogEvery) : null;
        TensorBoardLog? tensorBoard = root ? new TensorBoardLog(_runDir) : null;
        var summary = new RunSummary
        {
            Ranks = _world.Size, Model = _options.Model, D = model.D, Compressor = _options.Compressor,
            Density = _options.Dense ? 1.0 : (double)_options.KFor(model.D) / model.D, K = _options.Dense ? model.D : _options.KFor(model.D),
            ErrorFeedback = !_options.Dense && _options.UseErrorFeedback, WireFormat = _options.Dense ? "dense" : _options.WireFormat.ToString(),
            WarmupEpochs = _options.WarmupEpochs, Device = placement.Device, SelectKernel = placement.KernelName,
            Epochs = _options.Epochs, BatchSizePerRank = _options.BatchSize, Lr = _options.Lr, Momentum = _options.Momentum,
            Seed = _options.Seed, MpiLibrary = $"{_mpi.LibraryName}: {_mpi.LibraryVersion}", Configuration = configuration,
            ResumedFromStep = _options.Resume != null ? position.Step : null,
        };
        if (root)
            Console.WriteLine($"train: {_options.Model} (d = {model.D}) on {_world.Size} ranks ({placement.Device}, {placement.KernelName} kernel), {_options.Compressor}, " +
                $"{stepsPerEpoch} steps/epoch of {_options.BatchSize}/rank, {totalSteps - position.Step} steps to go");

        var phase = new PhaseTotals();
        var kStats = new KStatistics();
        double lastPrint = 0, lossOfLastStep = double.NaN, startupSeconds = double.NaN, firstStepUnixTime = double.NaN;
        long cumulativeBytes = position.CumulativeBytesSent, lastCheckpointStep = position.Step > 0 ? position.Step : -1;
        // Per rank: loss, non-finite flag, packed message bytes (see IUpdateRule.PackedBytes).
        var agreement = new double[3 * _world.Size];
        var packedBytes = new int[_world.Size];
        var stepWatch = new Stopwatch();
        using var watchdog = StallWatchdog.Start(_world, _options.StallTimeout);
        for (long step = position.Step; step < totalSteps; step++)
        {
            watchdog.Mark(step, "compute");
            if (step == position.Step)
            {
                firstStepUnixTime = DateTime.UtcNow.Subtract(DateTime.UnixEpoch).TotalSeconds;
                startupSeconds = _world.Allreduce(firstStepUnixTime - processStart, ReduceOp.Max);
            }
            stepWatch.Restart();
            BatchPosition at = batches.Next();
            long t0 = Stopwatch.GetTimestamp();
            var (input, target) = deviceBatch?.Load(batches.Input, batches.Target) ?? (batches.Input, batches.Target);
            float loss = model.ComputeGradient(input, target);
            double msCompute = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            if (step == _options.FaultNanStep && root) InjectNaN(model);

            var stats = new StepStats();
            watchdog.Mark(step, "select");
            bool finite = rule.Prepare(model, step, _options.Lr, ref stats) && float.IsFinite(loss);
            // All ranks learn together whether any gradient was bad, so they stop together instead of hanging.
            watchdog.Mark(step, "wait");
            long tAgree = Stopwatch.GetTimestamp();
            _world.Allgather<double>([finite ? loss : 0, finite ? 0 : 1, rule.PackedBytes], agreement);
            double msAgree = Stopwatch.GetElapsedTime(tAgree).TotalMilliseconds;
            double lossSum = 0, nonFinite = 0;
            for (int r = 0; r < _world.Size; r++)
            {
                lossSum += agreement[3 * r];
                nonFinite += agreement[3 * r + 1];
                packedBytes[r] = (int)agreement[3 * r + 2];
            }
            if (nonFinite > 0)
                throw new CollectiveUsageException(
                    $"non-finite loss or gradient at step {step} ({at}) on {nonFinite} rank(s); training stopped" +
                    (lastCheckpointStep >= 0 ? $"; the last checkpoint (step {lastCheckpointStep}) is intact" : ""), root);
            double meanLoss = lossSum / _world.Size;

            watchdog.Mark(step, "comm");
            rule.ExchangeAndApply(model, packedBytes, ref stats);
            stats.MsWait = msAgree;
            cumulativeBytes += stats.BytesSent;
            phase.Add(msCompute, stats);
            kStats.Add(rule.KPerRank);
            cost.Add(rule.KPerRank);
            lossOfLastStep = meanLoss;
            double stepSeconds = stepWatch.Elapsed.TotalSeconds;

            long done = step + 1;
            if (root && (step % _options.LogEvery == 0 || done == totalSteps))
            {
                var record = new StepRecord
                {
                    Step = step, Epoch = at.Epoch, Loss = meanLoss, Lr = _options.Lr, K = stats.K, Density = (double)stats.K / model.D,
                    KPerRank = rule.KPerRank.ToArray(), BytesSent = stats.BytesSent, BytesReceived = stats.BytesReceived,
                    MsCompute = msCompute, MsSelect = stats.MsSelect, MsWait = stats.MsWait, MsComm = stats.MsComm, MsApply = stats.MsApply,
                    CumulativeBytesSent = cumulativeBytes, SamplesPerSecond = _options.BatchSize * _world.Size / stepSeconds,
                    CostPayloadBits = cost.PayloadBits, CostPacketBits = cost.PacketBits, CostMpiSeconds = cost.MpiSeconds,
                };
                metrics!.Write(record);
                tensorBoard!.Step(record);
            }
            if (root && (wall.Elapsed.TotalSeconds - lastPrint >= 2 || done == totalSteps))
            {
                lastPrint = wall.Elapsed.TotalSeconds;
                Console.WriteLine($"epoch {at.Epoch + 1}/{_options.Epochs} step {at.Step + 1}/{stepsPerEpoch} loss {meanLoss:F4} " +
                    $"{phase.SamplesPerSecond(_options.BatchSize * _world.Size):F0} samples/s");
            }

            bool epochEnd = done % stepsPerEpoch == 0;
            if (epochEnd || done == totalSteps)
            {
                watchdog.Mark(step, "evaluate");
                var eval = Evaluate(model, data.Test);
                var epochResult = new EpochResult(at.Epoch + 1, done, eval.Accuracy, eval.Loss, meanLoss, cumulativeBytes,
                    position.WallSeconds + wall.Elapsed.TotalSeconds);
                summary.EpochResults.Add(epochResult);
                tensorBoard?.Epoch(epochResult);
                if (root) Console.WriteLine($"epoch {at.Epoch + 1}: test accuracy {eval.Accuracy:F4}, test loss {eval.Loss:F4}");
            }
            if (_options.CheckpointEvery > 0 && (done % _options.CheckpointEvery == 0 || done == totalSteps))
            {
                watchdog.Mark(step, "checkpoint");
                var next = batches.Position;
                Checkpoint.Save(_world, _runDir, configuration, configHash,
                    new TrainingPosition(done, next.Epoch, next.Step, cumulativeBytes, position.WallSeconds + wall.Elapsed.TotalSeconds,
                        cost.PayloadBits, cost.PacketBits, cost.MpiSeconds),
                    ParametersOnHost(), rule);
                lastCheckpointStep = done;
            }
        }

        watchdog.Mark(totalSteps, "finish");
        VerifyIdenticalParameters(model);
        if (root)
        {
            summary.Steps = totalSteps;
            summary.StepsThisRun = totalSteps - position.Step;
            summary.TestAccuracy = summary.EpochResults.Count > 0 ? summary.EpochResults[^1].TestAccuracy : double.NaN;
            summary.FinalTrainLoss = lossOfLastStep;
            summary.BytesSentPerRank = cumulativeBytes;
            // What dense training would have sent over the same steps: a ring allreduce of d floats per step.
            long denseStep = _world.Size == 1 ? 0 : 4L * (_world.Size - 1) + (long)Math.Round(2.0 * (_world.Size - 1) / _world.Size * 4.0 * model.D);
            summary.DenseBytesPerRank = denseStep * totalSteps;
            summary.CompressionRatio = cumulativeBytes > 0 ? (double)summary.DenseBytesPerRank / cumulativeBytes : double.NaN;
            summary.KMean = kStats.Mean; summary.KMin = kStats.Min; summary.KMax = kStats.Max;
            summary.KRule = _options.Dense ? "dense" : _options.KRule;
            summary.CostModel = _options.CostModel;
            summary.MpiAlphaSeconds = fit?.Alpha;
            summary.MpiBetaSecondsPerByte = fit?.Beta;
            summary.CostPayloadBits = cost.PayloadBits;
            summary.CostPacketBits = cost.PacketBits;
            summary.CostMpiSeconds = fit != null ? cost.MpiSeconds : null;
            if (((rule as SparsifiedRule)?.Dynamic ?? (rule as TorchSparsifiedRule)?.Dynamic) is { Calls: > 0 } dynamic)
                summary.RuleMsPerStep = dynamic.Elapsed.TotalMilliseconds / dynamic.Calls;
            summary.WallSeconds = position.WallSeconds + wall.Elapsed.TotalSeconds;
            summary.StartupSeconds = startupSeconds;
            summary.FirstStepUnixTime = firstStepUnixTime;
            summary.MsPerStep = phase.Means();
            summary.SamplesPerSecond = phase.SamplesPerSecond(_options.BatchSize * _world.Size);
            summary.ParameterHash = model.ParameterHash().ToString("x16");
            Json.WriteFile(Path.Combine(_runDir, "summary.json"), summary);
            Console.WriteLine($"test accuracy {summary.TestAccuracy:F4} after {totalSteps} steps, {summary.WallSeconds:F1} s; " +
                $"results in {_runDir}/summary.json");
        }
        return 0;
    }

    /// <summary>
    /// This rank's device from <c>--device</c> and its node-local rank (one rank per GPU), and the kernel from
    /// <c>--select-kernel</c>; every rank must end on the same kind of device (the configuration names it).
    /// </summary>
    DevicePlacement ResolvePlacement()
    {
        DevicePlacement placement = null!;
        using (Communicator node = _world.SplitShared())
        {
            int localRank = node.Rank;
            Preflight.Agree(_world, () => placement = DevicePlacement.Resolve(_options.Device, _options.SelectKernel, _options.Compressor, localRank));
        }
        Preflight.SameOnAllRanks(_world, placement.IsCuda ? 1 : 0, "the kind of device (cpu or cuda); give every rank a GPU or none");
        return placement;
    }

    /// <summary>Fault injection for tests: the first gradient entry becomes NaN, on whatever device it lives.</summary>
    static void InjectNaN(FlatModel model)
    {
        using var first = model.FlatGradients.narrow(0, 0, 1);
        first.fill_(float.NaN);
    }

    /// <summary>Fits the mpi cost model on this communicator (all ranks must end with the same fit).</summary>
    MpiCostFit FitMpiCostModel(int d)
    {
        var fit = MpiCostCalibration.Fit(_world, d, _options.WireFormat);
        Preflight.SameOnAllRanks(_world, BitConverter.DoubleToInt64Bits(fit.Alpha) ^ 31 * BitConverter.DoubleToInt64Bits(fit.Beta), "the fitted mpi cost model");
        if (_world.Rank == 0) Console.WriteLine(FitMpiCostVerb.Describe(fit));
        return fit;
    }

    /// <summary>Test-set accuracy, each rank evaluating its own slice, summed over ranks.</summary>
    Evaluation Evaluate(FlatModel model, ImageSet test) => DistributedEvaluation.Evaluate(_world, model, test, _options.EvalBatchSize);

    /// <summary>Fails loudly unless every rank holds bit-identical parameters.</summary>
    void VerifyIdenticalParameters(FlatModel model)
    {
        long hash = (long)model.ParameterHash();
        if (!_world.AllEqual(hash))
            throw new CollectiveUsageException("ranks ended with different parameters: the update is not identical on every rank", _world.Rank == 0);
    }
}
