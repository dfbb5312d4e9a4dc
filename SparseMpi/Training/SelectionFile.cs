using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using SparseMpi.Metrics;

namespace SparseMpi.Training;

/// <summary>One rank's selection of one step as it went into the exchange: k ascending indices in [0, d) and their values.</summary>
public sealed record RecordedSelection(int D, int Rank, int Ranks, long Step, int[] Indices, float[] Values);

/// <summary>
/// The file <c>train --record-selections N</c> writes per rank and recorded step, and <c>bench-comm --from-run</c>
/// replays: <c>selections/step-S-rank-R.bin</c> in the run directory, little-endian: the 8-byte magic, then int32 d,
/// rank, ranks, int64 step, int32 k, k int32 indices, k float32 values (8 bytes per pair, as the int32:fp32 wire
/// format sends them). Written atomically; read back with every field checked, so a truncated or foreign file is
/// one clear message, never a wrong replay.
/// </summary>
public static class SelectionFile
{
    public const string DirectoryName = "selections";
    static ReadOnlySpan<byte> Magic => "SMSEL001"u8;
    const int HeaderBytes = 8 + 4 + 4 + 4 + 8 + 4;

    public static string FileName(long step, int rank) =>
        string.Create(CultureInfo.InvariantCulture, $"step-{step}-rank-{rank}.bin");

    /// <summary>(step, rank) of a file name this class writes; null for any other name.</summary>
    public static (long Step, int Rank)? Parse(string fileName)
    {
        if (!fileName.StartsWith("step-", StringComparison.Ordinal) || !fileName.EndsWith(".bin", StringComparison.Ordinal)) return null;
        string middle = fileName[5..^4];
        int cut = middle.IndexOf("-rank-", StringComparison.Ordinal);
        if (cut < 0) return null;
        return long.TryParse(middle[..cut], NumberStyles.None, CultureInfo.InvariantCulture, out long step) &&
               int.TryParse(middle[(cut + 6)..], NumberStyles.None, CultureInfo.InvariantCulture, out int rank)
            ? (step, rank) : null;
    }

    public static void Write(string path, int d, int rank, int ranks, long step, ReadOnlySpan<int> indices, ReadOnlySpan<float> values)
    {
        if (indices.Length != values.Length) throw new ArgumentException($"{indices.Length} indices but {values.Length} values");
        var bytes = new byte[HeaderBytes + 8L * indices.Length];
        var span = bytes.AsSpan();
        Magic.CopyTo(span);
        BinaryPrimitives.WriteInt32LittleEndian(span[8..], d);
        BinaryPrimitives.WriteInt32LittleEndian(span[12..], rank);
        BinaryPrimitives.WriteInt32LittleEndian(span[16..], ranks);
        BinaryPrimitives.WriteInt64LittleEndian(span[20..], step);
        BinaryPrimitives.WriteInt32LittleEndian(span[28..], indices.Length);
        int k = indices.Length;
        for (int i = 0; i < k; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(span[(HeaderBytes + 4 * i)..], indices[i]);
            BinaryPrimitives.WriteSingleLittleEndian(span[(HeaderBytes + 4 * (k + i))..], values[i]);
        }
        AtomicFile.Write(path, s => s.Write(bytes));
    }

    /// <summary>Reads and checks one file; throws <see cref="InvalidDataException"/> with a message naming the file and what is wrong.</summary>
    public static RecordedSelection Read(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        InvalidDataException Bad(string what) => new($"{path}: {what}");
        if (bytes.Length < HeaderBytes || !bytes.AsSpan(0, 8).SequenceEqual(Magic)) throw Bad("not a selection file (train --record-selections writes them)");
        var span = bytes.AsSpan();
        int d = BinaryPrimitives.ReadInt32LittleEndian(span[8..]);
        int rank = BinaryPrimitives.ReadInt32LittleEndian(span[12..]);
        int ranks = BinaryPrimitives.ReadInt32LittleEndian(span[16..]);
        long step = BinaryPrimitives.ReadInt64LittleEndian(span[20..]);
        int k = BinaryPrimitives.ReadInt32LittleEndian(span[28..]);
        if (d < 1 || ranks < 1 || rank < 0 || rank >= ranks || step < 0 || k < 0 || k > d)
            throw Bad($"header out of range (d {d}, rank {rank} of {ranks}, step {step}, k {k})");
        if (bytes.Length != HeaderBytes + 8L * k) throw Bad($"{bytes.Length} bytes where k = {k} needs {HeaderBytes + 8L * k} (truncated?)");
        if (Parse(Path.GetFileName(path)) is var (s, r) && (s != step || r != rank)) throw Bad($"holds step {step} of rank {rank}, not what its name says");
        var indices = MemoryMarshal.Cast<byte, int>(span.Slice(HeaderBytes, 4 * k)).ToArray();
        var values = MemoryMarshal.Cast<byte, float>(span.Slice(HeaderBytes + 4 * k, 4 * k)).ToArray();
        for (int i = 0; i < k; i++)
        {
            if (indices[i] < 0 || indices[i] >= d || (i > 0 && indices[i] <= indices[i - 1]))
                throw Bad($"index {i} ({indices[i]}) is not ascending within [0, {d})");
            if (!float.IsFinite(values[i])) throw Bad($"value {i} is not finite");
        }
        return new RecordedSelection(d, rank, ranks, step, indices, values);
    }
}

/// <summary>
/// --record-selections N: on every N-th step (steps 0, N, 2N, ...) writes this rank's selection, as it went into the
/// exchange, to <see cref="SelectionFile"/>'s file in the run directory (8 bytes per selected entry, fsynced: the
/// writes fall outside the step's timed phases but on its wall clock).
/// </summary>
public sealed class SelectionRecorder(string runDirectory, int rank, int ranks, int d, int every)
{
    public int Every { get; } = every >= 1 ? every : throw new ArgumentOutOfRangeException(nameof(every));

    public bool Records(long step) => step % Every == 0;

    public void Record(long step, ReadOnlySpan<int> indices, ReadOnlySpan<float> values) =>
        SelectionFile.Write(Path.Combine(runDirectory, SelectionFile.DirectoryName, SelectionFile.FileName(step, rank)), d, rank, ranks, step, indices, values);
}
