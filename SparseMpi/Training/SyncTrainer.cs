using System.Diagnostics;
using SparseMpi.Collectives;
using SparseMpi.Collectives.Sparse;
using SparseMpi.Metrics;
using SparseMpi.Sparsification;
using SparseMpi.Training.Data;
using SparseMpi.Training.Devices;
using SparseMpi.Training.Models;
using SparseMpi.CostModels;

namespace SparseMpi.Training;

/// <summary>
/// Synchronous data-parallel training. Each step every rank computes the gradient of its own mini-batch, the
/// update rule turns all ranks' gradients into one update (dense allreduce or sparse exchange), and every rank
/// applies it, so the parameters stay identical everywhere (checked at the end, bit for bit).
/// <para>Three parts: <see cref="Setup"/> (preflight, data, model, rule, resume), <see cref="Step"/> (the
/// algorithm), and the bookkeeping of <see cref="SyncRunLog"/> (metrics, evaluation, summary) and checkpoints.</para>
/// <para>Two paths (<see cref="DevicePlacement"/>): the SIMD path works on the model's host spans; the torch path
/// keeps everything on the model's device (a GPU, or the CPU in tests) and copies to host memory only what MPI,
/// checkpoints and the final hash need.</para>
/// </summary>
public sealed class SyncTrainer(MpiRuntime mpi, SyncConfig options) : IDisposable
{
    readonly Communicator _world = mpi.World;
    readonly string _runDir = options.RunDirectory;
    readonly bool _root = mpi.World.Rank == 0;
    readonly Stopwatch _wall = Stopwatch.StartNew(); // the run's wall clock starts before the setup
    readonly StopSignals _signals = new();
    // Set up once by Setup().
    FlatModel _model = null!;
    IUpdateRule _rule = null!;
    ShardedBatches _batches = null!;
    DeviceBatch? _deviceBatch;
    FashionMnist _data = null!;
    ImageSet _train = null!; // the training images the objective is over (--train-samples, or all)
    double? _smoothness; // L, with --step-size inverse-L
    CommunicationCost _cost = null!;
    MpiCostFit? _fit;
    DevicePlacement _placement = null!;
    string _configuration = "";
    long _configHash;
    float[]? _hostCopy; // the torch path reaches the parameters only through copies
    TrainingPosition _start = new(0, 0, 0, 0, 0, 0, 0, 0);
    long _totalSteps;
    SyncRunLog _log = null!;
    SyncStep _step = null!; // select, agree, exchange, apply
    long _lastCheckpointStep = -1;
    StallWatchdog _watchdog = null!; // the run's, set by Run

    public int Run()
    {
        Setup();
        using var watchdog = StallWatchdog.Start(_world, options.StallTimeout);
        _watchdog = watchdog;
        for (long step = _start.Step; step < _totalSteps; step++)
        {
            watchdog.Mark(step, "compute");
            if (step == _start.Step) _log.FirstStep();
            long started = Stopwatch.GetTimestamp(), collectives = _world.CollectiveCalls;
            StepOutcome outcome = Step(step);
            _log.Step(step, outcome, _rule.KPerRank, Stopwatch.GetElapsedTime(started).TotalSeconds, _world.CollectiveCalls - collectives);

            long done = step + 1;
            // A full-batch epoch is one step: its test evaluation would be every step, so only the run's end has one.
            bool epochEnd = !options.FullBatch && done % _batches.StepsPerEpoch == 0 || done == _totalSteps;
            // Evaluation reads the parameters and changes nothing: --eval-every changes when, not what, a run computes.
            if (epochEnd || options.EvalEvery > 0 && done % options.EvalEvery == 0)
            {
                watchdog.Mark(step, "evaluate");
                long evalStart = Stopwatch.GetTimestamp();
                var eval = DistributedEvaluation.Evaluate(_world, _model, _data.Test, options.EvalBatchSize);
                _log.Evaluated(outcome.At, done, eval, outcome.MeanLoss, Stopwatch.GetElapsedTime(evalStart).TotalSeconds, epochEnd);
            }
            if (outcome.StopSignal != 0 && done < _totalSteps) // a signal at the last step changes nothing
            {
                Interrupt(done, outcome.StopSignal); // throws: every rank ends with the stop line
            }
            if (options.CheckpointEvery > 0 && (done % options.CheckpointEvery == 0 || done == _totalSteps))
                SaveCheckpoint(done);
        }
        watchdog.Mark(_totalSteps, "finish");
        Finish(interruptedAfter: null, stopSignal: null);
        return 0;
    }

