using System.Diagnostics;

namespace SparseMpi.Collectives.Sparse;

/// <summary>
/// Ok-Topk (Li and Hoefler, PPoPP'22): a sparse allreduce that applies only a <b>global top-k</b> of the sum, not
/// the whole sum of the ranks' selections. One step:
/// <list type="number">
/// <item><b>Balanced regions</b>: every <see cref="RepartitionPeriod"/> steps (and on the first) the index space is
/// re-cut so that each owner's region holds about 1/P of the selected entries (<see cref="BalancedRegions"/>; one
/// MPI_Allreduce of P-1 longs); in between the regions are kept.</item>
/// <item><b>Split and reduce</b>: each rank sends each region's pairs to its owner (one MPI_Allgather of the P×P
/// counts, which also gives every rank every rank's count, one MPI_Alltoallv of (index, value bits) packed as
/// long); the owner sums them in rank order, as ssar-split does.</item>
/// <item><b>Global threshold</b>: on every <see cref="RefreshPeriod"/>-th step the exact k-th largest magnitude
/// of the reduced sum (<see cref="GlobalRadixSelect"/>; ties at it go to the lowest indices, as the exact local
/// top-k breaks them), so exactly k entries survive; in between the last threshold is re-used and adjusted after
/// the step when the survivors fall below 2k/3 (<see cref="ThresholdBand"/>). A re-used threshold that would let
/// more than 4k/3 through is replaced by the exact one on that step (one more count round and the radix select),
/// which keeps the bound below and the count in its band from above.</item>
/// <item><b>Gather</b>: each owner's survivors, ascending, in one MPI_Allgatherv: every rank writes the same
/// (index, value) list into the sum (<see cref="IGradientExchange.WroteAll"/> false, Touched = Applied).</item>
/// </list>
/// k is the <b>largest</b> announcement (each rank announces its k, <see cref="IGlobalTopKExchange.TargetK"/>): with
/// the fixed k schedule every rank announces the same, and the largest never starves a rank of its share. Every
/// decision (threshold, boundaries, survivors) is made from integers or bits every rank holds identically, so the
/// result is bitwise identical on every rank. With the local selection capped at 4k/3
/// (<c>ReusedThresholdSelector</c>) and at most 4k/3 survivors, a rank sends at most 4k/3·(P-1)/P pairs in the
/// reduce (balanced regions) and receives at most 4k/3·(P-1)/P pairs in the gather: within Ok-Topk's 6k(P-1)/P
/// words, independent of P. Besides: the P×P counts, and on exact steps the radix select's 4 allreduces of 1 KiB. The owner's slice is
/// d floats and d ints per rank (its region moves with the repartition), allocated once.
/// </summary>
public sealed class OkTopkExchange : IGlobalTopKExchange
{
    public const int DefaultRefreshPeriod = 32;
    public const int DefaultRepartitionPeriod = 64;

    readonly Communicator _comm;
    readonly int[] _rangeStart;              // P + 1 region boundaries
    readonly long[] _proposal;               // P - 1 proposed inner boundaries
    readonly int[] _sendCounts, _sendOffsets, _receiveCounts, _receiveOffsets, _countMatrix, _rankCounts, _gatherCounts, _gatherOffsets;
    readonly OwnerReduce _reduce;            // the reduced sum at this rank's region, at the global index (the region moves)
    readonly GlobalRadixSelect _radix = new();
    GrowableBuffer<long> _pairs, _received, _gatherSend, _gatherReceive;
    GrowableBuffer<int> _packedIndices, _keys, _survivors, _ties, _applied, _scratch;
    GrowableBuffer<float> _passed;
    int _packedCount, _appliedCount, _globalKey;
    long _step;
    bool _lastExact;

