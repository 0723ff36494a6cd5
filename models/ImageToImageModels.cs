namespace GenDsl.Models;

// The course's image-to-image tasks on 28×28 grey images (MNIST, Fashion-MNIST), see ImageToImageExperiment:
//   super-resolution: y = the 7×7 average-pooled image (49 values) → x = the 28×28 image;
//   inpainting:       y = the upper half, 1×14×28 → x = the lower half, 1×14×28.
// For each task a regressor and three conditional generative models. The network that makes x — the regressor's
// predictor, the CVAE's decoder, the GAN's generator — is the same body, Dense 256 → Dense 512 → the implied
// 784- (or 392-) wide head, reading y flat (after z for the CVAE and the GAN): so the regressor is exactly the
// generator without z. The networks that read x (the encoder, the discriminator, the flow's coupling networks) are
// convolutional and read y as extra channels resized to their own size (adaptive average pooling).

/// <summary>Super-resolution regressor: x̂ = f(y), y the 7×7 average-pooled image, trained by the mean squared error.</summary>
[Regressor(Channels = 1, Height = 28, Width = 28, ConditionChannels = 1, ConditionHeight = 7, ConditionWidth = 7, Output = Activation.Sigmoid)]
public sealed partial class SuperResRegressor
{
    [Predictor, Dense(256, Activation.Relu)] public partial Dense P1 { get; }
    [Predictor, Dense(512, Activation.Relu)] public partial Dense P2 { get; }
}

/// <summary>Super-resolution CVAE: q(z | x, y) convolutional with y as a channel (7×7 → 28×28), p(x | z, y) the regressor's body after [z, y]; Bernoulli likelihood.</summary>
[Vae(Channels = 1, Height = 28, Width = 28, Latent = 16, Likelihood = Likelihood.Bernoulli, ConditionChannels = 1, ConditionHeight = 7, ConditionWidth = 7)]
public sealed partial class SuperResCvae
{
    [Encoder, Conv(32, 4, Stride = 2, Padding = 1)] public partial Conv E1 { get; }          // [2, 28, 28] → [32, 14, 14]
    [Encoder, Conv(64, 4, Stride = 2, Padding = 1)] public partial Conv E2 { get; }          // → [64, 7, 7]
    [Decoder, Dense(256, Activation.Relu)] public partial Dense D1 { get; }
    [Decoder, Dense(512, Activation.Relu)] public partial Dense D2 { get; }
}

/// <summary>Super-resolution conditional GAN: the generator is the regressor's body after [z, y]; the discriminator DCGAN's at half the channels (32, 64), with y as a channel.</summary>
[Gan(Channels = 1, Height = 28, Width = 28, Noise = 32, Loss = GanLoss.NonSaturating, Output = Activation.Sigmoid, ConditionChannels = 1, ConditionHeight = 7, ConditionWidth = 7)]
public sealed partial class SuperResCgan
{
    [Generator, Dense(256, Activation.Relu)] public partial Dense G1 { get; }
    [Generator, Dense(512, Activation.Relu)] public partial Dense G2 { get; }
    [Discriminator, Conv(32, 4, Stride = 2, Padding = 1, Activation = Activation.LeakyRelu)] public partial Conv D1 { get; }   // [2, 28, 28] → [32, 14, 14]
    [Discriminator, Conv(64, 4, Stride = 2, Padding = 1, Activation = Activation.LeakyRelu)] public partial Conv D2 { get; }   // → [64, 7, 7]
}

/// <summary>
/// Super-resolution conditional flow, a small Glow (FashionGlow's layers) whose coupling networks read y as an extra
/// channel at their resolution (28×28 → 14×14 after the first squeeze, 7×7 after the second). Train on dequantised
/// logits (<c>new LogitTransform(256)</c>).
/// </summary>
[Flow(Channels = 1, Height = 28, Width = 28, ConditionChannels = 1, ConditionHeight = 7, ConditionWidth = 7, Initialization = FlowInitialization.Identity)]
public sealed partial class SuperResFlow
{
    [Squeeze] public partial Squeeze S1 { get; }                                                        // [1, 28, 28] → [4, 14, 14]
    [ActNorm] public partial ActNorm N1 { get; }
    [InvertibleConv1x1(Seed = 1)] public partial InvertibleConv1x1 W1 { get; }
    [AffineCoupling(Mask.ChannelsFirstHalf, Hidden = 32, HiddenLayers = 2)] public partial Coupling C1 { get; }
    [ActNorm] public partial ActNorm N2 { get; }
    [InvertibleConv1x1(Seed = 2)] public partial InvertibleConv1x1 W2 { get; }
    [AffineCoupling(Mask.ChannelsSecondHalf, Hidden = 32, HiddenLayers = 2)] public partial Coupling C2 { get; }
    [Split] public partial Split X1 { get; }                                                            // [2, 14, 14]
    [Squeeze] public partial Squeeze S2 { get; }                                                        // → [8, 7, 7]
    [ActNorm] public partial ActNorm N3 { get; }
    [InvertibleConv1x1(Seed = 3)] public partial InvertibleConv1x1 W3 { get; }
    [AffineCoupling(Mask.ChannelsFirstHalf, Hidden = 32, HiddenLayers = 2)] public partial Coupling C3 { get; }
    [ActNorm] public partial ActNorm N4 { get; }
    [InvertibleConv1x1(Seed = 4)] public partial InvertibleConv1x1 W4 { get; }
    [AffineCoupling(Mask.ChannelsSecondHalf, Hidden = 32, HiddenLayers = 2)] public partial Coupling C4 { get; }
}

