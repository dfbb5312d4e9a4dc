
namespace SparseMpi.Metrics;

/// <summary>
/// Turns the run arguments of <c>report</c> into run directories. A directory holding summary.json is a run; any
/// other directory stands for the runs directly inside it, so a scaling job's directory (ranks-1/, ranks-2/, ...)
/// or a sweep's can be given whole. One level only: deeper trees are ambiguous (checkpoints, nested jobs).
/// </summary>
public static class RunDirectories
{
    public const string SummaryFile = "summary.json";

    /// <summary>The run directories, each once, in argument order (a job's runs sorted by name).</summary>
    public static List<string> Expand(IEnumerable<string> arguments)
    {
        var runs = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string argument in arguments)
        {
            if (!Directory.Exists(argument)) throw new UsageException($"{argument}: no such directory");
            IEnumerable<string> found = File.Exists(Path.Combine(argument, SummaryFile))
                ? [argument]
                : Directory.GetDirectories(argument).Where(d => File.Exists(Path.Combine(d, SummaryFile))).Order(StringComparer.Ordinal).ToList();
            if (!found.Any())
                throw new UsageException($"{argument}: no {SummaryFile} in it or in the directories directly inside it (not a run or job directory)");
            foreach (string run in found)
                if (seen.Add(Path.GetFullPath(run))) runs.Add(run);
        }
        return runs;
    }
}
