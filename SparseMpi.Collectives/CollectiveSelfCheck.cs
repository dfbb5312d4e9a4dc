namespace SparseMpi.Collectives;

/// <summary>
/// Runs every collective of <see cref="Communicator"/> on the live communicator and compares each result with a
/// reference computed locally (all inputs are small integers, so float sums are exact in any order). Used by the
/// <c>check-mpi</c> verb and the integration tests under real mpiexec, and useful on a new cluster.
/// </summary>
public static class CollectiveSelfCheck
{
    /// <summary>Returns one line per failed check on this rank (empty when all passed) and the number of checks.</summary>
    public static (List<string> Failures, int Checks) Run(Communicator world)
    {
        var failures = new List<string>();
        int checks = 0;
        void Expect(bool ok, string what)
        {
            checks++;
            if (!ok) failures.Add($"rank {world.Rank}: {what}");
        }

        int p = world.Size, r = world.Rank;
        const int n = 1003; // not a multiple of any vector width or packet size

        // Allreduce sum/max/min of float, double, long; in place and out of place.
        foreach (ReduceOp op in new[] { ReduceOp.Sum, ReduceOp.Max, ReduceOp.Min })
        {
            var f = new float[n]; var d = new double[n]; var l = new long[n];
            var fExpect = new float[n]; var dExpect = new double[n]; var lExpect = new long[n];
            for (int i = 0; i < n; i++)
            {
                f[i] = Value(r, i); d[i] = Value(r, i); l[i] = (long)Value(r, i) * 1_000_000_007L;
                double e = Reduce(op, p, i);
                fExpect[i] = (float)e; dExpect[i] = e; lExpect[i] = (long)e * 1_000_000_007L;
            }
            var fOut = new float[n];
            world.Allreduce<float>(f, fOut, op);
            Expect(fOut.AsSpan().SequenceEqual(fExpect), $"Allreduce<float> {op} out of place");
            world.Allreduce<float>(f, op);
            Expect(f.AsSpan().SequenceEqual(fExpect), $"Allreduce<float> {op} in place");
            world.Allreduce<double>(d, op);
            Expect(d.AsSpan().SequenceEqual(dExpect), $"Allreduce<double> {op} in place");
            world.Allreduce<long>(l, op);
            Expect(l.AsSpan().SequenceEqual(lExpect), $"Allreduce<long> {op} in place");
        }
        Expect(world.Allreduce(1, ReduceOp.Sum) == p, "Allreduce of one int");

        // Broadcast from every root.
        for (int root = 0; root < p; root++)
        {
            var b = new double[n];
            if (r == root) for (int i = 0; i < n; i++) b[i] = Value(root, i);
            world.Broadcast<double>(b, root);
            bool ok = true;
            for (int i = 0; i < n; i++) ok &= b[i] == Value(root, i);
            Expect(ok, $"Broadcast<double> from root {root}");
        }

        // Allgather: rank blocks in rank order.
        var mine = new int[7];
        for (int i = 0; i < mine.Length; i++) mine[i] = r * 100 + i;
        var all = new int[7 * p];
        world.Allgather<int>(mine, all);
        bool gathered = true;
        for (int q = 0; q < p; q++) for (int i = 0; i < 7; i++) gathered &= all[q * 7 + i] == q * 100 + i;
        Expect(gathered, "Allgather<int>");

        // Allgatherv with different counts per rank, zero on rank 1, and gaps between the blocks.
        var counts = new int[p]; var displs = new int[p];
        int total = 0;
        for (int q = 0; q < p; q++) { counts[q] = q == 1 ? 0 : 3 + 5 * q; displs[q] = total + 2; total += counts[q] + 2; }
        var send = new float[counts[r]];
        for (int i = 0; i < send.Length; i++) send[i] = Value(r, i);
        var recv = new float[total];
        recv.AsSpan().Fill(-1f);
        world.Allgatherv<float>(send, recv, counts, displs);
        bool gv = true;
        for (int q = 0; q < p; q++)
        {
            for (int i = 0; i < counts[q]; i++) gv &= recv[displs[q] + i] == Value(q, i);
            gv &= recv[displs[q] - 1] == -1f && recv[displs[q] - 2] == -1f; // gaps untouched
        }
        Expect(gv, "Allgatherv<float> with a zero count and gaps");

        // Node-local communicator: its ranks are exactly the world ranks that report the same processor name.
        using (var local = world.SplitShared())
        {
            long nameHash = StableHash(world.Runtime.ProcessorName);
            var hashes = new long[p];
            world.Allgather<long>([nameHash], hashes);
            int sameNode = 0, below = 0;
            for (int q = 0; q < p; q++)
                if (hashes[q] == nameHash) { sameNode++; if (q < r) below++; }
            Expect(local.Size == sameNode, $"node-local size {local.Size} == ranks on this node {sameNode}");
            Expect(local.Rank == below, $"node-local rank {local.Rank} == {below}");
            local.Barrier();
        }

        world.Barrier();
        Expect(world.AllEqual(42) && (p == 1 || !world.AllEqual(r)), "AllEqual");
        return (failures, checks);
    }

    static float Value(int rank, int i) => (rank * 7 + i * 3) % 1000 - 250;

    static double Reduce(ReduceOp op, int p, int i)
    {
        double acc = op == ReduceOp.Sum ? 0 : Value(0, i);
        for (int q = 0; q < p; q++)
            acc = op switch { ReduceOp.Sum => acc + Value(q, i), ReduceOp.Max => Math.Max(acc, Value(q, i)), _ => Math.Min(acc, Value(q, i)) };
        return acc;
    }

    /// <summary>
    /// <see cref="Fnv1a.Hash(string)"/> as the signed word <see cref="Communicator.AllEqual"/> compares: stable
    /// across processes (string.GetHashCode is randomised per process).
    /// </summary>
    public static long StableHash(string s) => (long)Fnv1a.Hash(s);
}
