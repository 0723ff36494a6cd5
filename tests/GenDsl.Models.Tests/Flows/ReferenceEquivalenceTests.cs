using CommunityToolkit.HighPerformance;
using GenDsl.Models.Tests.Reference;

namespace GenDsl.Models.Tests.Flows;

/// <summary>
/// The generated float32 flows against the double-precision reference (whose own gradients and
/// log-dets are checked against finite differences in ReferenceTests): same layout, same latent,
/// same log-det, same inverse, same loss and same gradient of every parameter.
/// </summary>
public class ReferenceEquivalenceTests
{
    private delegate void ToLatentFn(float[] x, float[]? y, int rows, float[] z, float[] logDet);
    private delegate void FromLatentFn(float[] z, float[]? y, int rows, float[] x);
    private delegate float BackwardFn(float[] x, float[]? y, int rows);

    private static RefFlow MixedReference() => new(4, 0,
        new RefAffineCoupling(RefFlow.MaskKept("1100", 4, 0), 8, 2, Activation.Tanh),
        new RefPermutation(RefFlow.ReversePermutation(4)),
        new RefAdditiveCoupling(RefFlow.MaskKept("Even", 4, 1), 8, 1, Activation.Sigmoid),
        new RefActNorm(),
        new RefInvertibleLinear(RefFlow.RandomPermutation(4, 3)),
        new RefAffineCoupling(RefFlow.MaskKept("Alternating", 4, 2), 8, 0, Activation.Relu),
        new RefPermutation(new[] { 2, 0, 3, 1 }),
        new RefAffineCoupling(RefFlow.MaskKept("Odd", 4, 3), 8, 1, Activation.Softplus));

    private static RefFlow ConditionalReference() => new(3, 2,
        new RefAffineCoupling(RefFlow.MaskKept("FirstHalf", 3, 0), 6, 2, Activation.LeakyRelu),
        new RefPermutation(RefFlow.RandomPermutation(3, 5)),
        new RefAffineCoupling(RefFlow.MaskKept("SecondHalf", 3, 1), 6, 1, Activation.Relu),
        new RefAdditiveCoupling(RefFlow.MaskKept("Alternating", 3, 2), 6, 1, Activation.Relu));

    private static RefFlow WideReference() => new(12, 0,
        new RefActNorm(),
        new RefAffineCoupling(RefFlow.MaskKept("Even", 12, 0), 24, 2, Activation.Relu),
        new RefInvertibleLinear(RefFlow.RandomPermutation(12, 9)),
        new RefAffineCoupling(RefFlow.MaskKept("FirstHalf", 12, 1), 24, 1, Activation.Tanh),
        new RefPermutation(RefFlow.RandomPermutation(12, 2)),
        new RefAdditiveCoupling(RefFlow.MaskKept("Odd", 12, 2), 20, 2, Activation.LeakyRelu));

    private static RefFlow SplineMixedReference() => new(4, 0,
        new RefSplineCoupling(RefFlow.MaskKept("1100", 4, 0), 5, 1.5, 8, 2, Activation.Tanh),
        new RefPermutation(RefFlow.ReversePermutation(4)),
        new RefAffineCoupling(RefFlow.MaskKept("Even", 4, 1), 8, 1, Activation.Relu),
        new RefActNorm(),
        new RefSplineCoupling(RefFlow.MaskKept("Odd", 4, 2), 3, 2, 8, 0, Activation.Relu),
        new RefInvertibleLinear(RefFlow.RandomPermutation(4, 4)),
        new RefSplineCoupling(RefFlow.MaskKept("Alternating", 4, 3), 8, 2.5, 8, 1, Activation.Softplus));

    private static RefFlow ConditionalSplineReference() => new(3, 2,
        new RefSplineCoupling(RefFlow.MaskKept("FirstHalf", 3, 0), 4, 2, 6, 2, Activation.LeakyRelu),
        new RefPermutation(RefFlow.RandomPermutation(3, 5)),
        new RefSplineCoupling(RefFlow.MaskKept("SecondHalf", 3, 1), 6, 1, 6, 1, Activation.Relu));

