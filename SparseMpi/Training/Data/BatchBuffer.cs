using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace SparseMpi.Training.Data;

/// <summary>
/// One batch's input and target tensors, allocated once and refilled in place every step, so a step allocates
/// nothing for its data. Input is float32 [capacity, 1, 28, 28] (the models also accept [B, 784], the same
/// memory); Target is int64 [capacity], the class indices cross-entropy expects. The tensors live on the CPU;
/// a GPU run copies them to the device.
/// </summary>
public sealed unsafe class BatchBuffer : IDisposable
{
    readonly float* _input;
    readonly long* _target;

    public int Capacity { get; }
    public Tensor Input { get; }
    public Tensor Target { get; }

    public BatchBuffer(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        Input = torch.empty([capacity, 1, ImageSet.Height, ImageSet.Width], ScalarType.Float32);
        Target = torch.empty([capacity], ScalarType.Int64);
        // The tensors are never resized, so their storage stays where it is for their lifetime; Tensor.bytes is a
        // span over that storage, not a copy.
        _input = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(Input.bytes));
        _target = (long*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(Target.bytes));
    }

    Span<float> InputSpan => new(_input, Capacity * ImageSet.PixelsPerImage);
    Span<long> TargetSpan => new(_target, Capacity);

    /// <summary>Fills all <see cref="Capacity"/> rows with the samples at <paramref name="indices"/>.</summary>
    public void Fill(ImageSet set, ReadOnlySpan<int> indices)
    {
        if (indices.Length != Capacity)
            throw new ArgumentException($"{indices.Length} indices for a batch of {Capacity}", nameof(indices));
        Span<float> input = InputSpan;
        Span<long> target = TargetSpan;
        for (int row = 0; row < indices.Length; row++)
        {
            int sample = indices[row];
            set.Image(sample).CopyTo(input.Slice(row * ImageSet.PixelsPerImage, ImageSet.PixelsPerImage));
            target[row] = set.Labels[sample];
        }
    }

    /// <summary>
    /// Fills the first <paramref name="count"/> rows with samples start..start+count-1 (in order, for evaluation);
    /// rows past count keep what they held.
    /// </summary>
    public void FillRange(ImageSet set, int start, int count)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, Capacity);
        set.Pixels.AsSpan(start * ImageSet.PixelsPerImage, count * ImageSet.PixelsPerImage).CopyTo(InputSpan);
        Span<long> target = TargetSpan;
        ReadOnlySpan<byte> labels = set.Labels.AsSpan(start, count);
        for (int row = 0; row < count; row++)
            target[row] = labels[row];
    }

    public void Dispose()
    {
        Input.Dispose();
        Target.Dispose();
    }
}
