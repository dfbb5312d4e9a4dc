using SparseMpi.Collectives;

namespace SparseMpi.Errors;

/// <summary>
/// Collective checks before training starts: each rank runs a check locally (files readable, checkpoint
/// matches, ...) and all ranks learn whether any failed, so they stop together with one clear line.
/// </summary>
public static class Preflight
{
    /// <summary>Runs <paramref name="check"/> on every rank; if any rank fails, all throw, and the lowest failing rank reports.</summary>
    public static void Agree(Communicator world, Action check)
    {
        string? problem = null;
        try { check(); }
        catch (UsageException e) { problem = e.Message; }
        int firstFailing = world.Allreduce(problem == null ? int.MaxValue : world.Rank, ReduceOp.Min);
        if (firstFailing == int.MaxValue) return;
        throw new CollectiveUsageException(problem ?? "another rank failed its checks", world.Rank == firstFailing);
    }

    /// <summary>Fails on every rank unless all ranks hold the same <paramref name="hash"/> of <paramref name="what"/>.</summary>
    public static void SameOnAllRanks(Communicator world, long hash, string what)
    {
        if (!world.AllEqual(hash))
            throw new CollectiveUsageException($"ranks disagree on {what}: every rank must be started with the same options and data", world.Rank == 0);
    }

    /// <summary>
    /// <see cref="SameOnAllRanks"/> among the ranks that hold a <paramref name="hash"/> (null: this rank has none
    /// of <paramref name="what"/>, e.g. a rank that is no node leader, and only joins the collective), so that every
    /// rank of <paramref name="world"/> stops together when the holders disagree.
    /// </summary>
    public static void SameWhereHeld(Communicator world, long? hash, string what)
    {
        // Min and max over the holders; with none, min stays above max.
        long min = world.Allreduce(hash ?? long.MaxValue, ReduceOp.Min);
        long max = world.Allreduce(hash ?? long.MinValue, ReduceOp.Max);
        if (min < max)
            throw new CollectiveUsageException($"ranks disagree on {what}: every rank must be started with the same options and data", world.Rank == 0);
    }
}
