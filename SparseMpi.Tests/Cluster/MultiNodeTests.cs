using System.Text.Json.Nodes;
using SparseMpi.Sparsification;
using SparseMpi.Tests.Support;
using SparseMpi.CostModels;
using SparseMpi.Training.Devices;

namespace SparseMpi.Tests.Cluster;

/// <summary>
/// The program on several nodes: a 4-node cluster with 1 rank per node and a 2-node cluster with 2 ranks per node
/// (scripts/cluster.sh, unshaped links: real TCP between namespaces, shared memory inside a node), launched by
/// Open MPI's and MPICH's mpiexec through the cluster's launch agent, exactly as on a cluster with ssh.
/// </summary>
[TestFixture, Category("cluster"), NonParallelizable]
public class MultiNodeTests
{
    EmulatedCluster _fourByOne = null!, _twoByTwo = null!;

    [OneTimeSetUp]
    public void Up()
    {
        EmulatedCluster.SkipUnlessNamespacesCanBeMade();
        _fourByOne = EmulatedCluster.Up(4, 1);
        _twoByTwo = EmulatedCluster.Up(2, 2);
    }

    [OneTimeTearDown]
    public void Down()
    {
        string[] ids = [_fourByOne?.Id ?? "", _twoByTwo?.Id ?? ""];
        _fourByOne?.Dispose();
        _twoByTwo?.Dispose();
        foreach (string id in ids.Where(i => i != ""))
            Assert.That(EmulatedCluster.NamespacesOf(id), Is.Empty, $"namespaces of cluster {id} left behind");
    }

    EmulatedCluster Shape(int nodes) => nodes == 4 ? _fourByOne : _twoByTwo;

