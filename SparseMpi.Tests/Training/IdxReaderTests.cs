using NUnit.Framework;
using System.Text.RegularExpressions;
using SparseMpi.Cli;
using SparseMpi.Training.Data;
using static SparseMpi.Tests.Training.IdxFileWriter;
using SparseMpi.CostModels;
using SparseMpi.Errors;

namespace SparseMpi.Tests.Training;

public class IdxReaderTests
{
    static readonly float[] Identity = Enumerable.Range(0, 256).Select(b => (float)b).ToArray();

    TempDirectory _dir = null!;

    [SetUp] public void CreateDirectory() => _dir = new TempDirectory();
    [TearDown] public void DeleteDirectory() => _dir.Dispose();

    [TestCase(false)]
    [TestCase(true)]
    public void ReadsValidImagesThroughThePixelMap(bool gzip)
    {
        string path = _dir.File("images");
        Write(path, Images(3), gzip);
        float[] map = Identity.Select(v => v * 2 + 1).ToArray();

        float[] pixels = IdxReader.ReadImages(path, map);

        byte[] expected = IdxFileWriter.Pixels(3);
        Assert.That(pixels, Has.Length.EqualTo(3 * 784));
        Assert.That(pixels, Is.EqualTo(expected.Select(b => b * 2f + 1)));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void ReadsValidLabels(bool gzip)
    {
        string path = _dir.File("labels");
        Write(path, Labels(25), gzip);

        Assert.That(IdxReader.ReadLabels(path), Is.EqualTo(Enumerable.Range(0, 25).Select(i => (byte)(i % 10))));
    }

    [Test]
    public void RecognisesGzipByContentNotByName()
    {
        string gzipWithoutSuffix = _dir.File("images-plain-name");
        string rawWithGzSuffix = _dir.File("images.gz");
        Write(gzipWithoutSuffix, Images(2), gzip: true);
        Write(rawWithGzSuffix, Images(2), gzip: false);

        Assert.That(IdxReader.ReadImages(gzipWithoutSuffix, Identity), Has.Length.EqualTo(2 * 784));
        Assert.That(IdxReader.ReadImages(rawWithGzSuffix, Identity), Has.Length.EqualTo(2 * 784));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void TruncatedPixelsAreReportedWithCounts(bool gzip)
    {
        string path = _dir.File("images");
        byte[] bytes = Images(3);
        Write(path, bytes[..(16 + 1000)], gzip);

        var e = Assert.Throws<UsageException>(() => IdxReader.ReadImages(path, Identity))!;
        Assert.That(e.Message, Is.EqualTo($"data: {path} is truncated: expected 2352 bytes of pixels, found 1000"));
    }

    [Test]
    public void TruncatedHeaderIsReported()
    {
        string path = _dir.File("labels");
        Write(path, Labels(5)[..6], gzip: false);

        var e = Assert.Throws<UsageException>(() => IdxReader.ReadLabels(path))!;
        Assert.That(e.Message, Is.EqualTo($"data: {path} is truncated: expected a 8-byte header, found 6 bytes"));
    }

    [Test]
    public void GzipCutOffMidStreamIsReported()
    {
        string path = _dir.File("images.gz");
        Write(path, Images(20), gzip: true);
        byte[] compressed = File.ReadAllBytes(path);
        File.WriteAllBytes(path, compressed[..(compressed.Length / 2)]);

        var e = Assert.Throws<UsageException>(() => IdxReader.ReadImages(path, Identity))!;
        Assert.That(e.Message, Does.Match($"^data: {Regex.Escape(path)} is (truncated|corrupt)"));
    }

    [Test]
    public void CorruptGzipIsReported()
    {
        string path = _dir.File("images.gz");
        Write(path, Images(20), gzip: true);
        byte[] compressed = File.ReadAllBytes(path);
        for (int i = 10; i < compressed.Length - 8; i++)
            compressed[i] ^= 0x5a;
        File.WriteAllBytes(path, compressed);

        var e = Assert.Throws<UsageException>(() => IdxReader.ReadImages(path, Identity))!;
        Assert.That(e.Message, Does.StartWith($"data: {path} "));
    }

    [Test]
    public void TrailingDataIsReported()
    {
        string path = _dir.File("labels");
        Write(path, [.. Labels(5), 7], gzip: false);

        var e = Assert.Throws<UsageException>(() => IdxReader.ReadLabels(path))!;
        Assert.That(e.Message, Is.EqualTo($"data: {path} has trailing data after the 5 bytes of labels its header declares"));
    }

    [Test]
    public void CountLargerThanPayloadIsTruncation()
    {
        string path = _dir.File("labels");
        Write(path, Bytes(0x801, [6], [1, 2, 3, 4, 5]), gzip: true);

        var e = Assert.Throws<UsageException>(() => IdxReader.ReadLabels(path))!;
        Assert.That(e.Message, Is.EqualTo($"data: {path} is truncated: expected 6 bytes of labels, found 5"));
    }

    [TestCase(0x12345678, "not an idx file")]
    [TestCase(0x00000d03, "data type 0x0d is not 0x08, unsigned byte")]
    [TestCase(0x00000801, "1 dimensions, expected 3")]
    public void WrongMagicIsReported(int magic, string reason)
    {
        string path = _dir.File("images");
        Write(path, Bytes(magic, [1, 28, 28], IdxFileWriter.Pixels(1)), gzip: false);

        var e = Assert.Throws<UsageException>(() => IdxReader.ReadImages(path, Identity))!;
        Assert.That(e.Message, Is.EqualTo($"data: {path} has magic number 0x{magic:x8}, expected 0x00000803: {reason}"));
    }

    [Test]
    public void WrongImageSizeIsReported()
    {
        string path = _dir.File("images");
        Write(path, Bytes(0x803, [1, 32, 32], new byte[32 * 32]), gzip: false);

        var e = Assert.Throws<UsageException>(() => IdxReader.ReadImages(path, Identity))!;
        Assert.That(e.Message, Is.EqualTo($"data: {path} has images of 32x32 pixels, expected 28x28"));
    }

    [Test]
    public void NegativeCountIsReported()
    {
        string path = _dir.File("labels");
        Write(path, Bytes(0x801, [-1], []), gzip: false);

        var e = Assert.Throws<UsageException>(() => IdxReader.ReadLabels(path))!;
        Assert.That(e.Message, Is.EqualTo($"data: {path} has a negative size -1 in dimension 0"));
    }

    [Test]
    public void LabelOutOfRangeIsReported()
    {
        string path = _dir.File("labels");
        Write(path, Bytes(0x801, [4], [0, 9, 10, 3]), gzip: true);

        var e = Assert.Throws<UsageException>(() => IdxReader.ReadLabels(path))!;
        Assert.That(e.Message, Is.EqualTo($"data: {path} has label 10 at index 2, expected 0..9"));
    }

    [Test]
    public void MissingFileIsReported()
    {
        string path = _dir.File("absent");

        var e = Assert.Throws<UsageException>(() => IdxReader.ReadLabels(path))!;
        Assert.That(e.Message, Is.EqualTo($"data: {path} does not exist"));
    }
}
