namespace SparseMpi.Collectives.Sparse;

/// <summary>
/// Bytes a rank moves in the algorithms MPI libraries use for large messages, the one model every byte count in
/// results follows (so a dense run's compression ratio is exactly 1).
/// </summary>
public static class RingModel
{
    /// <summary>A ring allreduce (reduce-scatter + allgather) of <paramref name="bytes"/>: 2 (P-1)/P of them, each way.</summary>
    public static long AllreduceBytes(int ranks, long bytes) =>
        ranks <= 1 ? 0 : (long)Math.Round(2.0 * (ranks - 1) / ranks * bytes);

    /// <summary>A ring allreduce of d floats.</summary>
    public static long AllreduceFloats(int ranks, long d) => AllreduceBytes(ranks, 4L * d);

    /// <summary>An allgather of one int per rank (an exchange's announcements): P-1 of them, each way.</summary>
    public static long AnnouncementBytes(int ranks) => ranks <= 1 ? 0 : 4L * (ranks - 1);
}
