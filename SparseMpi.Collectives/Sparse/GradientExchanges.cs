namespace SparseMpi.Collectives.Sparse;

/// <summary>The exchanges by the names <c>--exchange</c> and results use.</summary>
public static class GradientExchanges
{
    /// <summary>Exact sums of every rank's selection, in the order <c>--exchange</c> lists them.</summary>
    public static readonly string[] Names = ["allgather", "allreduce", "ssar-rd", "ssar-split", "dsar-split"];

    /// <summary>The SparCML-style sparse allreduces (their sums add in another order than the allgather's).</summary>
    public static readonly string[] SparseAllreduces = ["ssar-rd", "ssar-split", "dsar-split"];

    /// <summary>Only the allgather sends the wire format; the others send int32 indices and fp32 values.</summary>
    public static bool UsesWireFormat(string name) => name == "allgather";

    public static IGradientExchange Create(string name, Communicator comm, int d, WireFormat format) => name switch
    {
        "allgather" => new SparseAllgatherExchange(comm, d, format),
        "allreduce" => new DenseAllreduceExchange(comm, d),
        "ssar-rd" => new RecursiveDoublingExchange(comm, d),
        "ssar-split" => new SplitAllgatherExchange(comm, d, denseGather: false),
        "dsar-split" => new SplitAllgatherExchange(comm, d, denseGather: true),
        _ => throw new ArgumentException($"unknown exchange '{name}'; valid: {string.Join(", ", Names)}"),
    };

    /// <summary>
    /// <see cref="Create(string, Communicator, int, WireFormat)"/>, run among node leaders
    /// (<see cref="HierarchicalExchange"/>) unless <paramref name="hierarchy"/> is none. Collective on
    /// <paramref name="comm"/> when there is a hierarchy (it splits the nodes).
    /// </summary>
    public static IGradientExchange Create(string name, Communicator comm, int d, WireFormat format, Hierarchy hierarchy) =>
        hierarchy.IsNone ? Create(name, comm, d, format) : new HierarchicalExchange(comm, hierarchy, name, d, format);
}