    [Fact]
    public void SplineMixedFlowMatchesReference()
    {
        var flow = new SplineMixedFlow(new ModelOptions { MaxBatch = 48, Seed = 4 });
        Check(flow, SplineMixedReference(), new[] { "S1", "P1", "C1", "N1", "S2", "L1", "S3" }, rows: 37,
            (x, y, rows, z, ld) => flow.ToLatent(Of(x, rows, 4), Of(z, rows, 4), ld),
            (z, y, rows, x) => flow.FromLatent(Of(z, rows, 4), Of(x, rows, 4)),
            (x, y, rows) => flow.Backward(Of(x, rows, 4)),
            // σ = 0.4 makes this 7-layer stack contract some rows by e^10 (log-dets near −10), and the float32 latent
            // then cannot hold x to 1e-4 through any inverse; σ = 0.3 keeps every log-det above −5 (round trip then within 2e-6)
            parameterScale: 0.3f);
    }

    [Fact]
    public void ConditionalSplineFlowMatchesReference()
    {
        var flow = new ConditionalSplineFlow(new ModelOptions { MaxBatch = 32, Seed = 5 });
        Check(flow, ConditionalSplineReference(), new[] { "S1", "P1", "S2" }, rows: 23,
            (x, y, rows, z, ld) => flow.ToLatent(Of(x, rows, 3), Of(y!, rows, 2), Of(z, rows, 3), ld),
            (z, y, rows, x) => flow.FromLatent(Of(z, rows, 3), Of(y!, rows, 2), Of(x, rows, 3)),
            (x, y, rows) => flow.Backward(Of(x, rows, 3), Of(y!, rows, 2)));
    }

    private static RefFlow MafMixedReference() => new(4, 0,
        new RefMadeLayer(8, 2, Activation.Tanh, false),
        new RefPermutation(RefFlow.ReversePermutation(4)),
        new RefActNorm(),
        new RefMadeLayer(5, 1, Activation.Softplus, true),
        new RefAffineCoupling(RefFlow.MaskKept("Alternating", 4, 0), 8, 1, Activation.Relu),
        new RefMadeLayer(7, 3, Activation.LeakyRelu, true));

    private static RefFlow ConditionalMafReference() => new(3, 2,
        new RefMadeLayer(6, 2, Activation.Sigmoid, false),
        new RefPermutation(RefFlow.RandomPermutation(3, 5)),
        new RefMadeLayer(4, 1, Activation.Tanh, true));

    [Fact]
    public void MafMixedFlowMatchesReference()
    {
        var flow = new MafMixedFlow(new ModelOptions { MaxBatch = 40, Seed = 6 });
        Check(flow, MafMixedReference(), new[] { "M1", "P1", "N1", "M2", "C1", "M3" }, rows: 29,
            (x, y, rows, z, ld) => flow.ToLatent(Of(x, rows, 4), Of(z, rows, 4), ld),
            (z, y, rows, x) => flow.FromLatent(Of(z, rows, 4), Of(x, rows, 4)),
            (x, y, rows) => flow.Backward(Of(x, rows, 4)),
            parameterScale: 0.3f,
            afterFill: () => { flow.M1.ApplyMasks(); flow.M2.ApplyMasks(); flow.M3.ApplyMasks(); });
    }

    [Fact]
    public void ConditionalMafFlowMatchesReference()
    {
        var flow = new ConditionalMafFlow(new ModelOptions { MaxBatch = 32, Seed = 7 });
        Check(flow, ConditionalMafReference(), new[] { "M1", "P1", "M2" }, rows: 21,
            (x, y, rows, z, ld) => flow.ToLatent(Of(x, rows, 3), Of(y!, rows, 2), Of(z, rows, 3), ld),
            (z, y, rows, x) => flow.FromLatent(Of(z, rows, 3), Of(y!, rows, 2), Of(x, rows, 3)),
            (x, y, rows) => flow.Backward(Of(x, rows, 3), Of(y!, rows, 2)),
            afterFill: () => { flow.M1.ApplyMasks(); flow.M2.ApplyMasks(); });
    }

    private static RefFlow SplineMafReference() => new(4, 0,
        new RefMadeLayer(8, 2, Activation.Tanh, false, Bins: 5, TailBound: 2),
        new RefPermutation(RefFlow.ReversePermutation(4)),
        new RefMadeLayer(6, 1, Activation.Softplus, true, Bins: 3, TailBound: 1.5),
        new RefActNorm(),
        new RefMadeLayer(7, 1, Activation.Relu, true));

