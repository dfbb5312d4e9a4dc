using CommandLine;
using SparseMpi.Collectives;
using SparseMpi.Collectives.Sparse;

namespace SparseMpi.Cli;

/// <summary>
/// <c>check-sparse</c> (hidden): runs the sparse and dense gradient exchanges on the live communicator over the
/// cases of <see cref="SparseSelfCheck"/> and compares every sum bitwise with a local reference (or, for the
/// sparse allreduces and every exchange under <c>--hierarchy node</c>, within the rounding bound of the exact
/// sum). The integration tests run it under Open MPI and MPICH with 1-8 ranks; on a new cluster it checks the wire
/// format and the node split end to end.
/// </summary>
[Verb("check-sparse", Hidden = true, HelpText = "Diagnostic self-test of the sparse collectives (used by the tests; useful on a new cluster): every wire format and exchange against a local reference.")]
public sealed class CheckSparseVerb : IMpiVerb
{
    [Option("seed", Default = 1UL, HelpText = "Seed of the random cases.")]
    public ulong Seed { get; set; } = 1;

    // A test aid: one machine is one node, so without it the leaders' exchange would always run on one rank.
    [Option("ranks-per-node", Default = 0, HelpText = "Test aid for the hierarchical checks: treat blocks of N consecutive ranks as one node (0: the real nodes, by shared memory).")]
    public int RanksPerNode { get; set; }

    // A test aid too: the flat checks do not depend on the node grouping, so a test of another grouping skips them.
    [Option("hierarchy-only", Default = false, HelpText = "Only the hierarchical checks (every exact exchange among node leaders), not the flat ones.")]
    public bool HierarchyOnly { get; set; }

    public string? Validate() => RanksPerNode < 0 ? $"--ranks-per-node must not be negative (got {RanksPerNode})" : null;

    public int Run() => MpiSession.Run(mpi =>
    {
        var world = mpi.World;
        Preflight.SameOnAllRanks(world, (long)Seed, "--seed");
        var nodes = RanksPerNode > 0 ? Hierarchy.Blocks(RanksPerNode) : Hierarchy.Node;
        var (failures, checks, notes) = SparseSelfCheck.Run(world, Seed, nodes, HierarchyOnly);
        foreach (string f in failures) Console.Error.WriteLine($"check-sparse: FAILED {f}");
        Console.Error.Flush();
        int failedRanks = world.Allreduce(failures.Count > 0 ? 1 : 0, ReduceOp.Sum);
        if (world.Rank == 0)
        {
            foreach (string note in notes) Console.WriteLine($"check-sparse: {note}");
            Console.WriteLine(failedRanks == 0
                ? $"check-sparse: all {checks} checks passed on {world.Size} ranks"
                : $"check-sparse: FAILED on {failedRanks} of {world.Size} ranks");
        }
        return failedRanks == 0 ? 0 : 1;
    });
}
