using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SparseMpi.Training.Models;

/// <summary>A multilayer perceptron 784-256-10 with ReLU: the default model, non-convex but quick to train.</summary>
public sealed class Mlp : nn.Module<Tensor, Tensor>
{
    readonly Linear hidden;
    readonly Linear output;

    public Mlp() : base("mlp")
    {
        hidden = nn.Linear(784, 256);
        output = nn.Linear(256, 10);
        RegisterComponents();
    }

    /// <summary>Takes [B, 1, 28, 28] or [B, 784]; returns logits [B, 10].</summary>
    public override Tensor forward(Tensor input) =>
        output.forward(nn.functional.relu(hidden.forward(input.flatten(1))));
}
