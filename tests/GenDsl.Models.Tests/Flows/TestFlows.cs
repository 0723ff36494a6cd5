namespace GenDsl.Models.Tests.Flows;

// Small flows that together use every layer kind, mask kind, activation and both network paths
// (straight-line code for input widths ≤ 4, GEMM above), checked against the double reference.

[Flow(Features = 4)]
public sealed partial class MixedFlow
{
    [AffineCoupling("1100", Hidden = 8, HiddenLayers = 2, Activation = Activation.Tanh)] public partial Coupling C1 { get; }
    [Permute(Permutation.Reverse)] public partial Permutation P1 { get; }
    [AdditiveCoupling(Mask.Even, Hidden = 8, HiddenLayers = 1, Activation = Activation.Sigmoid)] public partial Coupling C2 { get; }
    [ActNorm] public partial ActNorm N1 { get; }
    [InvertibleLinear(Seed = 3)] public partial InvertibleLinear L1 { get; }
    [AffineCoupling(Mask.Alternating, Hidden = 8, HiddenLayers = 0)] public partial Coupling C3 { get; }
    [Permute(2, 0, 3, 1)] public partial Permutation P2 { get; }
    [AffineCoupling(Mask.Odd, Hidden = 8, HiddenLayers = 1, Activation = Activation.Softplus)] public partial Coupling C4 { get; }
}

[Flow(Features = 3, Condition = 2)]
public sealed partial class ConditionalSmallFlow
{
    [AffineCoupling(Mask.FirstHalf, Hidden = 6, HiddenLayers = 2, Activation = Activation.LeakyRelu)] public partial Coupling C1 { get; }
    [Permute(Permutation.Random, Seed = 5)] public partial Permutation P1 { get; }
    [AffineCoupling(Mask.SecondHalf, Hidden = 6, HiddenLayers = 1, Activation = Activation.Relu)] public partial Coupling C2 { get; }
    [AdditiveCoupling(Mask.Alternating, Hidden = 6, HiddenLayers = 1)] public partial Coupling C3 { get; }
}

[Flow(Features = 12)]
public sealed partial class WideFlow
{
    [ActNorm] public partial ActNorm N1 { get; }
    [AffineCoupling(Mask.Even, Hidden = 24, HiddenLayers = 2, Activation = Activation.Relu)] public partial Coupling C1 { get; }
    [InvertibleLinear(Seed = 9)] public partial InvertibleLinear L1 { get; }
    [AffineCoupling(Mask.FirstHalf, Hidden = 24, HiddenLayers = 1, Activation = Activation.Tanh)] public partial Coupling C2 { get; }
    [Permute(Permutation.Random, Seed = 2)] public partial Permutation P1 { get; }
    [AdditiveCoupling(Mask.Odd, Hidden = 20, HiddenLayers = 2, Activation = Activation.LeakyRelu)] public partial Coupling C3 { get; }
}

// Spline couplings mixed with every other layer kind; small bins, a pattern mask, a tail bound that data and latents cross.
[Flow(Features = 4)]
public sealed partial class SplineMixedFlow
{
    [SplineCoupling("1100", Bins = 5, TailBound = 1.5f, Hidden = 8, HiddenLayers = 2, Activation = Activation.Tanh)] public partial Coupling S1 { get; }
    [Permute(Permutation.Reverse)] public partial Permutation P1 { get; }
    [AffineCoupling(Mask.Even, Hidden = 8, HiddenLayers = 1)] public partial Coupling C1 { get; }
    [ActNorm] public partial ActNorm N1 { get; }
    [SplineCoupling(Mask.Odd, Bins = 3, TailBound = 2, Hidden = 8, HiddenLayers = 0)] public partial Coupling S2 { get; }
    [InvertibleLinear(Seed = 4)] public partial InvertibleLinear L1 { get; }
    [SplineCoupling(Mask.Alternating, Bins = 8, TailBound = 2.5f, Hidden = 8, HiddenLayers = 1, Activation = Activation.Softplus)] public partial Coupling S3 { get; }
}

[Flow(Features = 3, Condition = 2)]
public sealed partial class ConditionalSplineFlow
{
    [SplineCoupling(Mask.FirstHalf, Bins = 4, TailBound = 2, Hidden = 6, HiddenLayers = 2, Activation = Activation.LeakyRelu)] public partial Coupling S1 { get; }
    [Permute(Permutation.Random, Seed = 5)] public partial Permutation P1 { get; }
    [SplineCoupling(Mask.SecondHalf, Bins = 6, TailBound = 1, Hidden = 6, HiddenLayers = 1)] public partial Coupling S2 { get; }
}

