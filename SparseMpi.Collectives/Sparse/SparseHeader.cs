using System.Buffers.Binary;

namespace SparseMpi.Collectives.Sparse;

/// <summary>
/// The fixed 24-byte header that starts every sparse message. All fields little-endian:
/// <code>
/// offset  size  field
///      0     4  magic "SPRS"
///      4     1  version (1)
///      5     1  index format (IndexFormat: 1 int32, 2 delta)
///      6     1  value format (ValueFormat: 1 fp32, 2 fp16, 3 bf16)
///      7     1  reserved, 0
///      8     4  d: length of the dense vector the indices address (int32, >= 0)
///     12     4  count: number of (index, value) pairs (int32, 0 &lt;= count &lt;= d)
///     16     4  index payload bytes
///     20     4  value payload bytes
///     24        index payload, then value payload; the message ends exactly there
/// </code>
/// The payloads are not aligned: readers use unaligned loads (x64 and arm64 do them at full speed).
/// </summary>
public readonly record struct SparseHeader(IndexFormat IndexFormat, ValueFormat ValueFormat, int D, int Count, int IndexBytes, int ValueBytes)
{
    public const int Size = 24;
    public const byte Version = 1;
    /// <summary>"SPRS" read as a little-endian uint32.</summary>
    public const uint Magic = 'S' | 'P' << 8 | 'R' << 16 | 'S' << 24;

    public WireFormat Format => new(IndexFormat, ValueFormat);

    /// <summary>Header plus payloads: the length of the whole message.</summary>
    public long MessageBytes => (long)Size + IndexBytes + ValueBytes;

    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, Magic);
        destination[4] = Version;
        destination[5] = (byte)IndexFormat;
        destination[6] = (byte)ValueFormat;
        destination[7] = 0;
        BinaryPrimitives.WriteInt32LittleEndian(destination[8..], D);
        BinaryPrimitives.WriteInt32LittleEndian(destination[12..], Count);
        BinaryPrimitives.WriteInt32LittleEndian(destination[16..], IndexBytes);
        BinaryPrimitives.WriteInt32LittleEndian(destination[20..], ValueBytes);
    }

    /// <summary>
    /// Reads and checks the header of a whole <paramref name="message"/>: every field, and that the payload lengths
    /// agree with the count and with the message length. Pass <paramref name="expectedD"/> &lt; 0 to accept any d.
    /// The index payload itself (range, order, varint shape) is checked while decoding it.
    /// </summary>
    public static SparseHeader Read(ReadOnlySpan<byte> message, int expectedD)
    {
        if (message.Length < Size)
            throw new MalformedMessageException($"truncated header: {message.Length} bytes, a header needs {Size}");
        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(message);
        if (magic != Magic) throw new MalformedMessageException($"bad magic 0x{magic:x8} (expected 0x{Magic:x8}, \"SPRS\")");
        if (message[4] != Version) throw new MalformedMessageException($"unsupported version {message[4]} (this reader knows version {Version})");
        var index = (IndexFormat)message[5];
        if (index is not (IndexFormat.Int32 or IndexFormat.Delta)) throw new MalformedMessageException($"unknown index format byte {message[5]}");
        var value = (ValueFormat)message[6];
        if (value is not (ValueFormat.Fp32 or ValueFormat.Fp16 or ValueFormat.Bf16)) throw new MalformedMessageException($"unknown value format byte {message[6]}");
        if (message[7] != 0) throw new MalformedMessageException($"reserved byte is {message[7]}, must be 0");
        int d = BinaryPrimitives.ReadInt32LittleEndian(message[8..]);
        int count = BinaryPrimitives.ReadInt32LittleEndian(message[12..]);
        int indexBytes = BinaryPrimitives.ReadInt32LittleEndian(message[16..]);
        int valueBytes = BinaryPrimitives.ReadInt32LittleEndian(message[20..]);
        if (d < 0) throw new MalformedMessageException($"negative d {d}");
        if (expectedD >= 0 && d != expectedD) throw new MalformedMessageException($"d mismatch: the message addresses d = {d}, this receiver has d = {expectedD}");
        if (count < 0 || count > d) throw new MalformedMessageException($"count {count} outside 0..d (d = {d})");
        long expectedValueBytes = (long)count * WireFormat.ValueSize(value);
        if (valueBytes != expectedValueBytes)
            throw new MalformedMessageException($"value payload length {valueBytes} disagrees with count {count} x {WireFormat.ValueSize(value)} bytes");
        bool indexLengthOk = index == IndexFormat.Int32
            ? indexBytes == 4L * count
            : indexBytes >= count && indexBytes <= Varint.MaxBytes * (long)count;
        if (!indexLengthOk)
            throw new MalformedMessageException($"index payload length {indexBytes} impossible for {count} {WireFormat.Name(index)} indices");
        var header = new SparseHeader(index, value, d, count, indexBytes, valueBytes);
        if (message.Length < header.MessageBytes)
            throw new MalformedMessageException($"truncated payload: the header announces {header.MessageBytes} bytes, the message has {message.Length}");
        if (message.Length > header.MessageBytes)
            throw new MalformedMessageException($"lengths disagree: the header announces {header.MessageBytes} bytes, the message has {message.Length}");
        return header;
    }
}
