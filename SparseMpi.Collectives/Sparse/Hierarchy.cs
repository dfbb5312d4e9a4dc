namespace SparseMpi.Collectives.Sparse;

/// <summary>
/// How ranks are grouped before an exact exchange (<c>--hierarchy</c>): not at all, by node
/// (MPI_Comm_split_type shared: the ranks that share memory), or, as a test aid, in blocks of N consecutive ranks,
/// so that one machine can play several "nodes" and the inter-leader algorithm really runs.
/// </summary>
public readonly record struct Hierarchy
{
    /// <summary>The names <c>--hierarchy</c> takes, in the order it lists them.</summary>
    public static readonly string[] Names = ["none", "node"];

    /// <summary>0: no hierarchy; -1: by node; N > 0: blocks of N consecutive world ranks.</summary>
    readonly int _ranksPerNode;

    Hierarchy(int ranksPerNode) => _ranksPerNode = ranksPerNode;

    public static Hierarchy None => default;
    public static Hierarchy Node => new(-1);

    /// <summary>Blocks of <paramref name="ranksPerNode"/> consecutive world ranks play one node each (tests and check-sparse only).</summary>
    public static Hierarchy Blocks(int ranksPerNode)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(ranksPerNode, 1);
        return new(ranksPerNode);
    }

    /// <summary>"none" or "node" as given to <c>--hierarchy</c>.</summary>
    public static Hierarchy Parse(string name) => name switch
    {
        "none" => None,
        "node" => Node,
        _ => throw new ArgumentException($"unknown hierarchy '{name}'; valid: {string.Join(", ", Names)}"),
    };

    public bool IsNone => _ranksPerNode == 0;

    /// <summary>N for <see cref="Blocks"/>; null for none and for real nodes (whose sizes only MPI knows).</summary>
    public int? RanksPerNode => _ranksPerNode > 0 ? _ranksPerNode : null;

    /// <summary>Collective on <paramref name="world"/>: this rank's node, ordered by world rank.</summary>
    public Communicator SplitNodes(Communicator world)
    {
        if (IsNone) throw new InvalidOperationException("no hierarchy: there are no nodes to split");
        return _ranksPerNode < 0 ? world.SplitShared() : world.Split(world.Rank / _ranksPerNode, world.Rank);
    }

    public override string ToString() => _ranksPerNode switch { 0 => "none", < 0 => "node", _ => $"blocks of {_ranksPerNode}" };
}
