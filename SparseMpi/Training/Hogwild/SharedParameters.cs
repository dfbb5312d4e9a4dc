using System.Runtime.CompilerServices;
using SparseMpi.Collectives;

namespace SparseMpi.Training.Hogwild;

/// <summary>
/// The state all ranks of a node share in Hogwild mode, laid out in one MPI shared-memory window that rank 0
/// allocates (the other ranks allocate 0 bytes and reach it through <see cref="SharedWindow.Segment"/>(0)):
/// <code>
///   [0]      applied counter  (long): updates written so far; Interlocked.Increment after each write
///   [128]    claimed counter  (long): update slots handed out; a rank claims one before it starts an update
///   [256]    stop record      (3 longs): 0 = running, else 1 + the rank that stopped; the update; the reason
///   [384]    one slot per rank (2 longs): updates it applied, entries it wrote (written by its owner only)
///   [page]   the d parameters (float)
/// </code>
/// Each counter sits alone in a 128-byte block so the hottest line (applied) is not also the line others write
/// for other reasons (128, not 64: the adjacent-line prefetcher moves lines in pairs). No locks anywhere: the
/// parameters are read and written concurrently by design, the counters are atomic.
/// </summary>
public sealed unsafe class SharedParameters : IDisposable
{
    const int Block = 128;
    const int AppliedOffset = 0, ClaimedOffset = Block, StopOffset = 2 * Block, RankSlotsOffset = 3 * Block;
    const int Page = 4096;

    readonly SharedWindow _window;
    readonly byte* _base;
    readonly int _ranks;

    public int D { get; }

    /// <summary>Reason codes in the stop record.</summary>
    public enum StopReason : long { None = 0, NonFiniteLoss = 1, NonFiniteUpdate = 2 }

    SharedParameters(SharedWindow window, byte* baseAddress, int d, int ranks)
    {
        _window = window;
        _base = baseAddress;
        D = d;
        _ranks = ranks;
    }

    static long ParameterOffset(int ranks) => (RankSlotsOffset + (long)ranks * Block + Page - 1) / Page * Page;

    /// <summary>Bytes rank 0 allocates for <paramref name="d"/> parameters and <paramref name="ranks"/> ranks.</summary>
    public static long Bytes(int d, int ranks) => ParameterOffset(ranks) + 4L * d;

    /// <summary>
    /// Collective over <paramref name="node"/> (a node-local communicator): allocates the window, lets rank 0
    /// write <paramref name="initial"/> (length d) and zero the counters, and returns once every rank sees them.
    /// </summary>
    public static SharedParameters Create(Communicator node, ReadOnlySpan<float> initial)
    {
        int d = initial.Length;
        var window = node.AllocateShared(node.Rank == 0 ? Bytes(d, node.Size) : 0);
        try
        {
            var (address, bytes) = window.Segment(0);
            if (bytes < Bytes(d, node.Size))
                throw new InvalidOperationException($"the shared segment of rank 0 has {bytes} bytes, {Bytes(d, node.Size)} expected");
            // A passive-target epoch for the whole run: MPI_Win_sync then orders our stores and loads with the
            // other ranks' (the MPI-3 unified model's recipe for direct load/store access).
            window.LockAll();
            var shared = new SharedParameters(window, (byte*)address, d, node.Size);
            if (node.Rank == 0)
            {
                new Span<byte>(shared._base, (int)ParameterOffset(node.Size)).Clear();
                initial.CopyTo(shared.Parameters);
            }
            window.Sync();
            node.Barrier();
            window.Sync();
            return shared;
        }
        catch
        {
            window.Dispose();
            throw;
        }
    }

    /// <summary>The shared parameters. Other ranks read and write them concurrently: Hogwild.</summary>
    public Span<float> Parameters => new(_base + ParameterOffset(_ranks), D);

    ref long Word(int offset) => ref Unsafe.AsRef<long>(_base + offset);

    /// <summary>Updates written so far (a fresh read every call: the JIT must not cache it in a register).</summary>
    public long Applied => Volatile.Read(ref Word(AppliedOffset));

    /// <summary>
    /// Marks one more update as written and returns the new count. Interlocked.Increment is a locked
    /// instruction, a full fence on x86: every store of the update is visible to a rank that reads this count.
    /// </summary>
    public long PublishUpdate() => Interlocked.Increment(ref Word(AppliedOffset));

    /// <summary>Hands out the next update slot (1-based); a slot above the total means: stop.</summary>
    public long Claim() => Interlocked.Increment(ref Word(ClaimedOffset));

    public long Claimed => Volatile.Read(ref Word(ClaimedOffset));

    public bool StopRequested => Volatile.Read(ref Word(StopOffset)) != 0;

    /// <summary>Asks every rank to stop; the first request wins and is the one reported.</summary>
    public void RequestStop(int rank, long update, StopReason reason)
    {
        // The CAS from 0 to -1 makes the flag visible at once (every rank stops claiming) and elects one
        // reporter; only the winner writes the details, then its rank over the -1.
        if (Interlocked.CompareExchange(ref Word(StopOffset), -1, 0) != 0) return;
        Volatile.Write(ref Word(StopOffset + 8), update);
        Volatile.Write(ref Word(StopOffset + 16), (long)reason);
        Volatile.Write(ref Word(StopOffset), rank + 1L);
    }

    /// <summary>The stop record (read it after the ranks have synchronised): null when nobody stopped.</summary>
    public (int Rank, long Update, StopReason Reason)? Stop
    {
        get
        {
            long who = Volatile.Read(ref Word(StopOffset));
            if (who == 0) return null;
            return ((int)(who - 1), Volatile.Read(ref Word(StopOffset + 8)), (StopReason)Volatile.Read(ref Word(StopOffset + 16)));
        }
    }

    /// <summary>This rank's live statistics, for progress lines (the owner alone writes its slot).</summary>
    public void PublishRankProgress(int rank, long updates, long entries)
    {
        Volatile.Write(ref Word(RankSlotsOffset + rank * Block), updates);
        Volatile.Write(ref Word(RankSlotsOffset + rank * Block + 8), entries);
    }

    public long RankUpdates(int rank) => Volatile.Read(ref Word(RankSlotsOffset + rank * Block));

    /// <summary>MPI_Win_sync: a memory barrier for the window (pair it with a barrier before reading final values).</summary>
    public void Sync() => _window.Sync();

    /// <summary>Collective: ends the access epoch and frees the window (MPI_Win_free).</summary>
    public void Dispose() => _window.Dispose();
}
