using System.Buffers.Binary;
using System.IO.Compression;

namespace SparseMpi.Training.Data;

/// <summary>
/// Reads the idx files of MNIST and Fashion-MNIST (LeCun's format: a big-endian magic number 0x0000TTDD with
/// data type TT and DD dimensions, DD big-endian int32 sizes, then the payload), gzip-compressed or raw. The
/// compression is recognised by the gzip magic bytes 1f 8b, not by the file name, because the files are often
/// renamed or unpacked by hand. Everything is validated, and every problem surfaces as one
/// <see cref="UsageException"/> that names the file and says what is wrong, because a corrupt download is the
/// user's to fix and a stack trace would not tell them how.
/// </summary>
public static class IdxReader
{
    /// <summary>Unsigned-byte data, 3 dimensions (count, rows, columns).</summary>
    public const int ImageMagic = 0x00000803;

    /// <summary>Unsigned-byte data, 1 dimension (count).</summary>
    public const int LabelMagic = 0x00000801;

    const int UnsignedByteType = 0x08;

    // Small enough to stay in L2 while it is mapped to floats; large enough that the per-read overhead of
    // the decompressor does not show.
    const int ChunkBytes = 1 << 16;

    delegate void ChunkSink(ReadOnlySpan<byte> chunk, int offset);

    /// <summary>
    /// Reads an image file of 28x28 images and maps every pixel byte b to <paramref name="pixelValues"/>[b],
    /// straight into one float array of count * 784 (no intermediate byte copy of the whole payload).
    /// </summary>
    public static float[] ReadImages(string path, float[] pixelValues)
    {
        if (pixelValues.Length != 256)
            throw new ArgumentException("one value per byte value is needed", nameof(pixelValues));
        return WithClearErrors(path, () =>
        {
            using var stream = Open(path);
            int[] dims = ReadHeader(stream, path, ImageMagic);
            if (dims[1] != ImageSet.Height || dims[2] != ImageSet.Width)
                throw Problem(path, $"has images of {dims[1]}x{dims[2]} pixels, expected {ImageSet.Height}x{ImageSet.Width}");
            long pixelCount = (long)dims[0] * ImageSet.PixelsPerImage;
            if (pixelCount > Array.MaxLength)
                throw Problem(path, $"declares {dims[0]} images, more than one array can hold");
            // Uninitialised: every element is written below, and zeroing would touch each page twice.
            float[] pixels = GC.AllocateUninitializedArray<float>((int)pixelCount);
            ReadPayload(stream, path, pixels.Length, "pixels", (chunk, offset) =>
            {
                Span<float> destination = pixels.AsSpan(offset, chunk.Length);
                for (int i = 0; i < chunk.Length; i++)
                    destination[i] = pixelValues[chunk[i]];
            });
            return pixels;
        });
    }

    /// <summary>Reads a label file; every label must be in 0..<paramref name="classes"/>-1.</summary>
    public static byte[] ReadLabels(string path, int classes = ImageSet.Classes)
    {
        return WithClearErrors(path, () =>
        {
            using var stream = Open(path);
            int[] dims = ReadHeader(stream, path, LabelMagic);
            byte[] labels = new byte[dims[0]];
            ReadPayload(stream, path, labels.Length, "labels", (chunk, offset) => chunk.CopyTo(labels.AsSpan(offset)));
            for (int i = 0; i < labels.Length; i++)
                if (labels[i] >= classes)
                    throw Problem(path, $"has label {labels[i]} at index {i}, expected 0..{classes - 1}");
            return labels;
        });
    }

    static Stream Open(string path)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, ChunkBytes, FileOptions.SequentialScan);
        Span<byte> magic = stackalloc byte[2];
        int got = file.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false);
        file.Position = 0;
        bool gzip = got == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
        return gzip ? new GZipStream(file, CompressionMode.Decompress, leaveOpen: false) : file;
    }

    /// <summary>Validates the magic number and reads the dimension sizes.</summary>
    static int[] ReadHeader(Stream stream, string path, int expectedMagic)
    {
        int expectedDims = expectedMagic & 0xff;
        int headerBytes = 4 + 4 * expectedDims;
        Span<byte> header = stackalloc byte[headerBytes];
        int got = stream.ReadAtLeast(header[..4], 4, throwOnEndOfStream: false);
        if (got < 4)
            throw Problem(path, $"is truncated: expected a {headerBytes}-byte header, found {got} bytes");
        int magic = BinaryPrimitives.ReadInt32BigEndian(header);
        if (magic != expectedMagic)
        {
            string reason = (magic >>> 16) != 0 ? "not an idx file"
                : ((magic >> 8) & 0xff) != UnsignedByteType ? $"data type 0x{(magic >> 8) & 0xff:x2} is not 0x08, unsigned byte"
                : $"{magic & 0xff} dimensions, expected {expectedDims}";
            throw Problem(path, $"has magic number 0x{magic:x8}, expected 0x{expectedMagic:x8}: {reason}");
        }
        got += stream.ReadAtLeast(header[4..], headerBytes - 4, throwOnEndOfStream: false);
        if (got < headerBytes)
            throw Problem(path, $"is truncated: expected a {headerBytes}-byte header, found {got} bytes");
        var dims = new int[expectedDims];
        for (int i = 0; i < expectedDims; i++)
        {
            dims[i] = BinaryPrimitives.ReadInt32BigEndian(header[(4 + 4 * i)..]);
            if (dims[i] < 0)
                throw Problem(path, $"has a negative size {dims[i]} in dimension {i}");
        }
        return dims;
    }

    /// <summary>
    /// Streams exactly <paramref name="expected"/> payload bytes to <paramref name="sink"/> and requires the file
    /// to end there: a short file is truncated, a longer one is not what its header says.
    /// </summary>
    static void ReadPayload(Stream stream, string path, int expected, string what, ChunkSink sink)
    {
        byte[] chunk = new byte[ChunkBytes];
        int done = 0;
        while (done < expected)
        {
            int read = stream.Read(chunk, 0, Math.Min(chunk.Length, expected - done));
            if (read == 0)
                throw Problem(path, $"is truncated: expected {expected} bytes of {what}, found {done}");
            sink(chunk.AsSpan(0, read), done);
            done += read;
        }
        if (stream.Read(chunk, 0, 1) != 0)
            throw Problem(path, $"has trailing data after the {expected} bytes of {what} its header declares");
    }

    static T WithClearErrors<T>(string path, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw Problem(path, "does not exist");
        }
        catch (UnauthorizedAccessException)
        {
            throw Problem(path, "cannot be read: permission denied");
        }
        catch (InvalidDataException e)
        {
            // GZipStream's verdict on a damaged or cut-off compressed stream.
            throw Problem(path, $"is corrupt: {e.Message}");
        }
        catch (IOException e)
        {
            throw Problem(path, $"cannot be read: {e.Message}");
        }
    }

    static UsageException Problem(string path, string what) => new($"data: {path} {what}");
}
