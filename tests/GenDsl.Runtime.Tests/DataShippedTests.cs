using GenDsl.Data;

namespace GenDsl.Runtime.Tests;

public class DataShippedTests
{
    [Fact]
    public void DigitsLoadsTheUciTestSet()
    {
        var d = Digits.Load();
        Assert.Equal(1797, d.Rows);
        Assert.Equal(64, d.Columns);
        Assert.Equal("digits", d.Name);
        Assert.Equal(10, d.ClassCount);
        // Every pixel is a count 0 … 16 divided by 16.
        Assert.All(d.Data, v =>
        {
            Assert.InRange(v, 0f, 1f);
            Assert.Equal(Math.Round(v * 16), v * 16, 6);
        });
        // Class counts of optdigits.tes as published on the UCI page for the data set.
        int[] uci = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180];
        var counts = new int[10];
        foreach (int l in d.Labels)
            counts[l]++;
        Assert.Equal(uci, counts);
        // scikit-learn's digits.images[0], the 0 shown in its documentation: first row 0 0 5 13 9 1 0 0.
        float[] firstRow = [0, 0, 5, 13, 9, 1, 0, 0];
        for (int c = 0; c < 8; c++)
            Assert.Equal(firstRow[c] / 16f, d.Row(0)[c]);
        Assert.Equal(0, d.Labels[0]);
    }

    [Fact]
    public void MnistLoads10000RealDigits()
    {
        var d = Mnist.Load();
        Assert.Equal(10000, d.Rows);
        Assert.Equal(784, d.Columns);
        Assert.Equal("mnist", d.Name);
        Assert.Equal(10, d.ClassCount);
        Assert.All(d.Data, v =>
        {
            Assert.InRange(v, 0f, 1f);
            Assert.Equal(Math.Round(v * 255), v * 255, 3); // a byte / 255
        });
        var counts = new int[10];
        foreach (int l in d.Labels)
            counts[l]++;
        Assert.Equal([1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978], counts); // the package's per-digit files
        for (int i = 1; i < d.Rows; i++)
            Assert.True(d.Labels[i] >= d.Labels[i - 1], "rows are grouped by digit, as in the package");

        // MNIST digits are centred in a 20 × 20 box inside the 28 × 28 frame: the outer 2-pixel
        // border is almost empty while the centre holds ink.
        double border = 0, centre = 0;
        int borderCount = 0, centreCount = 0;
        for (int r = 0; r < d.Rows; r++)
        {
            var row = d.Row(r);
            for (int y = 0; y < 28; y++)
                for (int x = 0; x < 28; x++)
                {
                    bool isBorder = x < 2 || y < 2 || x >= 26 || y >= 26;
                    bool isCentre = x >= 10 && x < 18 && y >= 10 && y < 18;
                    if (isBorder) { border += row[y * 28 + x]; borderCount++; }
                    if (isCentre) { centre += row[y * 28 + x]; centreCount++; }
                }
        }
        Assert.True(border / borderCount < 0.005, $"border mean {border / borderCount}");
        Assert.True(centre / centreCount > 0.2, $"centre mean {centre / centreCount}");
    }

    [Theory]
    [InlineData("digits", 0.85)]
    [InlineData("mnist", 0.75)]
    public void LabelsMatchTheImages(string which, double minimumAccuracy)
    {
        // A nearest-class-mean classifier trained on 70 % and scored on 30 % only does well if every
        // label belongs to its image (a shifted or shuffled label file would give ≈ 10 %).
        var d = which == "digits" ? Digits.Load() : Mnist.Load();
        var (train, test) = d.Split(0.3, seed: 1);
        var means = new double[10, d.Columns];
        var counts = new int[10];
        for (int r = 0; r < train.Rows; r++)
        {
            int l = train.Labels[r];
            counts[l]++;
            var row = train.Row(r);
            for (int c = 0; c < d.Columns; c++)
                means[l, c] += row[c];
        }
        for (int k = 0; k < 10; k++)
            for (int c = 0; c < d.Columns; c++)
                means[k, c] /= counts[k];
        int correct = 0;
        for (int r = 0; r < test.Rows; r++)
        {
            var row = test.Row(r);
            int best = -1;
            double bestDistance = double.PositiveInfinity;
            for (int k = 0; k < 10; k++)
            {
                double distance = 0;
                for (int c = 0; c < d.Columns; c++)
                {
                    double e = row[c] - means[k, c];
                    distance += e * e;
                }
                if (distance < bestDistance) { bestDistance = distance; best = k; }
            }
            correct += best == test.Labels[r] ? 1 : 0;
        }
        double accuracy = (double)correct / test.Rows;
        Assert.True(accuracy > minimumAccuracy, $"{which}: nearest-mean accuracy {accuracy:P1}");
    }

    [Fact]
    public void EachLoadIsAFreshCopy()
    {
        var a = Digits.Load();
        a.Data[0] = 42;
        Assert.NotEqual(42f, Digits.Load().Data[0]);
    }
}
