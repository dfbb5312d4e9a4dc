using System.Collections;
using System.Globalization;
using System.Text;
using SparseMpi.Collectives;

namespace SparseMpi.Cli;

/// <summary>
/// Ranks compare every option of their verb before any work. A run length, a checkpoint interval, an output
/// directory or a fit-mpi-cost repeat count that differs between ranks (an MPMD launch, a per-rank wrapper, a job
/// script that builds the command per node) makes ranks meet in different collectives, or write into different
/// directories: a hang, a truncated message or silent damage. So the first collective of every MPI verb carries, with
/// the refusal flag and the verb, a hash of the canonical text of every [Option] value (<see cref="Of"/>), and ranks
/// that differ stop with one line naming the options and the ranks. The text covers every option of the verb's
/// table (<see cref="OptionTables"/>; a test checks that every [Option] property is in it), so a new option is
/// compared without anyone remembering to. Paths are compared as full paths: <c>--out run</c> and
/// <c>--out ./run</c> name the same directory, the same relative path from different working directories does not.
/// This is not the math configuration that checkpoints store (<c>MathConfiguration</c>): that one leaves out where
/// a run writes and how long it runs, so that a resume may change them.
/// </summary>
public static class OptionAgreement
{
    /// <summary>Every option of a parsed verb as (table name, canonical value), in a fixed order.</summary>
    public static IReadOnlyList<(string Name, string Value)> Of(object verb)
    {
        var table = OptionTable.For(verb.GetType());
        var paths = table.Rows.Where(r => r.IsPath).Select(r => r.Name).ToHashSet();
        return OptionTable.OptionsOf(verb.GetType())
            .Select(x => (x.Name, paths.Contains(x.Name) ? FullPath(x.Property.GetValue(verb) as string) : Text(x.Property.GetValue(verb))))
            .ToList();
    }

    /// <summary>An option value as text that is the same on every machine (invariant culture, round-trip doubles).</summary>
    public static string Text(object? value) => value switch
    {
        null => "(none)",
        string s => s,
        bool b => b ? "true" : "false",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        IEnumerable e => string.Join(",", e.Cast<object?>().Select(Text)),
        _ => value.ToString() ?? "",
    };

    static string FullPath(string? path)
    {
        if (path == null) return Text(null);
        try { return Path.TrimEndingDirectorySeparator(Path.GetFullPath(path)); }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException) { return path; }
    }

    static string Canonical(IReadOnlyList<(string Name, string Value)> options) =>
        string.Join("\n", options.Select(o => $"{o.Name}={o.Value}"));

    /// <summary>
    /// The first collective of every MPI verb (run by <see cref="MpiSession"/>): one allreduce of five
    /// integers tells every rank whether any refused its command line, whether all run the same verb and whether all
    /// were given the same options. Only when the options differ does a second round (an allgather of the texts)
    /// find which, so that the one line can name them; that costs nothing in a run that goes on.
    /// </summary>
    public static void Check(Communicator world, string verb, string? problem, IReadOnlyList<(string Name, string Value)> options)
    {
        long verbHash = CollectiveSelfCheck.StableHash(verb);
        long optionsHash = CollectiveSelfCheck.StableHash(Canonical(options));
        // Minimum of x and of ~x gives min and max in one MPI_Allreduce(MIN).
        Span<long> v = [problem == null ? int.MaxValue : world.Rank, verbHash, ~verbHash, optionsHash, ~optionsHash];
        world.Allreduce(v, ReduceOp.Min);
        if (v[0] != int.MaxValue)
            throw new CollectiveUsageException(
                world.Rank == 0 ? problem ?? "" : $"on rank {world.Rank}: {problem}", world.Rank == v[0], exitCode: 2);
        if (v[1] != ~v[2])
            throw new CollectiveUsageException($"ranks run different verbs (rank 0 runs '{verb}'): start every rank with the same command", world.Rank == 0, exitCode: 2);
        if (v[3] != ~v[4])
            throw new CollectiveUsageException(Describe(verb, options.Select(o => o.Name).ToList(), GatherAll(world, options)), world.Rank == 0, exitCode: 2);
    }

    /// <summary>Every rank's options (all ranks run the same verb here, so the names and their order are the same).</summary>
    static string[][] GatherAll(Communicator world, IReadOnlyList<(string Name, string Value)> options)
    {
        byte[] mine = Encoding.UTF8.GetBytes(string.Join("\0", options.Select(o => o.Value)));
        var counts = new int[world.Size];
        world.Allgather<int>([mine.Length], counts);
        var displacements = new int[world.Size];
        for (int r = 1; r < world.Size; r++) displacements[r] = displacements[r - 1] + counts[r - 1];
        var all = new byte[displacements[^1] + counts[^1]];
        world.Allgatherv<byte>(mine, all, counts, displacements);
        return Enumerable.Range(0, world.Size)
            .Select(r => Encoding.UTF8.GetString(all, displacements[r], counts[r]).Split('\0'))
            .ToArray();
    }

    /// <summary>
    /// One line: the options whose values differ, each with its values and the ranks that hold them, e.g.
    /// <c>ranks disagree on the train options: --max-steps (rank 0: 5; rank 1: 7); start every rank with the same options</c>.
    /// </summary>
    public static string Describe(string verb, IReadOnlyList<string> names, IReadOnlyList<string[]> valuesPerRank)
    {
        var differing = new List<string>();
        for (int i = 0; i < names.Count; i++)
        {
            var groups = Enumerable.Range(0, valuesPerRank.Count)
                .GroupBy(r => i < valuesPerRank[r].Length ? valuesPerRank[r][i] : "?")
                .ToList(); // in order of the lowest rank holding each value
            if (groups.Count < 2) continue;
            const int shown = 4;
            string values = string.Join("; ", groups.Take(shown).Select(g => $"{Ranks(g.ToList())}: {g.Key}"));
            differing.Add($"{OptionTable.Spelling(names[i])} ({values}{(groups.Count > shown ? $"; {groups.Count - shown} more values" : "")})");
        }
        return $"ranks disagree on the {verb} options: {string.Join(", ", differing)}; start every rank with the same options";
    }

    /// <summary>"rank 3", "ranks 0, 1", "ranks 0-7" (runs of consecutive ranks collapsed).</summary>
    static string Ranks(List<int> ranks)
    {
        var parts = new List<string>();
        for (int i = 0; i < ranks.Count;)
        {
            int j = i;
            while (j + 1 < ranks.Count && ranks[j + 1] == ranks[j] + 1) j++;
            parts.Add(j - i >= 2 ? $"{ranks[i]}-{ranks[j]}" : string.Join(", ", ranks.Skip(i).Take(j - i + 1)));
            i = j + 1;
        }
        return (ranks.Count == 1 ? "rank " : "ranks ") + string.Join(", ", parts);
    }
}