    public OkTopkExchange(Communicator comm, int d, int refreshPeriod = DefaultRefreshPeriod, int repartitionPeriod = DefaultRepartitionPeriod)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(d);
        ArgumentOutOfRangeException.ThrowIfLessThan(refreshPeriod, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(repartitionPeriod, 1);
        _comm = comm;
        Dimension = d;
        RefreshPeriod = refreshPeriod;
        RepartitionPeriod = repartitionPeriod;
        int p = comm.Size;
        _rangeStart = new int[p + 1];
        BalancedRegions.Equal(d, _rangeStart);
        _proposal = new long[p - 1];
        _sendCounts = new int[p]; _sendOffsets = new int[p];
        _receiveCounts = new int[p]; _receiveOffsets = new int[p];
        _countMatrix = new int[p * p];
        _rankCounts = new int[p];
        _gatherCounts = new int[p]; _gatherOffsets = new int[p];
        _reduce = new OwnerReduce(d);
    }

    public string Name => "oktopk";
    public int Dimension { get; }
    public Communicator Communicator => _comm;
    public int RefreshPeriod { get; }
    public int RepartitionPeriod { get; }
    public ReadOnlySpan<int> RankCounts => _rankCounts;
    public bool WroteAll => false;
    public ReadOnlySpan<int> Touched => Applied;
    public ReadOnlySpan<int> Applied => _applied.Array.AsSpan(0, _appliedCount);
    public bool LastThresholdExact => _lastExact;
    public int TargetK { get; set; }

    /// <summary>The region boundaries in use (P + 1 starts), for tests and the self-check.</summary>
    public ReadOnlySpan<int> RegionStarts => _rangeStart;

    /// <summary>Exchanges done (the counter the refresh and repartition periods count).</summary>
    public long Steps => _step;

    /// <summary>Keeps the selection as (index, value bits) pairs; returns this rank's k (<see cref="TargetK"/>, or the selection's length).</summary>
    public int Pack(ReadOnlySpan<int> indices, ReadOnlySpan<float> values)
    {
        if (indices.Length != values.Length) throw new ArgumentException($"the selection has {indices.Length} indices but {values.Length} values");
        IndexCodec.CheckSelection(indices, Dimension);
        var pairs = _pairs.Get(indices.Length);
        for (int j = 0; j < indices.Length; j++) pairs[j] = OwnerReduce.Pair(indices[j], values[j]);
        indices.CopyTo(_packedIndices.Get(indices.Length));
        _packedCount = indices.Length;
        int announced = TargetK > 0 ? TargetK : indices.Length;
        TargetK = 0;
        return announced;
    }

