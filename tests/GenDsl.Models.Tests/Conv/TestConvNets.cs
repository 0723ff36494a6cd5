namespace GenDsl.Models.Tests.ConvNets;

// Tiny conv VAEs and GANs (images of 1×6×6, 2×5×5, 1×5×5) covering every catalogue op in both families:
// Conv and ConvTranspose with kernels 1–4, strides 1–3, padding 0–2, output padding 1 and 2, every activation,
// BatchNorm (with and without activation) in an encoder, a generator and a discriminator, Flatten/Unflatten,
// decoders/generators ending with a conv (no implied head) or with a dense layer (implied head), and the
// condition as constant channels. The reference networks of RefConvModels.cs mirror them layer by layer.

/// <summary>Bernoulli; decoder ends with a 1×1 ConvTranspose (no implied head).</summary>
[Vae(Channels = 1, Height = 6, Width = 6, Latent = 3, Likelihood = Likelihood.Bernoulli)]
public sealed partial class ConvBernoulliVae
{
    [Encoder, Conv(3, 3, Stride = 1, Padding = 1, Activation = Activation.Relu)] public partial Conv E1 { get; }          // [3, 6, 6]
    [Encoder, Conv(4, 4, Stride = 2, Padding = 1, Activation = Activation.LeakyRelu)] public partial Conv E2 { get; }     // [4, 3, 3]
    [Encoder, Flatten] public partial Reshape E3 { get; }                                                                  // [36] → head 6
    [Decoder, Dense(18, Activation.Relu)] public partial Dense D1 { get; }
    [Decoder, Unflatten(2, 3, 3)] public partial Reshape D2 { get; }
    [Decoder, ConvTranspose(3, 4, Stride = 2, Padding = 1, Activation = Activation.Softplus)] public partial Conv D3 { get; } // [3, 6, 6]
    [Decoder, ConvTranspose(1, 1, Activation = Activation.Identity)] public partial Conv D4 { get; }                       // [1, 6, 6] logits
}

/// <summary>Gaussian (learned variance): the decoder's last ConvTranspose outputs 2·C channels (mean, ln σ²) with OutputPadding 1; BatchNorm + ReLU in the encoder.</summary>
[Vae(Channels = 2, Height = 5, Width = 5, Latent = 2, Likelihood = Likelihood.Gaussian)]
public sealed partial class ConvGaussianVae
{
    [Encoder, Conv(3, 3, Stride = 2, Padding = 1, Activation = Activation.Identity)] public partial Conv E1 { get; }      // [3, 3, 3]
    [Encoder, BatchNorm(Activation = Activation.Relu)] public partial BatchNorm E2 { get; }
    [Encoder, Conv(4, 2, Activation = Activation.Tanh)] public partial Conv E3 { get; }                                    // [4, 2, 2] → head 4
    [Decoder, Dense(12, Activation.Tanh)] public partial Dense D1 { get; }
    [Decoder, Unflatten(3, 2, 2)] public partial Reshape D2 { get; }
    [Decoder, ConvTranspose(4, 2, Stride = 2, OutputPadding = 1, Activation = Activation.Identity)] public partial Conv D3 { get; } // [4, 5, 5]
}

/// <summary>Fixed σ, β ≠ 1: padding 2, stride 3 with OutputPadding 2, a Dense straight after an image, and a decoder ending with a Dense (implied head).</summary>
[Vae(Channels = 1, Height = 6, Width = 6, Latent = 2, Likelihood = Likelihood.GaussianFixed, Sigma = 0.5f, Beta = 0.7f)]
public sealed partial class ConvDenseHeadVae
{
    [Encoder, Conv(2, 4, Padding = 2, Activation = Activation.Sigmoid)] public partial Conv E1 { get; }                    // [2, 7, 7]
    [Encoder, Conv(2, 3, Stride = 2, Activation = Activation.Relu)] public partial Conv E2 { get; }                        // [2, 3, 3]
    [Encoder, Dense(5, Activation.Relu)] public partial Dense E3 { get; }
    [Decoder, Dense(8, Activation.Relu)] public partial Dense D1 { get; }
    [Decoder, Unflatten(2, 2, 2)] public partial Reshape D2 { get; }
    [Decoder, ConvTranspose(2, 2, Stride = 3, OutputPadding = 2, Activation = Activation.LeakyRelu)] public partial Conv D3 { get; } // [2, 7, 7]
    [Decoder, Flatten] public partial Reshape D4 { get; }
    [Decoder, Dense(7, Activation.Tanh)] public partial Dense D5 { get; }                                                  // → head 36
}

