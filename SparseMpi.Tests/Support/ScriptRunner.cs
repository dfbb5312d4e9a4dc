using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace SparseMpi.Tests.Support;

/// <summary>
/// Runs the repository's shell scripts (jobs/*.sbatch, scripts/*.sh) the way a user does, from the repository
/// root. The caller's SLURM_* variables are dropped, so a test run inside a Slurm job still tests the
/// outside-Slurm path. A script that exceeds its timeout first gets SIGTERM, so its trap can stop what it
/// started, and is killed with its process tree only if it does not end within 30 s; either way the test fails.
/// </summary>
public static class ScriptRunner
{
    /// <summary>The repository root: the nearest directory above the test assembly that holds SparseMpi.slnx.</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SparseMpi.slnx"))) return dir.FullName;
        throw new InvalidOperationException($"no SparseMpi.slnx above {AppContext.BaseDirectory}");
    }

    /// <summary>
    /// Runs <paramref name="file"/> from the repository root. <paramref name="unset"/> names variables of this
    /// process's environment to drop before <paramref name="env"/> is applied.
    /// </summary>
    public static RunResult Run(string file, IEnumerable<string> arguments, IDictionary<string, string>? env = null,
        int timeoutSeconds = 120, IEnumerable<string>? unset = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            WorkingDirectory = RepoRoot,
        };
        foreach (string a in arguments) psi.ArgumentList.Add(a);
        foreach (string key in psi.Environment.Keys.Where(k => k.StartsWith("SLURM_") || k.StartsWith("SBATCH_") || k.StartsWith("SRUN_")).ToList())
            psi.Environment.Remove(key);
        foreach (string key in unset ?? []) psi.Environment.Remove(key);
        psi.Environment["TERM"] = "dumb";
        if (env != null) foreach (var kv in env) psi.Environment[kv.Key] = kv.Value;

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
            _ = Kill(p.Id, SigTerm);
            if (!p.WaitForExit(30_000)) p.Kill(entireProcessTree: true);
            p.WaitForExit();
            throw new TimeoutException($"'{file} {string.Join(" ", arguments)}' did not finish in {timeoutSeconds}s (hang)\n--- stdout\n{stdout}\n--- stderr\n{stderr}");
        }
        p.WaitForExit(); // flush the async readers
        return new RunResult(p.ExitCode, stdout.ToString(), stderr.ToString(), sw.Elapsed);
    }

    /// <summary>Runs <c>bash</c> with the given arguments.</summary>
    public static RunResult Bash(IDictionary<string, string>? env, int timeoutSeconds, params string[] arguments) =>
        Run("bash", arguments, env, timeoutSeconds);

    const int SigTerm = 15;
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)] static extern int Kill(int pid, int signal);
}
