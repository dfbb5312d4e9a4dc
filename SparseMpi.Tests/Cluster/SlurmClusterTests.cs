using SparseMpi.Tests.Support;

namespace SparseMpi.Tests.Cluster;

/// <summary>
/// Slurm across nodes: scripts/slurm-cluster-test.sh starts slurmctld in the cluster's controller namespace and one
/// slurmd per node namespace (munge shared), submits jobs/train.sbatch with -N 2 under srun --mpi=pmix and under
/// mpiexec, and checks that each job's SLURM_JOB_NODELIST is node[1-2] and its summary places 2 ranks on each of
/// the 2 nodes with TCP between them. Skipped only where network namespaces cannot be made.
/// </summary>
[TestFixture, Category("cluster"), Category("slurm"), NonParallelizable]
public class SlurmClusterTests
{
    [Test]
    public void TrainSbatchRunsOnTwoNodesUnderSrunAndMpiexec()
    {
        EmulatedCluster.SkipUnlessNamespacesCanBeMade();
        var r = ScriptRunner.Bash(null, 900, "scripts/slurm-cluster-test.sh");
        foreach (string line in r.Stdout.Split('\n').Where(l => l.StartsWith("slurm-cluster-test: job ") || l.StartsWith("slurm-cluster-test: passed")))
            TestContext.Out.WriteLine(line);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Stdout, Does.Contain("(srun --ntasks=4 --mpi=pmix): COMPLETED on node[1-2], summary: 2 nodes x 2 ranks, tcp"));
        Assert.That(r.Stdout, Does.Contain("(mpiexec -n 4): COMPLETED on node[1-2], summary: 2 nodes x 2 ranks, tcp"));
    }
}
