
namespace SparseMpi.Training.Data;

/// <summary>
/// Fashion-MNIST (Xiao et al., 2017): 60000 training and 10000 test images of 28x28 grey pixels in 10 classes,
/// in the idx files of MNIST. Each file is found as its plain name or as name.gz. Pixels are normalised as
/// (x/255 - mean) / std with the training set's usual statistics, so inputs are roughly zero-mean and
/// unit-variance and the default initialisations and learning rates behave.
/// </summary>
public sealed class FashionMnist
{
    /// <summary>Where Debian's package dataset-fashion-mnist installs the files.</summary>
    public const string DefaultDirectory = "/usr/share/datasets/fashion-mnist";

    public const string DebianPackage = "dataset-fashion-mnist";

    /// <summary>Mean and standard deviation of the training pixels scaled to [0, 1].</summary>
    public const float Mean = 0.2860f;
    public const float Std = 0.3530f;

    public const int TrainCount = 60000;
    public const int TestCount = 10000;

    public ImageSet Train { get; }
    public ImageSet Test { get; }

    FashionMnist(ImageSet train, ImageSet test)
    {
        Train = train;
        Test = test;
    }

    /// <summary>Loads both splits from <paramref name="directory"/>.</summary>
    public static FashionMnist Load(string directory = DefaultDirectory) =>
        new(LoadSplit(directory, "train"), LoadSplit(directory, "t10k"));

    /// <summary>Loads one split: "train" or "t10k" (the file name prefixes of the distribution).</summary>
    public static ImageSet LoadSplit(string directory, string split)
    {
        if (split is not ("train" or "t10k"))
            throw new ArgumentException($"split '{split}' is neither train nor t10k", nameof(split));
        RequireDirectory(directory);
        string imagesPath = Find(directory, $"{split}-images-idx3-ubyte");
        string labelsPath = Find(directory, $"{split}-labels-idx1-ubyte");
        byte[] labels = IdxReader.ReadLabels(labelsPath);
        float[] pixels = IdxReader.ReadImages(imagesPath, NormalisedPixelValues());
        int images = pixels.Length / ImageSet.PixelsPerImage;
        if (images != labels.Length)
            throw new UsageException(
                $"data: {imagesPath} has {images} images but {labelsPath} has {labels.Length} labels");
        return new ImageSet(pixels, labels);
    }

    /// <summary>
    /// Null when <paramref name="directory"/> holds all four files, else one line saying what is missing: for a
    /// verb's Validate, so a wrong --data fails before any MPI or torch work. It does not read the files.
    /// </summary>
    public static string? FindProblem(string directory)
    {
        try
        {
            RequireDirectory(directory);
            foreach (string split in new[] { "train", "t10k" })
            {
                Find(directory, $"{split}-images-idx3-ubyte");
                Find(directory, $"{split}-labels-idx1-ubyte");
            }
            return null;
        }
        catch (UsageException e)
        {
            return e.Message;
        }
    }

    /// <summary>The normalised value of each of the 256 pixel bytes.</summary>
    public static float[] NormalisedPixelValues()
    {
        var values = new float[256];
        for (int b = 0; b < values.Length; b++)
            values[b] = (b / 255f - Mean) / Std;
        return values;
    }

    static void RequireDirectory(string directory)
    {
        if (!Directory.Exists(directory))
            throw new UsageException(
                $"data: directory {directory} does not exist (Debian package {DebianPackage} provides " +
                $"Fashion-MNIST in {DefaultDirectory}; or pass --data DIR)");
    }

    static string Find(string directory, string name)
    {
        string plain = Path.Combine(directory, name);
        if (File.Exists(plain))
            return plain;
        if (File.Exists(plain + ".gz"))
            return plain + ".gz";
        throw new UsageException($"data: {directory} has neither {name} nor {name}.gz");
    }
}
