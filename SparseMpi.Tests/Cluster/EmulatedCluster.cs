using System.Diagnostics;
using System.Text.RegularExpressions;
using SparseMpi.Tests.Support;

namespace SparseMpi.Tests.Cluster;

/// <summary>
/// A cluster of network namespaces made by scripts/cluster.sh for one fixture, owned by the test process: if the
/// test run is killed, the next `cluster.sh up` or `down` removes what is left. Where namespaces cannot be made
/// (not root, no CAP_NET_ADMIN), <see cref="Up"/> marks the test as skipped with the script's one-line reason;
/// any other failure fails the test.
/// </summary>
public sealed partial class EmulatedCluster : IDisposable
{
    public static readonly string Script = Path.Combine(ScriptRunner.RepoRoot, "scripts", "cluster.sh");
    public const int NamespacesCannotBeMade = 77;

    public string Id { get; }
    public int Nodes { get; }
    public int RanksPerNode { get; }
    public string Directory => $"/tmp/sparsempi-cluster/{Id}";
    public string OpenMpiHostfile => System.IO.Path.Combine(Directory, "hostfile.openmpi");
    public string MpichHostfile => System.IO.Path.Combine(Directory, "hostfile.mpich");

    EmulatedCluster(string id, int nodes, int ranksPerNode) { Id = id; Nodes = nodes; RanksPerNode = ranksPerNode; }

    /// <summary>Skips the calling test (or fixture) when this machine cannot make network namespaces.</summary>
    public static void SkipUnlessNamespacesCanBeMade()
    {
        var r = ScriptRunner.Run(Script, ["check"], timeoutSeconds: 30);
        if (r.ExitCode == NamespacesCannotBeMade) Assert.Ignore(r.Stderr.Trim());
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
    }

    public static EmulatedCluster Up(int nodes, int ranksPerNode, string rate = "none")
    {
        var r = ScriptRunner.Run(Script, ["up", $"{nodes}", "--ranks-per-node", $"{ranksPerNode}", "--rate", rate,
            "--owner", $"{Environment.ProcessId}"], timeoutSeconds: 60);
        if (r.ExitCode == NamespacesCannotBeMade) Assert.Ignore(r.Stderr.Trim());
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        var m = UpLine().Match(r.Stdout);
        Assert.That(m.Success, Is.True, r.ToString());
        return new EmulatedCluster(m.Groups[1].Value, nodes, ranksPerNode);
    }

    [GeneratedRegex(@"^cluster: cluster ([0-9a-f]{6}) up", RegexOptions.Multiline)]
    private static partial Regex UpLine();

    /// <summary>Runs <paramref name="argv"/> on node 1 with the cluster's launcher settings (cluster.sh run).</summary>
    public RunResult Run(IEnumerable<string> argv, int timeoutSeconds = 120, IDictionary<string, string>? env = null)
    {
        var e = new Dictionary<string, string> { ["SPARSEMPI_CLUSTER"] = Id };
        if (env != null) foreach (var kv in env) e[kv.Key] = kv.Value;
        return ScriptRunner.Run(Script, ["run", "--", .. argv], e, timeoutSeconds);
    }

    /// <summary>The program under a launcher spanning the cluster: Open MPI's mpiexec or MPICH's.</summary>
    public RunResult Mpiexec(Launcher launcher, int ranks, string arguments, int timeoutSeconds = 120)
    {
        string mpiexec = launcher == Launcher.Mpich ? "mpiexec.mpich" : "mpiexec.openmpi";
        return Run([mpiexec, "-n", $"{ranks}", ProgramRunner.ProgramPath, .. arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries)], timeoutSeconds);
    }

    public void Dispose()
    {
        var r = ScriptRunner.Run(Script, ["down", Id], timeoutSeconds: 60);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
    }

    /// <summary>The names of the network namespaces that exist now.</summary>
    public static string[] Namespaces()
    {
        var psi = new ProcessStartInfo("ip", "netns list");
        var r = CapturedProcess.Run(psi, 30);
        return r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')[0]).ToArray();
    }

    public static string[] NamespacesOf(string id) => Namespaces().Where(n => n.StartsWith($"smc-{id}-")).ToArray();
}
