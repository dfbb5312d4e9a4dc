using System.Runtime.InteropServices;

namespace SparseMpi.Training;

/// <summary>Binary helpers for checkpoint payloads: float arrays as raw little-endian bytes with their length.</summary>
public static class CheckpointIo
{
    public static void WriteFloats(BinaryWriter writer, ReadOnlySpan<float> values)
    {
        writer.Write(values.Length);
        writer.Write(MemoryMarshal.AsBytes(values));
    }

    /// <summary>Reads a float array written by <see cref="WriteFloats"/> into <paramref name="into"/> (same length).</summary>
    public static void ReadFloats(BinaryReader reader, Span<float> into)
    {
        int length = reader.ReadInt32();
        if (length != into.Length)
            throw new InvalidDataException($"expected {into.Length} floats, the checkpoint holds {length}");
        Span<byte> bytes = MemoryMarshal.AsBytes(into);
        if (reader.Read(bytes) != bytes.Length) throw new EndOfStreamException();
    }
}
