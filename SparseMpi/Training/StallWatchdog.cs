using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using SparseMpi.Collectives;

namespace SparseMpi.Training;

/// <summary>
/// Ends the job when this rank makes no progress for <c>--stall-timeout</c> seconds, instead of waiting forever
/// (PyTorch's process groups have such a timeout). The trainer marks a beacon, (step, phase), as it goes; a
/// background thread checks that it moved. A rank that is itself stopped (SIGSTOP, a dead node) cannot run its
/// watchdog, but the others then sit in a collective waiting for it, their beacons stop too, and they detect it:
/// one line naming the detecting rank, its step and phase, then MPI_Abort.
/// <para>Ranks detect a common stall at about the same moment; to keep it to one line, rank r waits
/// min(r, 3) seconds longer, so the lowest live rank reports first and its MPI_Abort ends the others.</para>
/// </summary>
public sealed class StallWatchdog : IDisposable
{
    readonly int _rank;
    readonly double _timeoutSeconds;
    readonly Action<string> _onStall;
    readonly Func<long>? _progress;
    readonly Func<double, string?>? _stalledPeer;
    readonly Thread? _thread;
    readonly ManualResetEventSlim _stop = new();
    long _step = -1;
    string _phase = "start";
    long _lastChange = Stopwatch.GetTimestamp();
    long _lastProgress;

    /// <param name="rank">This rank, for the line and the stagger.</param>
    /// <param name="timeoutSeconds">Seconds without progress before <paramref name="onStall"/>; 0 turns the watchdog off.</param>
    /// <param name="onStall">Called once, on the watchdog thread, with the line to print (without the "sparsempi: error:" prefix).</param>
    /// <param name="progress">Optional: a counter that also counts as progress when it moves (Hogwild's applied
    /// updates: a rank waiting for the others' last updates is not stalled while they arrive).</param>
    /// <param name="stalledPeer">Optional, where ranks can see each other's progress (Hogwild's shared memory):
    /// given the seconds, names a peer that made no progress for that long although it had work, else null.</param>
    public StallWatchdog(int rank, double timeoutSeconds, Action<string> onStall, Func<long>? progress = null,
        Func<double, string?>? stalledPeer = null)
    {
        _stalledPeer = stalledPeer;
        _rank = rank;
        _timeoutSeconds = timeoutSeconds;
        _onStall = onStall;
        _progress = progress;
        _lastProgress = progress?.Invoke() ?? 0;
        if (timeoutSeconds <= 0) return;
        _thread = new Thread(Watch) { IsBackground = true, Name = "stall watchdog" };
        _thread.Start();
    }

    /// <summary>The program's watchdog: prints the line to stderr and aborts the whole job.</summary>
    public static StallWatchdog Start(Communicator world, double timeoutSeconds, Func<long>? progress = null,
        Func<double, string?>? stalledPeer = null) =>
        new(world.Rank, timeoutSeconds, line => AbortJob(world, line), progress, stalledPeer);

    /// <summary>The rank is now at <paramref name="step"/>, in <paramref name="phase"/>; a change is progress.</summary>
    public void Mark(long step, string phase)
    {
        if (step == _step && ReferenceEquals(phase, _phase)) return;
        _phase = phase;
        _step = step;
        Volatile.Write(ref _lastChange, Stopwatch.GetTimestamp());
    }

    /// <summary>Extra seconds before this rank reports a stall (see the class comment).</summary>
    double Stagger => Math.Min(_rank, 3);

    void Watch()
    {
        TimeSpan poll = TimeSpan.FromSeconds(Math.Clamp(_timeoutSeconds / 10, 0.05, 1.0));
        while (!_stop.Wait(poll))
        {
            if (_progress != null)
            {
                long now = _progress();
                if (now != _lastProgress)
                {
                    _lastProgress = now;
                    Volatile.Write(ref _lastChange, Stopwatch.GetTimestamp());
                }
            }
            var c = CultureInfo.InvariantCulture;
            if (_stalledPeer?.Invoke(_timeoutSeconds + Stagger) is string peer)
            {
                _onStall(string.Create(c, $"{peer}: it stopped, died or lost its link; rank {_rank} ends the job (--stall-timeout {_timeoutSeconds:G})"));
                return;
            }
            double idle = Stopwatch.GetElapsedTime(Volatile.Read(ref _lastChange)).TotalSeconds;
            if (idle < _timeoutSeconds + Stagger) continue;
            string where = _progress != null ? $"after {_lastProgress} applied updates" : $"at step {_step}";
            _onStall(string.Create(c,
                $"rank {_rank} made no progress for {idle:F0} s {where} (phase {_phase}): another rank stopped, died or lost its link " +
                $"(--stall-timeout {_timeoutSeconds:G}); aborting the job"));
            return;
        }
    }

    [DllImport("libc", EntryPoint = "_exit")] static extern void Exit(int status);

    /// <summary>
    /// One line, then MPI_Abort from this thread. The main thread is blocked inside MPI (that is the stall), so
    /// this goes beyond the FUNNELED thread level; Open MPI and MPICH both end the job this way. If MPI_Abort does
    /// not return within 5 s the process exits at once, and the launcher ends the job when a rank is gone.
    /// </summary>
    static void AbortJob(Communicator world, string line)
    {
        Console.Error.WriteLine($"sparsempi: error: {line}");
        Console.Error.Flush();
        new Thread(() => { Thread.Sleep(5000); Exit(1); }) { IsBackground = true }.Start();
        world.Abort(1);
    }

    public void Dispose()
    {
        _stop.Set();
        _thread?.Join();
        _stop.Dispose();
    }
}