    /// <summary>What one step produced, for the bookkeeping.</summary>
    /// <summary>What one step produced, for the bookkeeping; <paramref name="StopSignal"/>: a stop signal some rank received (0: none);
    /// <paramref name="Objective"/>: f at the step's parameters before its update, where computed (see <see cref="StepRecord.Objective"/>).</summary>
    public readonly record struct StepOutcome(BatchPosition At, double MeanLoss, double MsCompute, StepStats Stats, int StopSignal, double? Objective = null);

    /// <summary>
    /// One synchronous step: the gradient, then <see cref="SyncStep"/> (compensate and select, agree, exchange and
    /// apply). The agreement is where ranks wait for the slowest one: timed as wait.
    /// </summary>
    StepOutcome Step(long step)
    {
        // On a mini-batch run over --train-samples, f(x_t) is one forward pass over the images at the logged steps,
        // before the gradient (so at the same parameters as a full-batch step's loss); outside the step's timed phases.
        double? objective = ObjectiveByPass && (step % options.LogEvery == 0 || step + 1 == _totalSteps)
            ? DistributedEvaluation.Evaluate(_world, _model, _train, options.EvalBatchSize).Loss + _model.L2Penalty(options.L2)
            : null;
        BatchPosition at = _batches.Next();
        long t0 = Stopwatch.GetTimestamp();
        var (input, target) = _deviceBatch?.Load(_batches.Input, _batches.Target) ?? (_batches.Input, _batches.Target);
        float loss = _model.ComputeGradient(input, target);
        if (options.L2 > 0) loss += (float)_model.AddL2(options.L2);
        double msCompute = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        if (step == options.FaultNanStep && _root) InjectNaN(_model);

        var stats = new StepStats();
        var agreed = _step.Run(_model, step, options.Lr, loss, _signals.Received, ref stats, _watchdog);
        if (agreed.NonFiniteRanks > 0)
            throw new CollectiveUsageException(
                $"non-finite loss or gradient at step {step} ({at}) on {agreed.NonFiniteRanks} rank(s); training stopped" +
                (_lastCheckpointStep >= 0 ? $"; the last checkpoint (step {_lastCheckpointStep}) is intact" : ""), _root);
        // Full batch: the shards are equal and cover the training images, so the mean of the ranks' losses is f(x_t).
        if (options.FullBatch) objective = agreed.MeanLoss;
        return new StepOutcome(at, agreed.MeanLoss, msCompute, stats, agreed.StopSignal, objective);
    }

    /// <summary>The objective needs its own pass: mini-batches over a --train-samples subset.</summary>
    bool ObjectiveByPass => options.TrainSamples > 0 && !options.FullBatch;

