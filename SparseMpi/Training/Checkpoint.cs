using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SparseMpi.Collectives;
using SparseMpi.Metrics;

namespace SparseMpi.Training;

/// <summary>Where a run stands: enough, with the parameters and each rank's optimiser state, to continue exactly.</summary>
public sealed record TrainingPosition(long Step, int Epoch, int StepInEpoch, long CumulativeBytesSent, double WallSeconds,
    double CostPayloadBits, double CostPacketBits, double CostMpiSeconds);

/// <summary>
/// Checkpoints of a synchronous run, in RUN/checkpoints/:
/// <list type="bullet">
/// <item><c>step-NNNNNNNNN/params.bin</c> (rank 0; the parameters are identical on every rank) and
/// <c>rank-RRRR.bin</c> (every rank: momentum, residual), each written atomically and sealed with SHA-256;</item>
/// <item><c>latest.json</c>, written atomically by rank 0 only after every rank has finished its file (a barrier):
/// the checkpoint it names is complete. A crash at any point leaves the previous one intact.</item>
/// </list>
/// Every file records the hash of the run's math configuration and the rank count; a resume with different ones
/// is refused with a clear message.
/// </summary>
public static class Checkpoint
{
    const string Magic = "SPMPCKP1";
    const string LatestFile = "latest.json";

    public static string Directory(string runDir) => Path.Combine(runDir, "checkpoints");

    public sealed record Latest(string Directory, long Step, int Epoch, int StepInEpoch, long CumulativeBytesSent,
        double WallSeconds, int Ranks, string Configuration, long ConfigurationHash,
        double CostPayloadBits, double CostPacketBits, double CostMpiSeconds);

    /// <summary>
    /// Collective: writes a checkpoint of the current state and makes it the latest one. A write that fails on any
    /// rank (a full disk, a quota) stops every rank with one line from the lowest failing rank: the incomplete step
    /// directory is removed and latest.json still names the previous checkpoint, which stays valid.
    /// </summary>
    public static void Save(Communicator world, string runDir, string configuration, long configHash,
        TrainingPosition position, ReadOnlySpan<float> parameters, IUpdateRule rule)
    {
        string root = Directory(runDir);
        string name = $"step-{position.Step:D9}";
        string dir = Path.Combine(root, name);
        float[]? copy = world.Rank == 0 ? parameters.ToArray() : null;
        // The agreement replaces a barrier: every rank's file is on disk before the checkpoint is declared complete.
        AgreeOnWrite(world, root, dir, position.Step, () =>
        {
            System.IO.Directory.CreateDirectory(dir);
            if (copy != null)
                WriteSealed(Path.Combine(dir, "params.bin"), configHash, world.Size, position, w => CheckpointIo.WriteFloats(w, copy));
            WriteSealed(Path.Combine(dir, $"rank-{world.Rank:D4}.bin"), configHash, world.Size, position, rule.WriteState);
        });
        // latest.json alone makes the new checkpoint current; if even that small write fails, the old one still is.
        AgreeOnWrite(world, root, dir, position.Step, () =>
        {
            if (world.Rank != 0) return;
            var latest = new Latest(name, position.Step, position.Epoch, position.StepInEpoch, position.CumulativeBytesSent,
                position.WallSeconds, world.Size, configuration, configHash,
                position.CostPayloadBits, position.CostPacketBits, position.CostMpiSeconds);
            Json.WriteFile(Path.Combine(root, LatestFile), latest);
        });
        if (world.Rank == 0)
            foreach (string old in System.IO.Directory.EnumerateDirectories(root, "step-*"))
                if (Path.GetFileName(old) != name) System.IO.Directory.Delete(old, recursive: true);
        world.Barrier();
    }

