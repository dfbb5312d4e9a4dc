namespace SparseMpi.Training.Hogwild;

/// <summary>
/// Hogwild shares the parameters through node-local memory, so every rank must be on one node. The check is
/// a pure function of what the communicators report, so it is unit-tested without a second node.
/// </summary>
public static class SingleNode
{
    /// <summary>Null when all <paramref name="worldSize"/> ranks share one node, else the one-line refusal.</summary>
    /// <param name="nodeLocalSize">Size of this rank's node-local communicator (MPI_COMM_TYPE_SHARED).</param>
    /// <param name="nodes">How many nodes the ranks are on (ranks with node-local rank 0, summed).</param>
    public static string? Problem(int worldSize, int nodeLocalSize, int nodes) =>
        nodeLocalSize == worldSize
            ? null
            : $"hogwild runs on one node: {worldSize} ranks on {nodes} nodes (this node has {nodeLocalSize}); use train for multi-node";
}
