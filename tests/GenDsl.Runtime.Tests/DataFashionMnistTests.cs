using System.Security.Cryptography;
using GenDsl.Data;

namespace GenDsl.Runtime.Tests;

/// <summary>The shipped Fashion-MNIST subset (issue #12): counts, shapes, classes, pixel range, and the exact bytes of the Debian files.</summary>
public class DataFashionMnistTests
{
    /// <summary>The pixels back as the bytes of the IDX file (each value is byte / 255, correctly rounded).</summary>
    private static byte[] Bytes(ReadOnlySpan<float> pixels)
    {
        var bytes = new byte[pixels.Length];
        for (int i = 0; i < pixels.Length; i++)
        {
            bytes[i] = (byte)MathF.Round(pixels[i] * 255);
            Assert.Equal(bytes[i] / 255f, pixels[i]);
        }
        return bytes;
    }

    private static int[] ClassCounts(Dataset d)
    {
        var counts = new int[10];
        foreach (int l in d.Labels)
            counts[l]++;
        return counts;
    }

    // SHA-256 values computed from the Debian package dataset-fashion-mnist 0.0~git20200523.55506a9-1
    // (/usr/share/datasets/fashion-mnist/{train,t10k}-images-idx3-ubyte.gz, decompressed).

    [Fact]
    public void TrainingSubsetIsTheFirst10000ImagesOfTheTrainingSet()
    {
        var d = FashionMnist.LoadTrain();
        Assert.Equal(FashionMnist.TrainCount, d.Rows);
        Assert.Equal(10000, d.Rows);
        Assert.Equal(FashionMnist.ImageSize * FashionMnist.ImageSize, d.Columns);
        Assert.Equal("fashion-train", d.Name);
        Assert.Equal(10, d.ClassCount);
        Assert.Equal([942, 1027, 1016, 1019, 974, 989, 1021, 1022, 990, 1000], ClassCounts(d));

        byte[] pixels = Bytes(d.Data);
        Assert.Equal(0, pixels.Min());
        Assert.Equal(255, pixels.Max());
        // The first image (an ankle boot, label 9): its 784 bytes, and then all 7,840,000.
        Assert.Equal("5bd44e331a6d6998daf675700cd0c13dcd7af8ab954b7585124124da61459e7b", Convert.ToHexStringLower(SHA256.HashData(pixels.AsSpan(0, 784))));
        Assert.Equal(9, d.Labels[0]);
        Assert.Equal("2929ae1c7b89e0ee6587bbe4911fd5f0a5dafe21ae6ed9b737173cbfe20c12c9", Convert.ToHexStringLower(SHA256.HashData(pixels)));
        Assert.Equal(0.2863, d.Data.Average(), 4);
    }

    [Fact]
    public void TestSubsetIsTheFirst2000ImagesOfTheTestSet()
    {
        var d = FashionMnist.LoadTest();
        Assert.Equal(FashionMnist.TestCount, d.Rows);
        Assert.Equal(2000, d.Rows);
        Assert.Equal(784, d.Columns);
        Assert.Equal("fashion-test", d.Name);
        Assert.Equal([200, 203, 214, 190, 219, 195, 197, 200, 194, 188], ClassCounts(d));

        byte[] pixels = Bytes(d.Data);
        Assert.Equal("ffc7351ed0f8bae542820866086177fa4e0b366b97bf9d998dffdb8dbe138787", Convert.ToHexStringLower(SHA256.HashData(pixels.AsSpan(0, 784))));
        Assert.Equal(9, d.Labels[0]);
        Assert.Equal("09bbac78738f0229a68f7ca74e62665d7fb34f45ea7a3509ab5c4a202c1370de", Convert.ToHexStringLower(SHA256.HashData(pixels)));
    }

    [Fact]
    public void ClassNamesAreTheAuthorsTen()
    {
        Assert.Equal(
            ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
            FashionMnist.ClassNames);
    }

    [Fact]
    public void LabelsMatchTheImages()
    {
        // Nearest class mean, fitted on the training subset and scored on the test subset: between 60
        // and 80 % here; about 10 % if labels and images were out of step.
        var train = FashionMnist.LoadTrain();
        var test = FashionMnist.LoadTest();
        var means = new double[10, 784];
        var counts = ClassCounts(train);
        for (int r = 0; r < train.Rows; r++)
        {
            var row = train.Row(r);
            for (int c = 0; c < 784; c++)
                means[train.Labels[r], c] += row[c] / counts[train.Labels[r]];
        }
        int correct = 0;
        for (int r = 0; r < test.Rows; r++)
        {
            var row = test.Row(r);
            int best = 0;
            double bestDistance = double.PositiveInfinity;
            for (int k = 0; k < 10; k++)
            {
                double distance = 0;
                for (int c = 0; c < 784; c++)
                    distance += (row[c] - means[k, c]) * (row[c] - means[k, c]);
                if (distance < bestDistance) { bestDistance = distance; best = k; }
            }
            correct += best == test.Labels[r] ? 1 : 0;
        }
        Assert.InRange((double)correct / test.Rows, 0.6, 0.8);
    }

    [Fact]
    public void EachLoadIsAFreshCopy()
    {
        var a = FashionMnist.LoadTest();
        a.Data[0] = 42;
        Assert.NotEqual(42f, FashionMnist.LoadTest().Data[0]);
    }
}