    public ExchangeResult Exchange(ReadOnlySpan<int> announcements, Span<float> sum)
    {
        ExchangeChecks.Sum(sum, Dimension);
        ExchangeChecks.Announcements(announcements, _comm.Size);
        int k = 0;
        foreach (int a in announcements) k = Math.Max(k, a);
        int p = _comm.Size, rank = _comm.Rank;
        long start = Stopwatch.GetTimestamp();
        long sent = 0, received = 0;

        if (_step % RepartitionPeriod == 0 && p > 1)
        {
            BalancedRegions.Propose(_packedIndices.Array.AsSpan(0, _packedCount), Dimension, _proposal);
            _comm.Allreduce<long>(_proposal, ReduceOp.Sum);
            BalancedRegions.FromSums(_proposal, p, Dimension, _rangeStart);
            sent += RingModel.AllreduceBytes(p, 8L * (p - 1));
            received += RingModel.AllreduceBytes(p, 8L * (p - 1));
        }

        // Split and reduce: every region's pairs to its owner, summed there in rank order.
        OwnerReduce.Split(_packedIndices.Array.AsSpan(0, _packedCount), _rangeStart, _sendOffsets, _sendCounts);
        _comm.Allgather<int>(_sendCounts, _countMatrix);
        long total = 0, allPairs = 0;
        for (int r = 0; r < p; r++)
        {
            int row = 0;
            for (int q = 0; q < p; q++) row += _countMatrix[r * p + q];
            _rankCounts[r] = row;
            allPairs += row;
            _receiveCounts[r] = _countMatrix[r * p + rank];
            _receiveOffsets[r] = (int)total;
            total += _receiveCounts[r];
        }
        var pairsIn = _received.Get(total);
        _comm.Alltoallv<long>(_pairs.Array.AsSpan(0, _packedCount), _sendCounts, _sendOffsets, pairsIn, _receiveCounts, _receiveOffsets);
        // Rank order: the Alltoallv placed rank q's block before rank q + 1's. Slice positions are the indices.
        int n = _reduce.Sum(pairsIn, _rangeStart[rank], _rangeStart[rank + 1], 0, "region");
        if (p > 1)
        {
            sent += 8L * (_packedCount - _sendCounts[rank]) + 4L * p * (p - 1);
            received += 8L * (total - _receiveCounts[rank]) + 4L * p * (p - 1);
        }

        // The global threshold: re-used, unless this is a refresh step or re-use would let too many through.
        bool exact = _step % RefreshPeriod == 0;
        int survivors = 0;
        if (!exact)
        {
            survivors = PassThreshold(n, _globalKey);
            exact = ThresholdBand.IsAbove(GatherCounts(survivors, ref sent, ref received), k);
        }
        if (exact)
        {
            survivors = SelectExact(n, k, ref sent, ref received);
            GatherCounts(survivors, ref sent, ref received);
        }
        long applied = GatherSurvivors(survivors, n, sum, ref sent, ref received);
        if (!exact && k > 0)
            _globalKey = ThresholdBand.Adjusted(_globalKey, applied, k, _passed.Array.AsSpan(0, (int)applied), _scratch.Get(applied));
        _lastExact = exact;
        _step++;

        return new ExchangeResult
        {
            MessageBytes = 8L * _packedCount,
            BytesSent = sent,
            BytesReceived = received,
            TotalPairs = allPairs,
            CommunicateSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds,
        };
    }

    /// <summary>Lists the reduced entries whose magnitude reaches <paramref name="key"/> in _survivors.</summary>
    int PassThreshold(int n, int key)
    {
        var entries = _reduce.Entries(n);
        var slice = _reduce.Slice;
        var survivors = _survivors.Get(n);
        int s = 0;
        foreach (int i in entries)
            if (ThresholdBand.Key(slice[i]) >= key) survivors[s++] = i;
        return s;
    }

    /// <summary>Every owner's survivor count (one MPI_Allgather); returns their total.</summary>
    long GatherCounts(int mine, ref long sent, ref long received)
    {
        _comm.Allgather<int>([mine], _gatherCounts);
        sent += RingModel.AnnouncementBytes(_comm.Size);
        received += RingModel.AnnouncementBytes(_comm.Size);
        long total = 0;
        foreach (int c in _gatherCounts) total += c;
        return total;
    }

    /// <summary>
    /// The exact global top-k of the reduced sum: the k-th largest magnitude T by the distributed radix select;
    /// every entry above T survives, and of those equal to T the lowest indices (owners ascend with the rank, so
    /// the ranks below take theirs first). Learns T as the threshold to re-use.
    /// </summary>
    int SelectExact(int n, int k, ref long sent, ref long received)
    {
        var entries = _reduce.Entries(n);
        var slice = _reduce.Slice;
        var survivors = _survivors.Get(n);
        int p = _comm.Size;
        long total = _comm.Allreduce((long)n, ReduceOp.Sum);
        sent += RingModel.AllreduceBytes(p, 8); received += RingModel.AllreduceBytes(p, 8);
        if (k == 0) return 0; // no rank selected anything: nothing to apply, and nothing to learn the threshold from
        if (total <= k)
        {
            entries.CopyTo(survivors);
            _globalKey = 0; // everything passed: the next step lets everything through until the band says otherwise
            return n;
        }
        var keys = _keys.Get(n);
        for (int j = 0; j < n; j++) keys[j] = ThresholdBand.Key(slice[entries[j]]);
        int threshold = _radix.Select(_comm, keys, k, out long tiesToTake);
        sent += GlobalRadixSelect.BytesPerSelect(p); received += GlobalRadixSelect.BytesPerSelect(p);
        int s = 0, tieCount = 0;
        var ties = _ties.Get(n);
        for (int j = 0; j < n; j++)
        {
            if (keys[j] > threshold) survivors[s++] = entries[j];
            else if (keys[j] == threshold) ties[tieCount++] = entries[j];
        }
        _comm.Allgather<int>([tieCount], _gatherCounts);
        sent += RingModel.AnnouncementBytes(p); received += RingModel.AnnouncementBytes(p);
        long before = 0;
        for (int q = 0; q < _comm.Rank; q++) before += _gatherCounts[q];
        int take = (int)Math.Clamp(tiesToTake - before, 0, tieCount);
        var mine = ties[..tieCount];
        mine.Sort();
        mine[..take].CopyTo(survivors[s..]);
        _globalKey = threshold;
        return s + take;
    }

