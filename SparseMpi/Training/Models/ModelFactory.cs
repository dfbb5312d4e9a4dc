using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace SparseMpi.Training.Models;

/// <summary>The models by the names the command line uses.</summary>
public static class ModelFactory
{
    public const string Default = "mlp";

    /// <summary>The widest hidden layer --hidden accepts (a 784-65536-10 mlp has 52M parameters).</summary>
    public const int MaxWidth = 65536;

    /// <summary>Every valid model name.</summary>
    public static IReadOnlyList<string> Names { get; } = ["mlp", "cnn", "logreg"];

    /// <summary>Null when <paramref name="name"/> is a model, else one line listing the valid names.</summary>
    public static string? FindProblem(string name) =>
        Names.Contains(name) ? null : $"unknown model '{name}'; valid models: {string.Join(", ", Names)}";

    /// <summary>
    /// Parses --hidden (<c>2048,2048</c>): null and one line when it is not a list of widths in 1..<see cref="MaxWidth"/>
    /// or the mlp would have more parameters than one span can address.
    /// </summary>
    public static int[]? ParseHidden(string text, out string? problem)
    {
        problem = null;
        var widths = new List<int>();
        foreach (string part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int w) || w < 1 || w > MaxWidth)
            {
                problem = $"--hidden: '{part}' is not a layer width in 1..{MaxWidth} (give widths like 2048,2048)";
                return null;
            }
            widths.Add(w);
        }
        if (widths.Count > 8) { problem = $"--hidden: {widths.Count} layers; at most 8"; return null; }
        if (Mlp.ParameterCount(widths) > int.MaxValue) { problem = $"--hidden {text}: d = {Mlp.ParameterCount(widths)} is more than one span can address ({int.MaxValue})"; return null; }
        return widths.ToArray();
    }

    /// <summary>The model as a run's first line names it: <c>mlp 784-2048-2048-10</c>, or just the name.</summary>
    public static string Describe(string name, IReadOnlyList<int>? hidden) =>
        name == "mlp" ? $"mlp 784-{string.Join("-", hidden ?? Mlp.DefaultHidden)}-10" : name;

    /// <summary>True when <paramref name="hidden"/> is the default mlp's widths (or not given).</summary>
    public static bool IsDefaultHidden(IReadOnlyList<int>? hidden) => hidden == null || hidden.SequenceEqual(Mlp.DefaultHidden);

    /// <summary>
    /// Builds the model with its initial weights drawn from torch's generator seeded with
    /// <paramref name="seed"/>, so equal seeds give bit-identical models on every rank. <paramref name="hidden"/>:
    /// the mlp's hidden widths (null: the default 256); other models have fixed layers and refuse other widths.
    /// </summary>
    public static nn.Module<Tensor, Tensor> Create(string name, long seed, IReadOnlyList<int>? hidden = null)
    {
        if (FindProblem(name) is { } problem)
            throw new UsageException(problem);
        if (name != "mlp" && !IsDefaultHidden(hidden))
            throw new UsageException($"--hidden sets the mlp's widths; model {name} has fixed layers");
        torch.manual_seed(seed);
        return name switch
        {
            "mlp" => new Mlp(hidden ?? Mlp.DefaultHidden),
            "cnn" => new LeNet5(),
            "logreg" => new LogisticRegression(),
            _ => throw new UnreachableException($"model '{name}' is listed but not built"),
        };
    }
}
