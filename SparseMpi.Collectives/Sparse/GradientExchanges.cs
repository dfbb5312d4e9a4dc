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

    /// <summary>
    /// Exchanges that apply only a global top-k of the sum (<see cref="IGlobalTopKExchange"/>): they change the math,
    /// so they are not in <see cref="Names"/> (which the exact-sum checks and benchmarks walk).
    /// </summary>
    public static readonly string[] GlobalTopK = ["oktopk"];

    /// <summary>What <c>--exchange</c> accepts: the exact sums, then the global top-k ones.</summary>
    public static IEnumerable<string> All => Names.Concat(GlobalTopK);

    /// <summary>Only the allgather sends the wire format; the others send int32 indices and fp32 values.</summary>
    public static bool UsesWireFormat(string name) => name == "allgather";

    /// <summary>An exchange's <c>--exchange</c> name (the classes' own <see cref="IGradientExchange.Name"/> predates it for the first two).</summary>
    public static string OptionName(IGradientExchange exchange) => exchange switch
    {
        SparseAllgatherExchange => "allgather",
        DenseAllreduceExchange => "allreduce",
        _ => exchange.Name,
    };

    /// <summary>
    /// The auto this rank runs inside <paramref name="exchange"/>: auto itself, or the inner exchange of
    /// <c>auto --hierarchy node</c> on a node leader; null otherwise (and on the other ranks of a node, which run
    /// no auto). Its <see cref="IGradientExchange.Communicator"/> holds exactly the ranks that run it.
    /// </summary>
    public static AutoExchange? AutoOf(IGradientExchange exchange) => exchange switch
    {
        AutoExchange auto => auto,
        HierarchicalExchange { Inner: AutoExchange auto } => auto,
        _ => null,
    };

    /// <summary>Whether <paramref name="exchange"/> is auto, flat or among node leaders (the same on every rank, unlike <see cref="AutoOf"/>).</summary>
    public static bool IsAuto(IGradientExchange exchange) =>
        exchange is AutoExchange or HierarchicalExchange { InnerName: Auto };

    /// <param name="thresholdRefresh">oktopk only: every how many steps its global threshold is computed exactly.</param>
    public static IGradientExchange Create(string name, Communicator comm, int d, WireFormat format,
        int thresholdRefresh = OkTopkExchange.DefaultRefreshPeriod) => name switch
    {
        "allgather" => new SparseAllgatherExchange(comm, d, format),
        "allreduce" => new DenseAllreduceExchange(comm, d),
        "ssar-rd" => new RecursiveDoublingExchange(comm, d),
        "ssar-split" => new SplitAllgatherExchange(comm, d, denseGather: false),
        "dsar-split" => new SplitAllgatherExchange(comm, d, denseGather: true),
        Auto => new AutoExchange(comm, d), // fits its cost model at the first exchange unless calibrated first
        "oktopk" => new OkTopkExchange(comm, d, thresholdRefresh),
        _ => throw new ArgumentException($"unknown exchange '{name}'; valid: {string.Join(", ", All)}"),
    };

    /// <summary>
    /// <see cref="Create(string, Communicator, int, WireFormat)"/>, run among node leaders
    /// (<see cref="HierarchicalExchange"/>) unless <paramref name="hierarchy"/> is none. Collective on
    /// <paramref name="comm"/> when there is a hierarchy (it splits the nodes).
    /// </summary>
    /// <param name="thresholdRefresh">oktopk only (which has no hierarchy: its global threshold involves every rank).</param>
    public static IGradientExchange Create(string name, Communicator comm, int d, WireFormat format, Hierarchy hierarchy,
        int thresholdRefresh = OkTopkExchange.DefaultRefreshPeriod)
    {
        if (hierarchy.IsNone) return Create(name, comm, d, format, thresholdRefresh);
        if (GlobalTopK.Contains(name)) throw new ArgumentException($"--exchange {name} has no node hierarchy: its global top-k involves every rank");
        return new HierarchicalExchange(comm, hierarchy, name, d, format);
    }
}
