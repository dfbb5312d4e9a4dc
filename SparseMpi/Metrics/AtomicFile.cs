using System.Runtime.InteropServices;

namespace SparseMpi.Metrics;

/// <summary>
/// Writes a file so that readers see either the old content or the new one, never a half-written file: the
/// content goes to a temporary file in the same directory, is flushed to disk (fsync), renamed over the target,
/// and the directory is fsynced too, so the rename itself survives a crash. Results and checkpoints are only ever
/// written this way (metrics.jsonl/csv are appended line by line instead, see MetricsWriter). A failure (a full
/// disk) removes the temporary file and leaves the old target as it was.
/// </summary>
public static class AtomicFile
{
    public static void Write(string path, Action<Stream> writeContent)
    {
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        string tmp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        try
        {
            using (var stream = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
            {
                writeContent(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            File.Delete(tmp);
            throw;
        }
        SyncDirectory(dir);
    }

    public static void WriteAllText(string path, string text) =>
        Write(path, s => { using var w = new StreamWriter(s, leaveOpen: true); w.Write(text); });

    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        byte[] copy = bytes.ToArray();
        Write(path, s => s.Write(copy));
    }

    const int ReadOnly = 0, DirectoryOnly = 0x10000; // O_RDONLY, O_DIRECTORY (Linux)

    [DllImport("libc", EntryPoint = "open", SetLastError = true)] static extern int Open(string path, int flags);
    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)] static extern int FSync(int fd);
    [DllImport("libc", EntryPoint = "close")] static extern int Close(int fd);

    /// <summary>
    /// fsync of the directory: a rename is a change of the directory, and without this a power loss can bring back
    /// the old name. Best effort: some file systems refuse fsync on directories, and the data itself is already synced.
    /// </summary>
    static void SyncDirectory(string dir)
    {
        if (!OperatingSystem.IsLinux()) return;
        int fd = Open(dir, ReadOnly | DirectoryOnly);
        if (fd < 0) return;
        FSync(fd);
        Close(fd);
    }
}
