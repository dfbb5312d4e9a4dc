using System.Diagnostics;
using System.Numerics.Tensors;

using SparseMpi.Sparsification;
using SparseMpi.Training.Data;
using SparseMpi.Training.Models;

namespace SparseMpi.Training.Hogwild;

/// <summary>
/// One rank's Hogwild loop, with no barrier and no lock between updates:
/// <list type="number">
/// <item>claim an update slot (stop when the total is reached or another rank asked to stop);</item>
/// <item>read the applied counter, then copy the shared parameters into the model (a plain copy while others
/// write: Hogwild's inconsistent read);</item>
/// <item>compute the gradient of the next batch of this rank's shard; compress it with this rank's own error
/// feedback (dense: lr * grad);</item>
/// <item>optionally wait the injected delay (sleep) or hand the update to the in-flight set (defer);</item>
/// <item>add it into the shared parameters (only the selected entries when sparse), then increment the applied
/// counter; staleness = the count before our increment minus the count read at the snapshot.</item>
/// </list>
/// Nothing here allocates per update: the update buffers, the histogram and the model are allocated once.
/// </summary>
public sealed class HogwildWorker
{
    readonly HogwildConfig _o;
    readonly int _rank;
    readonly SharedParameters _shared;
    readonly FlatModel _model;
    readonly ShardedBatches? _batches;
    readonly long _total;
    readonly ICompressor? _compressor;
    readonly ErrorFeedback? _memory;
    readonly float[]? _momentum;      // dense only: this rank's u = beta * u + g
    readonly int _k;
    readonly UpdateDelay _delay;
    readonly InFlightUpdates _inFlight;
    long _localStep;                  // gradients this rank computed (the step its compressors see)

    public StalenessHistogram Staleness { get; } = new();
    /// <summary>Updates this rank wrote into the shared parameters.</summary>
    public long Updates { get; private set; }
    /// <summary>Floats this rank wrote into the shared parameters (entries of all its updates).</summary>
    public long EntriesWritten { get; private set; }
    /// <summary>Sum of the delays actually waited (sleep) or aged (defer), ms.</summary>
    public double DelayMsTotal { get; private set; }
    public double SecondsSnapshot { get; private set; }
    public double SecondsGradient { get; private set; }
    public double SecondsWrite { get; private set; }
    /// <summary>Sum of the squared norms of this rank's mini-batch gradients, each at the snapshot it was computed at.</summary>
    public double GradNormSqSum { get; private set; }
    public int PeakInFlight => _o.Defer ? _inFlight.Peak : 1;

    public HogwildWorker(HogwildConfig options, int rank, SharedParameters shared, FlatModel model, ShardedBatches? batches, long totalUpdates)
    {
        _o = options;
        _rank = rank;
        _shared = shared;
        _model = model;
        _batches = batches;
        _total = totalUpdates;
        int d = model.D;
        bool dense = options.Dense;
        int capacity = ToyGradient.Entries;
        if (!dense && !options.ToyGradient)
        {
            _compressor = UpdateRules.CreateCompressor(options, rank);
            _k = options.KFor(d);
            _memory = new ErrorFeedback(d, options.ErrorFeedback, (float)options.Momentum, options.MomentumMasking);
            capacity = _compressor.MaxSelected(_k);
        }
        if (dense && options.Momentum > 0) _momentum = new float[d];
        _delay = new UpdateDelay(options.DelayMs, options.DelayDist, options.Seed, rank);
        // With a fixed depth L the set is full at L + 1: the update just computed joins and the oldest goes out.
        int limit = !options.Defer ? 1 : options.FixedInFlight ? options.InFlight + 1 : options.MaxInFlight;
        _inFlight = new InFlightUpdates(limit, () => new PendingUpdate(d, capacity, dense));
    }

    /// <summary>
    /// Runs until the total is claimed or a rank asks to stop. <paramref name="betweenUpdates"/> runs after each
    /// update (rank 0 evaluates there).
    /// </summary>
    public void Run(Action? betweenUpdates)
    {
        while (true)
        {
            WriteDue(Stopwatch.GetTimestamp());
            betweenUpdates?.Invoke();
            if (_shared.StopRequested) break;
            long slot = _shared.Claim();
            if (slot > _total) break;

            PendingUpdate update = _inFlight.Rent();
            if (!Compute(update, slot))
            {
                _inFlight.Release(update);
                break;
            }
            if (_delay.None && !_o.FixedInFlight)
            {
                Write(update);
                _inFlight.Release(update);
            }
            else if (!_o.Defer)
            {
                long due = Stopwatch.GetTimestamp() + _delay.NextTicks();
                long t = Stopwatch.GetTimestamp();
                WaitUntil(due);
                DelayMsTotal += Stopwatch.GetElapsedTime(t).TotalMilliseconds;
                Write(update);
                _inFlight.Release(update);
            }
            else
            {
                update.ComputedTimestamp = Stopwatch.GetTimestamp();
                update.DueTimestamp = _o.FixedInFlight ? long.MaxValue : update.ComputedTimestamp + _delay.NextTicks();
                _inFlight.Add(update);
                if (_inFlight.Full) WriteEarliest(); // the limit reached: the oldest goes out
            }
        }
        // Everything claimed must be applied, so the applied counter ends at exactly the total; after a stop the
        // run fails anyway and what is in flight is dropped.
        while (_inFlight.Count > 0 && !_shared.StopRequested) WriteEarliest();
    }

