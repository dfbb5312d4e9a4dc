using System.Buffers.Binary;
using System.IO.Compression;

namespace SparseMpi.Tests.Training;

/// <summary>Writes idx files byte by byte, valid or deliberately broken, for the reader's tests.</summary>
static class IdxFileWriter
{
    public static byte[] Bytes(int magic, int[] dims, byte[] payload)
    {
        var bytes = new byte[4 + 4 * dims.Length + payload.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, magic);
        for (int i = 0; i < dims.Length; i++)
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * i), dims[i]);
        payload.CopyTo(bytes, 4 + 4 * dims.Length);
        return bytes;
    }

    public static void Write(string path, byte[] bytes, bool gzip)
    {
        if (!gzip)
        {
            File.WriteAllBytes(path, bytes);
            return;
        }
        using var file = File.Create(path);
        using var compressed = new GZipStream(file, CompressionLevel.Fastest);
        compressed.Write(bytes);
    }

    /// <summary>Pixel i of image n is (n * 7 + i) mod 256, so every image differs and every byte value occurs.</summary>
    public static byte[] Pixels(int images) =>
        Enumerable.Range(0, images * 784).Select(k => (byte)((k / 784 * 7 + k % 784) % 256)).ToArray();

    public static byte[] Images(int count) => Bytes(0x803, [count, 28, 28], Pixels(count));

    public static byte[] Labels(int count) =>
        Bytes(0x801, [count], Enumerable.Range(0, count).Select(i => (byte)(i % 10)).ToArray());

    /// <summary>A temporary directory, deleted when disposed.</summary>
    public sealed class TempDirectory : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("sparsempi-idx-").FullName;
        public string File(string name) => System.IO.Path.Combine(Path, name);
        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
