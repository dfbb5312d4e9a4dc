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
}
