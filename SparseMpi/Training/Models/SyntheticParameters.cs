using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SparseMpi.Training.Models;

/// <summary>
/// d parameters (zeros) and no computation: the model of bench-step, whose gradients are written straight into
/// the flat gradient buffer (<see cref="FlatModel.GradientSpan"/>), so the update rules run on it unchanged.
/// </summary>
public sealed class SyntheticParameters : nn.Module<Tensor, Tensor>
{
    readonly Parameter weights;

    public SyntheticParameters(int d) : base("synthetic")
    {
        weights = nn.Parameter(torch.zeros(d));
        RegisterComponents();
    }

    public override Tensor forward(Tensor input) =>
        throw new InvalidOperationException("synthetic parameters have no forward pass: bench-step writes their gradients directly");
}