    private static RefFlow ConditionalSplineMafReference() => new(3, 2,
        new RefMadeLayer(6, 2, Activation.LeakyRelu, false, Bins: 4, TailBound: 2),
        new RefPermutation(RefFlow.RandomPermutation(3, 5)),
        new RefMadeLayer(5, 1, Activation.Relu, true, Bins: 6, TailBound: 1));

    [Fact]
    public void SplineMafFlowMatchesReference()
    {
        var flow = new SplineMafFlow(new ModelOptions { MaxBatch = 40, Seed = 8 });
        Check(flow, SplineMafReference(), new[] { "M1", "P1", "M2", "N1", "M3" }, rows: 27,
            (x, y, rows, z, ld) => flow.ToLatent(Of(x, rows, 4), Of(z, rows, 4), ld),
            (z, y, rows, x) => flow.FromLatent(Of(z, rows, 4), Of(x, rows, 4)),
            (x, y, rows) => flow.Backward(Of(x, rows, 4)),
            parameterScale: 0.3f,
            afterFill: () => { flow.M1.ApplyMasks(); flow.M2.ApplyMasks(); flow.M3.ApplyMasks(); });
    }

    [Fact]
    public void ConditionalSplineMafFlowMatchesReference()
    {
        var flow = new ConditionalSplineMafFlow(new ModelOptions { MaxBatch = 32, Seed = 9 });
        Check(flow, ConditionalSplineMafReference(), new[] { "M1", "P1", "M2" }, rows: 19,
            (x, y, rows, z, ld) => flow.ToLatent(Of(x, rows, 3), Of(y!, rows, 2), Of(z, rows, 3), ld),
            (z, y, rows, x) => flow.FromLatent(Of(z, rows, 3), Of(y!, rows, 2), Of(x, rows, 3)),
            (x, y, rows) => flow.Backward(Of(x, rows, 3), Of(y!, rows, 2)),
            afterFill: () => { flow.M1.ApplyMasks(); flow.M2.ApplyMasks(); });
    }

    [Fact]
    public void MixedFlowMatchesReference()
    {
        var flow = new MixedFlow(new ModelOptions { MaxBatch = 32, Seed = 1 });
        Check(flow, MixedReference(), new[] { "C1", "P1", "C2", "N1", "L1", "C3", "P2", "C4" }, rows: 19,
            (x, y, rows, z, ld) => flow.ToLatent(Of(x, rows, 4), Of(z, rows, 4), ld),
            (z, y, rows, x) => flow.FromLatent(Of(z, rows, 4), Of(x, rows, 4)),
            (x, y, rows) => flow.Backward(Of(x, rows, 4)));
    }

    [Fact]
    public void ConditionalFlowMatchesReference()
    {
        var flow = new ConditionalSmallFlow(new ModelOptions { MaxBatch = 32, Seed = 2 });
        Check(flow, ConditionalReference(), new[] { "C1", "P1", "C2", "C3" }, rows: 17,
            (x, y, rows, z, ld) => flow.ToLatent(Of(x, rows, 3), Of(y!, rows, 2), Of(z, rows, 3), ld),
            (z, y, rows, x) => flow.FromLatent(Of(z, rows, 3), Of(y!, rows, 2), Of(x, rows, 3)),
            (x, y, rows) => flow.Backward(Of(x, rows, 3), Of(y!, rows, 2)));
    }

    [Fact]
    public void WideFlowMatchesReference()
    {
        var flow = new WideFlow(new ModelOptions { MaxBatch = 80, Seed = 3 });
        Check(flow, WideReference(), new[] { "N1", "C1", "L1", "C2", "P1", "C3" }, rows: 65,
            (x, y, rows, z, ld) => flow.ToLatent(Of(x, rows, 12), Of(z, rows, 12), ld),
            (z, y, rows, x) => flow.FromLatent(Of(z, rows, 12), Of(x, rows, 12)),
            (x, y, rows) => flow.Backward(Of(x, rows, 12)));
    }