/// <summary>Conditional: y enters the encoder as 2 constant channels, joins z in the decoder.</summary>
[Vae(Channels = 1, Height = 5, Width = 5, Latent = 2, Likelihood = Likelihood.Bernoulli, Condition = 2)]
public sealed partial class ConvCvae
{
    [Encoder, Conv(3, 3, Activation = Activation.Relu)] public partial Conv E1 { get; }                                    // [1 + 2, 5, 5] → [3, 3, 3]
    [Decoder, Dense(27, Activation.LeakyRelu)] public partial Dense D1 { get; }
    [Decoder, Unflatten(3, 3, 3)] public partial Reshape D2 { get; }
    [Decoder, ConvTranspose(1, 3, Activation = Activation.Identity)] public partial Conv D3 { get; }                       // [1, 5, 5]
}

/// <summary>DCGAN-like: BatchNorm (+ ReLU, + LeakyReLU) in the generator, BatchNorm in the discriminator (which sees real and fake rows in one batch); the generator ends with a Conv.</summary>
[Gan(Channels = 1, Height = 6, Width = 6, Noise = 4, Loss = GanLoss.NonSaturating)]
public sealed partial class ConvBnGan
{
    [Generator, Dense(18, Activation.Identity)] public partial Dense G1 { get; }
    [Generator, BatchNorm(Activation = Activation.Relu)] public partial BatchNorm G2 { get; }
    [Generator, Unflatten(2, 3, 3)] public partial Reshape G3 { get; }
    [Generator, ConvTranspose(3, 4, Stride = 2, Padding = 1, Activation = Activation.Identity)] public partial Conv G4 { get; } // [3, 6, 6]
    [Generator, BatchNorm(Activation = Activation.LeakyRelu)] public partial BatchNorm G5 { get; }
    [Generator, Conv(1, 3, Padding = 1, Activation = Activation.Tanh)] public partial Conv G6 { get; }                     // [1, 6, 6]
    [Discriminator, Conv(3, 4, Stride = 2, Padding = 1, Activation = Activation.Identity)] public partial Conv D1 { get; } // [3, 3, 3]
    [Discriminator, BatchNorm(Activation = Activation.LeakyRelu)] public partial BatchNorm D2 { get; }
    [Discriminator, Conv(2, 2, Activation = Activation.LeakyRelu)] public partial Conv D3 { get; }                         // [2, 2, 2]
    [Discriminator, Flatten] public partial Reshape D4 { get; }                                                            // → logit
}

/// <summary>Conditional, minimax: y joins z in the generator (which ends with Flatten → implied dense head, sigmoid) and enters the discriminator as 2 channels.</summary>
[Gan(Channels = 1, Height = 5, Width = 5, Noise = 3, Loss = GanLoss.Minimax, Condition = 2, Output = Activation.Sigmoid)]
public sealed partial class ConvCgan
{
    [Generator, Dense(8, Activation.Relu)] public partial Dense G1 { get; }
    [Generator, Unflatten(2, 2, 2)] public partial Reshape G2 { get; }
    [Generator, ConvTranspose(2, 2, Activation = Activation.Tanh)] public partial Conv G3 { get; }                         // [2, 3, 3]
    [Generator, Flatten] public partial Reshape G4 { get; }                                                                // → head 25
    [Discriminator, Conv(4, 3, Stride = 2, Padding = 1, Activation = Activation.LeakyRelu)] public partial Conv D1 { get; } // [1 + 2, 5, 5] → [4, 3, 3]
    [Discriminator, Dense(5, Activation.Softplus)] public partial Dense D2 { get; }
}

