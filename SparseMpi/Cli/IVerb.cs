namespace SparseMpi.Cli;

/// <summary>
/// One verb of the program (train, bench-topk, ...). Options are CommandLineParser properties on the
/// implementing class. <see cref="Validate"/> runs before any MPI or torch work starts, so bad input is one
/// clear line and a non-zero exit on every rank, never a hang.
/// </summary>
public interface IVerb
{
    /// <summary>Null when the options are valid, else one line saying what is wrong.</summary>
    string? Validate();

    /// <summary>Runs the verb; returns the process exit code.</summary>
    int Run();
}

/// <summary>
/// A verb that runs under MPI (through <see cref="MpiSession"/>): its ranks meet in collectives, so a rank that
/// refuses its command line must still meet the others once (see Program.Main) instead of leaving them waiting.
/// </summary>
public interface IMpiVerb : IVerb;
