using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace SparseMpi.Tests.Support;

/// <summary>
/// Runs a process to completion capturing its output. A process that outlives its timeout fails the test: it may
/// first get SIGTERM (so a script's trap can stop what it started), and is killed with its whole process tree if
/// it is still there 30 s later (at once without <c>terminateFirst</c>). A hang is a bug, never a pass.
/// </summary>
public static class CapturedProcess
{
    public static RunResult Run(ProcessStartInfo psi, int timeoutSeconds, bool terminateFirst = false)
    {
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.UseShellExecute = false;
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        var sw = Stopwatch.StartNew();
        using var p = new Process { StartInfo = psi };
        p.OutputDataReceived += (_, e) => { if (e.Data != null) lock (stdout) stdout.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (stderr) stderr.AppendLine(e.Data); };
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        if (!p.WaitForExit(timeoutSeconds * 1000))
        {
            if (!terminateFirst || Kill(p.Id, SigTerm) != 0 || !p.WaitForExit(30_000)) p.Kill(entireProcessTree: true);
            p.WaitForExit();
            string command = $"{psi.FileName} {psi.Arguments}{string.Join(" ", psi.ArgumentList)}";
            throw new TimeoutException($"'{command}' did not finish in {timeoutSeconds}s (hang)\n--- stdout\n{stdout}\n--- stderr\n{stderr}");
        }
        p.WaitForExit(); // flush the async readers
        return new RunResult(p.ExitCode, stdout.ToString(), stderr.ToString(), sw.Elapsed);
    }

    const int SigTerm = 15;
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)] static extern int Kill(int pid, int signal);
}
