
using SparseMpi.Collectives;
using SparseMpi.Collectives.Sparse;
using SparseMpi.Sparsification;
using SparseMpi.Training.Devices;
using TorchSharp;
using SparseMpi.CostModels;

namespace SparseMpi.Training;

/// <summary>Builds the update rule a synchronous configuration asks for.</summary>
public static class UpdateRules
{
    /// <summary>The host (SIMD) rules on the CPU, or the torch rules on <paramref name="placement"/>'s device.</summary>
    public static IUpdateRule Create(Communicator world, SyncConfig o, int d, long stepsPerEpoch, CommunicationCost cost,
        DevicePlacement placement)
    {
        if (placement.UsesTorch) return CreateTorch(world, o, d, stepsPerEpoch, cost, placement.TorchDevice);
        if (o.Dense) return new DenseAllreduceRule(world, d, o.Momentum);
        var k = CreateKSchedule(o, d, stepsPerEpoch, cost);
        var memory = new ErrorFeedback(d, o.ErrorFeedback, (float)o.Momentum, o.MomentumMasking);
        ICompressor compressor;
        if (o.GlobalTopK)
        {
            // Ok-Topk selects locally by its re-used threshold; entries the global top-k drops return to the memory.
            compressor = new ReusedThresholdSelector(o.ThresholdRefresh);
            memory.KeepSentMomentum(compressor.MaxSelected(k.MaxK));
        }
        else compressor = CreateCompressor(o, world.Rank);
        return new SparsifiedRule(world, d, compressor, memory, CreateExchange(world, o, d), k)
        {
            FillInEvery = Math.Max(1, o.LogEvery),
            Assumption = o.LogAssumption ? new AssumptionProbe(world, d, compressor.MaxSelected(k.MaxK)) : null,
            Recorder = Recorder(world, o, d),
        };
    }

    static IUpdateRule CreateTorch(Communicator world, SyncConfig o, int d, long stepsPerEpoch, CommunicationCost cost, torch.Device device)
    {
        if (o.Dense) return new TorchDenseAllreduceRule(world, d, device, o.Momentum);
        if (o.Compressor != "topk")
            throw new UsageException($"--compressor {o.Compressor} has no torch kernel"); // DevicePlacement refuses it first
        if (o.GlobalTopK) // OptionTables refuses the explicit combinations; this catches --device auto landing on CUDA
            throw new UsageException($"--exchange {o.Exchange} has no torch kernel; use --device cpu (or --select-kernel simd)");
        if (o.LogAssumption) // OptionTables refuses the explicit combinations; this catches --device auto landing on CUDA
            throw new UsageException("--log-assumption reads the accumulator on the host; the torch kernel keeps it on the device (use --device cpu or --select-kernel simd)");
        IKSchedule k = CreateKSchedule(o, d, stepsPerEpoch, cost);
        var memory = new TorchErrorFeedback(d, device, o.ErrorFeedback, (float)o.Momentum, o.MomentumMasking, k.MaxK);
        return new TorchSparsifiedRule(world, d, device, memory, CreateExchange(world, o, d), k)
        {
            FillInEvery = Math.Max(1, o.LogEvery),
            Recorder = Recorder(world, o, d),
        };
    }

    static SelectionRecorder? Recorder(Communicator world, SyncConfig o, int d) =>
        o.RecordSelections > 0 ? new SelectionRecorder(o.RunDirectory, world.Rank, world.Size, d, o.RecordSelections) : null;

    /// <summary>
    /// The --exchange; auto fits its per-algorithm costs here (collective on the ranks that run it, before the
    /// first step, so step 0's comm time is the exchange's own) around the run's k: the fixed rule's k, or the
    /// dynamic rule's bound. Among node leaders (--hierarchy node) the fit is the leaders' own, on their
    /// communicator, made by the leaders only (the other ranks of a node go on to the next world collective and
    /// wait there).
    /// </summary>
    static IGradientExchange CreateExchange(Communicator world, SyncConfig o, int d)
    {
        var hierarchy = Hierarchy.Parse(o.Hierarchy);
        if (o.Exchange != GradientExchanges.Auto)
            return GradientExchanges.Create(o.Exchange, world, d, o.WireFormat, hierarchy, o.ThresholdRefresh);
        // auto counts the fill-in it steers by on the logged steps, where the metrics record it (step 0 first).
        AutoExchange CreateAuto(Communicator comm) => new(comm, d) { FillInEvery = Math.Max(1, o.LogEvery) };
        IGradientExchange exchange = hierarchy.IsNone ? CreateAuto(world) : new HierarchicalExchange(world, hierarchy, GradientExchanges.Auto, d, CreateAuto);
        if (GradientExchanges.AutoOf(exchange) is { } auto) auto.Calibrate(CalibrationK(world.Size, auto.Communicator.Size, o.DynamicK ? o.KMaxFor(d) : o.KFor(d), d));
        return exchange;
    }

    /// <summary>
    /// The k per rank auto's fit is centred on, for <paramref name="runners"/> of the <paramref name="ranks"/>
    /// ranks running it with k each: k itself when every rank runs it; among node leaders, the mean node sum when
    /// a node's selections are disjoint, P·k / leaders (a node of G ranks sums between k and G·k pairs), at most d.
    /// The fit samples k/8 to 4k of that, so up to 8 ranks per node its low end reaches a node sum of full overlap.
    /// Every leader computes the same from P, the leaders' count and k, as the collective fit needs.
    /// </summary>
    static int CalibrationK(int ranks, int runners, int k, int d) =>
        (int)Math.Min(Math.Max(1, d), ((long)ranks * k + runners - 1) / runners);

    static IKSchedule CreateKSchedule(SyncConfig o, int d, long stepsPerEpoch, CommunicationCost cost) => o.DynamicK
        ? new DynamicKSchedule(o.KMaxFor(d), new DynamicSparsity(cost.Select(o.CostModel)))
        : new FixedKSchedule(d, o.KFor(d), stepsPerEpoch, o.WarmupEpochs);

    /// <summary>The compressor --compressor names (not "none"), one per rank; shared by train and hogwild.</summary>
    public static ICompressor CreateCompressor(TrainingConfig o, int rank) => o.Compressor switch
    {
        "topk" => MagnitudeSelector.Exact(),
        "topk-approx" => MagnitudeSelector.Approximate(),
        "randomk" => new RandomK((ulong)o.Seed, rank),
        "threshold" => MagnitudeSelector.Threshold((float)o.Threshold),
        _ => throw new UsageException($"unknown compressor '{o.Compressor}'"),
    };
}
