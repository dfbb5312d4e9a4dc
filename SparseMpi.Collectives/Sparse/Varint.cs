namespace SparseMpi.Collectives.Sparse;

/// <summary>Unsigned LEB128: 7 bits per byte, low bits first, high bit set on every byte but the last.</summary>
public static class Varint
{
    /// <summary>A uint32 needs at most 5 bytes (7 * 5 = 35 bits).</summary>
    public const int MaxBytes = 5;

    /// <summary>Bytes the varint of <paramref name="value"/> takes (1..5).</summary>
    public static int Length(uint value) => value < 1u << 7 ? 1 : value < 1u << 14 ? 2 : value < 1u << 21 ? 3 : value < 1u << 28 ? 4 : 5;

    /// <summary>Writes <paramref name="value"/> at <paramref name="destination"/>; returns the bytes written.</summary>
    public static int Write(uint value, Span<byte> destination)
    {
        int n = 0;
        while (value >= 0x80)
        {
            destination[n++] = (byte)(value | 0x80);
            value >>= 7;
        }
        destination[n++] = (byte)value;
        return n;
    }

    /// <summary>
    /// Reads one varint from the start of <paramref name="source"/> into <paramref name="value"/>; returns the bytes
    /// read, or 0 when the varint is truncated, longer than 5 bytes, or does not fit 32 bits.
    /// </summary>
    public static int TryRead(ReadOnlySpan<byte> source, out uint value)
    {
        value = 0;
        for (int n = 0; n < MaxBytes && n < source.Length; n++)
        {
            uint b = source[n];
            if (n == MaxBytes - 1 && b > 0x0F) return 0; // the 5th byte carries bits 28..31 only, and no continuation
            value |= (b & 0x7F) << (7 * n);
            if (b < 0x80) return n + 1;
        }
        return 0;
    }
}
