namespace GenDsl;

/// <summary>
/// A 2-D convolution of a VAE's or GAN's network, as torch.nn.Conv2d: y = act(conv(x, W) + b) with W
/// [channels, in, kernel, kernel] ("weight") and b [channels] ("bias"), initialised U(±1/√(in·k·k)).
/// Its input must be an image (declare the model's Channels/Height/Width, or put an [Unflatten] before
/// it); the output is channels × ⌊(H + 2·Padding − kernel)/Stride⌋ + 1 × the same for W.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field, AllowMultiple = false)]
public sealed class ConvAttribute : Attribute
{
    /// <param name="channels">Output channels.</param>
    /// <param name="kernel">Kernel side (square kernels).</param>
    public ConvAttribute(int channels, int kernel)
    {
        Channels = channels;
        Kernel = kernel;
    }

    public int Channels { get; }

    public int Kernel { get; }

    /// <summary>Step between kernel positions along both axes.</summary>
    public int Stride { get; set; } = 1;

    /// <summary>Zeros added on every side of the input.</summary>
    public int Padding { get; set; }

    /// <summary>Applied last.</summary>
    public Activation Activation { get; set; } = Activation.Relu;
}

/// <summary>
/// A transposed 2-D convolution, as torch.nn.ConvTranspose2d (the adjoint of a convolution: it upsamples
/// by the stride). W is [in, channels, kernel, kernel], b [channels]; the output side is
/// (H − 1)·Stride − 2·Padding + kernel + OutputPadding.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field, AllowMultiple = false)]
public sealed class ConvTransposeAttribute : Attribute
{
    /// <param name="channels">Output channels.</param>
    /// <param name="kernel">Kernel side (square kernels).</param>
    public ConvTransposeAttribute(int channels, int kernel)
    {
        Channels = channels;
        Kernel = kernel;
    }

    public int Channels { get; }

    public int Kernel { get; }

    public int Stride { get; set; } = 1;

    /// <summary>Rows and columns removed from each border of the full output.</summary>
    public int Padding { get; set; }

    /// <summary>Rows and columns added at the bottom and right (smaller than the stride), to reach an odd size.</summary>
    public int OutputPadding { get; set; }

    public Activation Activation { get; set; } = Activation.Relu;
}

/// <summary>
/// Batch normalisation per channel (per feature for a vector), as torch.nn.BatchNorm2d/1d with
/// momentum 0.1 and ε = 1e-5: training steps normalise with the batch's statistics and update the
/// running ones; evaluation calls use the running ones unless the model's Training is true. γ
/// ("weight") starts at 1, β ("bias") at 0; "running_mean" and "running_var" are saved in checkpoints.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field, AllowMultiple = false)]
public sealed class BatchNormAttribute : Attribute
{
    /// <summary>Applied after the normalisation (DCGAN's BatchNorm → ReLU in one layer).</summary>
    public Activation Activation { get; set; } = Activation.Identity;
}

/// <summary>Reads an image as a vector of C·H·W values (channel-major), as torch.flatten. A [Dense] after an image flattens it anyway.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field, AllowMultiple = false)]
public sealed class FlattenAttribute : Attribute
{
}

/// <summary>Reads a vector of channels·height·width values as an image, as torch.nn.Unflatten(1, (c, h, w)).</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field, AllowMultiple = false)]
public sealed class UnflattenAttribute : Attribute
{
    public UnflattenAttribute(int channels, int height, int width)
    {
        Channels = channels;
        Height = height;
        Width = width;
    }

    public int Channels { get; }

    public int Height { get; }

    public int Width { get; }
}
