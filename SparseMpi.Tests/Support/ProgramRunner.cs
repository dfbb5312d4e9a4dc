using System.Diagnostics;

namespace SparseMpi.Tests.Support;

/// <summary>Which MPI launcher starts the ranks.</summary>
public enum Launcher { None, OpenMpi, Mpich }

/// <summary>What one launch of the program printed and returned.</summary>
public sealed record RunResult(int ExitCode, string Stdout, string Stderr, TimeSpan Elapsed)
{
    public override string ToString() => $"exit {ExitCode} after {Elapsed.TotalSeconds:F1}s\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

/// <summary>
/// Launches the real program (the apphost copied next to the test assembly) under a real mpiexec, the way
/// users do. A run that exceeds its timeout is killed with its whole process tree and fails the test: a hang
/// is a bug, never a pass.
/// </summary>
public static class ProgramRunner
{
    public static string ProgramPath => Path.Combine(AppContext.BaseDirectory, "sparsempi");

    const string MpmdPrefix = "\0mpmd:";

    /// <summary>
    /// An MPMD launch (<c>mpiexec -n 1 prog A : -n 1 prog B</c>): one rank per argument set, so ranks can be
    /// started with different options, as a misconfigured job script would.
    /// </summary>
    public static RunResult RunMpmd(IReadOnlyList<string> argumentsPerRank, Launcher launcher = Launcher.OpenMpi, int timeoutSeconds = 300)
    {
        string mpmd = string.Join(" : ", argumentsPerRank.Select(a => $"-n 1 {ProgramPath} {a}"));
        return Run(MpmdPrefix + mpmd, argumentsPerRank.Count, launcher, timeoutSeconds: timeoutSeconds);
    }

    public static RunResult Run(string arguments, int ranks = 1, Launcher launcher = Launcher.OpenMpi,
        IDictionary<string, string>? env = null, int timeoutSeconds = 300, string launcherOptions = "")
    {
        var psi = new ProcessStartInfo();
        var environment = new Dictionary<string, string> { ["TERM"] = "dumb" };
        if (env != null) foreach (var kv in env) environment[kv.Key] = kv.Value;
        foreach (var kv in environment) psi.Environment[kv.Key] = kv.Value;
        switch (launcher)
        {
            case Launcher.None:
                psi.FileName = ProgramPath;
                break;
            case Launcher.OpenMpi:
                psi.FileName = "mpiexec.openmpi";
                psi.Environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1";
                psi.Environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1";
                // Open MPI forwards only what -x names.
                var forward = string.Join(" ", environment.Keys.Select(k => $"-x {k}"));
                psi.Arguments = $"--oversubscribe --bind-to none {forward} {launcherOptions} -n {ranks} ";
                break;
            case Launcher.Mpich:
                psi.FileName = "mpiexec.mpich";
                psi.Arguments = $"-n {ranks} ";
                break;
        }
        if (launcher == Launcher.None) psi.Arguments = arguments;
        else if (arguments.StartsWith(MpmdPrefix)) psi.Arguments = psi.Arguments.Replace($"-n {ranks} ", "") + arguments[MpmdPrefix.Length..];
        else psi.Arguments += $"{ProgramPath} {arguments}";

        return CapturedProcess.Run(psi, timeoutSeconds);
    }
}
