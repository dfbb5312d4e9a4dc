using SparseMpi.Sparsification;
using TorchSharp;

namespace SparseMpi.Training.Devices;

/// <summary>Which kernel selects the top-k: the SIMD kernel on host memory, or torch ops where the model lives.</summary>
public enum SelectKernel { Simd, Torch }

/// <summary>
/// Where a rank trains and which path its step takes. The SIMD path works on host spans (CPU only); the torch
/// path keeps parameters, gradients and optimiser state as tensors on <see cref="Device"/> and copies only what
/// MPI needs to the host. The torch path on the CPU is the GPU code path with CPU tensors: that is how it is tested.
/// </summary>
public sealed record DevicePlacement(string Device, SelectKernel Kernel)
{
    /// <summary>The values of <c>--select-kernel</c>.</summary>
    public static readonly string[] KernelOptions = ["auto", "simd", "torch"];

    /// <summary>The compressors the torch kernel implements: exact top-k (<see cref="TorchTopK"/>) and dense.</summary>
    public static readonly string[] TorchCompressors = ["topk", "none"];

    public bool IsCuda => Device.StartsWith("cuda", StringComparison.Ordinal);
    public bool UsesTorch => Kernel == SelectKernel.Torch;
    public string KernelName => Kernel == SelectKernel.Simd ? "simd" : "torch";
    public torch.Device TorchDevice => torch.device(Device);

    /// <summary>Resolves <c>--device</c> and <c>--select-kernel</c> for a node-local rank on this machine.</summary>
    public static DevicePlacement Resolve(string device, string kernel, string compressor, int localRank) =>
        Resolve(DeviceSelector.ForLocalRank(device, localRank), kernel, compressor);

    /// <summary>
    /// The kernel for a resolved device: auto is simd on the CPU and torch on a GPU; simd on a GPU, or a
    /// compressor the torch kernel lacks, is a <see cref="UsageException"/> (one line).
    /// </summary>
    public static DevicePlacement Resolve(string device, string kernel, string compressor)
    {
        bool cpu = device == "cpu";
        SelectKernel chosen = kernel switch
        {
            "auto" => cpu ? SelectKernel.Simd : SelectKernel.Torch,
            "simd" when cpu => SelectKernel.Simd,
            "simd" => throw new UsageException($"--select-kernel simd works on host memory, but this rank's device is {device}; use --select-kernel torch (or auto), or --device cpu"),
            "torch" => SelectKernel.Torch,
            _ => throw new UsageException($"unknown --select-kernel '{kernel}'; valid: {string.Join(", ", KernelOptions)}"),
        };
        if (chosen == SelectKernel.Torch && !TorchCompressors.Contains(compressor))
            throw new UsageException($"--compressor {compressor} has no torch kernel (the torch path, used on {device}" +
                $"{(kernel == "torch" ? " with --select-kernel torch" : "")}, implements {string.Join(" and ", TorchCompressors)})" +
                (cpu ? "" : "; use --device cpu for it"));
        return new DevicePlacement(device, chosen);
    }
}
