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

    /// <summary>
    /// The number <paramref name="name"/> of <paramref name="node"/>, or null when absent or null. Summaries write
    /// NaN and infinities as strings ("NaN"), which a plain <c>(double)</c> cast of the node refuses.
    /// </summary>
    public static double? Number(JsonNode? node, string name) => node?[name] switch
    {
        null => null,
        JsonValue v when v.TryGetValue(out double d) => d,
        JsonValue v when v.TryGetValue(out string? s) && double.TryParse(s, System.Globalization.NumberStyles.Float,
            System.Globalization.CultureInfo.InvariantCulture, out double parsed) => parsed,
        _ => null,
    };

    public static JsonNode ReadFile(string path) =>
        JsonNode.Parse(File.ReadAllText(path)) ?? throw new InvalidDataException($"{path}: empty JSON");
}
