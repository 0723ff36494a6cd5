namespace GenDsl.Models.Tests.Networks;

// Tiny VAEs and GANs covering every likelihood, loss, activation and the conditional variants.

[Vae(Features = 5, Latent = 3, Likelihood = Likelihood.Bernoulli)]
public sealed partial class TinyBernoulliVae
{
    [Encoder, Dense(7, Activation.Tanh)] public partial Dense E1 { get; }
    [Encoder, Dense(6, Activation.Relu)] public partial Dense E2 { get; }
    [Decoder, Dense(6, Activation.Sigmoid)] public partial Dense D1 { get; }
}

[Vae(Features = 5, Latent = 3, Likelihood = Likelihood.Gaussian, Condition = 2)]
public sealed partial class TinyGaussianCvae
{
    [Encoder, Dense(6, Activation.LeakyRelu)] public partial Dense E1 { get; }
    [Decoder, Dense(7, Activation.Softplus)] public partial Dense D1 { get; }
}

[Vae(Features = 6, Latent = 2, Likelihood = Likelihood.GaussianFixed, Sigma = 0.5f, Beta = 0.7f)]
public sealed partial class TinyFixedVae
{
    [Encoder, Dense(5, Activation.Relu)] public partial Dense E1 { get; }
    [Decoder, Dense(5, Activation.Tanh)] public partial Dense D1 { get; }
}

[Gan(Features = 3, Noise = 2, Loss = GanLoss.NonSaturating)]
public sealed partial class TinyNsGan
{
    [Generator, Dense(5, Activation.Relu)] public partial Dense G1 { get; }
    [Discriminator, Dense(6, Activation.LeakyRelu)] public partial Dense D1 { get; }
}

[Gan(Features = 3, Noise = 3, Loss = GanLoss.Minimax, Condition = 2, Output = Activation.Tanh)]
public sealed partial class TinyMinimaxCgan
{
    [Generator, Dense(5, Activation.Softplus)] public partial Dense G1 { get; }
    [Discriminator, Dense(6, Activation.Tanh)] public partial Dense D1 { get; }
    [Discriminator, Dense(4, Activation.Sigmoid)] public partial Dense D2 { get; }
}

[Gan(Features = 6, Noise = 5, Loss = GanLoss.Hinge)]
public sealed partial class TinyHingeGan
{
    [Generator, Dense(7, Activation.LeakyRelu)] public partial Dense G1 { get; }
    [Discriminator, Dense(8, Activation.Relu)] public partial Dense D1 { get; }
}

[Gan(Features = 3, Noise = 2, Loss = GanLoss.Wasserstein, GradientPenalty = 5f, Condition = 2)]
public sealed partial class TinyWgan
{
    [Generator, Dense(5, Activation.Tanh)] public partial Dense G1 { get; }
    [Discriminator, Dense(6, Activation.LeakyRelu)] public partial Dense D1 { get; }
    [Discriminator, Dense(7, Activation.Relu)] public partial Dense D2 { get; }
}

[Gan(Features = 2, Noise = 8, Loss = GanLoss.Wasserstein)]
public sealed partial class RingWgan
{
    [Generator, Dense(128, Activation.Relu)] public partial Dense G1 { get; }
    [Generator, Dense(128, Activation.Relu)] public partial Dense G2 { get; }
    [Discriminator, Dense(128, Activation.LeakyRelu)] public partial Dense D1 { get; }
    [Discriminator, Dense(128, Activation.LeakyRelu)] public partial Dense D2 { get; }
}
