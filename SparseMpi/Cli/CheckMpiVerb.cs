using CommandLine;
using SparseMpi.Collectives;

namespace SparseMpi.Cli;

/// <summary>
/// <c>check-mpi</c>: runs every collective the program uses against a locally computed reference and reports the
/// MPI library, ranks and nodes. The first thing to run on a new cluster; also the MPI integration test.
/// </summary>
[Verb("check-mpi", HelpText = "Check the MPI binding: run every collective against a local reference and report the library.")]
public sealed class CheckMpiVerb : IMpiVerb
{
    public string? Validate() => null;

    public int Run() => MpiSession.Run(mpi =>
    {
        var world = mpi.World;
        var (failures, checks) = CollectiveSelfCheck.Run(world);
        foreach (string f in failures) Console.Error.WriteLine($"check-mpi: FAILED {f}");
        int failedRanks = world.Allreduce(failures.Count > 0 ? 1 : 0, ReduceOp.Sum);
        using var local = world.SplitShared();
        int nodes = world.Allreduce(local.Rank == 0 ? 1 : 0, ReduceOp.Sum);
        if (world.Rank == 0)
        {
            Console.WriteLine($"library: {mpi.LibraryName} ({mpi.Flavor}): {mpi.LibraryVersion}");
            Console.WriteLine($"ranks: {world.Size}, nodes: {nodes}, thread level: {mpi.ThreadLevel}");
            Console.WriteLine(failedRanks == 0
                ? $"check-mpi: all {checks} checks passed on {world.Size} ranks"
                : $"check-mpi: FAILED on {failedRanks} of {world.Size} ranks");
        }
        return failedRanks == 0 ? 0 : 1;
    });
}
