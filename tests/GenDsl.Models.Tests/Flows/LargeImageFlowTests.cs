using CommunityToolkit.HighPerformance;

namespace GenDsl.Models.Tests.Flows;

/// <summary>
/// 3×32×32 (3,072 features) with 14 squeeze and image-mask coupling layers: 43,008 table entries, above the 2^15 that
/// GD0015 allowed while the generated code listed them (10 such layers at this size). The tables now come from
/// GenDsl.FlowIndex when the type is first used.
/// </summary>
[Flow(Channels = 3, Height = 32, Width = 32)]
public sealed partial class DeepImageFlow
{
    [AffineCoupling(Mask.CheckerboardEven, Hidden = 4, HiddenLayers = 1)] public partial Coupling B1 { get; }
    [AdditiveCoupling(Mask.CheckerboardOdd, Hidden = 4, HiddenLayers = 1)] public partial Coupling B2 { get; }
    [AffineCoupling(Mask.CheckerboardEven, Hidden = 4, HiddenLayers = 1)] public partial Coupling B3 { get; }
    [Squeeze] public partial Squeeze S1 { get; }                                                      // [12, 16, 16]
    [ActNorm] public partial ActNorm N1 { get; }
    [InvertibleConv1x1(Seed = 1)] public partial InvertibleConv1x1 W1 { get; }
    [AffineCoupling(Mask.ChannelsFirstHalf, Hidden = 4, HiddenLayers = 1)] public partial Coupling C1 { get; }
    [AffineCoupling(Mask.ChannelsSecondHalf, Hidden = 4, HiddenLayers = 1)] public partial Coupling C2 { get; }
    [AffineCoupling(Mask.CheckerboardOdd, Hidden = 4, HiddenLayers = 1)] public partial Coupling C3 { get; }
    [Split] public partial Split X1 { get; }                                                          // [6, 16, 16]
    [Squeeze] public partial Squeeze S2 { get; }                                                      // [24, 8, 8]
    [AffineCoupling(Mask.ChannelsFirstHalf, Hidden = 4, HiddenLayers = 1)] public partial Coupling C4 { get; }
    [AffineCoupling(Mask.ChannelsSecondHalf, Hidden = 4, HiddenLayers = 1)] public partial Coupling C5 { get; }
    [Split] public partial Split X2 { get; }                                                          // [12, 8, 8]
    [Squeeze] public partial Squeeze S3 { get; }                                                      // [48, 4, 4]
    [AffineCoupling(Mask.ChannelsFirstHalf, Hidden = 4, HiddenLayers = 1)] public partial Coupling C6 { get; }
    [AdditiveCoupling(Mask.CheckerboardEven, Hidden = 4, HiddenLayers = 1)] public partial Coupling C7 { get; }
    [AffineCoupling(Mask.ChannelsSecondHalf, Hidden = 4, HiddenLayers = 1)] public partial Coupling C8 { get; }
}

public class LargeImageFlowTests
{
    [Fact]
    public void TablesMatchTheirFormulasAndTheFlowInverts()
    {
        var flow = new DeepImageFlow(new ModelOptions { MaxBatch = 8, Seed = 3 });
        Assert.Equal(FlowIndex.ImageKept(Mask.CheckerboardEven, 3, 32, 32), flow.B1.Kept.ToArray());
        Assert.Equal(FlowIndex.ImageTransformed(Mask.ChannelsSecondHalf, 24, 8, 8), flow.C5.Transformed.ToArray());
        Assert.Equal(FlowIndex.Squeeze(12, 8, 8), flow.S3.Order.ToArray());
        Assert.Equal(new[] { 48, 4, 4 }, flow.S3.OutputShape.ToArray());

        const int rows = 5, d = DeepImageFlow.FeatureCount;
        var rng = new Rng(7);
        var x = new float[rows * d];
        for (int i = 0; i < x.Length; i++)
            x[i] = rng.NextNormal();
        var z = new float[rows * d];
        var logDet = new float[rows];
        flow.ToLatent(new ReadOnlySpan2D<float>(x, rows, d), new Span2D<float>(z, rows, d), logDet);
        var back = new float[rows * d];
        flow.FromLatent(new ReadOnlySpan2D<float>(z, rows, d), new Span2D<float>(back, rows, d));
        double err = x.Zip(back, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(err < 1e-4, $"FromLatent(ToLatent(x)) differs from x by {err}");
        Assert.All(logDet, v => Assert.True(float.IsFinite(v) && v != 0, $"log-det {v}"));

        // log p(x) = Σ log N(z; 0, 1) + log|det|, row by row
        var logp = new float[rows];
        flow.LogProb(new ReadOnlySpan2D<float>(x, rows, d), logp);
        for (int r = 0; r < rows; r++)
        {
            double baseLogP = 0;
            for (int j = 0; j < d; j++)
                baseLogP += -0.5 * z[r * d + j] * z[r * d + j] - 0.5 * Math.Log(2 * Math.PI);
            Assert.Equal(baseLogP + logDet[r], logp[r], Math.Abs(logp[r]) * 1e-5);
        }
    }
}
