namespace GenDsl.Runtime.Tests;

/// <summary>
/// <see cref="FlowIndex"/>, the index tables the generated image flows compute when their type is first used, against
/// naive statements of docs/flow-layers.md ("Squeeze", "Convolutional couplings") on awkward shapes.
/// </summary>
public class FlowIndexTests
{
    public static TheoryData<int, int, int> Shapes => new() { { 1, 2, 2 }, { 3, 4, 6 }, { 2, 6, 2 }, { 5, 8, 10 }, { 1, 28, 28 }, { 4, 14, 14 } };

    /// <summary>The squeeze as torch's view(B, C, H/2, 2, W/2, 2).permute(0, 1, 3, 5, 2, 4): walk the output in that 6-D order.</summary>
    [Theory]
    [MemberData(nameof(Shapes))]
    public void SqueezeIsTorchsViewPermuteReshape(int c, int h, int w)
    {
        var order = FlowIndex.Squeeze(c, h, w);
        var expected = new List<int>();
        // output axes after the permute: (c, i, j, h2, w2); reshape merges (c, i, j) into channel 4c + 2i + j
        for (int ch = 0; ch < c; ch++)
            for (int i = 0; i < 2; i++)
                for (int j = 0; j < 2; j++)
                    for (int y = 0; y < h / 2; y++)
                        for (int x = 0; x < w / 2; x++)
                            expected.Add(ch * h * w + (2 * y + i) * w + 2 * x + j); // the view's index (ch, y, i, x, j) in the input
        Assert.Equal(expected, order);
        Assert.Equal(Enumerable.Range(0, c * h * w), order.Order()); // a permutation
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ImageMasksKeepWhatTheDocsSay(int c, int h, int w)
    {
        foreach (var mask in new[] { Mask.ChannelsFirstHalf, Mask.ChannelsSecondHalf, Mask.CheckerboardEven, Mask.CheckerboardOdd })
        {
            var kept = FlowIndex.ImageKept(mask, c, h, w);
            var transformed = FlowIndex.ImageTransformed(mask, c, h, w);
            var expectedKept = new List<int>();
            for (int f = 0; f < c * h * w; f++)
            {
                int ch = f / (h * w), y = f / w % h, x = f % w;
                bool keep = mask switch
                {
                    Mask.ChannelsFirstHalf => ch < c / 2,
                    Mask.ChannelsSecondHalf => ch >= c / 2,
                    Mask.CheckerboardEven => (y + x) % 2 == 0,
                    _ => (y + x) % 2 == 1,
                };
                if (keep)
                    expectedKept.Add(f);
            }
            Assert.Equal(expectedKept, kept);
            Assert.Equal(Enumerable.Range(0, c * h * w).Except(expectedKept), transformed); // the complement, ascending
        }
    }

    [Fact]
    public void HeadColumnsReadEachHeadAtTheTransformedFeatures()
    {
        var transformed = FlowIndex.ImageTransformed(Mask.CheckerboardOdd, 3, 4, 5);
        var columns = FlowIndex.HeadColumns(transformed, 2, 3, 20);
        Assert.Equal(2 * transformed.Length, columns.Length);
        for (int t = 0; t < transformed.Length; t++)
        {
            Assert.Equal(transformed[t], columns[t]);                      // r at channel c, pixel p: column c·P + p
            Assert.Equal(3 * 20 + transformed[t], columns[transformed.Length + t]); // m: (C + c)·P + p
        }
    }

    [Fact]
    public void MergePositionsInvertTheConcatenationOfKeptAndTransformed()
    {
        var kept = FlowIndex.ImageKept(Mask.CheckerboardOdd, 2, 3, 3);
        var transformed = FlowIndex.ImageTransformed(Mask.CheckerboardOdd, 2, 3, 3);
        var merged = kept.Concat(transformed).ToArray(); // column c of [u_K | v_T] holds feature merged[c]
        var position = FlowIndex.MergePositions(kept, transformed);
        for (int j = 0; j < 18; j++)
            Assert.Equal(j, merged[position[j]]);
        Assert.Contains("listed twice", Assert.Throws<ArgumentException>(() => FlowIndex.MergePositions(new[] { 0, 1 }, new[] { 1, 2 })).Message);
    }

    [Fact]
    public void HeadChannelsAreTheTransformedFeaturesChannelsFromTheFirst()
    {
        var transformed = FlowIndex.ImageTransformed(Mask.ChannelsFirstHalf, 5, 2, 3); // channels 2, 3, 4
        Assert.Equal(Enumerable.Range(0, 3).SelectMany(t => Enumerable.Repeat(t, 6)), FlowIndex.HeadChannels(transformed, 6, 2));
        var checkerboard = FlowIndex.ImageTransformed(Mask.CheckerboardEven, 2, 2, 2); // pixel 1 and 2 of each channel
        Assert.Equal(new[] { 0, 0, 1, 1 }, FlowIndex.HeadChannels(checkerboard, 4, 0));
    }

    [Fact]
    public void BadShapesAndMasksAreClearErrors()
    {
        Assert.Contains("[2, 3, 4]", Assert.Throws<ArgumentException>(() => FlowIndex.Squeeze(2, 3, 4)).Message);
        Assert.Contains("[0, 4, 4]", Assert.Throws<ArgumentOutOfRangeException>(() => FlowIndex.Squeeze(0, 4, 4)).Message);
        Assert.Contains("image masks", Assert.Throws<ArgumentOutOfRangeException>(() => FlowIndex.ImageKept(Mask.Even, 2, 2, 2)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => FlowIndex.ImageKept(Mask.ChannelsFirstHalf, 65536, 65536, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => FlowIndex.HeadColumns(new[] { 1 }, 0, 2, 2));
    }

    [Fact]
    public void EveryCallReturnsANewTable()
    {
        var a = FlowIndex.Squeeze(1, 2, 2);
        a[0] = 99;
        Assert.Equal(0, FlowIndex.Squeeze(1, 2, 2)[0]);
    }
}
