using System.Text.Json.Nodes;

namespace SparseMpi.Tests.Support;

/// <summary>A fresh temporary run directory per test, removed afterwards, with readers for what runs write.</summary>
public sealed class RunDirectory : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "sparsempi-test-" + Guid.NewGuid().ToString("N")[..12]);

    public RunDirectory() => Directory.CreateDirectory(Path);

    public string this[string relative] => System.IO.Path.Combine(Path, relative);

    public JsonNode Summary(string sub = "") =>
        JsonNode.Parse(File.ReadAllText(System.IO.Path.Combine(Path, sub, "summary.json")))!;

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}
