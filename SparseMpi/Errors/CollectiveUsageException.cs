namespace SparseMpi.Errors;

/// <summary>An error every rank has agreed on; only the reporting rank prints it.</summary>
public sealed class CollectiveUsageException(string message, bool reporter, int exitCode = 1) : Exception(message)
{
    public bool Reporter { get; } = reporter;

    /// <summary>1 for a problem found while running; 2 for a refused command line, as before MPI starts.</summary>
    public int ExitCode { get; } = exitCode;
}
