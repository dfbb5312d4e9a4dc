using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SparseMpi.Training.Models;

/// <summary>
/// A multilayer perceptron 784-h1-...-10 with ReLU: the default model (784-256-10, d = 203,530), non-convex but
/// quick to train; <c>--hidden 2048,2048</c> makes it wide enough (d = 5,824,522) for communication to matter.
/// </summary>
public sealed class Mlp : nn.Module<Tensor, Tensor>
{
    /// <summary>The default hidden widths: the model every run before --hidden trained.</summary>
    public static IReadOnlyList<int> DefaultHidden { get; } = [256];

    // The first hidden layer and the output keep their field names (hidden.*, output.*), and the layers are built
    // in the same order from the same generator, so the default model's parameters and layout are what they were
    // before the widths became an option. Further hidden layers sit between them (deeper.0.*, ...), registered in
    // field order, so the flat layout follows the forward order.
    readonly Linear hidden;
    readonly ModuleList<Linear>? deeper;
    readonly Linear output;

    public Mlp() : this(DefaultHidden) { }

    public Mlp(IReadOnlyList<int> widths) : base("mlp")
    {
        if (widths.Count == 0 || widths.Any(w => w < 1)) throw new ArgumentException("an mlp needs at least one hidden layer, each of width >= 1", nameof(widths));
        hidden = nn.Linear(784, widths[0]);
        if (widths.Count > 1)
            deeper = nn.ModuleList(Enumerable.Range(1, widths.Count - 1).Select(i => nn.Linear(widths[i - 1], widths[i])).ToArray());
        output = nn.Linear(widths[^1], 10);
        RegisterComponents();
    }

    /// <summary>The number of parameters of an mlp with these hidden widths (without building it).</summary>
    public static long ParameterCount(IReadOnlyList<int> widths)
    {
        long d = 0;
        int inputs = 784;
        foreach (int w in widths.Append(10))
        {
            d += (long)inputs * w + w;
            inputs = w;
        }
        return d;
    }

    /// <summary>Takes [B, 1, 28, 28] or [B, 784]; returns logits [B, 10].</summary>
    public override Tensor forward(Tensor input)
    {
        // Intermediates are released by the caller's dispose scope (FlatModel.Forward, ComputeGradient, Evaluate).
        Tensor x = nn.functional.relu(hidden.forward(input.flatten(1)));
        if (deeper != null)
            foreach (var layer in deeper) x = nn.functional.relu(layer.forward(x));
        return output.forward(x);
    }
}