/// <summary>Inpainting regressor: the lower half x̂ = f(upper half), trained by the mean squared error.</summary>
[Regressor(Channels = 1, Height = 14, Width = 28, ConditionChannels = 1, ConditionHeight = 14, ConditionWidth = 28, Output = Activation.Sigmoid)]
public sealed partial class InpaintRegressor
{
    [Predictor, Dense(256, Activation.Relu)] public partial Dense P1 { get; }
    [Predictor, Dense(512, Activation.Relu)] public partial Dense P2 { get; }
}

/// <summary>Inpainting CVAE: q(z | lower, upper) reads the two halves as two channels; p(lower | z, upper) is the regressor's body after [z, upper].</summary>
[Vae(Channels = 1, Height = 14, Width = 28, Latent = 16, Likelihood = Likelihood.Bernoulli, ConditionChannels = 1, ConditionHeight = 14, ConditionWidth = 28)]
public sealed partial class InpaintCvae
{
    [Encoder, Conv(32, 4, Stride = 2, Padding = 1)] public partial Conv E1 { get; }          // [2, 14, 28] → [32, 7, 14]
    [Encoder, Conv(64, 3, Padding = 1)] public partial Conv E2 { get; }                      // → [64, 7, 14]
    [Decoder, Dense(256, Activation.Relu)] public partial Dense D1 { get; }
    [Decoder, Dense(512, Activation.Relu)] public partial Dense D2 { get; }
}

/// <summary>Inpainting conditional GAN: the generator is the regressor's body after [z, upper]; the discriminator sees both halves as two channels.</summary>
[Gan(Channels = 1, Height = 14, Width = 28, Noise = 32, Loss = GanLoss.NonSaturating, Output = Activation.Sigmoid, ConditionChannels = 1, ConditionHeight = 14, ConditionWidth = 28)]
public sealed partial class InpaintCgan
{
    [Generator, Dense(256, Activation.Relu)] public partial Dense G1 { get; }
    [Generator, Dense(512, Activation.Relu)] public partial Dense G2 { get; }
    [Discriminator, Conv(32, 4, Stride = 2, Padding = 1, Activation = Activation.LeakyRelu)] public partial Conv D1 { get; }   // [2, 14, 28] → [32, 7, 14]
    [Discriminator, Conv(32, 3, Padding = 1, Activation = Activation.LeakyRelu)] public partial Conv D2 { get; }              // → [32, 7, 14]
}

/// <summary>Inpainting conditional flow: one scale of four Glow steps on the squeezed lower half [4, 7, 14], the coupling networks reading the upper half resized to 7×14.</summary>
[Flow(Channels = 1, Height = 14, Width = 28, ConditionChannels = 1, ConditionHeight = 14, ConditionWidth = 28, Initialization = FlowInitialization.Identity)]
public sealed partial class InpaintFlow
{
    [Squeeze] public partial Squeeze S1 { get; }                                                        // [1, 14, 28] → [4, 7, 14]
    [ActNorm] public partial ActNorm N1 { get; }
    [InvertibleConv1x1(Seed = 1)] public partial InvertibleConv1x1 W1 { get; }
    [AffineCoupling(Mask.ChannelsFirstHalf, Hidden = 32, HiddenLayers = 2)] public partial Coupling C1 { get; }
    [ActNorm] public partial ActNorm N2 { get; }
    [InvertibleConv1x1(Seed = 2)] public partial InvertibleConv1x1 W2 { get; }
    [AffineCoupling(Mask.ChannelsSecondHalf, Hidden = 32, HiddenLayers = 2)] public partial Coupling C2 { get; }
    [ActNorm] public partial ActNorm N3 { get; }
    [InvertibleConv1x1(Seed = 3)] public partial InvertibleConv1x1 W3 { get; }
    [AffineCoupling(Mask.ChannelsFirstHalf, Hidden = 32, HiddenLayers = 2)] public partial Coupling C3 { get; }
    [ActNorm] public partial ActNorm N4 { get; }
    [InvertibleConv1x1(Seed = 4)] public partial InvertibleConv1x1 W4 { get; }
    [AffineCoupling(Mask.ChannelsSecondHalf, Hidden = 32, HiddenLayers = 2)] public partial Coupling C4 { get; }
}