    /// <summary>Preflight (configuration and data agreed by all ranks), model, update rule, and the resume point.</summary>
    void Setup()
    {
        TorchSetup.Initialize();
        _placement = ResolvePlacement();
        _configuration = options.MathConfiguration(_placement);
        _configHash = CollectiveSelfCheck.StableHash(_configuration);
        Preflight.SameOnAllRanks(_world, _configHash, "the training configuration");
        _data = TrainingSetup.LoadData(_world, options.Data);
        _train = TrainingSetup.TrainingImages(_world, _data.Train, options.TrainSamples);

        _model = FlatModel.Create(options.Model, options.Seed, _placement.TorchDevice, options.Hidden);
        if (options.ZeroInit) _model.ZeroParameters();
        _hostCopy = _placement.UsesTorch ? new float[_model.D] : null;
        TrainingSetup.Synchronise(_world, _model, options.ProblemFor, ParametersOnHost, HostParametersChanged);
        // Resolved once here, after the configuration text (which names "full" and "inverse-L", not their values):
        // the batch is the shard, the step 1/L of these images.
        if (options.FullBatch) options.BatchSize = TrainingSetup.FullBatchSize(_world, _train.Count);
        _batches = TrainingSetup.Batches(_world, _train, options.BatchSize, options.Seed);
        if (options.InverseLStep)
        {
            double l = SmoothnessBound.SoftmaxRegression(_world, _train, options.L2);
            Preflight.SameOnAllRanks(_world, BitConverter.DoubleToInt64Bits(l), "the smoothness bound L");
            _smoothness = l;
            options.Lr = 1 / l;
            if (_root) Console.WriteLine($"step size 1/L: L = {l:R} (lambda_max(X~^T X~)/(2n) + l2 over n = {_train.Count} images, l2 = {options.L2:R}); step {1 / l:R}");
        }
        _deviceBatch = _placement.UsesTorch ? new DeviceBatch(_batches.BatchSize, _model.Device) : null;
        _fit = options.MpiAlpha is double alpha && options.MpiBeta is double beta
            ? new MpiCostFit(alpha, beta, [], [])
            : !options.Dense && options.CostModel == "mpi" ? FitMpiCostModel(_model.D) : null;
        _cost = new CommunicationCost(_model.D, options.WireFormat, options.HeaderBytes, options.PacketBytes, options.PacketHeaderBytes, _fit, options.IndexBits);
        _rule = UpdateRules.Create(_world, options, _model.D, _batches.StepsPerEpoch, _cost, _placement);
        if (_rule is CompressedRule { Exchange: var exchange } && GradientExchanges.IsAuto(exchange))
        {
            // Among node leaders only the leaders hold the fit (theirs, of the leaders' communicator); every rank
            // joins the check, so that all stop together. Rank 0 is a leader.
            var autoFit = GradientExchanges.AutoOf(exchange)?.Fit;
            Preflight.SameWhereHeld(_world, autoFit?.Hash(), "auto's fitted exchange costs");
            if (_root && autoFit != null) Console.WriteLine(autoFit.Describe());
        }
        _step = new SyncStep(_world, _rule);

        if (options.Resume != null) Resume();
        _totalSteps = options.Epochs * _batches.StepsPerEpoch;
        if (options.MaxSteps > 0) _totalSteps = Math.Min(_totalSteps, options.MaxSteps);
        // Resuming a run that already reached its end would train nothing and overwrite its summary.
        if (options.Resume != null && _start.Step >= _totalSteps)
            throw new CollectiveUsageException(
                $"--resume {_runDir}: the run already ended at step {_start.Step}; to continue it, give a larger --epochs (now {options.Epochs}) or --max-steps", _root);
        _log = new SyncRunLog(mpi, options, _runDir, _model.D, _placement, _configuration, _cost, _start, _batches.StepsPerEpoch, _wall)
            { TotalSteps = _totalSteps, TrainSamples = _train.Count, SmoothnessL = _smoothness };
        if (_root)
            Console.WriteLine($"train: {ModelFactory.Describe(options.Model, options.Hidden)} (d = {_model.D}) on {_world.Size} ranks ({_placement.Device}, {_placement.KernelName} kernel), {options.Compressor}, " +
                $"{_batches.StepsPerEpoch} steps/epoch of {options.BatchSize}/rank, {_totalSteps - _start.Step} steps to go");
    }

