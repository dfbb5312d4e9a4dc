using SparseMpi.Collectives;

namespace SparseMpi.Cli;

/// <summary>
/// Runs a verb's body between MPI_Init and MPI_Finalize with the program's error policy:
/// <list type="bullet">
/// <item>a <see cref="CollectiveUsageException"/> (every rank knows about it, see <see cref="Preflight"/>) ends all
/// ranks cleanly with one line from the rank that found it and exit code 1;</item>
/// <item>any other exception may have hit one rank only while the others wait in a collective: that rank
/// prints one line and calls MPI_Abort, so the job ends instead of hanging.</item>
/// </list>
/// </summary>
public static class MpiSession
{
    /// <summary>The verb this process runs (set by Program before any MPI work): ranks check they all run the same.</summary>
    public static string Verb { get; set; } = "";

    /// <summary>Every option of that verb as parsed (set by Program): ranks check they were all given the same (<see cref="OptionAgreement"/>).</summary>
    public static IReadOnlyList<(string Name, string Value)> Options { get; set; } = [];

    public static int Run(Func<MpiRuntime, int> body) => Run(body, commandLineProblem: null);

    /// <summary>
    /// For a rank whose command line was refused when a launcher started it: join the others' first collective
    /// (see <see cref="OptionAgreement.Check"/>) so that every rank stops together with this rank's one line,
    /// instead of the others waiting for it in MPI_Init. Falls back to one line from rank 0 if MPI cannot start.
    /// </summary>
    public static int Refuse(string problem)
    {
        int code = Run(_ => 0, problem);
        return code == InitFailed ? (LauncherEnvironment.Rank == 0 ? PrintRefusal(problem) : 2) : code;
    }

    const int InitFailed = -1;

    static int PrintRefusal(string problem)
    {
        Console.Error.WriteLine($"sparsempi: error: {problem}");
        return 2;
    }

    static int Run(Func<MpiRuntime, int> body, string? commandLineProblem)
    {
        MpiRuntime mpi;
        try
        {
            mpi = MpiRuntime.Initialize();
        }
        catch (Exception e) when (e is MpiLibraryNotFoundException or MpiException)
        {
            // As for bad options (see Program.Main): one line from rank 0, which alone fails the job.
            if (commandLineProblem != null) return InitFailed;
            if (LauncherEnvironment.Rank != 0) return 0;
            Console.Error.WriteLine($"sparsempi: error: {e.Message}");
            return 1;
        }

        // Before any collective or output: processes that are each their own 1-rank world would not meet.
        if (LauncherEnvironment.WorldSizeProblem(mpi.World.Size, mpi.LibraryName) is string mismatch)
        {
            if (LauncherEnvironment.Rank == 0) Console.Error.WriteLine($"sparsempi: error: {mismatch}");
            mpi.Dispose();
            return commandLineProblem != null ? 2 : 1;
        }

        int code;
        try
        {
            OptionAgreement.Check(mpi.World, Verb, commandLineProblem, Options);
            code = body(mpi);
        }
        catch (CollectiveUsageException e)
        {
            if (e.Reporter) Console.Error.WriteLine($"sparsempi: error: {e.Message}");
            code = e.ExitCode;
        }
        catch (Exception e)
        {
            // A write only rank 0 does (metrics, summary, TensorBoard) failing on a full disk or a quota: the
            // user's problem, so one error line without a stack trace, once per job (only that rank writes).
            if (e is IOException or UnauthorizedAccessException)
                Console.Error.WriteLine($"sparsempi: error: cannot write results (rank {mpi.World.Rank}): {e.Message}");
            else
            {
                string what = e is UsageException or MpiException ? e.Message : e.ToString();
                Console.Error.WriteLine($"sparsempi: error on rank {mpi.World.Rank}: {what}");
            }
            Console.Error.Flush();
            mpi.World.Abort(1);
            return 1;
        }
        mpi.Dispose();
        return code;
    }
}
