using System.Globalization;
using System.Text;
using SparseMpi.Collectives;

namespace SparseMpi.Training;

/// <summary>Where one rank ran: its node (MPI processor name), its rank on that node, and its device.</summary>
public sealed record RankPlacement(int Rank, string Host, int LocalRank, string Device);

/// <summary>
/// Where a run's ranks ran and how bytes moved between its nodes, recorded in summary.json so that results from
/// an emulated cluster (scripts/cluster.sh), a real cluster and one node are never confused.
/// </summary>
/// <param name="Nodes">Distinct nodes (shared-memory domains, <c>MPI_Comm_split_type(SHARED)</c>).</param>
/// <param name="RanksPerNode">Ranks of each node, the nodes in the order of their lowest world rank.</param>
/// <param name="Hosts">The processor name of each node, same order.</param>
/// <param name="TransportBetweenNodes">"none (one node)"; "tcp" when ranks held TCP connections to ranks on
/// other hosts at the end of the run (seen in /proc); else "not tcp" (RDMA or another network MPI chose).</param>
/// <param name="TcpConnectionsBetweenNodes">Established TCP connections of the ranks to other hosts, summed over ranks.</param>
/// <param name="MpiTransportSettings">The library's transport selection as configured for this run (Open MPI's
/// OMPI_MCA_pml/btl/..., MPICH's device and UCX/FI settings), or "library defaults".</param>
/// <param name="EmulatedCluster">scripts/cluster.sh's description (nodes, link rate) when the run was on an emulated
/// cluster (its SPARSEMPI_EMULATED_CLUSTER variable), else null.</param>
public sealed record RunPlacement(int Nodes, int[] RanksPerNode, string[] Hosts, string TransportBetweenNodes,
    long TcpConnectionsBetweenNodes, string MpiTransportSettings, string? EmulatedCluster, RankPlacement[] Ranks)
{
    const int NameBytes = 256, DeviceBytes = 32;

    /// <summary>Collective: every rank calls it; all ranks get the same placement. <paramref name="device"/> is this rank's device.</summary>
    public static RunPlacement Gather(MpiRuntime mpi, string device, Func<string, string?>? getEnv = null)
    {
        getEnv ??= Environment.GetEnvironmentVariable;
        Communicator world = mpi.World;
        int localRank;
        using (Communicator node = world.SplitShared()) localRank = node.Rank;

        int p = world.Size;
        var mine = new byte[NameBytes + DeviceBytes];
        Encode(mpi.ProcessorName, mine.AsSpan(0, NameBytes));
        Encode(device, mine.AsSpan(NameBytes, DeviceBytes));
        var all = new byte[mine.Length * p];
        world.Allgather<byte>(mine, all);
        var locals = new int[p];
        world.Allgather<int>([localRank], locals);
        long tcp = world.Allreduce(TcpConnectionsToOtherHosts(), ReduceOp.Sum);

        var ranks = new RankPlacement[p];
        var hosts = new List<string>();
        var counts = new List<int>();
        for (int r = 0; r < p; r++)
        {
            string host = Decode(all.AsSpan(r * mine.Length, NameBytes));
            ranks[r] = new RankPlacement(r, host, locals[r], Decode(all.AsSpan(r * mine.Length + NameBytes, DeviceBytes)));
            // A node is the group of ranks with node-local rank 0..n-1 in one shared-memory domain; its name is the
            // processor name of its ranks (distinct per node on a cluster, and per namespace node on ours).
            int at = hosts.IndexOf(host);
            if (at < 0) { hosts.Add(host); counts.Add(1); } else counts[at]++;
        }
        int nodes = world.Allreduce(localRank == 0 ? 1 : 0, ReduceOp.Sum);
        string transport = nodes == 1 ? "none (one node)" : tcp > 0 ? "tcp" : "not tcp";
        return new RunPlacement(nodes, counts.ToArray(), hosts.ToArray(), transport, tcp, TransportSettings(mpi, getEnv),
            getEnv("SPARSEMPI_EMULATED_CLUSTER") is { Length: > 0 } e ? e : null, ranks);
    }

    /// <summary>The transport selection of the MPI library as this run configured it (environment and library version).</summary>
    public static string TransportSettings(MpiRuntime mpi, Func<string, string?> getEnv)
    {
        var parts = new List<string>();
        string[] names = mpi.Flavor == SparseMpi.Collectives.Native.MpiFlavor.OpenMpi
            ? ["OMPI_MCA_pml", "OMPI_MCA_btl", "OMPI_MCA_mtl", "OMPI_MCA_btl_tcp_if_include", "OMPI_MCA_mpi_yield_when_idle", "UCX_TLS", "UCX_NET_DEVICES"]
            : ["MPIR_CVAR_CH4_NETMOD", "MPIR_CVAR_NEMESIS_NETMOD", "UCX_TLS", "UCX_NET_DEVICES", "FI_PROVIDER"];
        if (mpi.Flavor != SparseMpi.Collectives.Native.MpiFlavor.OpenMpi)
        {
            // MPICH's version string names its device, e.g. "MPICH Device: ch4:ucx".
            int at = mpi.LibraryVersion.IndexOf("Device:", StringComparison.Ordinal);
            if (at >= 0) parts.Add("device " + mpi.LibraryVersion[(at + 7)..].TrimStart().Split('\n', '\t')[0].Trim());
        }
        foreach (string n in names)
            if (getEnv(n) is { Length: > 0 } v) parts.Add($"{n}={v}");
        return parts.Count > 0 ? string.Join(", ", parts) : "library defaults";
    }

    /// <summary>
    /// Established TCP connections of this process whose peer is another host (not loopback, not one of the
    /// socket's own addresses): the MPI library's connections to ranks on other nodes, since Open MPI and
    /// MPICH reach their local launcher daemon over UNIX sockets. 0 where /proc cannot be read.
    /// </summary>
    public static long TcpConnectionsToOtherHosts()
    {
        try
        {
            var inodes = new HashSet<string>();
            foreach (string fd in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
            {
                string? target;
                try { target = new FileInfo(fd).LinkTarget; } catch (IOException) { continue; } catch (UnauthorizedAccessException) { continue; }
                if (target != null && target.StartsWith("socket:[", StringComparison.Ordinal)) inodes.Add(target[8..^1]);
            }
            long count = 0;
            foreach (string file in new[] { "/proc/self/net/tcp", "/proc/self/net/tcp6" })
            {
                if (!File.Exists(file)) continue;
                foreach (string line in File.ReadLines(file).Skip(1))
                    if (ParseEstablished(line) is var (local, remote, inode) && inodes.Contains(inode) && IsOtherHost(local, remote)) count++;
            }
            return count;
        }
        catch (IOException) { return 0; }
        catch (UnauthorizedAccessException) { return 0; }
    }

    /// <summary>(local address, remote address, inode) of an ESTABLISHED line of /proc/net/tcp[6], addresses as hex without the port.</summary>
    public static (string Local, string Remote, string Inode)? ParseEstablished(string line)
    {
        string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (f.Length < 10 || f[3] != "01") return null; // 01 = TCP_ESTABLISHED
        return (f[1].Split(':')[0], f[2].Split(':')[0], f[9]);
    }

    static bool IsOtherHost(string localHex, string remoteHex)
    {
        if (localHex == remoteHex) return false;
        if (remoteHex.Length == 8) return (uint.Parse(remoteHex, NumberStyles.HexNumber) & 0xFF) != 127; // little-endian: first octet last
        // IPv6: ::1, or an IPv4-mapped loopback (::ffff:127.x.x.x)
        return remoteHex != "00000000000000000000000001000000" && !(remoteHex.StartsWith("0000000000000000FFFF0000", StringComparison.Ordinal) && remoteHex.EndsWith("7F", StringComparison.Ordinal));
    }

    static void Encode(string s, Span<byte> into)
    {
        into.Clear();
        byte[] b = Encoding.UTF8.GetBytes(s);
        b.AsSpan(0, Math.Min(b.Length, into.Length)).CopyTo(into);
    }

    static string Decode(ReadOnlySpan<byte> b)
    {
        int end = b.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? b : b[..end]);
    }
}
