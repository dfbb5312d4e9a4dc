using SparseMpi.Collectives.Sparse;
using SparseMpi.Sparsification;

namespace SparseMpi.CostModels;

/// <summary>
/// Builds the cost models of a run and keeps their running totals: every step, the mean over ranks of C(k_r)
/// under the payload and packet models, and under the MPI time model when it was fitted. Totals are per rank.
/// The payload model is also accounted with ceil(log2 d)-bit indices (<see cref="PayloadLog2d"/>), the cost
/// model of Khirirat et al., so every run compares under both index prices.
/// </summary>
public sealed class CommunicationCost
{
    public PayloadCostModel Payload { get; }
    /// <summary>The payload model with an index of ceil(log2 d) bits (the paper's count) instead of the wire's.</summary>
    public PayloadCostModel PayloadLog2d { get; }
    public PacketCostModel Packet { get; }
    public MpiTimeCostModel? Mpi { get; }

    public double PayloadBits { get; private set; }
    public double PayloadLog2dBits { get; private set; }
    public double PacketBits { get; private set; }
    public double MpiSeconds { get; private set; }

    /// <param name="ruleIndexBits">"32" or "log2d": which payload model <see cref="Select"/> gives the dynamic rule.</param>
    public CommunicationCost(int d, WireFormat format, int headerBytes, int packetBytes, int packetHeaderBytes, MpiCostFit? fit,
        string ruleIndexBits = "32")
    {
        double bits = BitsPerEntry(d, format);
        Payload = new PayloadCostModel(headerBytes * 8.0, bits);
        PayloadLog2d = new PayloadCostModel(headerBytes * 8.0, Log2dIndexBits(d) + 8 * WireFormat.ValueSize(format.Value));
        _ruleIndexBits = ruleIndexBits is "32" or "log2d" ? ruleIndexBits : throw new ArgumentOutOfRangeException(nameof(ruleIndexBits), ruleIndexBits, "32 or log2d");
        Packet = new PacketCostModel(headerBytes, bits / 8.0, packetBytes, packetHeaderBytes);
        if (fit != null) Mpi = new MpiTimeCostModel(fit.Alpha, fit.Beta, headerBytes, bits / 8.0);
    }

    /// <summary>
    /// Index bits + value bits of one entry: 32-bit indices for int32; for delta the ideal ceil(log2 d) (the
    /// varints average near it; exact sizes are in the byte counts); 32 or 16 value bits.
    /// </summary>
    public static double BitsPerEntry(int d, WireFormat format)
    {
        double index = format.Index == IndexFormat.Int32 ? 32 : Log2dIndexBits(d);
        return index + 8 * WireFormat.ValueSize(format.Value);
    }

    /// <summary>The fewest bits that name one of d indices: ceil(log2 d).</summary>
    public static double Log2dIndexBits(int d) => Math.Ceiling(Math.Log2(Math.Max(2, d)));

    readonly string _ruleIndexBits;

    public ICostModel Select(string name) => name switch
    {
        "payload" => _ruleIndexBits == "log2d" ? PayloadLog2d : Payload,
        "packet" => Packet,
        "mpi" => Mpi ?? throw new InvalidOperationException("the mpi cost model was not fitted"),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "unknown cost model"),
    };

    public void Add(ReadOnlySpan<long> kPerRank)
    {
        double payload = 0, payloadLog2d = 0, packet = 0, mpi = 0;
        foreach (long k in kPerRank)
        {
            payload += Payload.Cost((int)k);
            payloadLog2d += PayloadLog2d.Cost((int)k);
            packet += Packet.Cost((int)k);
            if (Mpi != null) mpi += Mpi.Cost((int)k);
        }
        int p = kPerRank.Length;
        PayloadBits += payload / p;
        PayloadLog2dBits += payloadLog2d / p;
        PacketBits += packet / p;
        MpiSeconds += mpi / p;
    }

    /// <summary>
    /// Continues the totals of a resumed run after <paramref name="steps"/> steps. The log2d payload total is not
    /// in the checkpoint (its format predates it): both payload models share the header and are affine in k, so it
    /// follows from the wire total, steps * H + (total - steps * H) * (log2d bits / wire bits per entry).
    /// </summary>
    public void Restore(double payloadBits, double packetBits, double mpiSeconds, long steps)
    {
        PayloadBits = payloadBits;
        double headers = steps * Payload.HeaderBits;
        PayloadLog2dBits = headers + (payloadBits - headers) * (PayloadLog2d.BitsPerEntry / Payload.BitsPerEntry);
        PacketBits = packetBits;
        MpiSeconds = mpiSeconds;
    }
}