    /// <summary>
    /// Allgathers every owner's survivors (ascending) after <see cref="GatherCounts"/>; writes them into the sum and
    /// Applied, clears the slice; returns how many survived in all.
    /// </summary>
    long GatherSurvivors(int mine, int n, Span<float> sum, ref long sent, ref long received)
    {
        int p = _comm.Size, rank = _comm.Rank;
        var local = _survivors.Array.AsSpan(0, mine);
        var slice = _reduce.Slice;
        local.Sort();
        var send = _gatherSend.Get(mine);
        for (int j = 0; j < mine; j++) send[j] = OwnerReduce.Pair(local[j], slice[local[j]]);
        _reduce.Clear(n);

        long total = 0;
        for (int q = 0; q < p; q++) { _gatherOffsets[q] = (int)total; total += _gatherCounts[q]; }
        var all = _gatherReceive.Get(total);
        _comm.Allgatherv<long>(send, all, _gatherCounts, _gatherOffsets);

        var applied = _applied.Get(total);
        var passed = _passed.Get(total);
        int previous = -1;
        for (int j = 0; j < all.Length; j++)
        {
            var (index, value) = OwnerReduce.Unpair(all[j]);
            // Owners' regions ascend with the rank and each sorted its survivors: the whole list ascends.
            if (index <= previous || index >= Dimension) throw new MalformedMessageException($"survivor {index} out of order or outside 0..{Dimension - 1}");
            previous = index;
            sum[index] = value;
            applied[j] = index;
            passed[j] = value;
        }
        _appliedCount = (int)total;
        if (p > 1)
        {
            received += 8L * (total - mine);
            sent += 8L * (total - _gatherCounts[(rank + 1) % p]);
        }
        return total;
    }

    public void ResetOutput(Span<float> sum)
    {
        ExchangeChecks.Sum(sum, Dimension);
        ExchangeChecks.ClearWritten(sum, false, Applied);
        _appliedCount = 0;
    }

    const int StateVersion = 1;

    public void WriteState(BinaryWriter writer)
    {
        writer.Write(StateVersion);
        writer.Write(_comm.Size);
        writer.Write(_step);
        writer.Write(_globalKey);
        foreach (int s in _rangeStart) writer.Write(s);
    }

    public void ReadState(BinaryReader reader)
    {
        int version = reader.ReadInt32(), ranks = reader.ReadInt32();
        if (version != StateVersion || ranks != _comm.Size)
            throw new InvalidDataException($"oktopk state version {version} for {ranks} ranks; this run has version {StateVersion} and {_comm.Size} ranks");
        long step = reader.ReadInt64();
        int key = reader.ReadInt32();
        var starts = new int[_rangeStart.Length];
        for (int q = 0; q < starts.Length; q++) starts[q] = reader.ReadInt32();
        if (step < 0 || key < 0 || starts[0] != 0 || starts[^1] != Dimension || starts.Zip(starts.Skip(1)).Any(b => b.Second < b.First))
            throw new InvalidDataException("oktopk state out of range (step, threshold or region boundaries)");
        _step = step;
        _globalKey = key;
        starts.CopyTo(_rangeStart);
    }
}