    /// <summary>Snapshot, gradient, compression. False (after asking all ranks to stop) on a non-finite value.</summary>
    bool Compute(PendingUpdate update, long slot)
    {
        long t = Stopwatch.GetTimestamp();
        // The counter first, then the copy: updates that land during the copy count as stale even if the copy
        // caught part of them, so staleness is never under-reported.
        update.SnapshotCounter = _shared.Applied;
        _shared.Parameters.CopyTo(_model.ParameterSpan);
        long t2 = Stopwatch.GetTimestamp();
        SecondsSnapshot += Stopwatch.GetElapsedTime(t, t2).TotalSeconds;
        try
        {
            if (_o.ToyGradient) return ComputeToy(update);
            _batches!.Next();
            float loss = _model.ComputeGradient(_batches.Input, _batches.Target);
            if (!float.IsFinite(loss))
            {
                _shared.RequestStop(_rank, slot, SharedParameters.StopReason.NonFiniteLoss);
                return false;
            }
            Span<float> gradient = _model.GradientSpan;
            GradNormSqSum += TensorPrimitives.SumOfSquares<float>(gradient);
            float lr = (float)_o.Lr;
            if (update.IsDense)
            {
                ReadOnlySpan<float> direction = gradient;
                if (_momentum != null)
                {
                    TensorPrimitives.MultiplyAdd(_momentum, (float)_o.Momentum, gradient, _momentum);
                    direction = _momentum;
                }
                TensorPrimitives.Multiply(direction, lr, update.Dense);
                update.Count = update.Dense.Length;
                // The sum is not finite exactly when some entry is not (or finite entries overflow it: no usable update either).
                if (!float.IsFinite(TensorPrimitives.Sum<float>(update.Dense)))
                {
                    _shared.RequestStop(_rank, slot, SharedParameters.StopReason.NonFiniteUpdate);
                    return false;
                }
            }
            else
            {
                try
                {
                    update.Count = _memory!.Step(gradient, lr, _compressor!, _k, _localStep, update.Indices, update.Values);
                }
                catch (NonFiniteGradientException)
                {
                    _shared.RequestStop(_rank, slot, SharedParameters.StopReason.NonFiniteUpdate);
                    return false;
                }
            }
            return true;
        }
        finally
        {
            _localStep++;
            SecondsGradient += Stopwatch.GetElapsedTime(t2).TotalSeconds;
        }
    }

    bool ComputeToy(PendingUpdate update)
    {
        if (update.IsDense)
        {
            Span<int> indices = stackalloc int[ToyGradient.Entries];
            Span<float> values = stackalloc float[ToyGradient.Entries];
            int n = ToyGradient.Fill(_rank, _localStep, _model.D, indices, values);
            Array.Clear(update.Dense);
            for (int j = 0; j < n; j++) update.Dense[indices[j]] += values[j];
            update.Count = update.Dense.Length;
        }
        else
            update.Count = ToyGradient.Fill(_rank, _localStep, _model.D, update.Indices, update.Values);
        return true;
    }

    /// <summary>Adds the update into the shared parameters and publishes it; records its staleness.</summary>
    void Write(PendingUpdate update)
    {
        long t = Stopwatch.GetTimestamp();
        // Values carry lr and are subtracted; the toy update is added as it is (exact integers).
        float scale = _o.ToyGradient ? 1f : -1f;
        if (_o.StalenessAware)
            scale /= Math.Max(1, _shared.Applied - update.SnapshotCounter); // lr / tau, tau as known when the write starts
        Span<float> parameters = _shared.Parameters;
        if (update.IsDense)
            FloatAtomics.AddDense(parameters, update.Dense, scale, _o.Atomic);
        else
            FloatAtomics.AddSparse(parameters, update.Indices.AsSpan(0, update.Count), update.Values.AsSpan(0, update.Count), scale, _o.Atomic);
        long applied = _shared.PublishUpdate();
        Staleness.Add(applied - 1 - update.SnapshotCounter);
        Updates++;
        EntriesWritten += update.Count;
        _shared.PublishRankProgress(_rank, Updates, EntriesWritten); // read by the watchdog's PeerProgress
        SecondsWrite += Stopwatch.GetElapsedTime(t).TotalSeconds;
    }

    /// <summary>Defer mode: writes every in-flight update whose delay has passed.</summary>
    void WriteDue(long now)
    {
        while (_inFlight.Earliest() is { } first && first.DueTimestamp <= now)
            WriteAged(first);
    }

    /// <summary>Writes the update due first: when its time has come, or at once with a fixed in-flight depth.</summary>
    void WriteEarliest()
    {
        var first = _inFlight.Earliest()!;
        if (!_o.FixedInFlight) WaitUntil(first.DueTimestamp);
        WriteAged(first);
    }

    void WriteAged(PendingUpdate update)
    {
        DelayMsTotal += Stopwatch.GetElapsedTime(update.ComputedTimestamp).TotalMilliseconds;
        Write(update);
        _inFlight.Release(update);
    }

    /// <summary>Sleeps until <paramref name="timestamp"/>: whole milliseconds asleep, the rest yielding the core.</summary>
    static void WaitUntil(long timestamp)
    {
        while (true)
        {
            double ms = (timestamp - Stopwatch.GetTimestamp()) * 1000.0 / Stopwatch.Frequency;
            if (ms <= 0) return;
            if (ms >= 1) Thread.Sleep((int)ms);
            else Thread.Yield();
        }
    }
}
