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
}
