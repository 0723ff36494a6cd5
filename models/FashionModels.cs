namespace GenDsl.Models;

/// <summary>
/// DCGAN on 28×28 Fashion-MNIST (the reference workload <c>train-dcgan</c>). Generator: z(64) → Dense 128·7·7
/// → BatchNorm + ReLU → [128, 7, 7] → ConvTranspose 64 (4, stride 2) → BatchNorm + ReLU → ConvTranspose 1
/// (4, stride 2) → sigmoid (pixels in [0, 1]). Discriminator: Conv 64 (4, s2) → Conv 128 (4, s2) → Dense 1,
/// LeakyReLU 0.2. Non-saturating loss; train with Adam 2e-4, β = (0.5, 0.999).
/// </summary>
[Gan(Channels = 1, Height = 28, Width = 28, Noise = 64, Loss = GanLoss.NonSaturating)]
public sealed partial class FashionDcgan
{
    [Generator, Dense(128 * 7 * 7, Activation.Identity)] public partial Dense G1 { get; }
    [Generator, BatchNorm(Activation = Activation.Relu)] public partial BatchNorm G2 { get; }
    [Generator, Unflatten(128, 7, 7)] public partial Reshape G3 { get; }
    [Generator, ConvTranspose(64, 4, Stride = 2, Padding = 1, Activation = Activation.Identity)] public partial Conv G4 { get; }
    [Generator, BatchNorm(Activation = Activation.Relu)] public partial BatchNorm G5 { get; }
    [Generator, ConvTranspose(1, 4, Stride = 2, Padding = 1, Activation = Activation.Sigmoid)] public partial Conv G6 { get; }
    [Discriminator, Conv(64, 4, Stride = 2, Padding = 1, Activation = Activation.LeakyRelu)] public partial Conv D1 { get; }
    [Discriminator, Conv(128, 4, Stride = 2, Padding = 1, Activation = Activation.LeakyRelu)] public partial Conv D2 { get; }
}

/// <summary>The conditional DCGAN: the class one-hot (10 values) joins z in the generator and enters the discriminator as 10 constant channels.</summary>
[Gan(Channels = 1, Height = 28, Width = 28, Noise = 64, Loss = GanLoss.NonSaturating, Condition = 10)]
public sealed partial class FashionCdcgan
{
    [Generator, Dense(128 * 7 * 7, Activation.Identity)] public partial Dense G1 { get; }
    [Generator, BatchNorm(Activation = Activation.Relu)] public partial BatchNorm G2 { get; }
    [Generator, Unflatten(128, 7, 7)] public partial Reshape G3 { get; }
    [Generator, ConvTranspose(64, 4, Stride = 2, Padding = 1, Activation = Activation.Identity)] public partial Conv G4 { get; }
    [Generator, BatchNorm(Activation = Activation.Relu)] public partial BatchNorm G5 { get; }
    [Generator, ConvTranspose(1, 4, Stride = 2, Padding = 1, Activation = Activation.Sigmoid)] public partial Conv G6 { get; }
    [Discriminator, Conv(64, 4, Stride = 2, Padding = 1, Activation = Activation.LeakyRelu)] public partial Conv D1 { get; }
    [Discriminator, Conv(128, 4, Stride = 2, Padding = 1, Activation = Activation.LeakyRelu)] public partial Conv D2 { get; }
}

/// <summary>
/// Convolutional VAE on 28×28 Fashion-MNIST (the reference workload <c>train-convvae</c>), Bernoulli likelihood.
/// Encoder: Conv 32 (4, s2, ReLU) → Conv 64 (4, s2, ReLU) → [64·7·7] → Dense (μ, ln σ²) of 16. Decoder, the mirror:
/// z(16) → Dense 64·7·7 (ReLU) → [64, 7, 7] → ConvTranspose 32 (4, s2, ReLU) → ConvTranspose 1 (4, s2) → logits.
/// </summary>
[Vae(Channels = 1, Height = 28, Width = 28, Latent = 16, Likelihood = Likelihood.Bernoulli)]
public sealed partial class FashionConvVae
{
    [Encoder, Conv(32, 4, Stride = 2, Padding = 1)] public partial Conv E1 { get; }
    [Encoder, Conv(64, 4, Stride = 2, Padding = 1)] public partial Conv E2 { get; }
    [Decoder, Dense(64 * 7 * 7, Activation.Relu)] public partial Dense D1 { get; }
    [Decoder, Unflatten(64, 7, 7)] public partial Reshape D2 { get; }
    [Decoder, ConvTranspose(32, 4, Stride = 2, Padding = 1)] public partial Conv D3 { get; }
    [Decoder, ConvTranspose(1, 4, Stride = 2, Padding = 1, Activation = Activation.Identity)] public partial Conv D4 { get; }
}

/// <summary>The conditional conv VAE: the class one-hot enters the encoder as 10 constant channels and joins z in the decoder.</summary>
[Vae(Channels = 1, Height = 28, Width = 28, Latent = 16, Likelihood = Likelihood.Bernoulli, Condition = 10)]
public sealed partial class FashionConvCvae
{
    [Encoder, Conv(32, 4, Stride = 2, Padding = 1)] public partial Conv E1 { get; }
    [Encoder, Conv(64, 4, Stride = 2, Padding = 1)] public partial Conv E2 { get; }
    [Decoder, Dense(64 * 7 * 7, Activation.Relu)] public partial Dense D1 { get; }
    [Decoder, Unflatten(64, 7, 7)] public partial Reshape D2 { get; }
    [Decoder, ConvTranspose(32, 4, Stride = 2, Padding = 1)] public partial Conv D3 { get; }
    [Decoder, ConvTranspose(1, 4, Stride = 2, Padding = 1, Activation = Activation.Identity)] public partial Conv D4 { get; }
}

/// <summary>An MLP VAE of about the conv VAE's parameter count, for the comparison at equal budget: 784 → 128 → (16, 16); 16 → 128 → 784.</summary>
[Vae(Features = 784, Latent = 16, Likelihood = Likelihood.Bernoulli)]
public sealed partial class FashionMlpVae
{
    [Encoder, Dense(128, Activation.Relu)] public partial Dense E1 { get; }
    [Decoder, Dense(128, Activation.Relu)] public partial Dense D1 { get; }
}

/// <summary>
/// A small Glow (Kingma &amp; Dhariwal 2018) on 28×28 Fashion-MNIST, after RealNVP's preprocessing (uniform
/// dequantisation of the 256 levels and a logit, <c>new LogitTransform(256)</c>). Two scales: squeeze [1, 28, 28] →
/// [4, 14, 14], two steps of flow (per-channel ActNorm, invertible 1×1 convolution, affine coupling with a
/// convolutional network of 32 channels on half of the channels), split (2 channels to the latent), squeeze →
/// [8, 7, 7], two more steps. Output convolutions start at zero (<see cref="FlowInitialization.Identity"/>, Glow's
/// choice): the flow starts as the identity.
/// </summary>
[Flow(Channels = 1, Height = 28, Width = 28, Initialization = FlowInitialization.Identity)]
public sealed partial class FashionGlow
{
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
