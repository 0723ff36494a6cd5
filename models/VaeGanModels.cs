namespace GenDsl.Models;

/// <summary>VAE on the 8×8 digits (64 features in [0, 1], Bernoulli likelihood), 64 → 128 → (8, 8); 8 → 128 → 64.</summary>
[Vae(Features = 64, Latent = 8, Likelihood = Likelihood.Bernoulli)]
public sealed partial class DigitsVae
{
    [Encoder, Dense(128, Activation.Relu)] public partial Dense E1 { get; }
    [Decoder, Dense(128, Activation.Relu)] public partial Dense D1 { get; }
}

/// <summary>The PyTorch example's VAE on MNIST: 784 → 400 → (20, 20); 20 → 400 → 784 (Bernoulli). The reference workload <c>train-vae</c>.</summary>
[Vae(Features = 784, Latent = 20, Likelihood = Likelihood.Bernoulli)]
public sealed partial class MnistVae
{
    [Encoder, Dense(400, Activation.Relu)] public partial Dense E1 { get; }
    [Decoder, Dense(400, Activation.Relu)] public partial Dense D1 { get; }
}

/// <summary>Conditional VAE on the digits: p(x | digit), the label one-hot (10 values) fed to encoder and decoder.</summary>
[Vae(Features = 64, Latent = 8, Likelihood = Likelihood.Bernoulli, Condition = 10)]
public sealed partial class DigitsCvae
{
    [Encoder, Dense(128, Activation.Relu)] public partial Dense E1 { get; }
    [Decoder, Dense(128, Activation.Relu)] public partial Dense D1 { get; }
}

/// <summary>GAN on the 8-Gaussians ring: G 8 → 128 → 128 → 2, D 2 → 128 → 128 → 1.</summary>
[Gan(Features = 2, Noise = 8, Loss = GanLoss.NonSaturating)]
public sealed partial class RingGan
{
    [Generator, Dense(128, Activation.Relu)] public partial Dense G1 { get; }
    [Generator, Dense(128, Activation.Relu)] public partial Dense G2 { get; }
    [Discriminator, Dense(128, Activation.LeakyRelu)] public partial Dense D1 { get; }
    [Discriminator, Dense(128, Activation.LeakyRelu)] public partial Dense D2 { get; }
}

/// <summary>Conditional GAN on the ring: the mode index one-hot (8 values) fed to generator and discriminator.</summary>
[Gan(Features = 2, Noise = 8, Loss = GanLoss.NonSaturating, Condition = 8)]
public sealed partial class RingCgan
{
    [Generator, Dense(128, Activation.Relu)] public partial Dense G1 { get; }
    [Generator, Dense(128, Activation.Relu)] public partial Dense G2 { get; }
    [Discriminator, Dense(128, Activation.LeakyRelu)] public partial Dense D1 { get; }
    [Discriminator, Dense(128, Activation.LeakyRelu)] public partial Dense D2 { get; }
}

/// <summary>GAN on MNIST (the reference workload <c>train-gan</c>): G 64 → 256 → 256 → 784 tanh (ReLU); D 784 → 256 → 256 → 1 (LeakyReLU 0.2).</summary>
[Gan(Features = 784, Noise = 64, Loss = GanLoss.NonSaturating, Output = Activation.Tanh)]
public sealed partial class MnistGan
{
    [Generator, Dense(256, Activation.Relu)] public partial Dense G1 { get; }
    [Generator, Dense(256, Activation.Relu)] public partial Dense G2 { get; }
    [Discriminator, Dense(256, Activation.LeakyRelu)] public partial Dense D1 { get; }
    [Discriminator, Dense(256, Activation.LeakyRelu)] public partial Dense D2 { get; }
}
