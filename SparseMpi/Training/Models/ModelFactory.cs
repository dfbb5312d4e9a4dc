using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace SparseMpi.Training.Models;

/// <summary>The models by the names the command line uses.</summary>
public static class ModelFactory
{
    public const string Default = "mlp";

    /// <summary>Every valid model name.</summary>
    public static IReadOnlyList<string> Names { get; } = ["mlp", "cnn", "logreg"];

    /// <summary>Null when <paramref name="name"/> is a model, else one line listing the valid names.</summary>
    public static string? FindProblem(string name) =>
        Names.Contains(name) ? null : $"unknown model '{name}'; valid models: {string.Join(", ", Names)}";

    /// <summary>
    /// Builds the model with its initial weights drawn from torch's generator seeded with
    /// <paramref name="seed"/>, so equal seeds give bit-identical models on every rank.
    /// </summary>
    public static nn.Module<Tensor, Tensor> Create(string name, long seed)
    {
        if (FindProblem(name) is { } problem)
            throw new UsageException(problem);
        torch.manual_seed(seed);
        return name switch
        {
            "mlp" => new Mlp(),
            "cnn" => new LeNet5(),
            "logreg" => new LogisticRegression(),
            _ => throw new UnreachableException($"model '{name}' is listed but not built"),
        };
    }
}
