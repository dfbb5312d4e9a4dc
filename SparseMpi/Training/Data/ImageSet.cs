namespace SparseMpi.Training.Data;

/// <summary>
/// A labelled set of 28x28 grey images, as the models consume them: every pixel already normalised to float32
/// and all images in one contiguous array, so a batch is filled with one span copy per image and no per-step
/// conversion or allocation.
/// </summary>
public sealed class ImageSet
{
    public const int Height = 28;
    public const int Width = 28;
    public const int PixelsPerImage = Height * Width;
    public const int Classes = 10;

    /// <summary>Count * <see cref="PixelsPerImage"/> normalised pixels, image after image, row-major.</summary>
    public float[] Pixels { get; }

    /// <summary>Count class labels, each in 0..<see cref="Classes"/>-1.</summary>
    public byte[] Labels { get; }

    public int Count => Labels.Length;

    public ImageSet(float[] pixels, byte[] labels)
    {
        if (pixels.LongLength != (long)labels.Length * PixelsPerImage)
            throw new ArgumentException(
                $"{pixels.LongLength} pixels do not make {labels.Length} images of {PixelsPerImage} pixels");
        Pixels = pixels;
        Labels = labels;
    }

    /// <summary>The pixels of image <paramref name="index"/>.</summary>
    public ReadOnlySpan<float> Image(int index) => Pixels.AsSpan(index * PixelsPerImage, PixelsPerImage);

    /// <summary>
    /// A copy of images [start, start + count): for quick experiments and tests on part of a split. It allocates,
    /// so take it once, not per step.
    /// </summary>
    public ImageSet Slice(int start, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(start + count, Count);
        return new ImageSet(
            Pixels.AsSpan(start * PixelsPerImage, count * PixelsPerImage).ToArray(),
            Labels.AsSpan(start, count).ToArray());
    }
}