// Masked autoregressive layers, MAF and IAF, between the other layer kinds; 1 and 2 hidden layers, every network path
// (input width 4 takes the straight-line code, 5 and more the GEMM).
[Flow(Features = 4)]
public sealed partial class MafMixedFlow
{
    [MaskedAutoregressive(Hidden = 8, HiddenLayers = 2, Activation = Activation.Tanh)] public partial MaskedAutoregressive M1 { get; }
    [Permute(Permutation.Reverse)] public partial Permutation P1 { get; }
    [ActNorm] public partial ActNorm N1 { get; }
    [MaskedAutoregressive(Hidden = 5, HiddenLayers = 1, Activation = Activation.Softplus, Inverse = true)] public partial MaskedAutoregressive M2 { get; }
    [AffineCoupling(Mask.Alternating, Hidden = 8, HiddenLayers = 1)] public partial Coupling C1 { get; }
    [MaskedAutoregressive(Hidden = 7, HiddenLayers = 3, Activation = Activation.LeakyRelu, Inverse = true)] public partial MaskedAutoregressive M3 { get; }
}

[Flow(Features = 3, Condition = 2)]
public sealed partial class ConditionalMafFlow
{
    [MaskedAutoregressive(Hidden = 6, HiddenLayers = 2, Activation = Activation.Sigmoid)] public partial MaskedAutoregressive M1 { get; }
    [Permute(Permutation.Random, Seed = 5)] public partial Permutation P1 { get; }
    [MaskedAutoregressive(Hidden = 4, HiddenLayers = 1, Activation = Activation.Tanh, Inverse = true)] public partial MaskedAutoregressive M2 { get; }
}

// Masked autoregressive layers with spline transforms (MAF and IAF) beside an affine IAF, ActNorm and a permutation.
[Flow(Features = 4)]
public sealed partial class SplineMafFlow
{
    [MaskedAutoregressive(Transform = AutoregressiveTransform.Spline, Bins = 5, TailBound = 2, Hidden = 8, HiddenLayers = 2, Activation = Activation.Tanh)] public partial MaskedAutoregressive M1 { get; }
    [Permute(Permutation.Reverse)] public partial Permutation P1 { get; }
    [MaskedAutoregressive(Transform = AutoregressiveTransform.Spline, Bins = 3, TailBound = 1.5f, Hidden = 6, HiddenLayers = 1, Activation = Activation.Softplus, Inverse = true)] public partial MaskedAutoregressive M2 { get; }
    [ActNorm] public partial ActNorm N1 { get; }
    [MaskedAutoregressive(Hidden = 7, HiddenLayers = 1, Inverse = true)] public partial MaskedAutoregressive M3 { get; }
}

[Flow(Features = 3, Condition = 2)]
public sealed partial class ConditionalSplineMafFlow
{
    [MaskedAutoregressive(Transform = AutoregressiveTransform.Spline, Bins = 4, TailBound = 2, Hidden = 6, HiddenLayers = 2, Activation = Activation.LeakyRelu)] public partial MaskedAutoregressive M1 { get; }
    [Permute(Permutation.Random, Seed = 5)] public partial Permutation P1 { get; }
    [MaskedAutoregressive(Transform = AutoregressiveTransform.Spline, Bins = 6, TailBound = 1, Hidden = 5, HiddenLayers = 1, Inverse = true)] public partial MaskedAutoregressive M2 { get; }
}

// Image flows: rows are channel-major [C, H, W] images; squeezes between vector layers (which act on the flat row).
[Flow(Channels = 2, Height = 4, Width = 4)]
public sealed partial class ImageSqueezeFlow
{
    [Squeeze] public partial Squeeze S1 { get; }                                                      // [2, 4, 4] → [8, 2, 2]
    [AffineCoupling(Mask.FirstHalf, Hidden = 16, HiddenLayers = 1, Activation = Activation.Tanh)] public partial Coupling C1 { get; }
    [Squeeze] public partial Squeeze S2 { get; }                                                      // [8, 2, 2] → [32, 1, 1]
    [InvertibleLinear(Seed = 3)] public partial InvertibleLinear L1 { get; }
    [AdditiveCoupling(Mask.Odd, Hidden = 8, HiddenLayers = 1)] public partial Coupling C2 { get; }
}

