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
/// The bookkeeping of a synchronous run, kept out of the step: per-step metrics (metrics.jsonl/csv, TensorBoard,
/// rank 0 only), running totals (phase times, k, bytes, cost models), the progress line, epoch results, the
/// position a checkpoint records, and summary.json at the end.
/// </summary>
public sealed class SyncRunLog : IDisposable
{
    readonly Communicator _world;
    readonly SyncConfig _options;
    readonly string _runDir;
    readonly int _d;
    readonly bool _root;
    readonly CommunicationCost _cost;
    readonly TrainingPosition _start;
    readonly long _stepsPerEpoch;
    readonly Stopwatch _wall;
    readonly double _processStart;
    readonly MetricsWriter? _metrics;
    readonly EvaluationLog? _evaluations;
    readonly TensorBoardLog? _tensorBoard;
    readonly RunSummary _summary;
    readonly PhaseTotals _phase = new();
    readonly KStatistics _kStats = new();
    readonly ExchangeStatistics _exchanges = new();
    readonly AssumptionStatistics _assumption = new();
    long _cumulativeBytes, _collectives, _steps;
    double? _lastObjective;
    double _lastPrint, _lossOfLastStep = double.NaN, _startupSeconds = double.NaN, _firstStepUnixTime = double.NaN;

    /// <param name="wall">started when the process began its work (the run's wall clock).</param>
    public SyncRunLog(MpiRuntime mpi, SyncConfig options, string runDir, int d, DevicePlacement placement, string configuration,
        CommunicationCost cost, TrainingPosition start, long stepsPerEpoch, Stopwatch wall)
    {
        _world = mpi.World;
        _options = options;
        _runDir = runDir;
        _d = d;
        _root = _world.Rank == 0;
        _cost = cost;
        _start = start;
        _stepsPerEpoch = stepsPerEpoch;
        _wall = wall;
        _processStart = Process.GetCurrentProcess().StartTime.ToUniversalTime().Subtract(DateTime.UnixEpoch).TotalSeconds;
        _cumulativeBytes = start.CumulativeBytesSent;
        bool resumed = options.Resume != null;
        _metrics = _root ? new MetricsWriter(runDir, resumed ? start.Step : -1, options.LogEvery) : null;
        _tensorBoard = _root ? new TensorBoardLog(runDir) : null;
        _evaluations = _root ? new EvaluationLog(runDir, resumed ? start.Step : -1) : null;
        int k = options.Dense ? d : options.KFor(d);
        _summary = new RunSummary
        {
            Ranks = _world.Size, Model = options.Model, Hidden = options.Model == "mlp" ? options.Hidden : null, D = d, Compressor = options.Compressor,
            Density = (double)k / d, K = k,
            ErrorFeedback = !options.Dense && options.ErrorFeedback, WireFormat = options.Dense ? "dense" : options.WireFormat.ToString(),
            WarmupEpochs = options.WarmupEpochs, Device = placement.Device, SelectKernel = placement.KernelName,
            Epochs = options.Epochs, BatchSizePerRank = options.BatchSize, Lr = options.Lr, Momentum = options.Momentum,
            Seed = options.Seed, MpiLibrary = $"{mpi.LibraryName}: {mpi.LibraryVersion}", Configuration = configuration,
            ResumedFromStep = resumed ? start.Step : null,
        };
    }

    double WallSeconds => _start.WallSeconds + _wall.Elapsed.TotalSeconds;

    /// <summary>Collective, before the first step of this process: the slowest rank's start-up time.</summary>
    public void FirstStep()
    {
        _firstStepUnixTime = DateTime.UtcNow.Subtract(DateTime.UnixEpoch).TotalSeconds;
        _startupSeconds = _world.Allreduce(_firstStepUnixTime - _processStart, ReduceOp.Max);
    }

