using SparseMpi.Collectives.Sparse;
using SparseMpi.Sparsification;

namespace SparseMpi.CostModels;

/// <summary>
/// Builds the cost models of a run and keeps their running totals: every step, the mean over ranks of C(k_r)
/// under the payload and packet models, and under the MPI time model when it was fitted. Totals are per rank.
/// </summary>
public sealed class CommunicationCost
{
    public PayloadCostModel Payload { get; }
    public PacketCostModel Packet { get; }
    public MpiTimeCostModel? Mpi { get; }

    public double PayloadBits { get; private set; }
    public double PacketBits { get; private set; }
    public double MpiSeconds { get; private set; }

    public CommunicationCost(int d, WireFormat format, int headerBytes, int packetBytes, int packetHeaderBytes, MpiCostFit? fit)
    {
        double bits = BitsPerEntry(d, format);
        Payload = new PayloadCostModel(headerBytes * 8.0, bits);
        Packet = new PacketCostModel(headerBytes, bits / 8.0, packetBytes, packetHeaderBytes);
        if (fit != null) Mpi = new MpiTimeCostModel(fit.Alpha, fit.Beta, headerBytes, bits / 8.0);
    }

    /// <summary>
    /// Index bits + value bits of one entry: 32-bit indices for int32; for delta the ideal ceil(log2 d) (the
    /// varints average near it; exact sizes are in the byte counts); 32 or 16 value bits.
    /// </summary>
    public static double BitsPerEntry(int d, WireFormat format)
    {
        double index = format.Index == IndexFormat.Int32 ? 32 : Math.Ceiling(Math.Log2(Math.Max(2, d)));
        return index + 8 * WireFormat.ValueSize(format.Value);
    }

    public ICostModel Select(string name) => name switch
    {
        "payload" => Payload,
        "packet" => Packet,
        "mpi" => Mpi ?? throw new InvalidOperationException("the mpi cost model was not fitted"),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "unknown cost model"),
    };

    public void Add(ReadOnlySpan<long> kPerRank)
    {
        double payload = 0, packet = 0, mpi = 0;
        foreach (long k in kPerRank)
        {
            payload += Payload.Cost((int)k);
            packet += Packet.Cost((int)k);
            if (Mpi != null) mpi += Mpi.Cost((int)k);
        }
        int p = kPerRank.Length;
        PayloadBits += payload / p;
        PacketBits += packet / p;
        MpiSeconds += mpi / p;
    }

    /// <summary>Continues the totals of a resumed run.</summary>
    public void Restore(double payloadBits, double packetBits, double mpiSeconds)
    {
        PayloadBits = payloadBits;
        PacketBits = packetBits;
        MpiSeconds = mpiSeconds;
    }
}
