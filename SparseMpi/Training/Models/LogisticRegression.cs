using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SparseMpi.Training.Models;

/// <summary>
/// Multinomial logistic regression 784 -> 10 (softmax in the cross-entropy loss): the convex case, where the
/// convergence theory of sparsified SGD applies directly.
/// </summary>
public sealed class LogisticRegression : nn.Module<Tensor, Tensor>
{
    readonly Linear linear;

    public LogisticRegression() : base("logreg")
    {
        linear = nn.Linear(784, 10);
        RegisterComponents();
    }

    /// <summary>Takes [B, 1, 28, 28] or [B, 784]; returns logits [B, 10].</summary>
    public override Tensor forward(Tensor input) => linear.forward(input.flatten(1));
}
