using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace SparseMpi.Tests.Support;

/// <summary>
/// The program under Open MPI's mpiexec, started and left running so a test can act on it while it trains (signal
/// a rank, stop one, wait for a line), then wait for its end, bounded: a hang fails the test. Disposing kills what
/// is left (a SIGSTOPped rank is continued first, so it can die).
/// </summary>
public sealed class RunningJob : IDisposable
{
    readonly Process _process;
    readonly StringBuilder _stdout = new(), _stderr = new();
    readonly Stopwatch _clock = Stopwatch.StartNew();
    readonly List<int> _stopped = [];
    readonly string _startLine;
    readonly ManualResetEventSlim _started = new();

    /// <param name="startLine">a line of stdout that starts with it marks the run as under way (see <see cref="WaitForStart"/>).</param>
    public RunningJob(int ranks, string arguments, string startLine = "")
        : this(new ProcessStartInfo("mpiexec.openmpi", $"--oversubscribe --bind-to none -x TERM -n {ranks} {ProgramRunner.ProgramPath} {arguments}"), startLine)
    {
    }

    /// <summary>Any launch (a batch script, a launcher on an emulated cluster): <paramref name="psi"/>'s command and environment.</summary>
    public RunningJob(ProcessStartInfo psi, string startLine = "")
    {
        _startLine = startLine;
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.UseShellExecute = false;
        psi.Environment["TERM"] = "dumb";
        psi.Environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1";
        psi.Environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1";
        _process = new Process { StartInfo = psi };
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data == null) return;
            lock (_stdout) _stdout.AppendLine(e.Data);
            if (_startLine.Length > 0 && e.Data.StartsWith(_startLine)) _started.Set();
        };
        _process.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (_stderr) _stderr.AppendLine(e.Data); };
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int LauncherPid => _process.Id;
    public bool HasExited => _process.HasExited;
    public string Output => $"--- stdout\n{_stdout}\n--- stderr\n{_stderr}";

    /// <summary>Waits for the start line; fails the test if it does not come (or the job ends first).</summary>
    public void WaitForStart(int timeoutSeconds = 120) =>
        Assert.That(_started.Wait(TimeSpan.FromSeconds(timeoutSeconds)), Is.True, $"the run did not start\n{Output}");

    /// <summary>Waits until <paramref name="condition"/> holds; fails the test if the job ends first or time runs out.</summary>
    public void WaitUntil(Func<bool> condition, string what, int timeoutSeconds = 120)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (_process.HasExited || sw.Elapsed.TotalSeconds > timeoutSeconds) Assert.Fail($"{what}: not reached\n{Output}");
            Thread.Sleep(50);
        }
    }

    /// <summary>Waits for the end; fails the test on a hang. Returns what the job printed and its exit code.</summary>
    public RunResult WaitForExit(int timeoutSeconds)
    {
        if (!_process.WaitForExit(timeoutSeconds * 1000)) Assert.Fail($"the job did not end within {timeoutSeconds} s (hang)\n{Output}");
        // Flush the readers, bounded: a process that inherited the pipes and outlives the launcher (Open MPI's
        // daemon orphaned on a node whose link was cut) would otherwise keep them open for ever.
        using (var flushed = new CancellationTokenSource(TimeSpan.FromSeconds(15)))
        {
            try { _process.WaitForExitAsync(flushed.Token).GetAwaiter().GetResult(); }
            catch (OperationCanceledException) { }
        }
        return new RunResult(_process.ExitCode, _stdout.ToString(), _stderr.ToString(), _clock.Elapsed);
    }

    /// <summary>The processes of the ranks (below mpiexec), in world-rank order.</summary>
    public List<int> Ranks()
    {
        var ranks = new SortedDictionary<int, int>();
        var queue = new Queue<int>([_process.Id]);
        while (queue.Count > 0)
        {
            int parent = queue.Dequeue();
            foreach (string dir in Directory.GetDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(dir), out int pid)) continue;
                try
                {
                    string stat = File.ReadAllText(Path.Combine(dir, "stat"));
                    // Field 4 (after the parenthesised name) is the parent's pid.
                    if (int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]) != parent) continue;
                    queue.Enqueue(pid);
                    var rank = File.ReadAllText(Path.Combine(dir, "environ")).Split('\0').FirstOrDefault(v => v.StartsWith("OMPI_COMM_WORLD_RANK="));
                    if (rank != null && File.ReadAllText(Path.Combine(dir, "comm")).Trim() == "sparsempi") ranks[int.Parse(rank.Split('=')[1])] = pid;
                }
                catch (IOException) { } // gone meanwhile
                catch (UnauthorizedAccessException) { }
            }
        }
        return ranks.Values.ToList();
    }

    public const int SigKill = 9, SigUsr1 = 10, SigTerm = 15, SigCont = 18, SigStop = 19;

    /// <summary>Sends <paramref name="signal"/> to one process (a rank, or <see cref="LauncherPid"/>).</summary>
    public void Signal(int pid, int signal)
    {
        Assert.That(Kill(pid, signal), Is.EqualTo(0), $"kill({pid}, {signal})");
        if (signal == SigStop) _stopped.Add(pid);
    }

    public void Dispose()
    {
        foreach (int pid in _stopped) { Kill(pid, SigCont); Kill(pid, SigKill); }
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
        _started.Dispose();
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)] static extern int Kill(int pid, int signal);
}
