using System.Text.Json;
using System.Text.Json.Nodes;

namespace SparseMpi.Metrics;

/// <summary>The program's one JSON style: snake_case names, indented summaries, one-line records.</summary>
public static class Json
{
    public static readonly JsonSerializerOptions Indented = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static readonly JsonSerializerOptions Line = new(Indented) { WriteIndented = false };

    /// <summary>Writes <paramref name="value"/> as indented JSON, atomically.</summary>
    public static void WriteFile(string path, object value) =>
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(value, value.GetType(), Indented) + "\n");

    public static JsonNode ReadFile(string path) =>
        JsonNode.Parse(File.ReadAllText(path)) ?? throw new InvalidDataException($"{path}: empty JSON");
}
