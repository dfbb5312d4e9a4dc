namespace SparseMpi.Cli;

/// <summary>
/// What the launcher told this process before MPI is initialised: its world rank, read from the variables that
/// Open MPI's mpiexec, MPICH's Hydra, PMIx and Slurm set. Used so that errors found before MPI starts are
/// printed once (by rank 0), not once per rank.
/// </summary>
public static class LauncherEnvironment
{
    static readonly string[] RankVariables = ["OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "SLURM_PROCID"];

    /// <summary>True when a launcher (mpiexec, srun) started this process, so other ranks may be waiting for it.</summary>
    public static bool Launched => RankVariables.Any(name => Environment.GetEnvironmentVariable(name) != null);

    /// <summary>The world rank the launcher assigned, or 0 when started without one (a singleton).</summary>
    public static int Rank
    {
        get
        {
            foreach (string name in RankVariables)
                if (int.TryParse(Environment.GetEnvironmentVariable(name), out int rank)) return rank;
            return 0;
        }
    }

    /// <summary>
    /// The number of ranks the launcher started, where it says so (Open MPI's mpiexec: OMPI_COMM_WORLD_SIZE;
    /// MPICH's Hydra: PMI_SIZE); null when no launcher says.
    /// </summary>
    public static int? LaunchedSize
    {
        get
        {
            foreach (string name in (string[])["OMPI_COMM_WORLD_SIZE", "PMI_SIZE"])
                if (int.TryParse(Environment.GetEnvironmentVariable(name), out int size) && size > 0) return size;
            return null;
        }
    }

    /// <summary>
    /// Null when MPI_Init's world size is the launcher's; else one line. An MPI library that is not the launcher's
    /// (SPARSEMPI_MPI_LIB naming MPICH under Open MPI's mpiexec, or the reverse) does not fail: it starts every
    /// process as its own 1-rank job, and N such jobs would write the same run directory at once.
    /// </summary>
    public static string? WorldSizeProblem(int worldSize, string library)
    {
        if (LaunchedSize is not int launched || launched == worldSize) return null;
        return $"the launcher started {launched} ranks but MPI ({library}) sees {worldSize}: the MPI library is not the one " +
            "of the launcher (check SPARSEMPI_MPI_LIB and that mpiexec/srun belong to the same MPI)";
    }
}
