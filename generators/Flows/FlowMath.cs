using System;
using System.Collections.Generic;

namespace GenDsl.Generators.Flows;

/// <summary>The compile-time facts the generator derives from a spec: masks and permutation orders.</summary>
internal static class FlowMath
{
    // Values of GenDsl.Mask.
    public const int MaskAlternating = 0, MaskFirstHalf = 1, MaskSecondHalf = 2, MaskEven = 3, MaskOdd = 4;
    // Image masks (image flows only): channel halves and checkerboards of the current shape.
    public const int MaskChannelsFirstHalf = 5, MaskChannelsSecondHalf = 6, MaskCheckerboardEven = 7, MaskCheckerboardOdd = 8;

    /// <summary>
    /// The features an image mask keeps on the shape [C, H, W] (channel-major, ascending): the channels 0 … ⌊C/2⌋−1 or
    /// ⌊C/2⌋ … C−1 with all their pixels, or every channel's pixels with h + w even or odd; with
    /// <paramref name="kept"/> false, the others (the features the coupling transforms), ascending too. The runtime's
    /// GenDsl.FlowIndex computes the same tables for the generated code.
    /// </summary>
    public static int[] ImageKept(int mask, int channels, int height, int width, bool kept = true)
    {
        var chosen = new List<int>();
        for (int c = 0; c < channels; c++)
            for (int h = 0; h < height; h++)
                for (int w = 0; w < width; w++)
                {
                    bool keep = mask switch
                    {
                        MaskChannelsFirstHalf => c < channels / 2,
                        MaskChannelsSecondHalf => c >= channels / 2,
                        MaskCheckerboardEven => (h + w) % 2 == 0,
                        MaskCheckerboardOdd => (h + w) % 2 == 1,
                        _ => false,
                    };
                    if (keep == kept)
                        chosen.Add((c * height + h) * width + w);
                }
        return chosen.ToArray();
    }

    /// <summary>The features a coupling keeps, ascending (see docs/flow-layers.md).</summary>
    public static int[] Kept(LayerSpec layer, int features, int couplingNumber)
    {
        var kept = new List<int>();
        int half = features / 2;
        for (int j = 0; j < features; j++)
        {
            bool keep = layer.Pattern is not null
                ? j < layer.Pattern.Length && layer.Pattern[j] == '1'
                : layer.Mask switch
                {
                    MaskAlternating => couplingNumber % 2 == 0 ? j < half : j >= half,
                    MaskFirstHalf => j < half,
                    MaskSecondHalf => j >= half,
                    MaskEven => j % 2 == 0,
                    MaskOdd => j % 2 == 1,
                    _ => false,
                };
            if (keep)
                kept.Add(j);
        }
        return kept.ToArray();
    }

    /// <summary>The complement of <paramref name="kept"/> in 0…features−1, ascending.</summary>
    public static int[] Complement(int[] kept, int features)
    {
        var set = new HashSet<int>(kept);
        var rest = new List<int>();
        for (int j = 0; j < features; j++)
        {
            if (!set.Contains(j))
                rest.Add(j);
        }
        return rest.ToArray();
    }

    /// <summary>
    /// The squeeze's order: output feature o = ((4c + 2i + j)·H/2 + h)·W/2 + w is input feature (c·H + 2h + i)·W + 2w + j
    /// (channel-major rows), i.e. torch's x.view(B, C, H/2, 2, W/2, 2).permute(0, 1, 3, 5, 2, 4).reshape(B, 4C, H/2, W/2).
    /// </summary>
    public static int[] SqueezeOrder(int channels, int height, int width)
    {
        int h2 = height / 2, w2 = width / 2;
        var order = new int[channels * height * width];
        for (int c = 0; c < channels; c++)
            for (int i = 0; i < 2; i++)
                for (int j = 0; j < 2; j++)
                    for (int h = 0; h < h2; h++)
                        for (int w = 0; w < w2; w++)
                            order[(((4 * c + 2 * i + j) * h2) + h) * w2 + w] = (c * height + 2 * h + i) * width + 2 * w + j;
        return order;
    }

    /// <summary>
    /// An image flow's shape [C, H, W] before each layer (entry i) and after the last (entry n); null for a vector flow
    /// or an image flow whose dimensions are not all ≥ 1. A squeeze of an odd height or width (GD0018) keeps the shape, and
    /// so does a split of one channel (GD0018); a split keeps ⌊C/2⌋ channels.
    /// </summary>
    public static (int C, int H, int W)[]? Shapes(FlowSpec spec)
    {
        if (!spec.IsImage || spec.Channels < 1 || spec.Height < 1 || spec.Width < 1)
            return null;
        var shapes = new (int C, int H, int W)[spec.Layers.Count + 1];
        var shape = (C: spec.Channels, H: spec.Height, W: spec.Width);
        for (int i = 0; i < spec.Layers.Count; i++)
        {
            shapes[i] = shape;
            if (spec.Layers[i].Kind == LayerKind.Squeeze && shape.H % 2 == 0 && shape.W % 2 == 0)
                shape = (4 * shape.C, shape.H / 2, shape.W / 2);
            else if (spec.Layers[i].Kind == LayerKind.Split && shape.C >= 2)
                shape = (shape.C / 2, shape.H, shape.W); // channels ⌊C/2⌋ … C−1 leave to the latent
        }
        shapes[spec.Layers.Count] = shape;
        return shapes;
    }

    /// <summary>π[j] = D−1−j.</summary>
    public static int[] Reverse(int features)
    {
        var order = new int[features];
        for (int j = 0; j < features; j++)
            order[j] = features - 1 - j;
        return order;
    }

    /// <summary>Fisher–Yates driven by SplitMix64(seed): the documented, reproducible random order.</summary>
    public static int[] RandomPermutation(int features, ulong seed)
    {
        var order = new int[features];
        for (int j = 0; j < features; j++)
            order[j] = j;
        ulong state = seed;
        for (int i = features - 1; i >= 1; i--)
        {
            int k = (int)(SplitMix64(ref state) % (ulong)(i + 1));
            (order[i], order[k]) = (order[k], order[i]);
        }
        return order;
    }

    private static ulong SplitMix64(ref ulong state)
    {
        unchecked
        {
            state += 0x9E3779B97F4A7C15UL;
            ulong z = state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }

    /// <summary>The order of a [Permute] layer.</summary>
    public static int[] PermutationOrder(LayerSpec layer, int features) =>
        layer.PermutationKind switch
        {
            0 => Reverse(features),
            1 => RandomPermutation(features, (ulong)(uint)layer.Seed),
            _ => layer.Order.ToArray(),
        };

    /// <summary>FNV-1a 64 of a string, as 16 hex digits: the declaration hash stored in checkpoints.</summary>
    public static string Hash(string text)
    {
        ulong h = 14695981039346656037UL;
        foreach (char c in text)
        {
            unchecked
            {
                h ^= c;
                h *= 1099511628211UL;
            }
        }
        return h.ToString("x16", System.Globalization.CultureInfo.InvariantCulture);
    }
}