    private static RefFlow ImageSqueezeReference() => new(32, 0,
        new RefSqueeze(2, 4, 4),
        new RefAffineCoupling(RefFlow.MaskKept("FirstHalf", 32, 0), 16, 1, Activation.Tanh),
        new RefSqueeze(8, 2, 2),
        new RefInvertibleLinear(RefFlow.RandomPermutation(32, 3)),
        new RefAdditiveCoupling(RefFlow.MaskKept("Odd", 32, 1), 8, 1, Activation.Relu));

    private static RefFlow ConditionalImageSqueezeReference() => new(108, 2,
        new RefAffineCoupling(RefFlow.MaskKept("Even", 108, 0), 8, 1, Activation.Relu),
        new RefSqueeze(3, 6, 6),
        new RefChannelActNorm(12, 3, 3),
        new RefAffineCoupling(RefFlow.MaskKept("SecondHalf", 108, 1), 8, 1, Activation.LeakyRelu),
        new RefPermutation(RefFlow.RandomPermutation(108, 1)));

    [Fact]
    public void ImageSqueezeFlowMatchesReference()
    {
        var flow = new ImageSqueezeFlow(new ModelOptions { MaxBatch = 24, Seed = 11 });
        Assert.Equal(new[] { 2, 4, 4 }, flow.S1.InputShape);
        Assert.Equal(new[] { 32, 1, 1 }, flow.S2.OutputShape);
        Check(flow, ImageSqueezeReference(), new[] { "S1", "C1", "S2", "L1", "C2" }, rows: 19,
            (x, y, rows, z, ld) => flow.ToLatent(Of(x, rows, 32), Of(z, rows, 32), ld),
            (z, y, rows, x) => flow.FromLatent(Of(z, rows, 32), Of(x, rows, 32)),
            (x, y, rows) => flow.Backward(Of(x, rows, 32)),
            parameterScale: 0.2f);
    }

    [Fact]
    public void ConditionalImageSqueezeFlowMatchesReference()
    {
        var flow = new ConditionalImageSqueezeFlow(new ModelOptions { MaxBatch = 16, Seed = 12 });
        Assert.Equal(108, ConditionalImageSqueezeFlow.FeatureCount);
        Assert.Equal((3, 6, 6), (ConditionalImageSqueezeFlow.ImageChannels, ConditionalImageSqueezeFlow.ImageHeight, ConditionalImageSqueezeFlow.ImageWidth));
        Check(flow, ConditionalImageSqueezeReference(), new[] { "C1", "S1", "N1", "C2", "P1" }, rows: 13,
            (x, y, rows, z, ld) => flow.ToLatent(Of(x, rows, 108), Of(y!, rows, 2), Of(z, rows, 108), ld),
            (z, y, rows, x) => flow.FromLatent(Of(z, rows, 108), Of(y!, rows, 2), Of(x, rows, 108)),
            (x, y, rows) => flow.Backward(Of(x, rows, 108), Of(y!, rows, 2)),
            parameterScale: 0.2f);
    }

    private static RefFlow ImageActNormReference() => new(32, 0,
        new RefChannelActNorm(2, 4, 4),
        new RefSqueeze(2, 4, 4),
        new RefChannelActNorm(8, 2, 2),
        new RefAffineCoupling(RefFlow.MaskKept("FirstHalf", 32, 0), 8, 1, Activation.Relu),
        new RefChannelActNorm(8, 2, 2),
        new RefAffineCoupling(RefFlow.MaskKept("SecondHalf", 32, 1), 8, 1, Activation.Softplus));

    [Fact]
    public void ImageActNormFlowMatchesReference()
    {
        var flow = new ImageActNormFlow(new ModelOptions { MaxBatch = 24, Seed = 13 });
        Assert.Equal(new[] { 2 }, flow.N1.Tensors[0].Shape); // per channel of [2, 4, 4]
        Assert.Equal(new[] { 8 }, flow.N2.Tensors[1].Shape); // per channel of [8, 2, 2]
        Check(flow, ImageActNormReference(), new[] { "N1", "S1", "N2", "C1", "N3", "C2" }, rows: 21,
            (x, y, rows, z, ld) => flow.ToLatent(Of(x, rows, 32), Of(z, rows, 32), ld),
            (z, y, rows, x) => flow.FromLatent(Of(z, rows, 32), Of(x, rows, 32)),
            (x, y, rows) => flow.Backward(Of(x, rows, 32)),
            parameterScale: 0.3f);
    }

