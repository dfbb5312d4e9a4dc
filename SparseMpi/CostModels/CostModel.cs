namespace SparseMpi.CostModels;

/// <summary>
/// C(k): what it costs one rank to send k (index, value) pairs in one step, in the model's own unit (bits or
/// seconds). The dynamic sparsity rule maximises S(k) / C(k). Every model has a fixed part per message: with
/// none, S(k)/C(k) is largest at k = 1 (the largest entry alone has the best gain per entry), a degenerate rule.
/// </summary>
public interface ICostModel
{
    /// <summary>"payload", "packet" or "mpi".</summary>
    string Name { get; }

    /// <summary>The unit of <see cref="Cost"/> ("bits" or "seconds").</summary>
    string Unit { get; }

    /// <summary>Cost of a message carrying <paramref name="k"/> pairs (k >= 0); always > 0.</summary>
    double Cost(int k);

    /// <summary>True when C(k) is affine in k (c0 + c1 k): then S(k)/C(k) is unimodal and a scan may stop early.</summary>
    bool IsAffine { get; }

    /// <summary>
    /// An affine lower envelope, C(k) >= Fixed + PerEntry * k for every k (exact for affine models): lets a scan
    /// of a step-shaped cost stop once no larger k can beat the best ratio so far.
    /// </summary>
    (double Fixed, double PerEntry) LowerEnvelope { get; }
}

/// <summary>
/// Bits on the wire: a fixed header plus k * (index bits + value bits) of the chosen wire format.
/// The header defaults to our 24-byte message header plus the 4-byte length each rank contributes to the
/// length allgather (28 bytes = 224 bits).
/// </summary>
public sealed class PayloadCostModel(double headerBits, double bitsPerEntry) : ICostModel
{
    public double HeaderBits { get; } = headerBits > 0 ? headerBits : throw new ArgumentOutOfRangeException(nameof(headerBits), "the payload model needs a fixed header (> 0 bits), else k = 1 always wins");
    public double BitsPerEntry { get; } = bitsPerEntry > 0 ? bitsPerEntry : throw new ArgumentOutOfRangeException(nameof(bitsPerEntry));
    public string Name => "payload";
    public string Unit => "bits";
    public bool IsAffine => true;
    public double Cost(int k) => HeaderBits + k * BitsPerEntry;
    public (double Fixed, double PerEntry) LowerEnvelope => (HeaderBits, BitsPerEntry);
}

/// <summary>
/// Packets: the message (header + k entries) is cut into packets of <c>packetBytes</c>, each of which spends
/// <c>packetHeaderBytes</c> of its size on its own header; cost = packets * packetBytes * 8 bits (a partly filled
/// packet costs a whole one, as on a link that sends fixed-size frames). Step-shaped, so every k is evaluated.
/// </summary>
public sealed class PacketCostModel : ICostModel
{
    public PacketCostModel(int messageHeaderBytes, double bytesPerEntry, int packetBytes, int packetHeaderBytes)
    {
        if (packetBytes <= packetHeaderBytes || packetHeaderBytes < 0)
            throw new ArgumentOutOfRangeException(nameof(packetBytes), $"a packet of {packetBytes} bytes must be larger than its {packetHeaderBytes}-byte header");
        if (bytesPerEntry <= 0) throw new ArgumentOutOfRangeException(nameof(bytesPerEntry));
        MessageHeaderBytes = messageHeaderBytes;
        BytesPerEntry = bytesPerEntry;
        PacketBytes = packetBytes;
        PacketHeaderBytes = packetHeaderBytes;
    }

    public int MessageHeaderBytes { get; }
    public double BytesPerEntry { get; }
    public int PacketBytes { get; }
    public int PacketHeaderBytes { get; }
    public string Name => "packet";
    public string Unit => "bits";
    public bool IsAffine => false;

    // Packets are never fuller than full: C(k) >= 8 P/(P - h) * (H + k e).
    public (double Fixed, double PerEntry) LowerEnvelope
    {
        get
        {
            double perPayloadByte = 8.0 * PacketBytes / (PacketBytes - PacketHeaderBytes);
            return (perPayloadByte * MessageHeaderBytes, perPayloadByte * BytesPerEntry);
        }
    }

    public double Cost(int k)
    {
        double payload = MessageHeaderBytes + k * BytesPerEntry;
        double packets = Math.Max(1, Math.Ceiling(payload / (PacketBytes - PacketHeaderBytes)));
        return packets * PacketBytes * 8.0;
    }
}

/// <summary>
/// Measured time: alpha + beta * bytes of the message, with alpha and beta fitted at start-up on the actual
/// communicator (<see cref="MpiCostCalibration"/>).
/// </summary>
public sealed class MpiTimeCostModel(double alphaSeconds, double betaSecondsPerByte, int messageHeaderBytes, double bytesPerEntry) : ICostModel
{
    public double Alpha { get; } = alphaSeconds;
    public double Beta { get; } = betaSecondsPerByte;
    public int MessageHeaderBytes { get; } = messageHeaderBytes;
    public double BytesPerEntry { get; } = bytesPerEntry;
    public string Name => "mpi";
    public string Unit => "seconds";
    public bool IsAffine => true;

    // A fit on noisy timings could give alpha <= 0; keep a floor so the cost stays positive.
    public double Cost(int k) => Math.Max(Alpha, 1e-9) + Math.Max(Beta, 0) * (MessageHeaderBytes + k * BytesPerEntry);
    public (double Fixed, double PerEntry) LowerEnvelope =>
        (Math.Max(Alpha, 1e-9) + Math.Max(Beta, 0) * MessageHeaderBytes, Math.Max(Beta, 0) * BytesPerEntry);
}
