using TorchSharp;

namespace SparseMpi.Training.Devices;

/// <summary>
/// One rank per GPU: the rank's device follows from its node-local rank, round-robin over the node's GPUs;
/// CPU when there is none.
/// </summary>
public static class DeviceSelector
{
    /// <summary>The values of <c>--device</c>.</summary>
    public static readonly string[] Options = ["auto", "cpu", "cuda"];

    /// <summary>The device name for a node-local rank: "cuda:N" or "cpu" (pure, so it is unit-testable).</summary>
    public static string Choose(int localRank, bool cudaAvailable, int deviceCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(localRank);
        if (!cudaAvailable || deviceCount < 1) return "cpu";
        return $"cuda:{localRank % deviceCount}";
    }

    /// <summary>
    /// The device <c>--device <paramref name="option"/></c> means for a node-local rank: auto is
    /// <see cref="Choose"/>, cpu is the CPU, cuda is cuda:(localRank % deviceCount) and a
    /// <see cref="UsageException"/> (one line) when this process sees no CUDA device.
    /// </summary>
    public static string Resolve(string option, int localRank, bool cudaAvailable, int deviceCount) => option switch
    {
        "auto" => Choose(localRank, cudaAvailable, deviceCount),
        "cpu" => "cpu",
        "cuda" when cudaAvailable && deviceCount > 0 => Choose(localRank, cudaAvailable, deviceCount),
        "cuda" => throw new UsageException(
            "--device cuda: no CUDA device is available to this process (torch.cuda.is_available() is false; " +
            "a GPU run needs a CUDA libtorch build, see README \"GPUs\"); use --device auto or cpu"),
        _ => throw new UsageException($"unknown --device '{option}'; valid: {string.Join(", ", Options)}"),
    };

    /// <summary>The device for a node-local rank on this machine.</summary>
    public static torch.Device ForLocalRank(int localRank) => torch.device(ForLocalRank("auto", localRank));

    /// <summary><see cref="Resolve"/> with what torch sees on this machine.</summary>
    public static string ForLocalRank(string option, int localRank)
    {
        bool cuda = torch.cuda.is_available();
        return Resolve(option, localRank, cuda, cuda ? torch.cuda.device_count() : 0);
    }
}