    private static RefFlow ImageGlowStepReference() => new(64, 0,
        new RefSqueeze(1, 8, 8),
        new RefChannelActNorm(4, 4, 4),
        new RefInvertibleConv1x1(4, 4, 4, RefFlow.RandomPermutation(4, 2)),
        new RefConvCoupling(4, 4, 4, "ChannelsFirstHalf", true, 16, 2, Activation.Relu),
        new RefSqueeze(4, 4, 4),
        new RefChannelActNorm(16, 2, 2),
        new RefInvertibleConv1x1(16, 2, 2, RefFlow.RandomPermutation(16, 5)),
        new RefConvCoupling(16, 2, 2, "CheckerboardOdd", false, 8, 1, Activation.Relu),
        new RefAffineCoupling(RefFlow.MaskKept("SecondHalf", 64, 2), 8, 1, Activation.Relu));

    private static RefFlow ConditionalImageConvReference() => new(12, 2,
        new RefInvertibleConv1x1(3, 2, 2, RefFlow.RandomPermutation(3, 1)),
        new RefAffineCoupling(RefFlow.MaskKept("Even", 12, 0), 8, 1, Activation.Relu),
        new RefSqueeze(3, 2, 2),
        new RefInvertibleConv1x1(12, 1, 1, RefFlow.RandomPermutation(12, 4)),
        new RefAffineCoupling(RefFlow.MaskKept("Odd", 12, 1), 8, 1, Activation.Relu));

    [Fact]
    public void ImageGlowStepFlowMatchesReference()
    {
        var flow = new ImageGlowStepFlow(new ModelOptions { MaxBatch = 24, Seed = 14 });
        Assert.Equal(new[] { 4, 4 }, flow.W1.Tensors[0].Shape); // lower [C, C] over the 4 channels of [4, 4, 4]
        Assert.Equal(new[] { 16, 2, 2 }, flow.W2.Shape);
        Check(flow, ImageGlowStepReference(), new[] { "S1", "N1", "W1", "C1", "S2", "N2", "W2", "C2", "C3" }, rows: 17,
            (x, y, rows, z, ld) => flow.ToLatent(Of(x, rows, 64), Of(z, rows, 64), ld),
            (z, y, rows, x) => flow.FromLatent(Of(z, rows, 64), Of(x, rows, 64)),
            (x, y, rows) => flow.Backward(Of(x, rows, 64)),
            parameterScale: 0.2f);
    }

    [Fact]
    public void ConditionalImageConvFlowMatchesReference()
    {
        var flow = new ConditionalImageConvFlow(new ModelOptions { MaxBatch = 24, Seed = 15 });
        Check(flow, ConditionalImageConvReference(), new[] { "W1", "C1", "S1", "W2", "C2" }, rows: 19,
            (x, y, rows, z, ld) => flow.ToLatent(Of(x, rows, 12), Of(y!, rows, 2), Of(z, rows, 12), ld),
            (z, y, rows, x) => flow.FromLatent(Of(z, rows, 12), Of(y!, rows, 2), Of(x, rows, 12)),
            (x, y, rows) => flow.Backward(Of(x, rows, 12), Of(y!, rows, 2)),
            parameterScale: 0.2f);
    }

    private static RefFlow ImageConvCouplingReference() => new(32, 0,
        new RefSqueeze(2, 4, 4),
        new RefChannelActNorm(8, 2, 2),
        new RefConvCoupling(8, 2, 2, "ChannelsFirstHalf", true, 6, 2, Activation.Relu),
        new RefInvertibleConv1x1(8, 2, 2, RefFlow.RandomPermutation(8, 1)),
        new RefConvCoupling(8, 2, 2, "ChannelsSecondHalf", false, 4, 1, Activation.Tanh));

    private static RefFlow ImageCheckerboardReference() => new(48, 0,
        new RefConvCoupling(3, 4, 4, "CheckerboardEven", true, 5, 2, Activation.Relu),
        new RefConvCoupling(3, 4, 4, "CheckerboardOdd", false, 4, 0, Activation.Relu),
        new RefConvCoupling(3, 4, 4, "ChannelsSecondHalf", true, 4, 1, Activation.LeakyRelu));

