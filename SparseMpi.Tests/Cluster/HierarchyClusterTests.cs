using SparseMpi.Tests.Support;

namespace SparseMpi.Tests.Cluster;

/// <summary>
/// <c>--hierarchy node</c> on real nodes: 2 emulated nodes x 2 ranks (scripts/cluster.sh), where the node split
/// comes from MPI_Comm_split_type (shared memory inside a node, TCP between them), so the leaders' exchange runs
/// between two nodes. Its own fixture, so that only this cluster is brought up for it.
/// </summary>
[TestFixture, Category("cluster"), NonParallelizable]
public class HierarchyClusterTests
{
    EmulatedCluster _twoByTwo = null!;

    [OneTimeSetUp]
    public void Up()
    {
        EmulatedCluster.SkipUnlessNamespacesCanBeMade();
        _twoByTwo = EmulatedCluster.Up(2, 2);
    }

    [OneTimeTearDown]
    public void Down()
    {
        string id = _twoByTwo?.Id ?? "";
        _twoByTwo?.Dispose();
        if (id != "") Assert.That(EmulatedCluster.NamespacesOf(id), Is.Empty, $"namespaces of cluster {id} left behind");
    }

    [Test]
    public void CheckSparseAndTrainingRunAmongTheLeadersOfTwoNodes()
    {
        var check = _twoByTwo.Mpiexec(Launcher.OpenMpi, 4, "check-sparse", timeoutSeconds: 300);
        Assert.That(check.ExitCode, Is.EqualTo(0), check.ToString());
        Assert.That(check.Stdout, Does.Contain("check-sparse: --hierarchy node: 2 node leaders of 4 ranks"), "one leader per real node");
        Assert.That(check.Stdout, Does.Match(@"check-sparse: all \d+ checks passed on 4 ranks"), check.ToString());

        using var run = new RunDirectory();
        var train = _twoByTwo.Mpiexec(Launcher.OpenMpi, 4,
            $"train --model mlp --max-steps 12 --batch-size 32 --compressor topk --density 0.01 --exchange ssar-rd --hierarchy node --out {run.Path}");
        Assert.That(train.ExitCode, Is.EqualTo(0), train.ToString()); // the program fails itself when ranks' parameters differ
        var summary = run.Summary();
        Assert.That((string)summary["configuration"]!, Does.EndWith(";exchange=ssar-rd;hierarchy=node"));
        Assert.That((int)summary["placement"]!["nodes"]!, Is.EqualTo(2));
        // Rank 0, a leader: the agreement round, the leaders' allgather of announcements, the two broadcasts to its node.
        Assert.That((double)summary["collectives_per_step"]!, Is.EqualTo(4.0));
    }

    [Test]
    public void AutoFitsAndChoosesAmongTheLeadersOfTwoNodes()
    {
        using var run = new RunDirectory();
        var train = _twoByTwo.Mpiexec(Launcher.OpenMpi, 4,
            $"train --model mlp --max-steps 12 --batch-size 32 --compressor topk --density 0.01 --exchange auto --hierarchy node --log-every 1 --out {run.Path}");
        Assert.That(train.ExitCode, Is.EqualTo(0), train.ToString()); // the program fails itself when ranks' parameters differ
        Assert.That(train.Stdout, Does.Contain("exchange cost (fitted, 2 ranks): allgather"), "the fit is the two leaders'");
        var summary = run.Summary();
        Assert.That((string)summary["configuration"]!, Does.EndWith(";exchange=auto;hierarchy=node"));
        Assert.That((int)summary["exchange_cost_fit_ranks"]!, Is.EqualTo(2));
        Assert.That((int)summary["placement"]!["nodes"]!, Is.EqualTo(2));
        foreach (string line in File.ReadAllLines(run["metrics.jsonl"]))
        {
            var record = System.Text.Json.Nodes.JsonNode.Parse(line)!;
            Assert.That((string)record["exchange"]!, Does.EndWith("/node"), line);
            Assert.That((double)record["predicted_comm_ms"]!, Is.GreaterThan(0), line);
        }
    }
}
