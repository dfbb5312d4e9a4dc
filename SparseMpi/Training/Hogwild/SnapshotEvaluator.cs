using System.Diagnostics;
using System.Text.Json;
using SparseMpi.Metrics;
using SparseMpi.Training.Data;
using SparseMpi.Training.Models;

namespace SparseMpi.Training.Hogwild;

/// <summary>
/// Rank 0's test evaluations during a Hogwild run, without stopping the workers: each time the applied counter
/// has passed the next multiple of the interval, copy the shared parameters into a model of its own (the
/// copy is as inconsistent as any worker's snapshot), evaluate, and append the point to metrics.jsonl.
/// </summary>
public sealed class SnapshotEvaluator : IDisposable
{
    readonly FlatModel _model;
    readonly ImageSet _test;
    readonly int _batchSize;
    readonly long _interval;
    readonly Stopwatch _wall;
    readonly StreamWriter _metrics;
    long _next;

    public List<AccuracyPoint> Points { get; } = [];
    public double Seconds { get; private set; }

    public SnapshotEvaluator(FlatModel model, ImageSet test, int batchSize, long interval, string runDir, Stopwatch wall)
    {
        _model = model;
        _test = test;
        _batchSize = batchSize;
        _interval = interval;
        _wall = wall;
        Directory.CreateDirectory(runDir);
        _metrics = new StreamWriter(Path.Combine(runDir, "metrics.jsonl"), append: false) { AutoFlush = true };
    }

    public AccuracyPoint? Last => Points.Count > 0 ? Points[^1] : null;

    /// <summary>Evaluates when the next multiple of the interval has been reached.</summary>
    public void MaybeEvaluate(SharedParameters shared)
    {
        if (shared.Applied >= _next) EvaluateNow(shared);
    }

    public void EvaluateNow(SharedParameters shared)
    {
        long t = Stopwatch.GetTimestamp();
        long at = shared.Applied;
        shared.Parameters.CopyTo(_model.ParameterSpan);
        var e = _model.Evaluate(_test, _batchSize);
        Add(new AccuracyPoint(at, e.Accuracy, e.Loss, _wall.Elapsed.TotalSeconds));
        _next = (at / _interval + 1) * _interval;
        Seconds += Stopwatch.GetElapsedTime(t).TotalSeconds;
    }

    /// <summary>Records a point evaluated elsewhere (the final one, on all ranks).</summary>
    public void Add(AccuracyPoint point)
    {
        if (Points.Count > 0 && Points[^1].Updates == point.Updates) Points[^1] = point;
        else Points.Add(point);
        _metrics.WriteLine(JsonSerializer.Serialize(point, Json.Line));
    }

    public void Dispose() => _metrics.Dispose();
}
