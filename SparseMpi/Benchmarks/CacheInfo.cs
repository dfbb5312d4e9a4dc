using System.Globalization;
using System.Text.RegularExpressions;

namespace SparseMpi.Benchmarks;

/// <summary>
/// What this host's caches are, so that a kernel benchmark flushes them for real and says whether its working
/// set fitted in the last level: hosts differ (a 32 MB L3 on one kind of machine here, 300 MB on another, where a
/// fixed 128 MB flush flushed nothing and a "memory pass" was an L3 pass). Read from sysfs
/// (<c>/sys/devices/system/cpu/cpu0/cache/index*/{level,type,size}</c>), else from <c>lscpu</c>'s cache lines.
/// </summary>
public sealed record CacheInfo(string CpuModel, IReadOnlyList<(int Level, string Type, long Bytes)> Caches, string Source)
{
    /// <summary>The largest cache (the last level), in bytes; 0 when nothing could be read.</summary>
    public long LastLevelBytes => Caches.Count == 0 ? 0 : Caches.Max(c => c.Bytes);

    /// <summary>Bytes a flush must touch to evict the data: twice the last-level cache, at least 128 MiB.</summary>
    public long FlushBytes => Math.Max(128L << 20, 2 * LastLevelBytes);

    /// <summary>"L1d 32K, L1i 32K, L2 1024K, L3 32768K".</summary>
    public string Describe() => Caches.Count == 0 ? "unknown" :
        string.Join(", ", Caches.Select(c => $"L{c.Level}{(c.Type == "Data" ? "d" : c.Type == "Instruction" ? "i" : "")} {c.Bytes >> 10}K"));

    public static CacheInfo Read(string sysfs = "/sys/devices/system/cpu/cpu0/cache")
    {
        string model = ReadCpuModel();
        var caches = new List<(int, string, long)>();
        if (Directory.Exists(sysfs))
            foreach (string dir in Directory.GetDirectories(sysfs, "index*").Order())
            {
                try
                {
                    int level = int.Parse(File.ReadAllText(Path.Combine(dir, "level")).Trim(), CultureInfo.InvariantCulture);
                    string type = File.ReadAllText(Path.Combine(dir, "type")).Trim();
                    if (ParseSize(File.ReadAllText(Path.Combine(dir, "size")).Trim()) is long bytes) caches.Add((level, type, bytes));
                }
                catch (IOException) { }
                catch (FormatException) { }
            }
        if (caches.Count > 0) return new CacheInfo(model, caches, "sysfs");
        return new CacheInfo(model, FromLscpu(), "lscpu");
    }

    /// <summary>"32K", "1024K", "32 MiB", "300M" to bytes.</summary>
    public static long? ParseSize(string text)
    {
        var m = Regex.Match(text, @"^\s*([0-9.]+)\s*([KMG])?(i?B)?\s*$", RegexOptions.IgnoreCase);
        if (!m.Success || !double.TryParse(m.Groups[1].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out double n)) return null;
        long unit = m.Groups[2].Value.ToUpperInvariant() switch { "K" => 1L << 10, "M" => 1L << 20, "G" => 1L << 30, _ => 1 };
        return (long)(n * unit);
    }

    static string ReadCpuModel()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/cpuinfo"))
                if (line.StartsWith("model name", StringComparison.Ordinal)) return line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException) { }
        return "unknown";
    }

    /// <summary>lscpu's "L3 cache: 32 MiB (1 instance)" lines; the per-instance size is what one core's data meets.</summary>
    static List<(int, string, long)> FromLscpu()
    {
        var caches = new List<(int, string, long)>();
        try
        {
            var psi = new System.Diagnostics.ProcessStartInfo("lscpu") { RedirectStandardOutput = true, UseShellExecute = false };
            using var p = System.Diagnostics.Process.Start(psi)!;
            string output = p.StandardOutput.ReadToEnd();
            p.WaitForExit(5000);
            foreach (Match m in Regex.Matches(output, @"^L(\d)([di]?) cache:\s*([0-9.]+\s*[KMG]i?B)\s*(?:\((\d+) instances?\))?", RegexOptions.Multiline))
            {
                if (ParseSize(m.Groups[3].Value) is not long total) continue;
                int instances = m.Groups[4].Success ? int.Parse(m.Groups[4].Value, CultureInfo.InvariantCulture) : 1;
                string type = m.Groups[2].Value switch { "d" => "Data", "i" => "Instruction", _ => "Unified" };
                caches.Add((int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), type, total / Math.Max(1, instances)));
            }
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or IOException) { }
        return caches;
    }
}