    [TestCase(Launcher.OpenMpi, 4), TestCase(Launcher.OpenMpi, 2), TestCase(Launcher.Mpich, 4), TestCase(Launcher.Mpich, 2)]
    public void CheckMpiSeesTheNodesAndTheirLocalRanks(Launcher launcher, int nodes)
    {
        // check-mpi's self-check also compares each rank's node-local rank and node size with the ranks that
        // report the same processor name (CollectiveSelfCheck), so a wrong split fails it.
        var r = Shape(nodes).Mpiexec(launcher, 4, "check-mpi");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Stdout, Does.Contain($"ranks: 4, nodes: {nodes},"), r.ToString());
        Assert.That(r.Stdout, Does.Match(@"check-mpi: all \d+ checks passed on 4 ranks"), r.ToString());
        Assert.That(r.Stdout, Does.Contain(launcher == Launcher.Mpich ? "MPICH" : "Open MPI"));
    }

    // MPICH at 2 nodes x 2 ranks (TCP between the nodes, shared memory inside them); its 4-node case is left out:
    // under MPICH check-sparse busy-polls 4 ranks on 2 cores for 30 s, and 4 nodes of 1 rank adds no path that
    // Open MPI's 4-node case and MPICH's own check-mpi at 4 nodes do not already cross.
    [TestCase(Launcher.OpenMpi, 4), TestCase(Launcher.OpenMpi, 2), TestCase(Launcher.Mpich, 2)]
    public void CheckSparsePassesAcrossNodes(Launcher launcher, int nodes)
    {
        var r = Shape(nodes).Mpiexec(launcher, 4, "check-sparse");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Stdout, Does.Match(@"check-sparse: all \d+ checks passed on 4 ranks"), r.ToString());
    }

    static JsonNode Train(EmulatedCluster? cluster, Launcher launcher, RunDirectory run, string options, int steps = 12)
    {
        string arguments = $"train --model mlp --max-steps {steps} --batch-size 32 {options} --out {run.Path}";
        var r = cluster != null ? cluster.Mpiexec(launcher, 4, arguments) : ProgramRunner.Run(arguments, 4, launcher, timeoutSeconds: 120);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        return run.Summary();
    }

    readonly Dictionary<string, JsonNode> _oneNode = [];

    /// <summary>The same run on 4 ranks of one node (Open MPI, shared memory), once per option set: the sparse
    /// exchange's sum does not depend on the library either, so MPICH's 2-node run is compared with it too.</summary>
    JsonNode OneNode(string options)
    {
        if (_oneNode.TryGetValue(options, out var done)) return done;
        using var run = new RunDirectory();
        return _oneNode[options] = Train(null, Launcher.OpenMpi, run, options);
    }

    readonly Dictionary<(Launcher, string), JsonNode> _twoNodes = [];

    /// <summary>The run on 2 nodes x 2 ranks, once per launcher and option set (the device test reads its placement too).</summary>
    JsonNode TwoNodes(Launcher launcher, string options)
    {
        if (_twoNodes.TryGetValue((launcher, options), out var done)) return done;
        using var run = new RunDirectory();
        return _twoNodes[(launcher, options)] = Train(_twoByTwo, launcher, run, options);
    }

    [TestCase(Launcher.OpenMpi, "--compressor none"), TestCase(Launcher.OpenMpi, "--compressor topk --density 0.01 --device auto"),
     TestCase(Launcher.Mpich, "--compressor topk --density 0.01 --device auto")]
    public void TrainingOnTwoNodesEndsWithTheSameParametersAsOnOne(Launcher launcher, string options)
    {
        var single = OneNode(options);
        var multi = TwoNodes(launcher, options);
        Assert.That((string)multi["parameter_hash"]!, Is.EqualTo((string)single["parameter_hash"]!),
            "the math must not depend on the placement of the ranks");

        var p = multi["placement"]!;
        Assert.That((int)p["nodes"]!, Is.EqualTo(2));
        Assert.That(p["ranks_per_node"]!.AsArray().Select(n => (int)n!), Is.EqualTo(new[] { 2, 2 }));
        Assert.That(p["hosts"]!.AsArray().Select(n => (string)n!), Is.EqualTo(new[] { "node1", "node2" }));
        Assert.That((string)p["transport_between_nodes"]!, Is.EqualTo("tcp"), p.ToJsonString());
        Assert.That((long)p["tcp_connections_between_nodes"]!, Is.GreaterThan(0));
        Assert.That((string?)p["emulated_cluster"], Does.Contain($"netns cluster {_twoByTwo.Id}: 2 nodes x 2 ranks"));
        var s = single["placement"]!;
        Assert.That((int)s["nodes"]!, Is.EqualTo(1));
        Assert.That(s["ranks_per_node"]!.AsArray().Select(n => (int)n!), Is.EqualTo(new[] { 4 }));
        Assert.That((string)s["transport_between_nodes"]!, Is.EqualTo("none (one node)"));
        Assert.That((long)s["tcp_connections_between_nodes"]!, Is.EqualTo(0));
        Assert.That(s["emulated_cluster"], Is.Null);
    }

    [Test]
    public void DeviceAutoMapsTheRealNodeLocalRanksOfATwoNodeRunToOneGpuEach()
    {
        // The --device auto run of the placement-independence test (made here if that test has not run).
        var summary = TwoNodes(Launcher.OpenMpi, "--compressor topk --density 0.01 --device auto");
        Assert.That((string)summary["device"]!, Is.EqualTo("cpu"));
        var ranks = summary["placement"]!["ranks"]!.AsArray();
        Assert.That(ranks.Select(r => ((string)r!["host"]!, (int)r["local_rank"]!)),
            Is.EqualTo(new[] { ("node1", 0), ("node1", 1), ("node2", 0), ("node2", 1) }), "by-slot placement, node-local ranks from MPI");
        foreach (var r in ranks)
        {
            int local = (int)r!["local_rank"]!;
            // What each rank chose here, without CUDA, is the CPU; the same node-local ranks on nodes with 2 GPUs
            // give each rank of a node its own GPU, and on 1-GPU nodes they share it.
            Assert.That((string)r["device"]!, Is.EqualTo(DeviceSelector.Choose(local, cudaAvailable: false, deviceCount: 0)));
            Assert.That(DeviceSelector.Choose(local, cudaAvailable: true, deviceCount: 2), Is.EqualTo($"cuda:{local}"));
            Assert.That(DeviceSelector.Choose(local, cudaAvailable: true, deviceCount: 1), Is.EqualTo("cuda:0"));
        }
        var perNode = ranks.GroupBy(r => (string)r!["host"]!)
            .Select(g => g.Select(r => DeviceSelector.Choose((int)r!["local_rank"]!, true, 2)).ToArray()).ToArray();
        Assert.That(perNode, Has.Length.EqualTo(2));
        foreach (string[] devices in perNode) Assert.That(devices, Is.Unique.And.EquivalentTo(new[] { "cuda:0", "cuda:1" }));
    }

    [TestCase(Launcher.OpenMpi), TestCase(Launcher.Mpich)]
    public void HogwildAcrossTwoNodesIsRefusedWithOneLineBeforeAnyWork(Launcher launcher)
    {
        using var run = new RunDirectory();
        string outDir = run["hogwild"];
        var r = _twoByTwo.Mpiexec(launcher, 4, $"hogwild --updates 100 --out {outDir}");
        Assert.That(r.ExitCode, Is.Not.EqualTo(0), r.ToString());
        string[] errors = (r.Stdout + r.Stderr).Split('\n').Where(l => l.Contains("sparsempi: error:")).ToArray();
        Assert.That(errors, Has.Length.EqualTo(1), r.ToString());
        Assert.That(errors[0], Does.Contain("hogwild runs on one node: 4 ranks on 2 nodes (this node has 2); use train for multi-node"));
        Assert.That(r.Stdout, Does.Not.Contain("hogwild: mlp"), "no work started");
        Assert.That(File.Exists(Path.Combine(outDir, "summary.json")), Is.False);
    }

    [Test]
    public void HogwildOnOneNodeOfTheClusterRecordsItsPlacement()
    {
        // 2 ranks fill node1's 2 slots: one node, shared memory, so hogwild runs and says where.
        using var run = new RunDirectory();
        var r = _twoByTwo.Mpiexec(Launcher.OpenMpi, 2, $"hogwild --toy-gradient --updates 200 --compressor none --out {run.Path}");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        var p = run.Summary()["placement"]!;
        Assert.That((int)p["nodes"]!, Is.EqualTo(1));
        Assert.That(p["ranks_per_node"]!.AsArray().Select(n => (int)n!), Is.EqualTo(new[] { 2 }));
        Assert.That(p["hosts"]!.AsArray().Select(n => (string)n!), Is.EqualTo(new[] { "node1" }));
        Assert.That((string)p["transport_between_nodes"]!, Is.EqualTo("none (one node)"));
        Assert.That((string?)p["emulated_cluster"], Does.Contain(_twoByTwo.Id));
        Assert.That((string)p["mpi_transport_settings"]!, Does.Contain("OMPI_MCA_btl=tcp,self,vader"));
    }

    [Test]
    public void MakeRunWithTheGeneratedHostfileSpansTheNodes()
    {
        using var run = new RunDirectory();
        // `make run` builds first; the test suite runs on a finished build, so the build step is taken as done.
        var r = _fourByOne.Run(["make", "-o", "build", "run", $"HOSTFILE={_fourByOne.OpenMpiHostfile}", "RANKS=4",
            $"OUT={run.Path}", "ARGS=--model logreg --max-steps 6"], 180);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Stdout, Does.Contain($"--hostfile {_fourByOne.OpenMpiHostfile}"), "make run passed the hostfile on");
        var p = run.Summary()["placement"]!;
        Assert.That((int)p["nodes"]!, Is.EqualTo(4));
        Assert.That(p["hosts"]!.AsArray().Select(n => (string)n!), Is.EqualTo(new[] { "node1", "node2", "node3", "node4" }));
        Assert.That((string)p["transport_between_nodes"]!, Is.EqualTo("tcp"));
    }
}