    private static RefFlow ConditionalImageConvCouplingReference() => new(16, 2,
        new RefConvCoupling(2, 2, 4, "CheckerboardOdd", true, 4, 1, Activation.Relu),
        new RefConvCoupling(2, 2, 4, "ChannelsFirstHalf", true, 4, 1, Activation.Softplus));

    [Fact]
    public void ImageConvCouplingFlowMatchesReference()
    {
        var flow = new ImageConvCouplingFlow(new ModelOptions { MaxBatch = 24, Seed = 16 });
        Assert.Equal(new[] { 6, 4, 3, 3 }, flow.C1.Tensors[0].Shape); // conv 3×3 on the 4 kept channels of [8, 2, 2]
        Assert.Equal(new[] { 4 }, flow.C1.Tensors[^1].Shape);         // a scale per transformed channel
        Check(flow, ImageConvCouplingReference(), new[] { "S1", "N1", "C1", "W1", "C2" }, rows: 18,
            (x, y, rows, z, ld) => flow.ToLatent(Of(x, rows, 32), Of(z, rows, 32), ld),
            (z, y, rows, x) => flow.FromLatent(Of(z, rows, 32), Of(x, rows, 32)),
            (x, y, rows) => flow.Backward(Of(x, rows, 32)),
            parameterScale: 0.2f);
    }

    [Fact]
    public void ImageCheckerboardFlowMatchesReference()
    {
        var flow = new ImageCheckerboardFlow(new ModelOptions { MaxBatch = 24, Seed = 17 });
        Assert.Equal(new[] { 5, 3, 3, 3 }, flow.C1.Tensors[0].Shape); // a checkerboard's network reads every channel
        Check(flow, ImageCheckerboardReference(), new[] { "C1", "C2", "C3" }, rows: 15,
            (x, y, rows, z, ld) => flow.ToLatent(Of(x, rows, 48), Of(z, rows, 48), ld),
            (z, y, rows, x) => flow.FromLatent(Of(z, rows, 48), Of(x, rows, 48)),
            (x, y, rows) => flow.Backward(Of(x, rows, 48)),
            parameterScale: 0.2f);
    }

    [Fact]
    public void ConditionalImageConvCouplingFlowMatchesReference()
    {
        var flow = new ConditionalImageConvCouplingFlow(new ModelOptions { MaxBatch = 24, Seed = 18 });
        Assert.Equal(new[] { 4, 4, 3, 3 }, flow.C1.Tensors[0].Shape); // 2 channels of u ⊙ b and 2 of y
        Check(flow, ConditionalImageConvCouplingReference(), new[] { "C1", "C2" }, rows: 14,
            (x, y, rows, z, ld) => flow.ToLatent(Of(x, rows, 16), Of(y!, rows, 2), Of(z, rows, 16), ld),
            (z, y, rows, x) => flow.FromLatent(Of(z, rows, 16), Of(y!, rows, 2), Of(x, rows, 16)),
            (x, y, rows) => flow.Backward(Of(x, rows, 16), Of(y!, rows, 2)),
            parameterScale: 0.3f);
    }

    private static RefFlow ImageConditionReference() => new(24, 18,
        new RefConvCoupling(1, 4, 6, "CheckerboardEven", true, 4, 1, Activation.Relu) { ConditionImage = (2, 3, 3) },
        new RefSqueeze(1, 4, 6),
        new RefConvCoupling(4, 2, 3, "ChannelsFirstHalf", true, 4, 1, Activation.Tanh) { ConditionImage = (2, 3, 3) },
        new RefAdditiveCoupling(RefFlow.MaskKept("SecondHalf", 24, 2), 6, 1, Activation.Relu));

