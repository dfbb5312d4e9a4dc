using System.Globalization;
using System.Runtime.InteropServices;
using SparseMpi.Collectives;
using SparseMpi.Training;

namespace SparseMpi.Benchmarks;

/// <summary>
/// bench-comm --from-run: one recorded step of a training run (<c>train --record-selections</c>), every rank's
/// selection as it went into the exchange, so the exchanges are timed on real top-k index sets (their overlap,
/// their clustering by layer, each rank's own k) instead of synthetic ones. Every rank loads all P files (they are
/// 8 bytes per selected entry), as bench-comm's reference sum needs every rank's selection.
/// </summary>
public sealed class RecordedRun
{
    public string Directory { get; }
    public long Step { get; }
    public int D { get; }
    public int Ranks => Indices.Length;
    public int[][] Indices { get; }
    public float[][] Values { get; }

    RecordedRun(string directory, long step, int d, int[][] indices, float[][] values)
    {
        Directory = directory;
        Step = step;
        D = d;
        Indices = indices;
        Values = values;
    }

    public int KOf(int rank) => Indices[rank].Length;
    public int MaxK => Indices.Max(x => x.Length);
    public long TotalK => Indices.Sum(x => (long)x.Length);

    /// <summary>Σk / (P·d): the density of the recorded step, averaged over ranks.</summary>
    public double Density => (double)TotalK / ((double)Ranks * D);

    /// <summary>The mean k over ranks, rounded: the k the cost model is evaluated at.</summary>
    public int MeanK => (int)Math.Round((double)TotalK / Ranks, MidpointRounding.AwayFromZero);

    /// <summary>A hash of every index and value (the same on every rank exactly when the ranks read the same files).</summary>
    public long ContentHash
    {
        get
        {
            ulong h = Fnv1a.Hash(BitConverter.GetBytes(Step));
            for (int q = 0; q < Ranks; q++)
                h = h * 31 + Fnv1a.Hash(MemoryMarshal.AsBytes(Indices[q].AsSpan())) * 17 + Fnv1a.Hash(Values[q].AsSpan());
            return (long)h;
        }
    }

    /// <summary>
    /// Loads <paramref name="step"/> (null: the last step every rank recorded) of the run in <paramref name="runDirectory"/>;
    /// throws <see cref="UsageException"/> saying what is missing or wrong.
    /// </summary>
    public static RecordedRun Load(string runDirectory, long? step)
    {
        string dir = Path.Combine(runDirectory, SelectionFile.DirectoryName);
        if (!System.IO.Directory.Exists(dir))
            throw new UsageException($"--from-run {runDirectory}: no {SelectionFile.DirectoryName}/ directory (train with --record-selections N to write one)");
        var files = System.IO.Directory.EnumerateFiles(dir)
            .Select(f => (Path: f, Key: SelectionFile.Parse(Path.GetFileName(f))))
            .Where(x => x.Key != null)
            .Select(x => (x.Path, x.Key!.Value.Step, x.Key.Value.Rank))
            .ToList();
        if (files.Count == 0) throw new UsageException($"--from-run {runDirectory}: {dir} holds no step-S-rank-R.bin files");
        long chosen = step ?? files.Max(f => f.Step);
        var ofStep = files.Where(f => f.Step == chosen).OrderBy(f => f.Rank).ToList();
        if (ofStep.Count == 0)
        {
            var steps = files.Select(f => f.Step).Distinct().Order().Select(s => s.ToString(CultureInfo.InvariantCulture));
            throw new UsageException($"--from-step {chosen}: {dir} has no files of that step; recorded steps: {string.Join(", ", steps)}");
        }
        RecordedSelection[] selections;
        try { selections = ofStep.Select(f => SelectionFile.Read(f.Path)).ToArray(); }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--from-run {runDirectory}: {e.Message}");
        }
        int ranks = selections[0].Ranks, d = selections[0].D;
        if (selections.FirstOrDefault(s => s.Ranks != ranks || s.D != d) is { } odd)
            throw new UsageException($"--from-run {runDirectory}: step {chosen} mixes runs (rank {odd.Rank}'s file says {odd.Ranks} ranks and d {odd.D}; rank {selections[0].Rank}'s {ranks} and {d})");
        if (selections.Length != ranks || selections.Select(s => s.Rank).Where((r, i) => r != i).Any())
        {
            var missing = Enumerable.Range(0, ranks).Except(selections.Select(s => s.Rank)).Select(r => r.ToString(CultureInfo.InvariantCulture));
            throw new UsageException($"--from-run {runDirectory}: step {chosen} was recorded on {ranks} ranks but the files of rank(s) {string.Join(", ", missing)} are missing");
        }
        return new RecordedRun(runDirectory, chosen, d, selections.Select(s => s.Indices).ToArray(), selections.Select(s => s.Values).ToArray());
    }
}
