namespace GenDsl.Numerics;

/// <summary>
/// Image conditions (<c>ConditionChannels</c>, <c>ConditionHeight</c>, <c>ConditionWidth</c> on [Flow], [Vae], [Gan]):
/// a convolutional network reads the condition image as extra channels of its own height and width, resized as torch's
/// <c>F.adaptive_avg_pool2d(y, (H, W))</c> does. Output pixel (i, j) is the mean of the input rows
/// ⌊i·h/H⌋ … ⌈(i + 1)·h/H⌉ − 1 and columns ⌊j·w/W⌋ … ⌈(j + 1)·w/W⌉ − 1: an average pool for an integer shrink, a
/// repetition of each value for an integer enlargement (a 7×7 condition of a 28×28 image fills 4×4 blocks), and a
/// well-defined blend in between.
/// </summary>
public static class ConditionKernels
{
    /// <summary>
    /// Resizes the channel-major image <paramref name="source"/> [channels, height, width] into
    /// <paramref name="destination"/> [channels, outHeight, outWidth] (its first channels·outHeight·outWidth values).
    /// Sums in float in row-major order over each block, then divides by the block size (as torch). No allocation.
    /// </summary>
    public static void Resize(ReadOnlySpan<float> source, int channels, int height, int width, Span<float> destination, int outHeight, int outWidth)
    {
        if (channels < 1 || height < 1 || width < 1 || outHeight < 1 || outWidth < 1)
            throw new ArgumentOutOfRangeException(nameof(channels), $"Resize needs positive sizes; got [{channels}, {height}, {width}] → [{channels}, {outHeight}, {outWidth}].");
        if (source.Length < channels * height * width)
            throw new ArgumentException($"The condition image has {source.Length} values, fewer than [{channels}, {height}, {width}] needs ({channels * height * width}).", nameof(source));
        if (destination.Length < channels * outHeight * outWidth)
            throw new ArgumentException($"The destination has {destination.Length} values, fewer than [{channels}, {outHeight}, {outWidth}] needs ({channels * outHeight * outWidth}).", nameof(destination));
        if (height == outHeight && width == outWidth)
        {
            source.Slice(0, channels * height * width).CopyTo(destination);
            return;
        }
        for (int c = 0; c < channels; c++)
        {
            var plane = source.Slice(c * height * width, height * width);
            var outPlane = destination.Slice(c * outHeight * outWidth, outHeight * outWidth);
            for (int i = 0; i < outHeight; i++)
            {
                int r0 = (int)((long)i * height / outHeight), r1 = (int)(((long)(i + 1) * height + outHeight - 1) / outHeight);
                for (int j = 0; j < outWidth; j++)
                {
                    int c0 = (int)((long)j * width / outWidth), c1 = (int)(((long)(j + 1) * width + outWidth - 1) / outWidth);
                    float sum = 0f;
                    for (int r = r0; r < r1; r++)
                        for (int q = c0; q < c1; q++)
                            sum += plane[r * width + q];
                    outPlane[i * outWidth + j] = sum / ((r1 - r0) * (c1 - c0));
                }
            }
        }
    }
}
