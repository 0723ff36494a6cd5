using CommunityToolkit.HighPerformance;
using GenDsl.Data;

namespace GenDsl.Runtime.Tests;

public class DatasetTests
{
    private static Dataset Numbered(int rows, int columns, bool labels = true)
    {
        // Value at (r, c) = r * 1000 + c, so every copied value says where it came from.
        var data = new float[rows * columns];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++)
                data[r * columns + c] = r * 1000 + c;
        int[]? l = null;
        if (labels)
        {
            l = new int[rows];
            for (int r = 0; r < rows; r++)
                l[r] = r % 3;
        }
        return new Dataset(data, rows, columns, l, "numbered");
    }

    [Fact]
    public void ConstructorRejectsMismatchedSizesWithBothNumbers()
    {
        var ex = Assert.Throws<ArgumentException>(() => new Dataset(new float[10], 3, 4));
        Assert.Equal("data", ex.ParamName);
        Assert.Contains("10", ex.Message);
        Assert.Contains("12", ex.Message);

        var ex2 = Assert.Throws<ArgumentException>(() => new Dataset(new float[12], 3, 4, new int[2]));
        Assert.Equal("labels", ex2.ParamName);
        Assert.Contains("2", ex2.Message);
        Assert.Contains("3 rows", ex2.Message);

        var ex3 = Assert.Throws<ArgumentException>(() => new Dataset(new float[12], 3, 4, [0, -1, 2]));
        Assert.Contains("labels[1]", ex3.Message);
    }

    [Fact]
    public void ViewsShowTheRightValues()
    {
        var d = Numbered(5, 3);
        Assert.Equal(5, d.Rows);
        Assert.Equal(3, d.Columns);
        Assert.Equal(3, d.ClassCount);
        var all = d.AsSpan2D();
        Assert.Equal(5, all.Height);
        Assert.Equal(3, all.Width);
        Assert.Equal(4002f, all[4, 2]);
        var mid = d.GetRows(2, 2);
        Assert.Equal(2, mid.Height);
        Assert.Equal(2000f, mid[0, 0]);
        Assert.Equal(3001f, mid[1, 1]);
        Assert.Equal(0, d.GetRows(5, 0).Height);
        Assert.Throws<ArgumentOutOfRangeException>(() => d.GetRows(4, 2));
        Assert.Equal(1002f, d.Row(1)[2]);
    }

    [Fact]
    public void CopyBatchGathersRowsIntoAPitchedDestinationWithoutAllocating()
    {
        var d = Numbered(17, 3);
        int[] idx = [16, 0, 5, 5, 9];
        // A destination with pitch: 5 rows of 3 inside a 5 × 7 buffer.
        var buffer = new float[5 * 7];
        Array.Fill(buffer, -1f);
        var dest = new Span2D<float>(buffer, 0, 5, 3, 4);
        d.CopyBatch(idx, dest); // warm up
        long before = GC.GetAllocatedBytesForCurrentThread();
        d.CopyBatch(idx, dest);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        for (int i = 0; i < idx.Length; i++)
        {
            for (int c = 0; c < 3; c++)
                Assert.Equal(idx[i] * 1000 + c, buffer[i * 7 + c]);
            for (int c = 3; c < 7; c++)
                Assert.Equal(-1f, buffer[i * 7 + c]); // the pitch gap is untouched
        }
    }

    [Fact]
    public void CopyBatchRejectsWrongShapesAndIndices()
    {
        var d = Numbered(4, 3);
        var ex = Assert.Throws<ArgumentException>(() => d.CopyBatch([0, 1], new Span2D<float>(new float[4], 2, 2)));
        Assert.Contains("2 × 3", ex.Message);
        var ex2 = Assert.Throws<ArgumentOutOfRangeException>(() => d.CopyBatch([0, 4], new Span2D<float>(new float[6], 2, 3)));
        Assert.Contains("rowIndices[1] is 4", ex2.Message);
    }

    [Theory]
    [InlineData(100, 0.2, 20)]
    [InlineData(10, 0.25, 3)] // 2.5 rounds away from zero
    [InlineData(7, 0.5, 4)]   // 3.5 → 4
    public void SplitPartitionsTheRowsDeterministically(int rows, double fraction, int expectedTest)
    {
        var d = Numbered(rows, 2);
        var (train, test) = d.Split(fraction, seed: 42);
        Assert.Equal(expectedTest, test.Rows);
        Assert.Equal(rows - expectedTest, train.Rows);

        // Each original row appears exactly once across the two parts, with its own label.
        var seen = new int[rows];
        foreach (var part in new[] { train, test })
        {
            int previous = -1;
            for (int i = 0; i < part.Rows; i++)
            {
                int original = (int)(part.Row(i)[0] / 1000);
                Assert.Equal(original * 1000 + 1, part.Row(i)[1]);
                Assert.Equal(original % 3, part.Labels[i]);
                Assert.True(original > previous, "rows keep their original relative order");
                previous = original;
                seen[original]++;
            }
        }
        Assert.All(seen, s => Assert.Equal(1, s));

        var (train2, test2) = d.Split(fraction, seed: 42);
        Assert.Equal(test.Data, test2.Data);
        Assert.Equal(train.Data, train2.Data);
    }

    [Fact]
    public void SplitDependsOnTheSeedAndLooksUniform()
    {
        var d = Numbered(1000, 1, labels: false);
        var (_, a) = d.Split(0.3, 1);
        var (_, b) = d.Split(0.3, 2);
        Assert.NotEqual(a.Data, b.Data);
        // The test rows should be spread over the whole range: each tenth holds ≈ 30 of 300.
        var perTenth = new int[10];
        foreach (float v in a.Data)
            perTenth[(int)(v / 1000) / 100]++;
        Assert.All(perTenth, c => Assert.InRange(c, 12, 48)); // ±18 ≈ 4σ of a binomial(100, 0.3)
    }

    [Fact]
    public void SplitRejectsFractionsThatLeaveAPartEmpty()
    {
        var d = Numbered(3, 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => d.Split(0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => d.Split(1, 1));
        var ex = Assert.Throws<ArgumentException>(() => d.Split(0.1, 1));
        Assert.Contains("0 test rows", ex.Message);
    }
}
