namespace GenDsl;

/// <summary>The decoder's likelihood p(x | z) of a VAE.</summary>
public enum Likelihood
{
    /// <summary>Bernoulli on logits (binary cross-entropy), for data in [0, 1].</summary>
    Bernoulli = 0,
    /// <summary>Gaussian with a learned diagonal variance (the decoder outputs a mean and a log-variance), as in the course.</summary>
    Gaussian = 1,
    /// <summary>Gaussian with the fixed standard deviation <see cref="VaeAttribute.Sigma"/>.</summary>
    GaussianFixed = 2,
}

/// <summary>The losses a GAN can train with (all computed on the discriminator's logits).</summary>
public enum GanLoss
{
    /// <summary>D: −ln d(x) − ln(1 − d(f(z))); G: −ln d(f(z)) (the course's practical generator loss).</summary>
    NonSaturating = 0,
    /// <summary>D as above; G: ln(1 − d(f(z))) (the original minimax form, which saturates early on).</summary>
    Minimax = 1,
    /// <summary>D: max(0, 1 − D(x)) + max(0, 1 + D(f(z))); G: −D(f(z)).</summary>
    Hinge = 2,
    /// <summary>
    /// WGAN-GP: critic D(x) = raw output; D: mean D(f(z)) − mean D(x) + λ·mean (‖∇D(x̂)‖ − 1)² on
    /// interpolates x̂ = ε·x + (1 − ε)·f(z); G: −mean D(f(z)). The critic's activations must be
    /// piecewise linear (ReLU, LeakyReLU, Identity): the penalty's gradient is then exact.
    /// </summary>
    Wasserstein = 3,
}

/// <summary>
/// Declares a variational auto-encoder. Layer members: <c>[Encoder, Dense(…)]</c> and
/// <c>[Decoder, Dense(…)]</c>, each in declaration order; the encoder's (μ, ln σ²) heads and the
/// decoder's output head follow from this attribute.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class VaeAttribute : Attribute
{
    /// <summary>Image data: the channels of an image (with <see cref="Height"/> and <see cref="Width"/>; Features may then be omitted, it is C·H·W). A row holds the image channel-major, as a flattened NCHW tensor.</summary>
    public int Channels { get; set; }

    /// <summary>Image data: the height of an image in pixels.</summary>
    public int Height { get; set; }

    /// <summary>Image data: the width of an image in pixels.</summary>
    public int Width { get; set; }

    /// <summary>Columns of a data row.</summary>
    public int Features { get; set; }

    /// <summary>Size of the latent Z.</summary>
    public int Latent { get; set; }

    /// <summary>The decoder's likelihood.</summary>
    public Likelihood Likelihood { get; set; } = Likelihood.Bernoulli;

    /// <summary>The fixed σ of <see cref="Likelihood.GaussianFixed"/>.</summary>
    public float Sigma { get; set; } = 1f;

    /// <summary>Size k of the condition Y (CVAE); 0 for none.</summary>
    public int Condition { get; set; }

    /// <summary>
    /// An image condition's channels (with <see cref="ConditionHeight"/> and <see cref="ConditionWidth"/>; Condition is then
    /// their product and may be left out), for image data: the encoder reads y as extra channels after the image's, resized
    /// to the image's height and width as torch's adaptive_avg_pool2d does (a 7×7 condition of a 28×28 image: each value
    /// repeated over 4×4 pixels); the network that starts from z reads y as a vector after z. 0: a vector condition.
    /// </summary>
    public int ConditionChannels { get; set; }

    /// <summary>An image condition's height (see <see cref="ConditionChannels"/>).</summary>
    public int ConditionHeight { get; set; }

    /// <summary>An image condition's width (see <see cref="ConditionChannels"/>).</summary>
    public int ConditionWidth { get; set; }

    /// <summary>Weight of the KL term (β-VAE); 1 is the ELBO.</summary>
    public float Beta { get; set; } = 1f;
}

/// <summary>
/// Declares a generative adversarial network. Layer members: <c>[Generator, Dense(…)]</c> and
/// <c>[Discriminator, Dense(…)]</c>; the generator's output layer (Features wide, activation
/// <see cref="Output"/>) and the discriminator's logit are implied.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class GanAttribute : Attribute
{
    /// <summary>Image data: the channels of an image (with <see cref="Height"/> and <see cref="Width"/>; Features may then be omitted, it is C·H·W). A row holds the image channel-major, as a flattened NCHW tensor.</summary>
    public int Channels { get; set; }

    /// <summary>Image data: the height of an image in pixels.</summary>
    public int Height { get; set; }

    /// <summary>Image data: the width of an image in pixels.</summary>
    public int Width { get; set; }

    /// <summary>Columns of a data row.</summary>
    public int Features { get; set; }

    /// <summary>Size of the noise Z fed to the generator.</summary>
    public int Noise { get; set; }

    /// <summary>The adversarial loss.</summary>
    public GanLoss Loss { get; set; } = GanLoss.NonSaturating;

    /// <summary>Size k of the condition Y (cGAN); 0 for none.</summary>
    public int Condition { get; set; }

    /// <summary>
    /// An image condition's channels (with <see cref="ConditionHeight"/> and <see cref="ConditionWidth"/>; Condition is then
    /// their product and may be left out), for image data: the discriminator reads y as extra channels after the image's, resized
    /// to the image's height and width as torch's adaptive_avg_pool2d does (a 7×7 condition of a 28×28 image: each value
    /// repeated over 4×4 pixels); the network that starts from z reads y as a vector after z. 0: a vector condition.
    /// </summary>
    public int ConditionChannels { get; set; }

    /// <summary>An image condition's height (see <see cref="ConditionChannels"/>).</summary>
    public int ConditionHeight { get; set; }

    /// <summary>An image condition's width (see <see cref="ConditionChannels"/>).</summary>
    public int ConditionWidth { get; set; }

    /// <summary>Activation of the generator's output layer (Tanh for data scaled to [−1, 1]).</summary>
    public Activation Output { get; set; } = Activation.Identity;

    /// <summary>λ, the weight of the gradient penalty of <see cref="GanLoss.Wasserstein"/>.</summary>
    public float GradientPenalty { get; set; } = 10f;
}

/// <summary>A fully connected layer y = act(x·Wᵀ + b) of a VAE or GAN network.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field, AllowMultiple = false)]
public sealed class DenseAttribute : Attribute
{
    public DenseAttribute(int width, Activation activation = Activation.Relu)
    {
        Width = width;
        Activation = activation;
    }

    /// <summary>Output width.</summary>
    public int Width { get; }

    /// <summary>Activation.</summary>
    public Activation Activation { get; }
}

/// <summary>Marks a layer of a VAE's encoder q(z | x).</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field, AllowMultiple = false)]
public sealed class EncoderAttribute : Attribute
{
}

/// <summary>Marks a layer of a VAE's decoder p(x | z).</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field, AllowMultiple = false)]
public sealed class DecoderAttribute : Attribute
{
}

/// <summary>Marks a layer of a GAN's generator.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field, AllowMultiple = false)]
public sealed class GeneratorAttribute : Attribute
{
}

/// <summary>Marks a layer of a GAN's discriminator.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field, AllowMultiple = false)]
public sealed class DiscriminatorAttribute : Attribute
{
}

/// <summary>The terms of a VAE step: Loss = Reconstruction + β·Kl, each a mean over the batch (nats per example).</summary>
public readonly record struct VaeLoss(float Loss, float Reconstruction, float Kl);

/// <summary>The two losses of a GAN step (means over the batch).</summary>
public readonly record struct GanLosses(float Discriminator, float Generator);
