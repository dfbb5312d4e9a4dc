using TorchSharp;

namespace SparseMpi.Sparsification;

/// <summary>
/// One rank per GPU: the rank's device follows from its node-local rank, round-robin over the node's GPUs;
/// CPU when there is none.
/// </summary>
public static class DeviceSelector
{
    /// <summary>The device name for a node-local rank: "cuda:N" or "cpu" (pure, so it is unit-testable).</summary>
    public static string Choose(int localRank, bool cudaAvailable, int deviceCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(localRank);
        if (!cudaAvailable || deviceCount < 1) return "cpu";
        return $"cuda:{localRank % deviceCount}";
    }

    /// <summary>The device for a node-local rank on this machine.</summary>
    public static torch.Device ForLocalRank(int localRank)
    {
        bool cuda = torch.cuda.is_available();
        return torch.device(Choose(localRank, cuda, cuda ? torch.cuda.device_count() : 0));
    }
}