    /// <summary>After every step: totals, and on rank 0 a metrics record every --log-every steps and a progress line every 2 s.</summary>
    public void Step(long step, SyncTrainer.StepOutcome s, ReadOnlySpan<long> kPerRank, double stepSeconds, long collectives)
    {
        _collectives += collectives;
        _steps++;
        var stats = s.Stats;
        _cumulativeBytes += stats.BytesSent;
        _phase.Add(s.MsCompute, stats);
        _kStats.Add(kPerRank);
        _cost.Add(kPerRank);
        _lossOfLastStep = s.MeanLoss;
        if (s.Objective is double f) _lastObjective = f;
        _exchanges.Add(stats.Exchange, stats.FillIn);
        _assumption.Add(stats);
        if (!_root) return;

        long done = step + 1, total = TotalSteps;
        if (step % _options.LogEvery == 0 || done == total)
        {
            var record = new StepRecord
            {
                Step = step, Epoch = s.At.Epoch, Loss = s.MeanLoss, Lr = _options.Lr, K = stats.K, Density = (double)stats.K / _d,
                KPerRank = kPerRank.ToArray(), GlobalK = stats.GlobalK, BytesSent = stats.BytesSent, BytesReceived = stats.BytesReceived,
                MsCompute = s.MsCompute, MsSelect = stats.MsSelect, MsWait = stats.MsWait, MsComm = stats.MsComm, MsApply = stats.MsApply,
                CumulativeBytesSent = _cumulativeBytes, SamplesPerSecond = _options.BatchSize * _world.Size / stepSeconds,
                CostPayloadBits = _cost.PayloadBits, CostPacketBits = _cost.PacketBits, CostMpiSeconds = _cost.MpiSeconds,
                CostPayloadLog2dBits = _cost.PayloadLog2dBits, Objective = s.Objective,
                WallSeconds = WallSeconds,
                Exchange = stats.Exchange, PredictedCommMs = stats.PredictedCommMs, FillIn = stats.FillIn,
                TopkResidualRatio = stats.TopKResidualRatio, RandomkBound = stats.RandomKBound, Xi = stats.Xi, XiTopk = stats.XiOfTopK,
            };
            _metrics!.Write(record);
            _tensorBoard!.Step(record);
        }
        if (_wall.Elapsed.TotalSeconds - _lastPrint >= 2 || done == total)
        {
            _lastPrint = _wall.Elapsed.TotalSeconds;
            Console.WriteLine($"epoch {s.At.Epoch + 1}/{_options.Epochs} step {s.At.Step + 1}/{_stepsPerEpoch} loss {s.MeanLoss:F4} " +
                $"{_phase.SamplesPerSecond(_options.BatchSize * _world.Size):F0} samples/s");
        }
    }

    /// <summary>Where the ranks ran (nodes, ranks per node, transport), gathered by the trainer before the summary.</summary>
    public RunPlacement? Placement { set => _summary.Placement = value; }

    /// <summary>Training images the run used (set by the trainer).</summary>
    public int TrainSamples { get; set; }

    /// <summary>L of --step-size inverse-L (set by the trainer; null otherwise).</summary>
    public double? SmoothnessL { get; set; }

    /// <summary>Softmax regression with --l2: how far the final parameters are from f* (set by the trainer before Finish).</summary>
    public OptimalityCertificate? Certificate { get; set; }

    /// <summary>Total steps of the run (set by the trainer once known).</summary>
    public long TotalSteps { get; set; }

    /// <summary>
    /// A test evaluation after <paramref name="done"/> steps: at an epoch's end (or the run's), when
    /// <paramref name="epochEnd"/> (then also an epoch result), or every --eval-every steps. Every one is a line of
    /// evaluations.jsonl on rank 0. <paramref name="evalSeconds"/>: the evaluation's own time (in no step phase).
    /// </summary>
    public void Evaluated(BatchPosition at, long done, Evaluation eval, double trainLoss, double evalSeconds, bool epochEnd)
    {
        if (epochEnd) Epoch(at.Epoch + 1, done, eval, trainLoss);
        if (!_root) return;
        _evaluations!.Write(new EvaluationRecord
        {
            Step = done, Epoch = (double)done / _stepsPerEpoch, WallSeconds = WallSeconds, TestAccuracy = eval.Accuracy,
            TestLoss = eval.Loss, TrainLoss = trainLoss, CumulativeBytesSent = _cumulativeBytes, EvalSeconds = evalSeconds,
        });
        if (!epochEnd) Console.WriteLine($"step {done}: test accuracy {eval.Accuracy:F4}, test loss {eval.Loss:F4} at {WallSeconds:F1} s");
    }

    /// <summary>A test evaluation at an epoch's end (or the run's).</summary>
    void Epoch(int epoch, long done, Evaluation eval, double trainLoss)
    {
        var result = new EpochResult(epoch, done, eval.Accuracy, eval.Loss, trainLoss, _cumulativeBytes, WallSeconds);
        _summary.EpochResults.Add(result);
        _tensorBoard?.Epoch(result);
        if (_root) Console.WriteLine($"epoch {epoch}: test accuracy {eval.Accuracy:F4}, test loss {eval.Loss:F4}");
    }

