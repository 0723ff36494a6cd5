using System.Globalization;
using GenDsl.Numerics;

namespace GenDsl.Benchmarks.Compare;

/// <summary>The three passes of a convolution layer in training.</summary>
public enum ConvPass
{
    /// <summary>y = conv(x, W) + b.</summary>
    Forward,
    /// <summary>gx = ∂L/∂x from gy (the input gradient).</summary>
    InputGradient,
    /// <summary>gW, gb = ∂L/∂W, ∂L/∂b from gy and x (the weight and bias gradients).</summary>
    WeightGradient,
}

/// <summary>
/// One convolution (or transposed convolution) layer of a model at its training batch size: square kernel, the same
/// stride and padding on both axes, output padding 0 for the transposed ones.
/// </summary>
/// <param name="Transposed">A transposed convolution (ConvTranspose2d) instead of a convolution.</param>
/// <param name="InChannels">Input channels.</param>
/// <param name="Height">Input height.</param>
/// <param name="Width">Input width.</param>
/// <param name="OutChannels">Output channels.</param>
/// <param name="Kernel">Kernel height = width.</param>
/// <param name="Stride">Stride.</param>
/// <param name="Padding">Padding.</param>
/// <param name="Batch">Images per call.</param>
/// <param name="UsedBy">The model layers with this shape and batch, e.g. "FashionDcgan/FashionCdcgan D2".</param>
public sealed record ConvLayer(bool Transposed, int InChannels, int Height, int Width, int OutChannels, int Kernel, int Stride, int Padding,
                               int Batch, string UsedBy)
{
    /// <summary>The convolution geometry (for a transposed layer, its own shape is <see cref="TransposeShape"/>).</summary>
    public ConvShape Shape => new(InChannels, Height, Width, OutChannels, Kernel, Stride, Padding);

    /// <summary>The transposed-convolution geometry (output padding 0).</summary>
    public ConvTransposeShape TransposeShape => new(InChannels, Height, Width, OutChannels, Kernel, Stride, Padding);

    /// <summary>Floats of one input image.</summary>
    public int InFeatures => Transposed ? TransposeShape.InFeatures : Shape.InFeatures;

    /// <summary>Floats of one output image.</summary>
    public int OutFeatures => Transposed ? TransposeShape.OutFeatures : Shape.OutFeatures;

    /// <summary>Output height and width.</summary>
    public (int Height, int Width) OutSize => Transposed ? (TransposeShape.OutHeight, TransposeShape.OutWidth) : (Shape.OutHeight, Shape.OutWidth);

    /// <summary>Floats of the weight ([Out, In, K, K] for a convolution, [In, Out, K, K] for a transposed one).</summary>
    public int WeightLength => Transposed ? TransposeShape.WeightLength : Shape.WeightLength;

    /// <summary>
    /// FLOPs of one pass over the batch (each of the three passes costs the same): 2·N·Cout·Hout·Wout·Cin·K·K for a
    /// convolution; for a transposed one the same count of the convolution it is the adjoint of (2·N·Cin·Hin·Win·Cout·K·K).
    /// </summary>
    public double Flops => Transposed ? TransposeShape.Flops(Batch) : Shape.Flops(Batch);

    /// <summary>Name such as "conv-64x14x14-128k4s2p1-b64-fwd" (input C×H×W, out channels, kernel, stride, padding, batch, pass).</summary>
    public string Name(ConvPass pass) => string.Create(CultureInfo.InvariantCulture,
        $"{(Transposed ? "convT" : "conv")}-{InChannels}x{Height}x{Width}-{OutChannels}k{Kernel}s{Stride}p{Padding}-b{Batch}-{PassName(pass)}");

    /// <summary>"fwd", "dx" (input gradient) or "dw" (weight and bias gradients).</summary>
    public static string PassName(ConvPass pass) => pass switch
    {
        ConvPass.Forward => "fwd",
        ConvPass.InputGradient => "dx",
        _ => "dw",
    };
}

