using System.Diagnostics;

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
        var psi = new ProcessStartInfo(file) { WorkingDirectory = RepoRoot };
        foreach (string a in arguments) psi.ArgumentList.Add(a);
        foreach (string key in psi.Environment.Keys.Where(k => k.StartsWith("SLURM_") || k.StartsWith("SBATCH_") || k.StartsWith("SRUN_")).ToList())
            psi.Environment.Remove(key);
        foreach (string key in unset ?? []) psi.Environment.Remove(key);
        psi.Environment["TERM"] = "dumb";
        if (env != null) foreach (var kv in env) psi.Environment[kv.Key] = kv.Value;

        return CapturedProcess.Run(psi, timeoutSeconds, terminateFirst: true);
    }

    /// <summary>Runs <c>bash</c> with the given arguments.</summary>
    public static RunResult Bash(IDictionary<string, string>? env, int timeoutSeconds, params string[] arguments) =>
        Run("bash", arguments, env, timeoutSeconds);

}
