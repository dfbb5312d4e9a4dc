using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace SparseMpi.Tests.Support;

/// <summary>Reads what the program's checkpoints hold, the way a user's script would (see Training/Checkpoint.cs).</summary>
public static class CheckpointFiles
{
    public static string LatestDirectory(string runDir)
    {
        var latest = JsonNode.Parse(File.ReadAllText(Path.Combine(runDir, "checkpoints", "latest.json")))!;
        return Path.Combine(runDir, "checkpoints", (string)latest["directory"]!);
    }

    public static long LatestStep(string runDir) =>
        (long)JsonNode.Parse(File.ReadAllText(Path.Combine(runDir, "checkpoints", "latest.json")))!["step"]!;

    /// <summary>The parameters of the latest checkpoint: after magic(8), config hash(8), ranks(4), step(8), length(4); a 32-byte seal ends the file.</summary>
    public static float[] Parameters(string runDir)
    {
        byte[] all = File.ReadAllBytes(Path.Combine(LatestDirectory(runDir), "params.bin"));
        int length = BitConverter.ToInt32(all, 28);
        var p = new float[length];
        Buffer.BlockCopy(all, 32, p, 0, length * 4);
        return p;
    }

    /// <summary>
    /// Sets the error-feedback residual in every rank's file of the latest checkpoint to zero and re-seals the file
    /// (rank-RRRR.bin: the same 28-byte header, then the residual and the momentum as length + floats; SHA-256 of
    /// everything before it last). Returns how many residual entries were non-zero before.
    /// </summary>
    public static int ZeroResiduals(string runDir)
    {
        int nonZero = 0;
        foreach (string file in Directory.GetFiles(LatestDirectory(runDir), "rank-*.bin"))
        {
            byte[] all = File.ReadAllBytes(file);
            int length = BitConverter.ToInt32(all, 28);
            var residual = all.AsSpan(32, length * 4);
            var floats = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(residual);
            foreach (float x in floats) if (x != 0f) nonZero++;
            residual.Clear();
            SHA256.HashData(all.AsSpan(0, all.Length - 32)).CopyTo(all, all.Length - 32);
            File.WriteAllBytes(file, all);
        }
        return nonZero;
    }
}
