using NUnit.Framework;
using System.Diagnostics;
using SparseMpi.Cli;
using SparseMpi.Training.Data;
using static SparseMpi.Tests.Training.IdxFileWriter;
using SparseMpi.CostModels;
using SparseMpi.Errors;

namespace SparseMpi.Tests.Training;

public class FashionMnistTests
{
    [Test]
    public void RealDataSetLoadsBothSplits()
    {
        var watch = Stopwatch.StartNew();
        FashionMnist data = TestData.FashionMnist;
        TestContext.Out.WriteLine($"Fashion-MNIST loaded in {watch.Elapsed.TotalMilliseconds:F0} ms (0 if loaded earlier)");

        Assert.That(data.Train.Count, Is.EqualTo(60000));
        Assert.That(data.Test.Count, Is.EqualTo(10000));
        Assert.That(data.Train.Pixels, Has.Length.EqualTo(60000 * 784));
        // Balanced classes: Fashion-MNIST has 6000 training and 1000 test images per class.
        Assert.That(data.Train.Labels.CountBy(l => l).Select(g => g.Value), Is.All.EqualTo(6000));
        Assert.That(data.Test.Labels.CountBy(l => l).Select(g => g.Value), Is.All.EqualTo(1000));
    }

    [Test]
    public void RealPixelsAreNormalisedWithTheUsualStatistics()
    {
        float[] pixels = TestData.FashionMnist.Train.Pixels;
        double sum = 0, squares = 0;
        foreach (float p in pixels)
        {
            sum += p;
            squares += (double)p * p;
        }
        double mean = sum / pixels.Length;
        double std = Math.Sqrt(squares / pixels.Length - mean * mean);

        Assert.That(mean, Is.EqualTo(0).Within(0.01));
        Assert.That(std, Is.EqualTo(1).Within(0.01));
        Assert.That(pixels.Min(), Is.EqualTo(-FashionMnist.Mean / FashionMnist.Std).Within(1e-6));
    }

    [Test]
    public void FindsPlainAndGzippedFilesAndNormalises()
    {
        using var dir = new TempDirectory();
        Write(dir.File("t10k-images-idx3-ubyte"), Images(4), gzip: false);
        Write(dir.File("t10k-labels-idx1-ubyte.gz"), Labels(4), gzip: true);

        ImageSet set = FashionMnist.LoadSplit(dir.Path, "t10k");

        Assert.That(set.Count, Is.EqualTo(4));
        Assert.That(set.Labels, Is.EqualTo(new byte[] { 0, 1, 2, 3 }));
        byte raw = IdxFileWriter.Pixels(4)[784 + 5];
        Assert.That(set.Image(1)[5], Is.EqualTo((raw / 255f - 0.2860f) / 0.3530f).Within(1e-6));
    }

    [Test]
    public void ImageAndLabelCountMismatchIsReported()
    {
        using var dir = new TempDirectory();
        Write(dir.File("train-images-idx3-ubyte.gz"), Images(3), gzip: true);
        Write(dir.File("train-labels-idx1-ubyte.gz"), Labels(4), gzip: true);

        var e = Assert.Throws<UsageException>(() => FashionMnist.LoadSplit(dir.Path, "train"))!;
        Assert.That(e.Message, Is.EqualTo(
            $"data: {dir.File("train-images-idx3-ubyte.gz")} has 3 images but {dir.File("train-labels-idx1-ubyte.gz")} has 4 labels"));
    }

    [Test]
    public void MissingFileIsReportedByName()
    {
        using var dir = new TempDirectory();
        Write(dir.File("train-images-idx3-ubyte.gz"), Images(3), gzip: true);

        var e = Assert.Throws<UsageException>(() => FashionMnist.LoadSplit(dir.Path, "train"))!;
        Assert.That(e.Message, Is.EqualTo($"data: {dir.Path} has neither train-labels-idx1-ubyte nor train-labels-idx1-ubyte.gz"));
        Assert.That(FashionMnist.FindProblem(dir.Path), Is.EqualTo(e.Message));
    }

    [Test]
    public void MissingDirectoryNamesTheDebianPackage()
    {
        const string dir = "/nonexistent/fashion-mnist";

        var e = Assert.Throws<UsageException>(() => FashionMnist.Load(dir))!;
        Assert.That(e.Message, Does.StartWith($"data: directory {dir} does not exist"));
        Assert.That(e.Message, Does.Contain("dataset-fashion-mnist"));
        Assert.That(FashionMnist.FindProblem(dir), Is.EqualTo(e.Message));
    }

    [Test]
    public void FindProblemAcceptsTheInstalledDataSet() =>
        Assert.That(FashionMnist.FindProblem(FashionMnist.DefaultDirectory), Is.Null);
}