    /// <summary>An image condition: each convolutional network reads y resized to its own shape (adaptive average pooling), the dense coupling reads it flat.</summary>
    [Fact]
    public void ImageConditionFlowMatchesReference()
    {
        var flow = new ImageConditionFlow(new ModelOptions { MaxBatch = 16, Seed = 20 });
        Assert.Equal(18, ImageConditionFlow.ConditionCount);
        Assert.Equal(new[] { 4, 3, 3, 3 }, flow.C1.Tensors[0].Shape); // 1 channel of u ⊙ b and the 2 channels of y
        Assert.Equal(new[] { 4, 4, 3, 3 }, flow.C2.Tensors[0].Shape); // 2 kept channels and y's 2
        Check(flow, ImageConditionReference(), new[] { "C1", "S1", "C2", "C3" }, rows: 11,
            (x, y, rows, z, ld) => flow.ToLatent(Of(x, rows, 24), Of(y!, rows, 18), Of(z, rows, 24), ld),
            (z, y, rows, x) => flow.FromLatent(Of(z, rows, 24), Of(y!, rows, 18), Of(x, rows, 24)),
            (x, y, rows) => flow.Backward(Of(x, rows, 24), Of(y!, rows, 18)),
            parameterScale: 0.3f);
    }

    [Fact]
    public void IdentityInitialisedImageConvFlowStartsAsTheIdentity()
    {
        var flow = new IdentityImageConvFlow(new ModelOptions { MaxBatch = 8, Seed = 19 });
        var x = new float[8 * 32];
        new Rng(3, 1).FillNormal(x, 0f, 1f);
        var z = new float[8 * 32];
        var logDet = new float[8];
        flow.ToLatent(Of(x, 8, 32), Of(z, 8, 32), logDet);
        // every coupling is the identity; the squeeze permutes: z is x reordered, log-det 0
        Assert.Equal(x.OrderBy(v => v), z.OrderBy(v => v));
        Assert.All(logDet, v => Assert.Equal(0f, v));
        Assert.NotEqual(0f, flow.C1.Parameter("net.0.weight")[0]); // hidden layers drawn as torch.nn.Conv2d
        Assert.All(flow.C1.Parameter("net.2.weight").ToArray(), v => Assert.Equal(0f, v));
    }

    private static RefFlow ImageSplitReference() => new(16, 0,
        new RefSqueeze(1, 4, 4),
        new RefChannelActNorm(4, 2, 2),
        new RefConvCoupling(4, 2, 2, "ChannelsFirstHalf", true, 6, 2, Activation.Relu),
        new RefSplit(),
        new RefOnPrefix(8, new RefChannelActNorm(2, 2, 2)),
        new RefOnPrefix(8, new RefInvertibleConv1x1(2, 2, 2, RefFlow.RandomPermutation(2, 3))),
        new RefOnPrefix(8, new RefConvCoupling(2, 2, 2, "CheckerboardEven", false, 4, 1, Activation.Relu)),
        new RefOnPrefix(8, new RefSqueeze(2, 2, 2)),
        new RefSplit(),
        new RefOnPrefix(4, new RefConvCoupling(4, 1, 1, "ChannelsSecondHalf", true, 4, 1, Activation.Tanh)));

    [Fact]
    public void ImageSplitFlowMatchesReference()
    {
        var flow = new ImageSplitFlow(new ModelOptions { MaxBatch = 24, Seed = 20 });
        Assert.Equal((8, 16), flow.X1.FactoredOut);
        Assert.Equal(new[] { 4, 1, 1 }, flow.X2.OutputShape);
        Assert.Equal(new[] { 2 }, flow.N2.Tensors[0].Shape); // ActNorm on the remaining 2 channels
        Check(flow, ImageSplitReference(), new[] { "S1", "N1", "C1", "X1", "N2", "W1", "C2", "S2", "X2", "C3" }, rows: 16,
            (x, y, rows, z, ld) => flow.ToLatent(Of(x, rows, 16), Of(z, rows, 16), ld),
            (z, y, rows, x) => flow.FromLatent(Of(z, rows, 16), Of(x, rows, 16)),
            (x, y, rows) => flow.Backward(Of(x, rows, 16)),
            parameterScale: 0.3f);
    }

    private static Span2D<float> Of(float[] a, int rows, int cols) => new(a, rows, cols);

