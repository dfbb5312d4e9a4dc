namespace SparseMpi.Collectives.Sparse;

/// <summary>How the indices of a sparse message are stored. The byte values are part of the wire format.</summary>
public enum IndexFormat : byte
{
    /// <summary>Each index as a little-endian int32 (4 bytes per pair).</summary>
    Int32 = 1,
    /// <summary>
    /// Gaps between consecutive ascending indices as unsigned LEB128 varints. The first gap is taken from -1, so
    /// every gap is at least 1 (a zero gap would mean a repeated index and is malformed). 1 byte per pair for gaps
    /// below 128, 2 below 16384, ... at most 5 bytes for a gap near 2^31.
    /// </summary>
    Delta = 2,
}

/// <summary>How the values of a sparse message are stored. The byte values are part of the wire format.</summary>
public enum ValueFormat : byte
{
    /// <summary>IEEE binary32, exact.</summary>
    Fp32 = 1,
    /// <summary>IEEE binary16, rounded to nearest even; finite values beyond ±65504 saturate (see <see cref="ValueCodec"/>).</summary>
    Fp16 = 2,
    /// <summary>bfloat16 (the top 16 bits of a float), rounded to nearest even; finite values saturate at ±max bf16.</summary>
    Bf16 = 3,
}

/// <summary>An index format and a value format, written <c>int32:fp32</c>, <c>delta:fp16</c>, ...</summary>
public readonly record struct WireFormat(IndexFormat Index, ValueFormat Value)
{
    /// <summary>4-byte indices and exact floats: 8 bytes per pair.</summary>
    public static WireFormat Default => new(IndexFormat.Int32, ValueFormat.Fp32);

    /// <summary>Every combination, in a stable order (the bench-comm default).</summary>
    public static IReadOnlyList<WireFormat> All { get; } =
    [
        new(IndexFormat.Int32, ValueFormat.Fp32), new(IndexFormat.Int32, ValueFormat.Fp16), new(IndexFormat.Int32, ValueFormat.Bf16),
        new(IndexFormat.Delta, ValueFormat.Fp32), new(IndexFormat.Delta, ValueFormat.Fp16), new(IndexFormat.Delta, ValueFormat.Bf16),
    ];

    public static string Name(IndexFormat f) => f switch { IndexFormat.Int32 => "int32", IndexFormat.Delta => "delta", _ => $"index-format-{(byte)f}" };
    public static string Name(ValueFormat f) => f switch { ValueFormat.Fp32 => "fp32", ValueFormat.Fp16 => "fp16", ValueFormat.Bf16 => "bf16", _ => $"value-format-{(byte)f}" };

    /// <summary>Bytes per stored value.</summary>
    public static int ValueSize(ValueFormat f) => f switch
    {
        ValueFormat.Fp32 => 4,
        ValueFormat.Fp16 or ValueFormat.Bf16 => 2,
        _ => throw new ArgumentOutOfRangeException(nameof(f), f, "unknown value format"),
    };

    public override string ToString() => $"{Name(Index)}:{Name(Value)}";

    /// <summary>Parses <c>index:value</c>, e.g. <c>delta:fp16</c> (case-insensitive).</summary>
    public static bool TryParse(string text, out WireFormat format)
    {
        format = default;
        var parts = text.Trim().ToLowerInvariant().Split(':');
        if (parts.Length != 2) return false;
        IndexFormat? index = parts[0] switch { "int32" => IndexFormat.Int32, "delta" => IndexFormat.Delta, _ => null };
        ValueFormat? value = parts[1] switch { "fp32" => ValueFormat.Fp32, "fp16" => ValueFormat.Fp16, "bf16" => ValueFormat.Bf16, _ => null };
        if (index == null || value == null) return false;
        format = new WireFormat(index.Value, value.Value);
        return true;
    }
}
