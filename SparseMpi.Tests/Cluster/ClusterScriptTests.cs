using System.Diagnostics;
using SparseMpi.Tests.Support;

namespace SparseMpi.Tests.Cluster;

/// <summary>
/// scripts/cluster.sh itself: shaped links measure at their set rate, clusters never collide, nothing is left
/// behind after a normal end, an interrupted run or a killed one, and a machine without the rights to make
/// namespaces gets one clear line (the exit code the cluster tests skip on).
/// </summary>
[TestFixture, Category("cluster"), NonParallelizable]
public class ClusterScriptTests
{
    [OneTimeSetUp]
    public void NeedsNamespaces() => EmulatedCluster.SkipUnlessNamespacesCanBeMade();

    [Test]
    public void AOneGigabitLinkMeasuresWithin15PercentOfItsRate()
    {
        using var cluster = EmulatedCluster.Up(2, 1, "1gbit");
        var r = ScriptRunner.Run(EmulatedCluster.Script, ["linkcheck"], new Dictionary<string, string> { ["SPARSEMPI_CLUSTER"] = cluster.Id }, 60);
        TestContext.Out.WriteLine(r.Stdout.Trim());
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Stdout, Does.Match(@"linkcheck: node1 -> node2 TCP [0-9.]+ Gb/s, set rate 1gbit \(1 Gb/s\): [0-9.]+ of the rate: ok"));
    }

    [Test]
    public void TwoClustersAtOnceHaveTheirOwnNamesAndHostnames()
    {
        using var a = EmulatedCluster.Up(2, 1);
        using var b = EmulatedCluster.Up(2, 1);
        Assert.That(a.Id, Is.Not.EqualTo(b.Id));
        Assert.That(EmulatedCluster.NamespacesOf(a.Id), Is.EquivalentTo(new[] { $"smc-{a.Id}-node1", $"smc-{a.Id}-node2", $"smc-{a.Id}-switch", $"smc-{a.Id}-ctl" }));
        Assert.That(EmulatedCluster.NamespacesOf(b.Id), Has.Length.EqualTo(4));
        // Node 2 of cluster a, reached through a's launch agent as mpiexec would, has its own hostname and address.
        var r = a.Run(["sh", "-c", $"{a.Directory}/agent -x node2 'hostname; ip -4 -o addr show dev eth0'"]);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Stdout, Does.StartWith("node2\n").And.Contain("10.199.0.2/24"));
        Assert.That(File.ReadAllText(a.OpenMpiHostfile), Is.EqualTo("node1 slots=1\nnode2 slots=1\n"));
        Assert.That(File.ReadAllText(a.MpichHostfile), Is.EqualTo("node1:1\nnode2:1\n"));
    }

    [Test]
    public void ASessionRemovesItsClusterWhenItsCommandFailsOrIsTerminated()
    {
        var failed = ScriptRunner.Run(EmulatedCluster.Script, ["session", "2", "--", "sh", "-c", "echo id=$SPARSEMPI_CLUSTER; exit 3"], timeoutSeconds: 60);
        Assert.That(failed.ExitCode, Is.EqualTo(3), failed.ToString());
        string id = failed.Stdout.Split('\n').Single(l => l.StartsWith("id="))[3..];
        Assert.That(EmulatedCluster.NamespacesOf(id), Is.Empty);
        Assert.That(Directory.Exists($"/tmp/sparsempi-cluster/{id}"), Is.False);

        // SIGTERM in the middle of the command (what a test runner's timeout sends): the trap removes everything.
        var (session, sid) = StartSession();
        Kill(session.Id, 15);
        Assert.That(session.WaitForExit(30_000), Is.True);
        Assert.That(EmulatedCluster.NamespacesOf(sid), Is.Empty);
    }

    [Test]
    public void DownRemovesTheLeftoversOfAKilledRun()
    {
        // SIGKILL leaves no chance for a trap: namespaces and state stay until the next up or down sweeps them.
        var (session, id) = StartSession();
        session.Kill(entireProcessTree: true); // SIGKILL to the session and its command, as when a test run is killed
        Assert.That(session.WaitForExit(30_000), Is.True);
        Assert.That(EmulatedCluster.NamespacesOf(id), Has.Length.EqualTo(4), "SIGKILL cannot run a trap: the cluster is still there");
        var down = ScriptRunner.Run(EmulatedCluster.Script, ["down"], timeoutSeconds: 60, unset: ["SPARSEMPI_CLUSTER"]);
        Assert.That(down.ExitCode, Is.EqualTo(0), down.ToString());
        Assert.That(down.Stdout, Does.Contain($"removing leftovers of dead run {id}"));
        Assert.That(EmulatedCluster.NamespacesOf(id), Is.Empty);
        Assert.That(Directory.Exists($"/tmp/sparsempi-cluster/{id}"), Is.False);
    }

    [Test]
    public void WithoutRootItRefusesWithOneLineAndTheSkipCode()
    {
        var psi = new ProcessStartInfo("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "--inh-caps=-all",
            EmulatedCluster.Script, "up", "2"]) { WorkingDirectory = "/" };
        var r = CapturedProcess.Run(psi, 30);
        Assert.That(r.ExitCode, Is.EqualTo(EmulatedCluster.NamespacesCannotBeMade), r.ToString());
        Assert.That(r.Stderr.Trim().Split('\n'), Has.Length.EqualTo(1), r.ToString());
        Assert.That(r.Stderr, Does.StartWith("cluster: error: cannot create network namespaces: needs root"));
    }

    [TestCase("up 0", "up: N must be a node count from 1 to 64"), TestCase("up 2 --rate 3gbit", "--rate must be 1gbit, 10gbit, 25gbit or none"),
     TestCase("up 2 --ranks-per-node x", "--ranks-per-node must be a positive integer"), TestCase("frobnicate", "unknown command 'frobnicate'")]
    public void BadArgumentsAreOneLine(string arguments, string message)
    {
        var r = ScriptRunner.Run(EmulatedCluster.Script, arguments.Split(' '), timeoutSeconds: 30);
        Assert.That(r.ExitCode, Is.EqualTo(2), r.ToString());
        Assert.That(r.Stderr.Trim(), Does.StartWith("cluster: error: ").And.Contain(message).And.Not.Contain("\n"));
    }

    /// <summary>A session running a long command; returns once its cluster is up.</summary>
    static (Process Session, string Id) StartSession()
    {
        var psi = new ProcessStartInfo(EmulatedCluster.Script, ["session", "2", "--", "sleep", "60"])
        { RedirectStandardOutput = true, WorkingDirectory = ScriptRunner.RepoRoot };
        var p = Process.Start(psi)!;
        string? line;
        while ((line = p.StandardOutput.ReadLine()) != null && !line.StartsWith("cluster: cluster ")) { }
        Assert.That(line, Is.Not.Null, "the session printed no cluster line");
        string id = line!.Split(' ')[2];
        Assert.That(EmulatedCluster.NamespacesOf(id), Has.Length.EqualTo(4));
        return (p, id);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")] static extern int Kill(int pid, int signal);
}
