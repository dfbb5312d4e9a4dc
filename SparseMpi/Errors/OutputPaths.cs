namespace SparseMpi.Errors;

/// <summary>
/// Checks, before any MPI or training work, that the places a verb will write to can be written: a run that
/// learns only at its end (or, on several ranks, in the middle of a collective) that its --out is a file or
/// read-only would lose the work or hang. Nothing is created: a verb that then refuses its input writes nothing.
/// </summary>
public static class OutputPaths
{
    /// <summary>
    /// Null when <paramref name="directory"/> can be used as an output directory: it, or the nearest ancestor
    /// that exists (the verb creates the rest), is a directory in which a file can be made; else one line.
    /// </summary>
    public static string? DirectoryProblem(string option, string directory)
    {
        string full;
        try { full = Path.GetFullPath(directory); }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return $"{option} {directory}: not a usable path ({e.Message.TrimEnd('.')})";
        }
        string existing = full;
        while (!Directory.Exists(existing))
        {
            if (File.Exists(existing)) return $"{option} {directory}: {existing} is a file, not a directory";
            existing = Path.GetDirectoryName(existing) ?? "/";
        }
        return CanCreateFileIn(existing) ? null : $"{option} {directory}: cannot write in {existing}";
    }

    /// <summary>Null when <paramref name="file"/> (if given) can be written: not a directory, in an existing writable one.</summary>
    public static string? FileProblem(string option, string? file)
    {
        if (file == null) return null;
        if (Directory.Exists(file)) return $"{option} {file}: is a directory, not a file";
        string directory = Path.GetDirectoryName(Path.GetFullPath(file)) ?? "/";
        if (!Directory.Exists(directory)) return $"{option}: directory {directory} does not exist";
        return CanCreateFileIn(directory) ? null : $"{option} {file}: cannot write in {directory}";
    }

    /// <summary>Creates and at once deletes a file (permissions, read-only mounts and full quotas all show here).</summary>
    static bool CanCreateFileIn(string directory)
    {
        try
        {
            string probe = Path.Combine(directory, $".sparsempi-write-test-{Environment.ProcessId}");
            using (new FileStream(probe, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