/// <summary>Hinge loss; the generator ends with a sigmoid ConvTranspose with OutputPadding 1; BatchNorm without activation in the discriminator.</summary>
[Gan(Channels = 1, Height = 5, Width = 5, Noise = 3, Loss = GanLoss.Hinge)]
public sealed partial class ConvHingeGan
{
    [Generator, Dense(12, Activation.Relu)] public partial Dense G1 { get; }
    [Generator, Unflatten(3, 2, 2)] public partial Reshape G2 { get; }
    [Generator, ConvTranspose(1, 2, Stride = 2, OutputPadding = 1, Activation = Activation.Sigmoid)] public partial Conv G3 { get; } // [1, 5, 5]
    [Discriminator, Conv(2, 2, Stride = 1, Activation = Activation.Relu)] public partial Conv D1 { get; }                  // [2, 4, 4]
    [Discriminator, BatchNorm] public partial BatchNorm D2 { get; }
    [Discriminator, Conv(3, 2, Stride = 2, Activation = Activation.LeakyRelu)] public partial Conv D3 { get; }              // [3, 2, 2]
}

/// <summary>Conditional with batch norms at the edges: the discriminator starts with one (over the image and the condition channel), the generator's last declared layer is one (then the implied head).</summary>
[Gan(Channels = 1, Height = 4, Width = 4, Noise = 2, Loss = GanLoss.NonSaturating, Condition = 1)]
public sealed partial class ConvEdgeBnCgan
{
    [Generator, Dense(4, Activation.Tanh)] public partial Dense G1 { get; }
    [Generator, Unflatten(1, 2, 2)] public partial Reshape G2 { get; }
    [Generator, ConvTranspose(2, 3, Activation = Activation.Relu)] public partial Conv G3 { get; }                        // [2, 4, 4]
    [Generator, BatchNorm(Activation = Activation.Sigmoid)] public partial BatchNorm G4 { get; }                           // → head 16
    [Discriminator, BatchNorm(Activation = Activation.LeakyRelu)] public partial BatchNorm D1 { get; }                     // [1 + 1, 4, 4]
    [Discriminator, Conv(2, 3, Activation = Activation.Relu)] public partial Conv D2 { get; }                              // [2, 2, 2]
}

/// <summary>An image condition [1, 3, 3] of 5×5 images (super-resolution's shape): the encoder reads it resized to 5×5 as a channel, the decoder reads its 9 values after z.</summary>
[Vae(Channels = 1, Height = 5, Width = 5, Latent = 2, Likelihood = Likelihood.Bernoulli, ConditionChannels = 1, ConditionHeight = 3, ConditionWidth = 3)]
public sealed partial class ImageConditionCvae
{
    [Encoder, Conv(3, 3, Activation = Activation.Relu)] public partial Conv E1 { get; }                                    // [1 + 1, 5, 5] → [3, 3, 3]
    [Decoder, Dense(27, Activation.LeakyRelu)] public partial Dense D1 { get; }                                           // [z, y] = 2 + 9
    [Decoder, Unflatten(3, 3, 3)] public partial Reshape D2 { get; }
    [Decoder, ConvTranspose(1, 3, Activation = Activation.Identity)] public partial Conv D3 { get; }                       // [1, 5, 5]
}

/// <summary>An image condition [2, 2, 4] (inpainting's shape: two halves) of 4×4 images: the discriminator reads it resized to 4×4, the generator flat after z.</summary>
[Gan(Channels = 1, Height = 4, Width = 4, Noise = 3, Loss = GanLoss.NonSaturating, ConditionChannels = 2, ConditionHeight = 2, ConditionWidth = 4, Output = Activation.Sigmoid)]
public sealed partial class ImageConditionCgan
{
    [Generator, Dense(8, Activation.Relu)] public partial Dense G1 { get; }                                                // [z, y] = 3 + 16
    [Discriminator, Conv(3, 2, Stride = 2, Activation = Activation.LeakyRelu)] public partial Conv D1 { get; }            // [1 + 2, 4, 4] → [3, 2, 2]
    [Discriminator, Dense(4, Activation.Tanh)] public partial Dense D2 { get; }
}
