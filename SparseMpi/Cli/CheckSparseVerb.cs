using CommandLine;
using SparseMpi.Collectives;
using SparseMpi.Collectives.Sparse;

namespace SparseMpi.Cli;

/// <summary>
/// <c>check-sparse</c> (hidden): runs the sparse and dense gradient exchanges on the live communicator over the
/// cases of <see cref="SparseSelfCheck"/> and compares every sum bitwise with a local reference. The integration
/// tests run it under Open MPI and MPICH with 1-4 ranks; on a new cluster it checks the wire format end to end.
/// </summary>
[Verb("check-sparse", Hidden = true, HelpText = "Diagnostic self-test of the sparse collectives (used by the tests; useful on a new cluster): every wire format and exchange against a local reference.")]
public sealed class CheckSparseVerb : IMpiVerb
{
    [Option("seed", Default = 1UL, HelpText = "Seed of the random cases.")]
    public ulong Seed { get; set; } = 1;

    public string? Validate() => null;

    public int Run() => MpiSession.Run(mpi =>
    {
        var world = mpi.World;
        Preflight.SameOnAllRanks(world, (long)Seed, "--seed");
        var (failures, checks) = SparseSelfCheck.Run(world, Seed);
        foreach (string f in failures) Console.Error.WriteLine($"check-sparse: FAILED {f}");
        Console.Error.Flush();
        int failedRanks = world.Allreduce(failures.Count > 0 ? 1 : 0, ReduceOp.Sum);
        if (world.Rank == 0)
            Console.WriteLine(failedRanks == 0
                ? $"check-sparse: all {checks} checks passed on {world.Size} ranks"
                : $"check-sparse: FAILED on {failedRanks} of {world.Size} ranks");
        return failedRanks == 0 ? 0 : 1;
    });
}
