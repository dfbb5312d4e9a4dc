using System.Diagnostics;
using SparseMpi.Collectives;
using SparseMpi.CostModels;
using SparseMpi.Training;
using SparseMpi.Training.Devices;
using SparseMpi.Training.Models;

namespace SparseMpi.Benchmarks;

/// <summary>
/// bench-step: the whole synchronous training step (compensate and select, agree, exchange, apply) with the
/// model's compute replaced by a sleep. It drives the training step's own code, not a copy: <see cref="SyncStep"/>
/// (select, agree, exchange, apply) with the update rule <see cref="UpdateRules.Create"/> builds for a CPU run
/// (error feedback, the compressor, the exchange by name), on a <see cref="FlatModel.Synthetic"/> model whose gradient is a
/// <see cref="SyntheticGradients"/> buffer. A sleeping rank uses no CPU, so many ranks on a small machine behave
/// like as many accelerators whose compute overlaps nothing, while the network part is real: a what-if for the
/// communication part of a step, not training. Collective: every rank runs it; all return the same rows.
/// </summary>
public sealed class StepBenchmark(MpiRuntime mpi, StepBenchOptions options)
{
    public const string Note = "a what-if for the communication part, not training: the model's compute is a sleep of --compute-ms and the gradients are synthetic";
    public const string TimingRule = "per step the slowest rank's time; median, min and max over the timed steps";

    const int Phases = 6; // compute, select, wait, comm, apply, step

    /// <summary>Steps between two fill-in counts (a pass over the sum's entries; training counts on its logged steps).</summary>
    public const int FillInEvery = 5;

    readonly Communicator _world = mpi.World;

    public List<StepBenchRow> Run()
    {
        var placement = RunPlacement.Gather(mpi, "cpu");
        var gradients = new SyntheticGradients(options.D, options.Seed, _world.Rank);
        using var model = FlatModel.Synthetic(options.D);
        var times = new double[Phases * options.Steps];
        var rows = new List<StepBenchRow>();
        var cases = options.Dense ? [(StepBenchRow.DenseExchange, 1.0)] : options.Exchanges.SelectMany(e => options.Densities.Select(x => (e, x))).ToList();
        foreach (var (exchange, density) in cases)
        {
            model.ParameterSpan.Clear();
            SyncConfig config = Config(exchange, density);
            var cost = new CommunicationCost(options.D, options.Format, 28, 1500, 64, null);
            using IUpdateRule rule = UpdateRules.Create(_world, config, options.D, options.Steps + options.Warmup, cost,
                DevicePlacement.Resolve("cpu", "simd", options.Compressor));
            var step = new SyncStep(_world, rule);
            double bytesSent = 0, bytesReceived = 0, kSum = 0, fillInSum = 0;
            int fillIns = 0;
            _world.Barrier(); // every rank starts the case together; the steps themselves have no barrier, as in training
            for (int s = 0; s < options.Warmup + options.Steps; s++)
            {
                var stats = Step(model, step, gradients, s, out double msCompute, out double msStep);
                int t = s - options.Warmup;
                if (t < 0) continue;
                Span<double> phases = [msCompute, stats.MsSelect, stats.MsWait, stats.MsComm, stats.MsApply, msStep];
                for (int p = 0; p < Phases; p++) times[p * options.Steps + t] = phases[p];
                bytesSent += stats.BytesSent;
                bytesReceived += stats.BytesReceived;
                kSum += stats.K;
                if (stats.FillIn is double f) { fillInSum += f; fillIns++; } // the same on every rank: counted on the shared sum
            }
            bool identical = _world.AllEqual((long)model.ParameterHash());
            _world.Allreduce<double>(times, ReduceOp.Max); // one collective for all steps, after the timing
            double[] totals = [bytesSent, bytesReceived, kSum];
            _world.Allreduce<double>(totals, ReduceOp.Sum);
            double perRankStep = (double)_world.Size * options.Steps;
            PhaseSpread Spread(int p) => SpreadOf(times.AsSpan(p * options.Steps, options.Steps));
            rows.Add(new StepBenchRow
            {
                Ranks = _world.Size, Nodes = placement.Nodes, RanksPerNode = placement.RanksPerNode, D = options.D,
                Compressor = options.Compressor, Density = options.Dense ? 1 : density, K = options.Dense ? options.D : config.KFor(options.D),
                KMean = totals[2] / perRankStep, Exchange = exchange, FillIn = fillIns > 0 ? fillInSum / fillIns : null,
                WireFormat = options.Dense || exchange == "allreduce" ? "dense fp32" : exchange == "allgather" ? options.Format.ToString() : "int32:fp32",
                ComputeMsAsked = options.ComputeMs, Steps = options.Steps, Warmup = options.Warmup,
                MsCompute = Spread(0), MsSelect = Spread(1), MsWait = Spread(2), MsComm = Spread(3), MsApply = Spread(4), MsStep = Spread(5),
                BytesSentPerRank = totals[0] / perRankStep, BytesReceivedPerRank = totals[1] / perRankStep,
                IdenticalParameters = identical, MpiLibrary = $"{mpi.LibraryName}: {mpi.LibraryVersion}", Placement = placement,
            });
        }
        return rows;
    }

    /// <summary>One training step as <see cref="SyncTrainer"/> takes it, with the gradient copied in and the compute slept.</summary>
    StepStats Step(FlatModel model, SyncStep syncStep, SyntheticGradients gradients, long step, out double msCompute, out double msStep)
    {
        long t0 = Stopwatch.GetTimestamp();
        gradients.CopyTo(model.GradientSpan, step);
        // Thread.Sleep counts whole milliseconds (a fraction is dropped): sleep again until the time asked has passed.
        for (double remaining; (remaining = options.ComputeMs - Stopwatch.GetElapsedTime(t0).TotalMilliseconds) > 0;)
            Thread.Sleep((int)Math.Ceiling(remaining));
        msCompute = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;

        var stats = new StepStats();
        var agreed = syncStep.Run(model, step, StepBenchOptions.Lr, loss: 0f, stopSignal: 0, ref stats);
        if (agreed.NonFiniteRanks > 0) throw new CollectiveUsageException($"bench-step: a synthetic gradient was not finite at step {step}", _world.Rank == 0);
        msStep = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        return stats;
    }

    /// <summary>The configuration a train run of this case would have (the parts the update rule reads).</summary>
    SyncConfig Config(string exchange, double density) => new()
    {
        Model = "synthetic", Compressor = options.Compressor, Density = density, ErrorFeedback = true, MomentumMasking = true,
        Momentum = StepBenchOptions.Momentum, Lr = StepBenchOptions.Lr, Seed = (long)options.Seed, WireFormat = options.Format,
        Exchange = options.Dense ? "allgather" : exchange, KRule = "fixed", CostModel = "payload",
        HeaderBytes = 28, PacketBytes = 1500, PacketHeaderBytes = 64, LogEvery = FillInEvery,
    };

    static PhaseSpread SpreadOf(ReadOnlySpan<double> values)
    {
        var sorted = values.ToArray();
        Array.Sort(sorted);
        int n = sorted.Length;
        double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
        return new PhaseSpread(median, sorted[0], sorted[^1]);
    }
}