    /// <summary>
    /// Runs <paramref name="write"/> on every rank; if it failed with an I/O error on any, rank 0 removes the
    /// incomplete <paramref name="stepDir"/> (after every rank has stopped writing into it) and all ranks throw the
    /// same <see cref="CollectiveUsageException"/>, reported once, by the lowest failing rank.
    /// </summary>
    static void AgreeOnWrite(Communicator world, string root, string stepDir, long step, Action write)
    {
        string? problem = null;
        try { write(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { problem = WithoutPath(e.Message); }
        int firstFailing = world.Allreduce(problem == null ? int.MaxValue : world.Rank, ReduceOp.Min);
        if (firstFailing == int.MaxValue) return;
        if (world.Rank == 0)
        {
            try { if (System.IO.Directory.Exists(stepDir)) System.IO.Directory.Delete(stepDir, recursive: true); }
            catch (IOException) { } // nothing more can be done; latest.json does not name it either way
        }
        world.Barrier(); // the reporter's line below says the directory is gone: let rank 0 finish removing it
        throw new CollectiveUsageException(
            $"cannot write checkpoint step {step} in {root}: {problem}; removed the incomplete {Path.GetFileName(stepDir)}; {PreviousCheckpoint(root)}",
            world.Rank == firstFailing);
    }

    /// <summary>
    /// .NET's "No space left on device : '/run/checkpoints/step-N/.rank-0000.bin.123.tmp'" without the temporary
    /// file's path: the message names the checkpoint directory already.
    /// </summary>
    static string WithoutPath(string message) => System.Text.RegularExpressions.Regex.Replace(message, @"\s*:\s*'[^']*'\s*$", "");

    /// <summary>What latest.json still names, for the failure message.</summary>
    static string PreviousCheckpoint(string root)
    {
        try
        {
            var latest = JsonSerializer.Deserialize<Latest>(File.ReadAllText(Path.Combine(root, LatestFile)), Json.Indented);
            return latest != null ? $"the previous checkpoint (step {latest.Step}) is intact" : "there is no earlier checkpoint";
        }
        catch (Exception e) when (e is IOException or JsonException) { return "there is no earlier checkpoint"; }
    }

    /// <summary>
    /// Reads RUN/checkpoints/latest.json and checks it fits this run. Throws <see cref="UsageException"/> with one
    /// clear line when there is none, it is corrupt, or it was written by another configuration or rank count.
    /// </summary>
    public static Latest ReadLatest(string runDir, string configuration, long configHash, int ranks)
    {
        string path = Path.Combine(Directory(runDir), LatestFile);
        if (!File.Exists(path)) throw new UsageException($"--resume {runDir}: no checkpoint there ({path} is missing)");
        Latest? latest;
        try { latest = JsonSerializer.Deserialize<Latest>(File.ReadAllText(path), Json.Indented); }
        catch (JsonException e) { throw new UsageException($"--resume {runDir}: {path} is corrupt ({e.Message})"); }
        if (latest == null) throw new UsageException($"--resume {runDir}: {path} is empty");
        if (latest.Ranks != ranks)
            throw new UsageException($"--resume {runDir}: the checkpoint was written by {latest.Ranks} ranks, this run has {ranks}");
        if (latest.ConfigurationHash != configHash)
            throw new UsageException($"--resume {runDir}: the checkpoint was written with a different configuration " +
                $"({Difference(latest.Configuration, configuration)})");
        return latest;
    }

    /// <summary>Loads the parameters and this rank's optimiser state of <paramref name="latest"/>.</summary>
    public static void Load(Communicator world, string runDir, Latest latest, long configHash, Span<float> parameters, IUpdateRule rule)
    {
        string dir = Path.Combine(Directory(runDir), latest.Directory);
        float[] p = new float[parameters.Length];
        ReadSealed(Path.Combine(dir, "params.bin"), configHash, world.Size, latest.Step, r => CheckpointIo.ReadFloats(r, p));
        p.CopyTo(parameters);
        ReadSealed(Path.Combine(dir, $"rank-{world.Rank:D4}.bin"), configHash, world.Size, latest.Step, rule.ReadState);
    }

    static void WriteSealed(string path, long configHash, int ranks, TrainingPosition position, Action<BinaryWriter> payload)
    {
        var body = new MemoryStream();
        using (var w = new BinaryWriter(body, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Encoding.ASCII.GetBytes(Magic));
            w.Write(configHash);
            w.Write(ranks);
            w.Write(position.Step);
            payload(w);
        }
        byte[] bytes = body.ToArray();
        byte[] seal = SHA256.HashData(bytes);
        AtomicFile.Write(path, s => { s.Write(bytes); s.Write(seal); });
    }

    static void ReadSealed(string path, long configHash, int ranks, long step, Action<BinaryReader> payload)
    {
        if (!File.Exists(path)) throw new UsageException($"checkpoint file {path} is missing");
        byte[] all = File.ReadAllBytes(path);
        if (all.Length < 32 + Magic.Length || !SHA256.HashData(all.AsSpan(0, all.Length - 32)).AsSpan().SequenceEqual(all.AsSpan(all.Length - 32)))
            throw new UsageException($"checkpoint file {path} is corrupt (its SHA-256 seal does not match)");
        using var r = new BinaryReader(new MemoryStream(all, 0, all.Length - 32));
        if (Encoding.ASCII.GetString(r.ReadBytes(Magic.Length)) != Magic)
            throw new UsageException($"checkpoint file {path} is not a SparseMpi checkpoint");
        if (r.ReadInt64() != configHash || r.ReadInt32() != ranks || r.ReadInt64() != step)
            throw new UsageException($"checkpoint file {path} does not belong to this checkpoint (configuration, ranks or step differ)");
        try { payload(r); }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
        {
            throw new UsageException($"checkpoint file {path} does not fit this model: {e.Message}");
        }
    }

    static string Difference(string saved, string current)
    {
        var a = saved.Split(';').ToHashSet();
        var b = current.Split(';');
        var changed = b.Where(x => !a.Contains(x)).ToList();
        return changed.Count == 0 ? "unknown difference" : "now " + string.Join(", ", changed) + "; saved " +
            string.Join(", ", saved.Split(';').Where(x => !b.Contains(x)));
    }
}
