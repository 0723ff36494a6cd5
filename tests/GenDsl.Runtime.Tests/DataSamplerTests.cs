using GenDsl.Data;

namespace GenDsl.Runtime.Tests;

public class DataSamplerTests
{
    private static Dataset Numbered(int rows, int columns)
    {
        var data = new float[rows * columns];
        var labels = new int[rows];
        for (int r = 0; r < rows; r++)
        {
            labels[r] = r % 10;
            for (int c = 0; c < columns; c++)
                data[r * columns + c] = r * 100 + c;
        }
        return new Dataset(data, rows, columns, labels, "numbered");
    }

    [Theory]
    [InlineData(100, 10)]
    [InlineData(103, 10)] // short last batch
    [InlineData(17, 1)]
    [InlineData(5, 64)]   // batch larger than the data set
    public void EveryEpochVisitsEveryRowExactlyOnce(int rows, int batchSize)
    {
        var d = Numbered(rows, 3);
        var sampler = new BatchSampler(d, batchSize, seed: 7);
        int perEpoch = sampler.BatchesPerEpoch;
        Assert.Equal((rows + Math.Min(batchSize, rows) - 1) / Math.Min(batchSize, rows), perEpoch);
        int[]? firstOrder = null;
        for (int epoch = 0; epoch < 3; epoch++)
        {
            var visits = new int[rows];
            var order = new List<int>();
            for (int b = 0; b < perEpoch; b++)
            {
                var batch = sampler.Next();
                Assert.Equal(epoch, sampler.Epoch);
                Assert.Equal(3, batch.Width);
                for (int i = 0; i < batch.Height; i++)
                {
                    int row = (int)(batch[i, 0] / 100);
                    Assert.Equal(row, sampler.CurrentIndices[i]);
                    Assert.Equal(row * 100 + 2, batch[i, 2]);
                    Assert.Equal(row % 10, sampler.CurrentLabels[i]);
                    visits[row]++;
                    order.Add(row);
                }
            }
            Assert.All(visits, v => Assert.Equal(1, v));
            if (rows > 5)
            {
                if (firstOrder is null)
                    firstOrder = order.ToArray();
                else
                    Assert.NotEqual(firstOrder, order.ToArray()); // reshuffled each epoch
            }
        }
    }

    [Fact]
    public void SameSeedSameBatchesOtherSeedOtherBatches()
    {
        var d = Numbered(50, 2);
        var a = new BatchSampler(d, 8, 1);
        var b = new BatchSampler(d, 8, 1);
        var c = new BatchSampler(d, 8, 2);
        bool anyDifferent = false;
        for (int i = 0; i < 20; i++)
        {
            var x = a.Next().ToArray();
            Assert.Equal(x, b.Next().ToArray());
            anyDifferent |= !x.Cast<float>().SequenceEqual(c.Next().ToArray().Cast<float>());
        }
        Assert.True(anyDifferent);
    }

    [Fact]
    public void NoShuffleVisitsRowsInOrder()
    {
        var sampler = new BatchSampler(Numbered(7, 1), 3, 0, shuffle: false);
        int expected = 0;
        for (int i = 0; i < 6; i++) // two epochs of 3 + 3 + 1
        {
            var batch = sampler.Next();
            for (int r = 0; r < batch.Height; r++)
                Assert.Equal((expected++ % 7) * 100, batch[r, 0]);
        }
        Assert.Equal(1, sampler.Epoch);
    }

    [Fact]
    public void DropLastGivesOnlyFullBatches()
    {
        var sampler = new BatchSampler(Numbered(10, 1), 4, 3, dropLast: true);
        Assert.Equal(2, sampler.BatchesPerEpoch);
        for (int i = 0; i < 9; i++)
        {
            Assert.Equal(4, sampler.Next().Height);
            Assert.Equal(i / 2, sampler.Epoch);
        }
    }

    [Fact]
    public void NextAndOneHotAllocateNothingInSteadyState()
    {
        var d = Numbered(1000, 17);
        var sampler = new BatchSampler(d, 64, 5);
        sampler.Next();
        sampler.CurrentOneHot(10);
        long before = GC.GetAllocatedBytesForCurrentThread();
        float sum = 0;
        for (int i = 0; i < 100; i++) // crosses several epoch boundaries (16 batches per epoch)
        {
            var batch = sampler.Next();
            var oneHot = sampler.CurrentOneHot(10);
            sum += batch[0, 0] + oneHot[0, 0];
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.True(sum >= 0);
        Assert.True(sampler.Epoch >= 6);
    }

    [Fact]
    public void OneHotMarksTheLabelColumn()
    {
        var sampler = new BatchSampler(Numbered(30, 2), 7, 9);
        sampler.Next();
        var oneHot = sampler.CurrentOneHot(12);
        Assert.Equal(7, oneHot.Height);
        Assert.Equal(12, oneHot.Width);
        for (int i = 0; i < 7; i++)
        {
            int label = sampler.CurrentLabels[i];
            for (int k = 0; k < 12; k++)
                Assert.Equal(k == label ? 1f : 0f, oneHot[i, k]);
        }
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => sampler.CurrentOneHot(5));
        Assert.Contains("at least 10", ex.Message);
    }

    [Fact]
    public void BadArgumentsAreRejected()
    {
        var d = Numbered(10, 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => new BatchSampler(d, 0, 1));
        var ex = Assert.Throws<ArgumentException>(() => new BatchSampler(d, 11, 1, dropLast: true));
        Assert.Contains("10 rows", ex.Message);
        var unlabelled = new BatchSampler(new Dataset(new float[4], 4, 1), 2, 1);
        unlabelled.Next();
        Assert.Throws<InvalidOperationException>(() => unlabelled.CurrentOneHot(2));
    }
}