[Flow(Channels = 3, Height = 6, Width = 6, Condition = 2)]
public sealed partial class ConditionalImageSqueezeFlow
{
    [AffineCoupling(Mask.Even, Hidden = 8, HiddenLayers = 1)] public partial Coupling C1 { get; }
    [Squeeze] public partial Squeeze S1 { get; }                                                      // [3, 6, 6] → [12, 3, 3]
    [ActNorm] public partial ActNorm N1 { get; }                                                      // per channel: logscale [12]
    [AffineCoupling(Mask.SecondHalf, Hidden = 8, HiddenLayers = 1, Activation = Activation.LeakyRelu)] public partial Coupling C2 { get; }
    [Permute(Permutation.Random, Seed = 1)] public partial Permutation P1 { get; }
}

// Per-channel ActNorm before and after squeezes (logscale [2], then [8]).
[Flow(Channels = 2, Height = 4, Width = 4)]
public sealed partial class ImageActNormFlow
{
    [ActNorm] public partial ActNorm N1 { get; }
    [Squeeze] public partial Squeeze S1 { get; }
    [ActNorm] public partial ActNorm N2 { get; }
    [AffineCoupling(Mask.FirstHalf, Hidden = 8, HiddenLayers = 1)] public partial Coupling C1 { get; }
    [ActNorm] public partial ActNorm N3 { get; }
    [AffineCoupling(Mask.SecondHalf, Hidden = 8, HiddenLayers = 1, Activation = Activation.Softplus)] public partial Coupling C2 { get; }
}

// Glow steps on images: ActNorm, invertible 1×1 convolution, convolutional coupling; squeezes between (C = 4, then 16 channels).
[Flow(Channels = 1, Height = 8, Width = 8)]
public sealed partial class ImageGlowStepFlow
{
    [Squeeze] public partial Squeeze S1 { get; }                                                      // [1, 8, 8] → [4, 4, 4]
    [ActNorm] public partial ActNorm N1 { get; }
    [InvertibleConv1x1(Seed = 2)] public partial InvertibleConv1x1 W1 { get; }
    [AffineCoupling(Mask.ChannelsFirstHalf, Hidden = 16, HiddenLayers = 2)] public partial Coupling C1 { get; }
    [Squeeze] public partial Squeeze S2 { get; }                                                      // [4, 4, 4] → [16, 2, 2]
    [ActNorm] public partial ActNorm N2 { get; }
    [InvertibleConv1x1(Seed = 5)] public partial InvertibleConv1x1 W2 { get; }
    [AdditiveCoupling(Mask.CheckerboardOdd, Hidden = 8, HiddenLayers = 1)] public partial Coupling C2 { get; }
    [AffineCoupling(Mask.SecondHalf, Hidden = 8, HiddenLayers = 1)] public partial Coupling C3 { get; }  // a dense coupling on the flat row
}

[Flow(Channels = 3, Height = 2, Width = 2, Condition = 2)]
public sealed partial class ConditionalImageConvFlow
{
    [InvertibleConv1x1(Seed = 1)] public partial InvertibleConv1x1 W1 { get; }                        // 3 channels
    [AffineCoupling(Mask.Even, Hidden = 8, HiddenLayers = 1)] public partial Coupling C1 { get; }
    [Squeeze] public partial Squeeze S1 { get; }                                                      // [3, 2, 2] → [12, 1, 1]
    [InvertibleConv1x1(Seed = 4)] public partial InvertibleConv1x1 W2 { get; }                        // 12 channels, one pixel
    [AffineCoupling(Mask.Odd, Hidden = 8, HiddenLayers = 1)] public partial Coupling C2 { get; }
}

// Convolutional couplings (image masks): channel halves after a squeeze, with ActNorm and a 1×1 convolution between.
[Flow(Channels = 2, Height = 4, Width = 4)]
public sealed partial class ImageConvCouplingFlow
{
    [Squeeze] public partial Squeeze S1 { get; }                                                      // [2, 4, 4] → [8, 2, 2]
    [ActNorm] public partial ActNorm N1 { get; }
    [AffineCoupling(Mask.ChannelsFirstHalf, Hidden = 6, HiddenLayers = 2)] public partial Coupling C1 { get; }
    [InvertibleConv1x1(Seed = 1)] public partial InvertibleConv1x1 W1 { get; }
    [AdditiveCoupling(Mask.ChannelsSecondHalf, Hidden = 4, HiddenLayers = 1, Activation = Activation.Tanh)] public partial Coupling C2 { get; }
}