    private static void Check(IFlowModel flow, RefFlow reference, string[] members, int rows,
        ToLatentFn toLatent, FromLatentFn fromLatent, BackwardFn backward, float parameterScale = 0.4f, Action? afterFill = null)
    {
        int d = flow.Features, k = flow.ConditionSize;

        // 1. The same layout: names, offsets, shapes.
        var layout = reference.Layout(members);
        Assert.Equal(layout.Count, flow.Tensors.Count);
        for (int i = 0; i < layout.Count; i++)
        {
            Assert.Equal(layout[i].Name, flow.Tensors[i].Name);
            Assert.Equal(layout[i].Offset, flow.Tensors[i].Offset);
            Assert.Equal(layout[i].Shape, flow.Tensors[i].Shape);
        }
        Assert.Equal(reference.UnpaddedParameterCount, flow.ParameterCount);

        // 2. Random, non-zero parameters (the zero-initialised output layers would hide mistakes), moderate scale.
        var rng = new Rng(42, 7);
        var p = flow.Parameters.Span;
        foreach (var t in flow.Tensors)
        {
            var slice = p.Slice(t.Offset, t.Length);
            rng.FillNormal(slice, 0f, parameterScale);
        }
        afterFill?.Invoke(); // e.g. a MADE's masks: its masked-out weights must be 0, as the generated code keeps them
        var x = new float[rows * d];
        rng.FillNormal(x, 0.3f, 1.2f);
        float[]? y = null;
        if (k > 0)
        {
            y = new float[rows * k];
            rng.FillUniform(y, -1f, 1f);
        }

        // First training pass initialises any ActNorm from this batch; compare with the reference's init.
        var pBefore = ToDouble(flow.Parameters.Span);
        backward(x, y, rows);
        var pInit = (double[])pBefore.Clone();
        reference.InitialiseActNorm(pInit, To2D(x, rows, d), y is null ? null : To2D(y, rows, k));
        AssertClose(pInit, ToDouble(flow.Parameters.Span), 1e-4, "ActNorm data-dependent initialisation");

        var pd = ToDouble(flow.Parameters.Span);
        var xd = To2D(x, rows, d);
        var yd = y is null ? null : To2D(y, rows, k);

        // 3. Latent and log-det.
        var z = new float[rows * d];
        var logDet = new float[rows];
        toLatent(x, y, rows, z, logDet);
        reference.ToLatent(pd, xd, yd, out var zRef, out var logDetRef);
        AssertClose(Flatten(zRef), z.Select(v => (double)v).ToArray(), 2e-4, "latent z");
        AssertClose(logDetRef, logDet.Select(v => (double)v).ToArray(), 2e-4, "log-det");

        // 4. Inverse ∘ forward = identity.
        var xBack = new float[rows * d];
        fromLatent(z, y, rows, xBack);
        double maxErr = x.Zip(xBack, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(maxErr < 1e-4, $"FromLatent(ToLatent(x)) differs from x by {maxErr}");

        // 5. Loss and every parameter's gradient.
        float loss = backward(x, y, rows);
        double lossRef = reference.Loss(pd, xd, yd);
        Assert.True(Math.Abs(loss - lossRef) <= 1e-4 * Math.Max(1, Math.Abs(lossRef)), $"loss {loss} vs reference {lossRef}");
        var gRef = reference.Gradient(pd, xd, yd);
        var g = ToDouble(flow.Gradients.Span);
        foreach (var t in flow.Tensors)
            AssertClose(gRef.AsSpan(t.Offset, t.Length).ToArray(), g.AsSpan(t.Offset, t.Length).ToArray(), 1e-3, $"gradient of {t.Name}");
    }

    private static double[] ToDouble(Span<float> s)
    {
        var d = new double[s.Length];
        for (int i = 0; i < s.Length; i++) d[i] = s[i];
        return d;
    }

    private static double[,] To2D(float[] a, int rows, int cols)
    {
        var m = new double[rows, cols];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                m[r, c] = a[r * cols + c];
        return m;
    }

    private static double[] Flatten(double[,] m) => m.Cast<double>().ToArray();

    /// <summary>Max |a − b| ≤ tol · max(1, max |a|): a tolerance relative to the tensor's scale.</summary>
    private static void AssertClose(double[] expected, double[] actual, double tol, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = Math.Max(1, expected.Select(Math.Abs).DefaultIfEmpty(0).Max());
        for (int i = 0; i < expected.Length; i++)
        {
            double err = Math.Abs(expected[i] - actual[i]);
            Assert.True(err <= tol * scale, $"{what}[{i}]: expected {expected[i]}, got {actual[i]} (|err| {err:g3} > {tol * scale:g3})");
        }
    }
}
