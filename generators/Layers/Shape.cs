using System;

namespace GenDsl.Generators.Layers;

/// <summary>
/// The shape of one example flowing through a network, in PyTorch's channel-major order: C channels
/// of H × W pixels. A feature vector of n values is (n, 1, 1). In memory a row of the activation
/// arena always holds the C·H·W values flat, so Flatten and Unflatten change only the shape.
/// </summary>
internal readonly struct Shape : IEquatable<Shape>
{
    public Shape(int channels, int height, int width)
    {
        C = channels;
        H = height;
        W = width;
    }

    public static Shape Vector(int n) => new(n, 1, 1);

    public int C { get; }
    public int H { get; }
    public int W { get; }

    /// <summary>Values per example, as a long so that an absurd declaration cannot overflow it.</summary>
    public long LongSize => (long)C * H * W;

    /// <summary>Values per example (only valid once <see cref="Limits"/> has accepted the shape).</summary>
    public int Size => (int)LongSize;

    /// <summary>True for a feature vector (H = W = 1).</summary>
    public bool IsVector => H == 1 && W == 1;

    public bool Equals(Shape other) => C == other.C && H == other.H && W == other.W;
    public override bool Equals(object? obj) => obj is Shape s && Equals(s);
    public override int GetHashCode() => (C * 397 ^ H) * 397 ^ W;

    /// <summary>"[784]" for a vector, "[64, 14, 14]" for an image.</summary>
    public override string ToString() => IsVector ? $"[{C}]" : $"[{C}, {H}, {W}]";
}

/// <summary>
/// The bounds every declared size is checked against before anything is allocated from it, so that a
/// typo such as <c>Features = 2147483647</c> is a GD0015 diagnostic, never an OutOfMemoryException or a
/// minute of compile time in the IDE.
/// </summary>
internal static class Limits
{
    /// <summary>Largest width, feature count, channel count, latent or condition size: 2^20.</summary>
    public const int MaxSize = 1 << 20;
    /// <summary>Largest image side: 2^14.</summary>
    public const int MaxSide = 1 << 14;
    /// <summary>Largest number of values per example anywhere in a network: 2^24.</summary>
    public const long MaxValues = 1L << 24;
    /// <summary>Largest number of parameters of one model: 2^28 (1 GiB of float32).</summary>
    public const long MaxParameters = 1L << 28;
    /// <summary>Largest number of layers (declared members, or a coupling's HiddenLayers): 256.</summary>
    public const int MaxLayers = 256;
    /// <summary>
    /// Largest number of dense layers over all the coupling networks of a flow: 512. Each is about 20 lines of generated
    /// code the compiler then builds in the IDE (about 1.5 ms each on a loaded 2-core box; 4096 took 8 s).
    /// </summary>
    public const int MaxNetworkLayers = 512;
    /// <summary>
    /// Largest Features × (coupling, permutation and invertible-linear layers) of a flow: 2^15. Each of those layers
    /// lists its feature indices (kept and transformed, or the order) in the generated code, so that the generated
    /// source, and the time the IDE takes to build it, grows as this product: 2^15 is about half a second.
    /// </summary>
    public const long MaxFlowFeatureIndices = 1L << 15;
    /// <summary>
    /// Largest Features × (squeeze and image-mask coupling layers) of an image flow: 2^24. Their index tables are computed
    /// when the generated type is first used (GenDsl.FlowIndex), not listed in the code, but the generator computes them
    /// too while planning the shapes: 2^24 indices are well under a second.
    /// </summary>
    public const long MaxFlowComputedIndices = 1L << 24;
    /// <summary>Largest convolution kernel side, stride and padding: 64.</summary>
    public const int MaxKernel = 64;
}