// Checkerboards (the network reads u ⊙ b over every channel), then a channel mask on an odd channel count.
[Flow(Channels = 3, Height = 4, Width = 4)]
public sealed partial class ImageCheckerboardFlow
{
    [AffineCoupling(Mask.CheckerboardEven, Hidden = 5, HiddenLayers = 2)] public partial Coupling C1 { get; }
    [AdditiveCoupling(Mask.CheckerboardOdd, Hidden = 4, HiddenLayers = 0)] public partial Coupling C2 { get; }
    [AffineCoupling(Mask.ChannelsSecondHalf, Hidden = 4, HiddenLayers = 1, Activation = Activation.LeakyRelu)] public partial Coupling C3 { get; }
}

// A condition reaches the convolutional networks as constant extra channels.
[Flow(Channels = 2, Height = 2, Width = 4, Condition = 2)]
public sealed partial class ConditionalImageConvCouplingFlow
{
    [AffineCoupling(Mask.CheckerboardOdd, Hidden = 4, HiddenLayers = 1)] public partial Coupling C1 { get; }
    [AffineCoupling(Mask.ChannelsFirstHalf, Hidden = 4, HiddenLayers = 1, Activation = Activation.Softplus)] public partial Coupling C2 { get; }
}

// Identity initialisation zeroes the output convolutions: the flow starts as the identity.
[Flow(Channels = 2, Height = 4, Width = 4, Initialization = FlowInitialization.Identity)]
public sealed partial class IdentityImageConvFlow
{
    [AffineCoupling(Mask.CheckerboardEven, Hidden = 4, HiddenLayers = 2)] public partial Coupling C1 { get; }
    [Squeeze] public partial Squeeze S1 { get; }
    [AffineCoupling(Mask.ChannelsFirstHalf, Hidden = 4, HiddenLayers = 2)] public partial Coupling C2 { get; }
    [AdditiveCoupling(Mask.ChannelsSecondHalf, Hidden = 4, HiddenLayers = 1)] public partial Coupling C3 { get; }
}

// Multi-scale: two splits; after each, the layers act on the remaining channels (16 → 8 → 4 active features).
[Flow(Channels = 1, Height = 4, Width = 4)]
public sealed partial class ImageSplitFlow
{
    [Squeeze] public partial Squeeze S1 { get; }                                                      // [1, 4, 4] → [4, 2, 2]
    [ActNorm] public partial ActNorm N1 { get; }
    [AffineCoupling(Mask.ChannelsFirstHalf, Hidden = 6, HiddenLayers = 2)] public partial Coupling C1 { get; }
    [Split] public partial Split X1 { get; }                                                          // channels 2, 3 → latent; [2, 2, 2]
    [ActNorm] public partial ActNorm N2 { get; }
    [InvertibleConv1x1(Seed = 3)] public partial InvertibleConv1x1 W1 { get; }
    [AdditiveCoupling(Mask.CheckerboardEven, Hidden = 4, HiddenLayers = 1)] public partial Coupling C2 { get; }
    [Squeeze] public partial Squeeze S2 { get; }                                                      // [2, 2, 2] → [8, 1, 1]
    [Split] public partial Split X2 { get; }                                                          // channels 4…7 → latent; [4, 1, 1]
    [AffineCoupling(Mask.ChannelsSecondHalf, Hidden = 4, HiddenLayers = 1, Activation = Activation.Tanh)] public partial Coupling C3 { get; }
}

// An image condition [2, 3, 3]: resized to 4×6 for C1's network (rows and columns enlarged by non-integer ratios), to
// 2×3 for C2's (rows shrunk 3 → 2, columns kept), read as 18 flat values by the dense coupling C3.
[Flow(Channels = 1, Height = 4, Width = 6, ConditionChannels = 2, ConditionHeight = 3, ConditionWidth = 3)]
public sealed partial class ImageConditionFlow
{
    [AffineCoupling(Mask.CheckerboardEven, Hidden = 4, HiddenLayers = 1)] public partial Coupling C1 { get; }
    [Squeeze] public partial Squeeze S1 { get; }                                                      // [1, 4, 6] → [4, 2, 3]
    [AffineCoupling(Mask.ChannelsFirstHalf, Hidden = 4, HiddenLayers = 1, Activation = Activation.Tanh)] public partial Coupling C2 { get; }
    [AdditiveCoupling(Mask.SecondHalf, Hidden = 6, HiddenLayers = 1)] public partial Coupling C3 { get; }
}
