using System.Collections.Generic;
using System.Linq;
using GenDsl.Generators.Flows;

namespace GenDsl.Analyzers;

/// <summary>
/// Corrected coupling patterns for GD0003 and GD0006, offered only where the intent is unambiguous:
/// <list type="bullet">
/// <item>separators (spaces, underscores) removed: <c>"11_00"</c> → <c>"1100"</c>;</item>
/// <item>a pattern of another length that has the shape of exactly one named mask (first half, second
/// half, even, odd) is redrawn at the flow's length: <c>"10"</c> is ambiguous (first half and even),
/// <c>"1100"</c> for Features = 6 becomes <c>"111000"</c>;</item>
/// <item>all '1's or all '0's become the half-half pattern, or its complement when the half-half one
/// would keep the same features as the coupling before (GD0007).</item>
/// </list>
/// Patterns are computed in layer order with the earlier corrections applied, so fixing them all at
/// once is consistent.
/// </summary>
internal static class PatternRepair
{
    /// <summary>Layer index → corrected pattern, for the couplings whose pattern has an unambiguous correction.</summary>
    public static Dictionary<int, string> Suggest(FlowSpec spec)
    {
        var result = new Dictionary<int, string>();
        int features = spec.Features;
        if (features < 2 || features > GenDsl.Generators.Layers.Limits.MaxSize)
            return result;

        int[]? previousKept = null;
        int couplings = 0;
        for (int i = 0; i < spec.Layers.Count; i++)
        {
            var layer = spec.Layers[i];
            switch (layer.Kind)
            {
                case LayerKind.Permute:
                case LayerKind.InvertibleLinear:
                    previousKept = null;
                    break;

                case LayerKind.AffineCoupling:
                case LayerKind.AdditiveCoupling:
                case LayerKind.SplineCoupling:
                {
                    var effective = layer;
                    if (layer.Pattern is not null)
                    {
                        string? fixedPattern = IsWellFormed(layer.Pattern, features) ? layer.Pattern : Reshape(layer.Pattern, features);
                        if (fixedPattern is not null && IsOneSided(fixedPattern))
                            fixedPattern = HalfHalf(features, previousKept);
                        if (fixedPattern is not null && fixedPattern != layer.Pattern)
                        {
                            result[i] = fixedPattern;
                            effective = layer with { Pattern = fixedPattern };
                        }
                    }

                    if (effective.Pattern is null || (IsWellFormed(effective.Pattern, features) && !IsOneSided(effective.Pattern)))
                    {
                        var kept = FlowMath.Kept(effective, features, couplings);
                        if (kept.Length > 0 && kept.Length < features)
                            previousKept = kept;
                    }
                    couplings++;
                    break;
                }
            }
        }
        return result;
    }

    /// <summary>One '0' or '1' per feature.</summary>
    public static bool IsWellFormed(string pattern, int features) =>
        pattern.Length == features && pattern.All(c => c is '0' or '1');

    /// <summary>All '1's or all '0's (a side is empty).</summary>
    public static bool IsOneSided(string pattern) => pattern.Length > 0 && pattern.All(c => c == pattern[0]);

    /// <summary>The pattern without separators, redrawn at <paramref name="features"/> if its shape is unambiguous; else null.</summary>
    public static string? Reshape(string pattern, int features)
    {
        string bits = new string(pattern.Where(c => c is not (' ' or '_')).ToArray());
        if (bits.Length == 0 || bits.Any(c => c is not ('0' or '1')))
            return null;
        if (bits.Length == features)
            return bits;
        if (bits.Length < 2)
            return null;

        string? candidate = null;
        foreach (int mask in new[] { FlowMath.MaskFirstHalf, FlowMath.MaskSecondHalf, FlowMath.MaskEven, FlowMath.MaskOdd })
        {
            if (Shape(mask, bits.Length) != bits)
                continue;
            string redrawn = Shape(mask, features);
            if (candidate is not null && candidate != redrawn)
                return null; // two named masks fit the written pattern and differ at the flow's length
            candidate = redrawn;
        }
        return candidate;
    }

    /// <summary>The first half kept ("1…10…0"), or the second half when the first would repeat <paramref name="previousKept"/>.</summary>
    public static string HalfHalf(int features, int[]? previousKept)
    {
        string first = Shape(FlowMath.MaskFirstHalf, features);
        return previousKept is not null && previousKept.Length == features / 2 && previousKept.SequenceEqual(Enumerable.Range(0, features / 2))
            ? Shape(FlowMath.MaskSecondHalf, features)
            : first;
    }

    /// <summary>The pattern of a named mask at a length ('1' = kept), as <see cref="FlowMath.Kept"/> defines it.</summary>
    public static string Shape(int mask, int length)
    {
        var chars = new char[length];
        int half = length / 2;
        for (int j = 0; j < length; j++)
        {
            bool keep = mask switch
            {
                FlowMath.MaskFirstHalf => j < half,
                FlowMath.MaskSecondHalf => j >= half,
                FlowMath.MaskEven => j % 2 == 0,
                _ => j % 2 == 1,
            };
            chars[j] = keep ? '1' : '0';
        }
        return new string(chars);
    }

    /// <summary>'0' ↔ '1' (the complementary mask).</summary>
    public static string Invert(string pattern) =>
        new string(pattern.Select(c => c == '1' ? '0' : c == '0' ? '1' : c).ToArray());
}
