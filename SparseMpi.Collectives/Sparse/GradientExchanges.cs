namespace SparseMpi.Collectives.Sparse;

/// <summary>The exchanges by the names <c>--exchange</c> and results use.</summary>
public static class GradientExchanges
{
    /// <summary>Every <c>--exchange</c> value, in the order it lists them: the exact sums of every rank's selection, then auto.</summary>
    public static readonly string[] Names = ["allgather", "allreduce", "ssar-rd", "ssar-split", "dsar-split", Auto];

    /// <summary>Per step the exact exchange with the least predicted time (<see cref="AutoExchange"/>).</summary>
    public const string Auto = "auto";

    /// <summary>The SparCML-style sparse allreduces (their sums add in another order than the allgather's).</summary>
    public static readonly string[] SparseAllreduces = ["ssar-rd", "ssar-split", "dsar-split"];

    /// <summary>Only the allgather sends the wire format; the others send int32 indices and fp32 values.</summary>
    public static bool UsesWireFormat(string name) => name == "allgather";

    /// <summary>An exchange's <c>--exchange</c> name (the classes' own <see cref="IGradientExchange.Name"/> predates it for the first two).</summary>
    public static string OptionName(IGradientExchange exchange) => exchange switch
    {
        SparseAllgatherExchange => "allgather",
        DenseAllreduceExchange => "allreduce",
        _ => exchange.Name,
    };

    public static IGradientExchange Create(string name, Communicator comm, int d, WireFormat format) => name switch
    {
        "allgather" => new SparseAllgatherExchange(comm, d, format),
        "allreduce" => new DenseAllreduceExchange(comm, d),
        "ssar-rd" => new RecursiveDoublingExchange(comm, d),
        "ssar-split" => new SplitAllgatherExchange(comm, d, denseGather: false),
        "dsar-split" => new SplitAllgatherExchange(comm, d, denseGather: true),
        Auto => new AutoExchange(comm, d), // fits its cost model at the first exchange unless calibrated first
        _ => throw new ArgumentException($"unknown exchange '{name}'; valid: {string.Join(", ", Names)}"),
    };
}
