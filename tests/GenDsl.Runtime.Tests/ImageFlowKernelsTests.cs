using CommunityToolkit.HighPerformance;

namespace GenDsl.Runtime.Tests;

/// <summary>
/// The image-flow kernels of <see cref="FlowKernels"/> against naive references on awkward sizes: the layout changes
/// (<see cref="FlowKernels.ChannelsToPixels"/>, <see cref="FlowKernels.PixelsToChannels"/>) against the documented index
/// formula written with the 4-D (row, channel, h, w) indices, and the per-channel ActNorm initialisation against a
/// two-pass mean and standard deviation in double.
/// </summary>
public sealed class ImageFlowKernelsTests
{
    [Theory]
    [InlineData(1, 1, 1, 1)]
    [InlineData(3, 5, 1, 1)]
    [InlineData(2, 3, 5, 7)]
    [InlineData(4, 7, 7, 7)]
    [InlineData(2, 1, 28, 28)]
    public void LayoutChangesFollowTheIndexFormula(int rows, int channels, int height, int width)
    {
        int pixels = height * width, d = channels * pixels;
        var rng = new Rng(5);
        var x = new float[rows * d];
        rng.FillNormal(x);
        var t = new float[rows * pixels * channels];
        FlowKernels.ChannelsToPixels(new ReadOnlySpan2D<float>(x, rows, d), new Span2D<float>(t, rows * pixels, channels), channels, pixels);
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < channels; c++)
                for (int h = 0; h < height; h++)
                    for (int w = 0; w < width; w++)
                    {
                        float want = x[((r * channels + c) * height + h) * width + w]; // x[r, c, h, w]
                        float got = t[((r * height + h) * width + w) * channels + c];  // t[(r, h, w), c]
                        Assert.Equal(want, got);
                    }
        var back = new float[x.Length];
        FlowKernels.PixelsToChannels(new ReadOnlySpan2D<float>(t, rows * pixels, channels), new Span2D<float>(back, rows, d), channels, pixels);
        Assert.Equal(x, back);
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(3, 5, 1)]
    [InlineData(4, 3, 35)]
    [InlineData(16, 4, 49)]
    public void ChannelActNormInitialisationStandardisesEachChannel(int rows, int channels, int pixels)
    {
        var rng = new Rng(9);
        var u = new float[rows * channels * pixels];
        for (int i = 0; i < u.Length; i++) u[i] = 3f + 2.5f * rng.NextNormal() + (i / pixels % channels); // a different mean per channel
        var logScale = new float[channels];
        var bias = new float[channels];
        FlowKernels.ActNormInitializeChannels(new ReadOnlySpan2D<float>(u, rows, channels * pixels), logScale, bias, channels, pixels);
        for (int c = 0; c < channels; c++)
        {
            // two passes in double: mean, then population variance
            var values = new List<double>();
            for (int r = 0; r < rows; r++)
                for (int p = 0; p < pixels; p++)
                    values.Add(u[(r * channels + c) * pixels + p]);
            double mean = values.Average();
            double std = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / values.Count);
            double ls = -Math.Log(std + 1e-6);
            Assert.True(Math.Abs(logScale[c] - ls) <= 1e-5 * Math.Max(1, Math.Abs(ls)), $"channel {c}: ls {logScale[c]} vs {ls}");
            Assert.True(Math.Abs(bias[c] - (-mean * Math.Exp(ls))) <= 1e-4 * Math.Max(1, Math.Abs(mean * Math.Exp(ls))), $"channel {c}: b {bias[c]}");
        }
    }
}
