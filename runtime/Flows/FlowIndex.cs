namespace GenDsl;

/// <summary>
/// The index tables of the image-flow layers, computed from their closed forms (docs/flow-layers.md, "Squeeze" and
/// "Convolutional couplings") when a generated flow's type is first used, so that the generated code names the formula
/// instead of listing up to C·H·W indices per layer (which would grow the source with the image and cap the number of
/// such layers a flow can have). Rows are channel-major [C, H, W] images: feature (c·H + h)·W + w is pixel (h, w) of
/// channel c. Every table is new: callers may keep it.
/// </summary>
public static class FlowIndex
{
    /// <summary>
    /// The 2×2 space-to-depth order of [C, H, W] (H and W even): entry o = ((4c + 2i + j)·H/2 + h)·W/2 + w of the result
    /// is the input feature (c·H + 2h + i)·W + 2w + j, i.e. torch's
    /// <c>x.view(B, C, H/2, 2, W/2, 2).permute(0, 1, 3, 5, 2, 4).reshape(B, 4C, H/2, W/2)</c>.
    /// </summary>
    public static int[] Squeeze(int channels, int height, int width)
    {
        CheckShape(channels, height, width);
        if (height % 2 != 0 || width % 2 != 0)
            throw new ArgumentException($"A squeeze needs an even height and width; the shape is [{channels}, {height}, {width}].");
        int h2 = height / 2, w2 = width / 2;
        var order = new int[checked(channels * height * width)];
        for (int c = 0; c < channels; c++)
            for (int i = 0; i < 2; i++)
                for (int j = 0; j < 2; j++)
                    for (int h = 0; h < h2; h++)
                        for (int w = 0; w < w2; w++)
                            order[((4 * c + 2 * i + j) * h2 + h) * w2 + w] = (c * height + 2 * h + i) * width + 2 * w + j;
        return order;
    }

    /// <summary>
    /// The features of a [C, H, W] image that a coupling with an image mask keeps (its network's input), ascending:
    /// the channels 0 … ⌊C/2⌋−1 (<see cref="Mask.ChannelsFirstHalf"/>) or ⌊C/2⌋ … C−1 (<see cref="Mask.ChannelsSecondHalf"/>)
    /// with all their pixels, or in every channel the pixels with h + w even (<see cref="Mask.CheckerboardEven"/>) or odd
    /// (<see cref="Mask.CheckerboardOdd"/>).
    /// </summary>
    public static int[] ImageKept(Mask mask, int channels, int height, int width) => Select(mask, channels, height, width, keep: true);

    /// <summary>The features the same coupling transforms: every feature <see cref="ImageKept"/> does not list, ascending.</summary>
    public static int[] ImageTransformed(Mask mask, int channels, int height, int width) => Select(mask, channels, height, width, keep: false);

    /// <summary>
    /// A checkerboard coupling's head columns: its network's output is <paramref name="heads"/>·C channels of P pixels
    /// (affine: r then m; additive: m), and the coupling reads head <c>k</c> at transformed feature j = c·P + p from output
    /// column k·C·P + j. The result lists, for each head in order, those columns for every transformed feature.
    /// </summary>
    public static int[] HeadColumns(ReadOnlySpan<int> transformed, int heads, int channels, int pixels)
    {
        if (heads < 1)
            throw new ArgumentOutOfRangeException(nameof(heads), heads, "A coupling's network has at least one head.");
        CheckShape(channels, pixels, 1);
        var columns = new int[checked(heads * transformed.Length)];
        for (int head = 0; head < heads; head++)
            for (int t = 0; t < transformed.Length; t++)
                columns[head * transformed.Length + t] = head * channels * pixels + transformed[t];
        return columns;
    }

    /// <summary>
    /// The inverse of a coupling's merge: the columns of [u_K | v_T] (kept features, then transformed ones) in feature
    /// order, so that feature <c>kept[i]</c> is column i and feature <c>transformed[t]</c> is column |K| + t.
    /// </summary>
    public static int[] MergePositions(ReadOnlySpan<int> kept, ReadOnlySpan<int> transformed)
    {
        var position = new int[checked(kept.Length + transformed.Length)];
        position.AsSpan().Fill(-1);
        for (int i = 0; i < kept.Length; i++)
            Place(position, kept[i], i);
        for (int t = 0; t < transformed.Length; t++)
            Place(position, transformed[t], kept.Length + t);
        return position;

        static void Place(int[] position, int feature, int column)
        {
            if ((uint)feature >= (uint)position.Length || position[feature] >= 0)
                throw new ArgumentException($"Feature {feature} is out of range or listed twice: kept and transformed must partition 0 … {position.Length - 1}.");
            position[feature] = column;
        }
    }

    /// <summary>
    /// A convolutional coupling's head channel of each transformed feature j of an image of <paramref name="pixels"/>
    /// pixels per channel: j / pixels − <paramref name="firstChannel"/> (the first transformed channel of a channel mask,
    /// 0 for a checkerboard), the index of its scale entry.
    /// </summary>
    public static int[] HeadChannels(ReadOnlySpan<int> transformed, int pixels, int firstChannel)
    {
        if (pixels < 1)
            throw new ArgumentOutOfRangeException(nameof(pixels), pixels, "An image channel has at least one pixel.");
        var heads = new int[transformed.Length];
        for (int t = 0; t < transformed.Length; t++)
            heads[t] = transformed[t] / pixels - firstChannel;
        return heads;
    }

    private static int[] Select(Mask mask, int channels, int height, int width, bool keep)
    {
        CheckShape(channels, height, width);
        var chosen = new List<int>(channels * height * width / 2 + 1);
        for (int c = 0; c < channels; c++)
            for (int h = 0; h < height; h++)
                for (int w = 0; w < width; w++)
                {
                    bool kept = mask switch
                    {
                        Mask.ChannelsFirstHalf => c < channels / 2,
                        Mask.ChannelsSecondHalf => c >= channels / 2,
                        Mask.CheckerboardEven => (h + w) % 2 == 0,
                        Mask.CheckerboardOdd => (h + w) % 2 == 1,
                        _ => throw new ArgumentOutOfRangeException(nameof(mask), mask, "Only the image masks (ChannelsFirstHalf, ChannelsSecondHalf, CheckerboardEven, CheckerboardOdd) have an image form."),
                    };
                    if (kept == keep)
                        chosen.Add((c * height + h) * width + w);
                }
        return chosen.ToArray();
    }

    private static void CheckShape(int channels, int height, int width)
    {
        if (channels < 1 || height < 1 || width < 1)
            throw new ArgumentOutOfRangeException(nameof(channels), $"An image shape has positive sides; it is [{channels}, {height}, {width}].");
        if ((long)channels * height * width > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(channels), $"The image [{channels}, {height}, {width}] has more than {int.MaxValue} features.");
    }
}