/// <summary>
/// The convolution layers of the Fashion-MNIST models (models/FashionModels.cs) at their training batches: 64 for
/// the DCGANs and FashionGlow, 128 for the conv VAEs. The conditional models feed the 10-class one-hot as 10 constant channels into
/// the first layer of the discriminator / encoder (11 input channels); their other layers are the unconditional
/// model's.
/// </summary>
public static class ConvSuite
{
    /// <summary>Every distinct (shape, batch) of the four models, in model order.</summary>
    public static IReadOnlyList<ConvLayer> Layers { get; } =
    [
        // DCGAN generator: [128, 7, 7] → ConvT 64 → ConvT 1 (4×4, stride 2, padding 1).
        new(true, 128, 7, 7, 64, 4, 2, 1, 64, "FashionDcgan/FashionCdcgan G4"),
        new(true, 64, 14, 14, 1, 4, 2, 1, 64, "FashionDcgan/FashionCdcgan G6"),
        // DCGAN discriminator: image (+ 10 condition channels) → Conv 64 → Conv 128.
        new(false, 1, 28, 28, 64, 4, 2, 1, 64, "FashionDcgan D1"),
        new(false, 11, 28, 28, 64, 4, 2, 1, 64, "FashionCdcgan D1"),
        new(false, 64, 14, 14, 128, 4, 2, 1, 64, "FashionDcgan/FashionCdcgan D2"),
        // Conv VAE encoder: image (+ 10 condition channels) → Conv 32 → Conv 64.
        new(false, 1, 28, 28, 32, 4, 2, 1, 128, "FashionConvVae E1"),
        new(false, 11, 28, 28, 32, 4, 2, 1, 128, "FashionConvCvae E1"),
        new(false, 32, 14, 14, 64, 4, 2, 1, 128, "FashionConvVae/FashionConvCvae E2"),
        // Conv VAE decoder: [64, 7, 7] → ConvT 32 → ConvT 1.
        new(true, 64, 7, 7, 32, 4, 2, 1, 128, "FashionConvVae/FashionConvCvae D3"),
        new(true, 32, 14, 14, 1, 4, 2, 1, 128, "FashionConvVae/FashionConvCvae D4"),
        // FashionGlow's coupling networks (stride 1, batch 64): [2, 14, 14] → 3×3 32 → 1×1 32 → 3×3 4 (C1, C2) and
        // [4, 7, 7] → 3×3 32 → 1×1 32 → 3×3 8 (C3, C4).
        new(false, 2, 14, 14, 32, 3, 1, 1, 64, "FashionGlow C1/C2 net.0"),
        new(false, 32, 14, 14, 32, 1, 1, 0, 64, "FashionGlow C1/C2 net.1"),
        new(false, 32, 14, 14, 4, 3, 1, 1, 64, "FashionGlow C1/C2 net.2"),
        new(false, 4, 7, 7, 32, 3, 1, 1, 64, "FashionGlow C3/C4 net.0"),
        new(false, 32, 7, 7, 32, 1, 1, 0, 64, "FashionGlow C3/C4 net.1"),
        new(false, 32, 7, 7, 8, 3, 1, 1, 64, "FashionGlow C3/C4 net.2"),
    ];

    /// <summary>
    /// The (layer, pass) workloads: all three passes of every layer; quick = the layers with ≥ 32 channels on both
    /// sides (the issue's target shapes).
    /// </summary>
    public static IEnumerable<(ConvLayer Layer, ConvPass Pass)> Cases(bool quick)
    {
        foreach (var layer in Layers)
        {
            if (quick && Math.Min(layer.InChannels, layer.OutChannels) < 32)
                continue;
            foreach (var pass in new[] { ConvPass.Forward, ConvPass.InputGradient, ConvPass.WeightGradient })
                yield return (layer, pass);
        }
    }
}
