using System.Diagnostics;

namespace SparseMpi.Tests.Support;

/// <summary>
/// A small tmpfs mounted for one test (a disk that fills up on cue), unmounted and removed on dispose. Where this
/// process may not mount (not root, a container without CAP_SYS_ADMIN) the test is ignored with the reason.
/// </summary>
public sealed class TmpfsMount : IDisposable
{
    public string Path { get; }
    bool _mounted;

    public TmpfsMount(string size)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "sparsempi-tmpfs-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path);
        var r = CapturedProcess.Run(new ProcessStartInfo("mount", ["-t", "tmpfs", "-o", $"size={size}", "tmpfs", Path]), 30);
        if (r.ExitCode != 0)
        {
            Directory.Delete(Path);
            Assert.Ignore($"cannot mount a tmpfs here (mount exited {r.ExitCode}: {r.Stderr.Trim()}); this test needs root with mount rights");
        }
        _mounted = true;
    }

    public string this[string relative] => System.IO.Path.Combine(Path, relative);

    public void Dispose()
    {
        if (_mounted)
        {
            var r = CapturedProcess.Run(new ProcessStartInfo("umount", [Path]), 30);
            if (r.ExitCode != 0) CapturedProcess.Run(new ProcessStartInfo("umount", ["-l", Path]), 30); // a straggler still holding a file
            _mounted = false;
        }
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}
