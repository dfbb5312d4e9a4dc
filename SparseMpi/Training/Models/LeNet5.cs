using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SparseMpi.Training.Models;

/// <summary>
/// A LeNet-5-like convolutional network (LeCun et al., 1998, with ReLU and max pooling as is usual today):
/// conv 6@5x5 (padding 2, so 28x28 stays 28x28), pool 2, conv 16@5x5, pool 2, then 400-120-84-10.
/// </summary>
public sealed class LeNet5 : nn.Module<Tensor, Tensor>
{
    readonly Conv2d conv1;
    readonly Conv2d conv2;
    readonly Linear fc1;
    readonly Linear fc2;
    readonly Linear fc3;

    public LeNet5() : base("cnn")
    {
        conv1 = nn.Conv2d(1, 6, 5, padding: 2);
        conv2 = nn.Conv2d(6, 16, 5);
        fc1 = nn.Linear(16 * 5 * 5, 120);
        fc2 = nn.Linear(120, 84);
        fc3 = nn.Linear(84, 10);
        RegisterComponents();
    }

    /// <summary>Takes [B, 1, 28, 28] or [B, 784]; returns logits [B, 10].</summary>
    public override Tensor forward(Tensor input)
    {
        Tensor x = input.view(-1, 1, 28, 28);
        x = nn.functional.max_pool2d(nn.functional.relu(conv1.forward(x)), 2);   // 6x14x14
        x = nn.functional.max_pool2d(nn.functional.relu(conv2.forward(x)), 2);   // 16x5x5
        x = nn.functional.relu(fc1.forward(x.flatten(1)));
        x = nn.functional.relu(fc2.forward(x));
        return fc3.forward(x);
    }
}
