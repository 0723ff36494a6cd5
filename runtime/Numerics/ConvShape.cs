namespace GenDsl.Numerics;

/// <summary>
/// The geometry of a 2-D convolution over a batch of images stored NCHW (PyTorch's layout): each row of the
/// activation matrix is one image, channel-major, <c>x[row, (c·H + y)·W + x]</c>. The kernel is square
/// (<see cref="Kernel"/>×<see cref="Kernel"/>), with the same stride and zero padding along both axes; dilation
/// and groups are 1.
/// </summary>
/// <remarks>
/// Output size (PyTorch's formula): <c>OutHeight = (InHeight + 2·Padding − Kernel) / Stride + 1</c> (integer
/// division, rounding down), likewise <see cref="OutWidth"/>. The weight is <c>[OutChannels, InChannels, Kernel,
/// Kernel]</c>, contiguous (<see cref="WeightLength"/> floats); the bias has <see cref="OutChannels"/> floats.
/// <c>default(ConvShape)</c> is not a valid shape; the kernels reject it.
/// </remarks>
public readonly struct ConvShape : IEquatable<ConvShape>
{
    /// <summary>Describes a convolution; throws when a number is out of range or the kernel does not fit.</summary>
    /// <param name="inChannels">Input channels (≥ 1).</param>
    /// <param name="inHeight">Input image height (≥ 1).</param>
    /// <param name="inWidth">Input image width (≥ 1).</param>
    /// <param name="outChannels">Output channels (≥ 1).</param>
    /// <param name="kernel">Kernel height = width (≥ 1).</param>
    /// <param name="stride">Stride along both axes (≥ 1).</param>
    /// <param name="padding">Zero padding on every side (≥ 0).</param>
    /// <exception cref="ArgumentException">A number is out of range, the padded image is smaller than the kernel,
    /// or a size overflows 32 bits.</exception>
    public ConvShape(int inChannels, int inHeight, int inWidth, int outChannels, int kernel, int stride = 1, int padding = 0)
    {
        if (inChannels < 1 || inHeight < 1 || inWidth < 1 || outChannels < 1 || kernel < 1 || stride < 1 || padding < 0)
            throw new ArgumentException(
                $"Convolution {inChannels}×{inHeight}×{inWidth} → {outChannels} channels, kernel {kernel}, stride {stride}, padding {padding}: " +
                "channels, image sizes, kernel and stride must be ≥ 1 and padding ≥ 0.");
        if (inHeight + 2L * padding < kernel || inWidth + 2L * padding < kernel)
            throw new ArgumentException(
                $"Convolution kernel {kernel} does not fit the {inHeight}×{inWidth} image padded by {padding} " +
                $"({inHeight + 2L * padding}×{inWidth + 2L * padding}): use a smaller kernel or more padding.");
        InChannels = inChannels; InHeight = inHeight; InWidth = inWidth;
        OutChannels = outChannels; Kernel = kernel; Stride = stride; Padding = padding;
        OutHeight = (int)((inHeight + 2L * padding - kernel) / stride + 1);
        OutWidth = (int)((inWidth + 2L * padding - kernel) / stride + 1);
        long inFeatures = (long)inChannels * inHeight * inWidth;
        long outFeatures = (long)outChannels * OutHeight * OutWidth;
        long patch = (long)inChannels * kernel * kernel;
        long weights = patch * outChannels;
        if (inFeatures > int.MaxValue || outFeatures > int.MaxValue || weights > int.MaxValue || patch * OutHeight * OutWidth > int.MaxValue)
            throw new ArgumentException(
                $"Convolution {inChannels}×{inHeight}×{inWidth} → {outChannels}×{OutHeight}×{OutWidth}, kernel {kernel}: " +
                $"a size overflows 32 bits (input {inFeatures}, output {outFeatures}, weight {weights} floats per image).");
    }

    /// <summary>Input channels.</summary>
    public int InChannels { get; }
    /// <summary>Input image height.</summary>
    public int InHeight { get; }
    /// <summary>Input image width.</summary>
    public int InWidth { get; }
    /// <summary>Output channels.</summary>
    public int OutChannels { get; }
    /// <summary>Kernel height and width.</summary>
    public int Kernel { get; }
    /// <summary>Stride along both axes.</summary>
    public int Stride { get; }
    /// <summary>Zero padding on each of the four sides.</summary>
    public int Padding { get; }
    /// <summary>(InHeight + 2·Padding − Kernel) / Stride + 1.</summary>
    public int OutHeight { get; }
    /// <summary>(InWidth + 2·Padding − Kernel) / Stride + 1.</summary>
    public int OutWidth { get; }

    /// <summary>Floats per input row: InChannels·InHeight·InWidth.</summary>
    public int InFeatures => InChannels * InHeight * InWidth;
    /// <summary>Floats per output row: OutChannels·OutHeight·OutWidth.</summary>
    public int OutFeatures => OutChannels * OutHeight * OutWidth;
    /// <summary>Output pixels per channel: OutHeight·OutWidth.</summary>
    public int OutPixels => OutHeight * OutWidth;
    /// <summary>Input pixels per channel: InHeight·InWidth.</summary>
    public int InPixels => InHeight * InWidth;
    /// <summary>Length of one receptive field (one im2col row): InChannels·Kernel·Kernel, ordered (c, ky, kx).</summary>
    public int PatchLength => InChannels * Kernel * Kernel;
    /// <summary>Floats of the weight [OutChannels, InChannels, Kernel, Kernel].</summary>
    public int WeightLength => OutChannels * PatchLength;

    /// <summary>Floating-point operations (2 per multiply-add) of one forward pass over <paramref name="rows"/> images;
    /// each backward pass costs the same.</summary>
    public long Flops(int rows) => 2L * rows * OutPixels * OutChannels * PatchLength;

    /// <summary>True for a shape made by the constructor (not <c>default</c>).</summary>
    public bool IsValid => InChannels > 0;

    /// <inheritdoc/>
    public bool Equals(ConvShape other) =>
        InChannels == other.InChannels && InHeight == other.InHeight && InWidth == other.InWidth && OutChannels == other.OutChannels &&
        Kernel == other.Kernel && Stride == other.Stride && Padding == other.Padding;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is ConvShape s && Equals(s);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(InChannels, InHeight, InWidth, OutChannels, Kernel, Stride, Padding);

    /// <summary>Equality of all seven numbers.</summary>
    public static bool operator ==(ConvShape a, ConvShape b) => a.Equals(b);

    /// <summary>Inequality.</summary>
    public static bool operator !=(ConvShape a, ConvShape b) => !a.Equals(b);

    /// <inheritdoc/>
    public override string ToString() =>
        $"Conv {InChannels}×{InHeight}×{InWidth} → {OutChannels}×{OutHeight}×{OutWidth} (k{Kernel} s{Stride} p{Padding})";

    internal void ThrowIfDefault(string paramName)
    {
        if (!IsValid)
            throw new ArgumentException("The convolution shape is default(ConvShape): create it with the constructor.", paramName);
    }
}