    void Resume()
    {
        Checkpoint.Latest latest = null!;
        Preflight.Agree(_world, () => latest = Checkpoint.ReadLatest(_runDir, _configuration, _configHash, _world.Size));
        Preflight.Agree(_world, () => Checkpoint.Load(_world, _runDir, latest, _configHash, ParametersOnHost(), _rule));
        HostParametersChanged();
        _start = new TrainingPosition(latest.Step, latest.Epoch, latest.StepInEpoch, latest.CumulativeBytesSent, latest.WallSeconds,
            latest.CostPayloadBits, latest.CostPacketBits, latest.CostMpiSeconds);
        _batches.Seek(new BatchPosition(latest.Epoch, latest.StepInEpoch));
        _cost.Restore(_start.CostPayloadBits, _start.CostPacketBits, _start.CostMpiSeconds, _start.Step);
        _lastCheckpointStep = _start.Step;
    }

    void SaveCheckpoint(long done)
    {
        _watchdog.Mark(done - 1, "checkpoint");
        var next = _batches.Position;
        Checkpoint.Save(_world, _runDir, _configuration, _configHash, _log.Position(done, next), ParametersOnHost(), _rule);
        _lastCheckpointStep = done;
    }

    /// <summary>
    /// A stop signal reached some rank: every rank has finished step <paramref name="done"/>; they write a
    /// checkpoint and the summary (marked interrupted) and stop with one line and exit code 128 + signal, as a
    /// shell reports a process killed by that signal.
    /// </summary>
    void Interrupt(long done, int signal)
    {
        SaveCheckpoint(done);
        Finish(interruptedAfter: done, StopSignals.Name(signal));
        throw new CollectiveUsageException(
            $"stopped by {StopSignals.Name(signal)} after step {done} of {_totalSteps}: checkpoint written; continue with --resume {_runDir}",
            _root, exitCode: 128 + signal);
    }

    /// <summary>Collective: the parameters checked identical everywhere, the placement gathered, summary.json written.</summary>
    void Finish(long? interruptedAfter, string? stopSignal)
    {
        VerifyIdenticalParameters();
        // The parameters are identical everywhere: rank 0 alone prices them (one double pass over the images).
        if (_root && options.Model == "logreg" && options.L2 > 0)
            _log.Certificate = OptimalityCertificate.SoftmaxRegression(_train, ParametersOnHost(), options.L2);
        _log.Placement = RunPlacement.Gather(mpi, _placement.Device);
        _log.Finish(_model, _rule, _fit, interruptedAfter, stopSignal);
    }

    Span<float> ParametersOnHost()
    {
        if (_hostCopy is null) return _model.ParameterSpan;
        _model.CopyParametersTo(_hostCopy);
        return _hostCopy;
    }

    void HostParametersChanged()
    {
        if (_hostCopy is not null) _model.CopyParametersFrom(_hostCopy);
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
            Preflight.Agree(_world, () => placement = DevicePlacement.Resolve(options.Device, options.SelectKernel, options.Compressor, localRank));
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
        var fit = MpiCostCalibration.Fit(_world, d, options.WireFormat);
        Preflight.SameOnAllRanks(_world, BitConverter.DoubleToInt64Bits(fit.Alpha) ^ 31 * BitConverter.DoubleToInt64Bits(fit.Beta), "the fitted mpi cost model");
        if (_root) Console.WriteLine(fit.Describe());
        return fit;
    }

    /// <summary>Fails loudly unless every rank holds bit-identical parameters.</summary>
    void VerifyIdenticalParameters()
    {
        long hash = (long)_model.ParameterHash();
        if (!_world.AllEqual(hash))
            throw new CollectiveUsageException("ranks ended with different parameters: the update is not identical on every rank", _root);
    }

    public void Dispose()
    {
        _signals.Dispose();
        _log?.Dispose();
        _rule?.Dispose();
        _deviceBatch?.Dispose();
        _batches?.Dispose();
        _model?.Dispose();
    }
}
