using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace SparseMpi.Training.Devices;

/// <summary>
/// A host (CPU) tensor allocated once, with a span over its memory: the one place where data crosses between a
/// device tensor and host code (MPI, checkpoints, hashes, the sparse wire format). Copies go through
/// <c>copy_</c>, so the same code moves CPU-to-CPU in tests and host-to-GPU on a GPU. On a CUDA device the buffer
/// is page-locked (pinned), so the copies are DMA transfers instead of a bounce through a driver buffer.
/// </summary>
public sealed unsafe class HostStaging<T> : IDisposable where T : unmanaged
{
    readonly void* _data;

    /// <summary>The CPU tensor, 1-D of <see cref="Capacity"/> elements.</summary>
    public Tensor Tensor { get; }

    public int Capacity { get; }

    /// <summary>The tensor's memory: what host code reads and writes.</summary>
    public Span<T> Span => new(_data, Capacity);

    public HostStaging(int capacity, Device partner)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        Capacity = capacity;
        Tensor cpu = torch.empty(Math.Max(capacity, 1), ElementType);
        if (partner.type == DeviceType.CUDA)
        {
            Tensor pinned = cpu.pin_memory();
            cpu.Dispose();
            cpu = pinned;
        }
        Tensor = cpu;
        // Never resized, so the storage stays where it is for the tensor's lifetime.
        _data = Unsafe.AsPointer(ref MemoryMarshal.GetReference(Tensor.bytes));
    }

    static ScalarType ElementType =>
        typeof(T) == typeof(float) ? ScalarType.Float32
        : typeof(T) == typeof(long) ? ScalarType.Int64
        : throw new NotSupportedException($"no staging for {typeof(T).Name}: float and long only");

    /// <summary>Copies the first <paramref name="count"/> elements of <paramref name="source"/> (any device) into <see cref="Span"/>.</summary>
    public Span<T> Download(Tensor source, int count)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, Capacity);
        using (Tensor from = source.narrow(0, 0, count))
        using (Tensor to = Tensor.narrow(0, 0, count))
            to.copy_(from);
        return Span[..count];
    }

    /// <summary>Copies the first <paramref name="count"/> elements of <see cref="Span"/> into <paramref name="destination"/> (any device).</summary>
    public void Upload(Tensor destination, int count)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, Capacity);
        using Tensor from = Tensor.narrow(0, 0, count);
        using Tensor to = destination.narrow(0, 0, count);
        to.copy_(from);
    }

    public void Dispose() => Tensor.Dispose();
}