    /// <summary>What a checkpoint after <paramref name="done"/> steps records, the data at <paramref name="next"/>.</summary>
    public TrainingPosition Position(long done, BatchPosition next) =>
        new(done, next.Epoch, next.Step, _cumulativeBytes, WallSeconds, _cost.PayloadBits, _cost.PacketBits, _cost.MpiSeconds);

    /// <summary>
    /// Rank 0 writes summary.json: at the run's end, or after <paramref name="interruptedAfter"/> steps when
    /// <paramref name="stopSignal"/> stopped it (then marked interrupted; the counts are those of the steps done).
    /// </summary>
    public void Finish(FlatModel model, IUpdateRule rule, MpiCostFit? fit, long? interruptedAfter = null, string? stopSignal = null)
    {
        if (!_root) return;
        long totalSteps = interruptedAfter ?? TotalSteps;
        var s = _summary;
        s.Interrupted = interruptedAfter != null;
        s.StopSignal = stopSignal;
        s.Steps = totalSteps;
        s.StepsThisRun = totalSteps - _start.Step;
        s.TestAccuracy = s.EpochResults.Count > 0 ? s.EpochResults[^1].TestAccuracy : double.NaN;
        s.FinalTrainLoss = _lossOfLastStep;
        s.BytesSentPerRank = _cumulativeBytes;
        // What dense training would have sent over the same steps: a ring allreduce of d floats per step.
        s.DenseBytesPerRank = RingModel.AllreduceFloats(_world.Size, _d) * totalSteps;
        s.CompressionRatio = _cumulativeBytes > 0 ? (double)s.DenseBytesPerRank / _cumulativeBytes : double.NaN;
        s.KMean = _kStats.Mean; s.KMin = _kStats.Min; s.KMax = _kStats.Max;
        s.KRule = _options.Dense ? "dense" : _options.KRule;
        s.CostModel = _options.CostModel;
        s.MpiAlphaSeconds = fit?.Alpha;
        s.MpiBetaSecondsPerByte = fit?.Beta;
        s.CostPayloadBits = _cost.PayloadBits;
        s.CostPacketBits = _cost.PacketBits;
        s.CostMpiSeconds = fit != null ? _cost.MpiSeconds : null;
        s.CostPayloadLog2dBits = _cost.PayloadLog2dBits;
        s.L2 = _options.L2; s.SmoothnessL = SmoothnessL; s.TrainSamples = TrainSamples; s.FullBatch = _options.FullBatch;
        s.IndexBits = _options.IndexBits; s.FinalObjective = _lastObjective;
        s.FinalObjectiveFloat64 = Certificate?.Objective;
        s.FinalGradientNormFloat64 = Certificate?.GradientNorm;
        s.SuboptimalityBound = Certificate?.SuboptimalityBound;
        s.RuleMsPerStep = rule.RuleMsPerStep;
        s.Exchange = _options.Dense ? null : _options.Exchange;
        s.ExchangeChosen = _exchanges.Counts;
        s.FillInMean = _exchanges.MeanFillIn;
        s.Assumption = _assumption.Summary;
        // Rank 0 runs auto when the run does (flat, or as a node leader: node rank 0 of its node).
        var autoFit = rule is CompressedRule { Exchange: var exchange } ? GradientExchanges.AutoOf(exchange)?.Fit : null;
        s.ExchangeCostFit = autoFit != null ? ExchangeCostRow.Of(autoFit) : null;
        s.ExchangeCostFitRanks = autoFit?.Ranks;
        s.WallSeconds = WallSeconds;
        s.StartupSeconds = _startupSeconds;
        s.FirstStepUnixTime = _firstStepUnixTime;
        s.MsPerStep = _phase.Means();
        s.SamplesPerSecond = _phase.SamplesPerSecond(_options.BatchSize * _world.Size);
        s.CollectivesPerStep = _steps > 0 ? (double)_collectives / _steps : double.NaN;
        s.ParameterHash = model.ParameterHash().ToString("x16");
        Json.WriteFile(Path.Combine(_runDir, "summary.json"), s);
        Console.WriteLine($"test accuracy {s.TestAccuracy:F4} after {totalSteps} steps, {s.WallSeconds:F1} s; results in {_runDir}/summary.json");
    }

    public void Dispose()
    {
        _metrics?.Dispose();
        _evaluations?.Dispose();
    }
}
