namespace GenDsl.Models;

/// <summary>
/// A multi-scale flow on the shipped 28×28 MNIST digits in RealNVP's and Glow's manner, after RealNVP's preprocessing
/// (uniform dequantisation of the 256 levels and a logit, <c>new LogitTransform(256)</c>). At full resolution two
/// checkerboard couplings (RealNVP's first layers: the network sees the kept pixels of the image and fills in the
/// others); then squeeze [1, 28, 28] → [4, 14, 14], two steps of Glow (per-channel ActNorm, invertible 1×1
/// convolution, affine coupling on half of the channels), split (2 channels to the latent), squeeze → [8, 7, 7], two
/// more steps. Every coupling network is Glow's conv 3×3 → ReLU → conv 1×1 → ReLU → conv 3×3 with 32 channels. Output
/// convolutions start at zero (<see cref="FlowInitialization.Identity"/>): the flow starts as the identity.
/// </summary>
[Flow(Channels = 1, Height = 28, Width = 28, Initialization = FlowInitialization.Identity)]
public sealed partial class MnistGlow
{
    [ActNorm] public partial ActNorm N0 { get; }                                                        // [1, 28, 28]
    [AffineCoupling(Mask.CheckerboardEven, Hidden = 32, HiddenLayers = 2)] public partial Coupling B1 { get; }
    [AffineCoupling(Mask.CheckerboardOdd, Hidden = 32, HiddenLayers = 2)] public partial Coupling B2 { get; }
    [Squeeze] public partial Squeeze S1 { get; }                                                        // [1, 28, 28] → [4, 14, 14]
    [ActNorm] public partial ActNorm N1 { get; }
    [InvertibleConv1x1(Seed = 1)] public partial InvertibleConv1x1 W1 { get; }
    [AffineCoupling(Mask.ChannelsFirstHalf, Hidden = 32, HiddenLayers = 2)] public partial Coupling C1 { get; }
    [ActNorm] public partial ActNorm N2 { get; }
    [InvertibleConv1x1(Seed = 2)] public partial InvertibleConv1x1 W2 { get; }
    [AffineCoupling(Mask.ChannelsSecondHalf, Hidden = 32, HiddenLayers = 2)] public partial Coupling C2 { get; }
    [Split] public partial Split X1 { get; }                                                            // channels 2, 3 → latent; [2, 14, 14]
    [Squeeze] public partial Squeeze S2 { get; }                                                        // [2, 14, 14] → [8, 7, 7]
    [ActNorm] public partial ActNorm N3 { get; }
    [InvertibleConv1x1(Seed = 3)] public partial InvertibleConv1x1 W3 { get; }
    [AffineCoupling(Mask.ChannelsFirstHalf, Hidden = 32, HiddenLayers = 2)] public partial Coupling C3 { get; }
    [ActNorm] public partial ActNorm N4 { get; }
    [InvertibleConv1x1(Seed = 4)] public partial InvertibleConv1x1 W4 { get; }
    [AffineCoupling(Mask.ChannelsSecondHalf, Hidden = 32, HiddenLayers = 2)] public partial Coupling C4 { get; }
}
