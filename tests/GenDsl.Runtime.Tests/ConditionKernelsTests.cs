using GenDsl.Numerics;

namespace GenDsl.Runtime.Tests;

/// <summary><see cref="ConditionKernels.Resize"/> against a naive double-precision adaptive average pooling on awkward sizes.</summary>
public class ConditionKernelsTests
{
    [Theory]
    [InlineData(1, 7, 7, 28, 28)]  // super-resolution's condition: each value over a 4×4 block
    [InlineData(1, 28, 28, 7, 7)]  // an average pool of 4×4 blocks
    [InlineData(3, 3, 5, 4, 4)]    // rows enlarged, columns shrunk, both by non-integer ratios
    [InlineData(2, 1, 1, 5, 3)]    // one value everywhere
    [InlineData(2, 6, 4, 6, 4)]    // the same size: a copy
    [InlineData(1, 5, 7, 2, 3)]
    public void MatchesNaiveAdaptiveAveragePooling(int channels, int height, int width, int outHeight, int outWidth)
    {
        var rng = new Rng(5);
        var source = new float[channels * height * width];
        rng.FillNormal(source, 0f, 1f);
        var destination = new float[channels * outHeight * outWidth + 3];
        destination.AsSpan().Fill(float.NaN);
        ConditionKernels.Resize(source, channels, height, width, destination, outHeight, outWidth);
        for (int c = 0; c < channels; c++)
            for (int i = 0; i < outHeight; i++)
                for (int j = 0; j < outWidth; j++)
                {
                    // torch's adaptive_avg_pool2d: rows ⌊i·h/H⌋ … ⌈(i+1)·h/H⌉ − 1, columns likewise
                    int r0 = (int)Math.Floor((double)i * height / outHeight), r1 = (int)Math.Ceiling((double)(i + 1) * height / outHeight);
                    int c0 = (int)Math.Floor((double)j * width / outWidth), c1 = (int)Math.Ceiling((double)(j + 1) * width / outWidth);
                    double sum = 0;
                    for (int r = r0; r < r1; r++)
                        for (int q = c0; q < c1; q++)
                            sum += source[(c * height + r) * width + q];
                    double expected = sum / ((r1 - r0) * (c1 - c0));
                    Assert.Equal(expected, destination[(c * outHeight + i) * outWidth + j], 1e-6);
                }
        Assert.All(destination.AsSpan(channels * outHeight * outWidth).ToArray(), v => Assert.True(float.IsNaN(v))); // nothing written past the image
    }

    [Fact]
    public void AnIntegerEnlargementRepeatsEachValue()
    {
        var source = new float[] { 1, 2, 3, 4 };
        var destination = new float[16];
        ConditionKernels.Resize(source, 1, 2, 2, destination, 4, 4);
        Assert.Equal(new float[] { 1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4 }, destination);
    }

    [Fact]
    public void BadSizesAreClearErrors()
    {
        Assert.Contains("[1, 2, 2]", Assert.Throws<ArgumentException>(() => ConditionKernels.Resize(new float[3], 1, 2, 2, new float[4], 2, 2)).Message);
        Assert.Contains("[1, 3, 3]", Assert.Throws<ArgumentException>(() => ConditionKernels.Resize(new float[4], 1, 2, 2, new float[4], 3, 3)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => ConditionKernels.Resize(new float[4], 1, 2, 2, new float[4], 0, 2));
    }

    [Fact]
    public void AllocatesNothing()
    {
        var source = new float[49];
        var destination = new float[784];
        ConditionKernels.Resize(source, 1, 7, 7, destination, 28, 28);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++)
            ConditionKernels.Resize(source, 1, 7, 7, destination, 28, 28);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
