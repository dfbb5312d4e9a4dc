using TorchSharp;
using static TorchSharp.torch;

namespace SparseMpi.Training.Devices;

/// <summary>
/// A batch's input and target on the model's device, allocated once: every step the host batch
/// (<see cref="Data.BatchBuffer"/>, filled by the data pipeline) is copied in with <c>copy_</c>, so a step
/// allocates no device memory for its data.
/// </summary>
public sealed class DeviceBatch : IDisposable
{
    public int Capacity { get; }
    public Tensor Input { get; }
    public Tensor Target { get; }

    public DeviceBatch(int capacity, Device device)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        Input = torch.empty([capacity, 1, Data.ImageSet.Height, Data.ImageSet.Width], ScalarType.Float32, device);
        Target = torch.empty([capacity], ScalarType.Int64, device);
    }

    /// <summary>Copies a host batch of the same capacity in and returns the device tensors.</summary>
    public (Tensor Input, Tensor Target) Load(Tensor hostInput, Tensor hostTarget)
    {
        Input.copy_(hostInput);
        Target.copy_(hostTarget);
        return (Input, Target);
    }

    public void Dispose()
    {
        Input.Dispose();
        Target.Dispose();
    }
}