/// <summary>
/// The geometry of a 2-D transposed convolution (PyTorch's ConvTranspose2d, dilation 1, groups 1) over NCHW rows:
/// <c>OutHeight = (InHeight − 1)·Stride − 2·Padding + Kernel + OutputPadding</c>, likewise the width. The weight is
/// <c>[InChannels, OutChannels, Kernel, Kernel]</c> (PyTorch's ConvTranspose2d layout); the bias has
/// <see cref="OutChannels"/> floats.
/// </summary>
/// <remarks>
/// A transposed convolution is the adjoint of the convolution <see cref="Adjoint"/> (which maps this layer's output
/// size back to its input size with the same weight tensor): its forward pass is that convolution's data gradient,
/// its data gradient is that convolution's forward pass, and its weight gradient is that convolution's weight
/// gradient with the roles of input and output gradient swapped.
/// </remarks>
public readonly struct ConvTransposeShape : IEquatable<ConvTransposeShape>
{
    /// <summary>Describes a transposed convolution; throws when a number is out of range.</summary>
    /// <param name="inChannels">Input channels (≥ 1).</param>
    /// <param name="inHeight">Input image height (≥ 1).</param>
    /// <param name="inWidth">Input image width (≥ 1).</param>
    /// <param name="outChannels">Output channels (≥ 1).</param>
    /// <param name="kernel">Kernel height = width (≥ 1).</param>
    /// <param name="stride">Stride (≥ 1).</param>
    /// <param name="padding">Padding (≥ 0; removes that many rows/columns from each border of the full output).</param>
    /// <param name="outputPadding">Extra rows/columns added at the bottom/right (0 ≤ outputPadding &lt; stride).</param>
    /// <exception cref="ArgumentException">A number is out of range or the output would be empty.</exception>
    public ConvTransposeShape(int inChannels, int inHeight, int inWidth, int outChannels, int kernel, int stride = 1, int padding = 0, int outputPadding = 0)
    {
        if (inChannels < 1 || inHeight < 1 || inWidth < 1 || outChannels < 1 || kernel < 1 || stride < 1 || padding < 0 || outputPadding < 0)
            throw new ArgumentException(
                $"Transposed convolution {inChannels}×{inHeight}×{inWidth} → {outChannels} channels, kernel {kernel}, stride {stride}, " +
                $"padding {padding}, output padding {outputPadding}: channels, sizes, kernel and stride must be ≥ 1, paddings ≥ 0.");
        if (outputPadding >= stride)
            throw new ArgumentException(
                $"Transposed convolution output padding {outputPadding} must be smaller than the stride {stride} (as in PyTorch).");
        long oh = (inHeight - 1L) * stride - 2L * padding + kernel + outputPadding;
        long ow = (inWidth - 1L) * stride - 2L * padding + kernel + outputPadding;
        if (oh < 1 || ow < 1)
            throw new ArgumentException(
                $"Transposed convolution {inHeight}×{inWidth}, kernel {kernel}, stride {stride}, padding {padding}, output padding {outputPadding} " +
                $"gives an empty {oh}×{ow} output: (size − 1)·stride − 2·padding + kernel + output padding must be ≥ 1.");
        if (oh > int.MaxValue || ow > int.MaxValue)
            throw new ArgumentException($"Transposed convolution output {oh}×{ow} overflows 32 bits.");
        InChannels = inChannels; InHeight = inHeight; InWidth = inWidth; OutChannels = outChannels;
        Kernel = kernel; Stride = stride; Padding = padding; OutputPadding = outputPadding;
        OutHeight = (int)oh; OutWidth = (int)ow;
        // The adjoint convolution validates the remaining sizes (and maps OutHeight back to InHeight because outputPadding < stride).
        Adjoint = new ConvShape(outChannels, OutHeight, OutWidth, inChannels, kernel, stride, padding);
    }

    /// <summary>Input channels.</summary>
    public int InChannels { get; }
    /// <summary>Input image height.</summary>
    public int InHeight { get; }
    /// <summary>Input image width.</summary>
    public int InWidth { get; }
    /// <summary>Output channels.</summary>
    public int OutChannels { get; }
    /// <summary>Kernel height and width.</summary>
    public int Kernel { get; }
    /// <summary>Stride.</summary>
    public int Stride { get; }
    /// <summary>Padding.</summary>
    public int Padding { get; }
    /// <summary>Extra output rows/columns at the bottom/right.</summary>
    public int OutputPadding { get; }
    /// <summary>(InHeight − 1)·Stride − 2·Padding + Kernel + OutputPadding.</summary>
    public int OutHeight { get; }
    /// <summary>(InWidth − 1)·Stride − 2·Padding + Kernel + OutputPadding.</summary>
    public int OutWidth { get; }

    /// <summary>
    /// The convolution this layer is the adjoint of: OutChannels×OutHeight×OutWidth → InChannels×InHeight×InWidth with
    /// the same kernel, stride and padding. Its weight layout [out = InChannels, in = OutChannels, k, k] is exactly this
    /// layer's [InChannels, OutChannels, k, k].
    /// </summary>
    public ConvShape Adjoint { get; }

    /// <summary>Floats per input row: InChannels·InHeight·InWidth.</summary>
    public int InFeatures => InChannels * InHeight * InWidth;
    /// <summary>Floats per output row: OutChannels·OutHeight·OutWidth.</summary>
    public int OutFeatures => OutChannels * OutHeight * OutWidth;
    /// <summary>Floats of the weight [InChannels, OutChannels, Kernel, Kernel].</summary>
    public int WeightLength => Adjoint.WeightLength;
    /// <summary>Floating-point operations of one forward pass over <paramref name="rows"/> images (each backward pass costs the same).</summary>
    public long Flops(int rows) => Adjoint.Flops(rows);
    /// <summary>True for a shape made by the constructor (not <c>default</c>).</summary>
    public bool IsValid => InChannels > 0;

    /// <inheritdoc/>
    public bool Equals(ConvTransposeShape other) => Adjoint == other.Adjoint && OutputPadding == other.OutputPadding;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is ConvTransposeShape s && Equals(s);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Adjoint, OutputPadding);

    /// <summary>Equality of all eight numbers.</summary>
    public static bool operator ==(ConvTransposeShape a, ConvTransposeShape b) => a.Equals(b);

    /// <summary>Inequality.</summary>
    public static bool operator !=(ConvTransposeShape a, ConvTransposeShape b) => !a.Equals(b);

    /// <inheritdoc/>
    public override string ToString() =>
        $"ConvT {InChannels}×{InHeight}×{InWidth} → {OutChannels}×{OutHeight}×{OutWidth} (k{Kernel} s{Stride} p{Padding} op{OutputPadding})";

    internal void ThrowIfDefault(string paramName)
    {
        if (!IsValid)
            throw new ArgumentException("The transposed convolution shape is default(ConvTransposeShape): create it with the constructor.", paramName);
    }
}
