using CommunityToolkit.HighPerformance;
using GenDsl.Numerics;

namespace GenDsl;

/// <summary>One named tensor of a model's parameter arena: its name in checkpoints, offset (in floats) and shape.</summary>
public sealed class TensorInfo
{
    public TensorInfo(string name, int offset, params int[] shape)
    {
        Name = name;
        Offset = offset;
        Shape = shape;
        int length = 1;
        foreach (int d in shape)
            length *= d;
        Length = length;
    }

    /// <summary>The checkpoint name, e.g. <c>C1.net.0.weight</c>.</summary>
    public string Name { get; }

    /// <summary>Offset in floats in the parameter (and gradient) arena; a multiple of 16 (64 bytes).</summary>
    public int Offset { get; }

    /// <summary>The shape, row-major (a weight is [out, in] as in torch.nn.Linear).</summary>
    public int[] Shape { get; }

    /// <summary>The number of floats.</summary>
    public int Length { get; }

    /// <summary>
    /// A buffer (batch norm's running statistics): saved in checkpoints like a parameter but not learned;
    /// <see cref="Offset"/> is then in <see cref="IGenerativeModel.Buffers"/>, and it has no gradient.
    /// </summary>
    public bool IsBuffer { get; init; }

    public override string ToString() => $"{Name} [{string.Join(", ", Shape)}] @ {Offset}";
}

/// <summary>
/// A layer member of a generated model: named access to its parameters and their gradients (views into
/// the model's arenas: reading and writing them reads and writes the model). Not used on hot paths.
/// </summary>
public abstract class FlowLayer
{
    private readonly IParameterized _owner;
    private readonly TensorInfo[] _tensors;

    private protected FlowLayer(IParameterized owner, string name, TensorInfo[] tensors)
    {
        _owner = owner;
        Name = name;
        _tensors = tensors;
    }

    /// <summary>The member's name, prefix of its tensors' names.</summary>
    public string Name { get; }

    /// <summary>The layer's tensors (empty for a permutation).</summary>
    public IReadOnlyList<TensorInfo> Tensors => _tensors;

    /// <summary>A parameter tensor (or buffer) by its name without the member prefix (e.g. <c>net.0.weight</c>, <c>running_mean</c>).</summary>
    public Span<float> Parameter(string shortName)
    {
        var t = Find(shortName);
        return Slice(t.IsBuffer ? BuffersOf(_owner).Span : _owner.Parameters.Span, t);
    }

    /// <summary>The gradient of a parameter tensor, by its name without the member prefix.</summary>
    public Span<float> Gradient(string shortName)
    {
        var t = Find(shortName);
        if (t.IsBuffer)
            throw new ArgumentException($"'{t.Name}' is a buffer (running statistics), not a learned parameter: it has no gradient.", nameof(shortName));
        return Slice(_owner.Gradients.Span, t);
    }

    private static Memory<float> BuffersOf(IParameterized owner) =>
        owner is IGenerativeModel model ? model.Buffers : Memory<float>.Empty;

    private protected Span2D<float> Matrix(bool gradient, string shortName)
    {
        var t = Find(shortName);
        var span = Slice((gradient ? _owner.Gradients : _owner.Parameters).Span, t);
        return t.Shape.Length == 2 ? span.AsSpan2D(t.Shape[0], t.Shape[1]) : span.AsSpan2D(1, t.Length);
    }

    private static Span<float> Slice(Span<float> arena, TensorInfo t) => arena.Slice(t.Offset, t.Length);

    private TensorInfo Find(string shortName)
    {
        string full = Name + "." + shortName;
        foreach (var t in _tensors)
        {
            if (t.Name == full)
                return t;
        }
        throw new ArgumentException(
            $"Layer '{Name}' has no tensor '{shortName}'. It has: {string.Join(", ", _tensors.Select(t => t.Name.Substring(Name.Length + 1)))}.",
            nameof(shortName));
    }
}

/// <summary>An affine or additive coupling layer: its network's weights and biases, and (affine) the scale of s.</summary>
public sealed class Coupling : FlowLayer
{
    private readonly int[] _kept;
    private readonly int[] _transformed;

    public Coupling(IParameterized owner, string name, TensorInfo[] tensors, int[] kept, int[] transformed, int netLayers, bool isAffine)
        : this(owner, name, tensors, kept, transformed, netLayers, isAffine, bins: 0, tailBound: 0)
    {
    }

    /// <summary>A coupling; <paramref name="bins"/> &gt; 0 makes it a rational-quadratic spline coupling on [−tailBound, tailBound].</summary>
    public Coupling(IParameterized owner, string name, TensorInfo[] tensors, int[] kept, int[] transformed, int netLayers, bool isAffine, int bins, float tailBound)
        : base(owner, name, tensors)
    {
        _kept = kept;
        _transformed = transformed;
        NetLayers = netLayers;
        IsAffine = isAffine;
        Bins = bins;
        TailBound = tailBound;
    }

    /// <summary>True for an affine coupling (learned scale), false for an additive or spline one.</summary>
    public bool IsAffine { get; }

    /// <summary>True for a rational-quadratic spline coupling ([SplineCoupling]).</summary>
    public bool IsSpline => Bins > 0;

    /// <summary>K, the bins of each spline of a spline coupling (0 for affine and additive couplings).</summary>
    public int Bins { get; }

    /// <summary>B, the spline's interval [−B, B] (0 for affine and additive couplings).</summary>
    public float TailBound { get; }

    /// <summary>Number of linear layers of the network (hidden layers + the output layer).</summary>
    public int NetLayers { get; }

    /// <summary>Features passed through unchanged (and fed to the network), ascending.</summary>
    public ReadOnlySpan<int> Kept => _kept;

    /// <summary>Features transformed, ascending.</summary>
    public ReadOnlySpan<int> Transformed => _transformed;

    /// <summary>Weight of the network's linear layer <paramref name="layer"/>, shape [out, in].</summary>
    public Span2D<float> Weight(int layer) => Matrix(false, $"net.{CheckLayer(layer)}.weight");

    /// <summary>Bias of the network's linear layer <paramref name="layer"/>.</summary>
    public Span<float> Bias(int layer) => Parameter($"net.{CheckLayer(layer)}.bias");

    /// <summary>Gradient of <see cref="Weight"/>.</summary>
    public Span2D<float> WeightGradient(int layer) => Matrix(true, $"net.{CheckLayer(layer)}.weight");

    /// <summary>Gradient of <see cref="Bias"/>.</summary>
    public Span<float> BiasGradient(int layer) => Gradient($"net.{CheckLayer(layer)}.bias");

    /// <summary>The learnable bound of s = scale ⊙ tanh(raw) (affine couplings only).</summary>
    public Span<float> Scale => IsAffine
        ? Parameter("scale")
        : throw new InvalidOperationException($"Coupling '{Name}' is {(IsSpline ? "a spline coupling" : "additive")}: it has no scale.");

    private int CheckLayer(int layer) =>
        (uint)layer < (uint)NetLayers
            ? layer
            : throw new ArgumentOutOfRangeException(nameof(layer), layer, $"Coupling '{Name}' has network layers 0…{NetLayers - 1}.");
}

/// <summary>A masked autoregressive layer ([MaskedAutoregressive]): its MADE network's weights, biases and masks, and the scale of s.</summary>
public sealed class MaskedAutoregressive : FlowLayer
{
    public MaskedAutoregressive(IParameterized owner, string name, TensorInfo[] tensors, int features, int netLayers, bool isInverse)
        : this(owner, name, tensors, features, netLayers, isInverse, 0, 0f)
    {
    }

    /// <summary>A layer whose transform is a spline of <paramref name="bins"/> bins on [−<paramref name="tailBound"/>, <paramref name="tailBound"/>] (bins 0: affine).</summary>
    public MaskedAutoregressive(IParameterized owner, string name, TensorInfo[] tensors, int features, int netLayers, bool isInverse,
        int bins, float tailBound)
        : base(owner, name, tensors)
    {
        Features = features;
        NetLayers = netLayers;
        IsInverse = isInverse;
        Bins = bins;
        TailBound = tailBound;
    }

    /// <summary>The elementwise transform: <see cref="AutoregressiveTransform.Spline"/> when <see cref="Bins"/> &gt; 0.</summary>
    public AutoregressiveTransform Transform => Bins > 0 ? AutoregressiveTransform.Spline : AutoregressiveTransform.Affine;

    /// <summary>K, the bins of each feature's spline (0 for the affine transform).</summary>
    public int Bins { get; }

    /// <summary>B, the spline's tail bound (0 for the affine transform).</summary>
    public float TailBound { get; }

    /// <summary>Network outputs per feature in the output layer's spline layout (3K − 1), or 0 for the affine [r | m] layout.</summary>
    private int OutputsPerFeature => Bins > 0 ? SplineKernels.ParametersPerFeature(Bins) : 0;

    /// <summary>D, the features the layer transforms (all of them).</summary>
    public int Features { get; }

    /// <summary>Number of linear layers of the MADE network (hidden layers + the output layer).</summary>
    public int NetLayers { get; }

    /// <summary>True for an IAF (the network reads the latent side), false for a MAF.</summary>
    public bool IsInverse { get; }

    /// <summary>Weight of the network's linear layer <paramref name="layer"/>, shape [out, in]; masked-out entries are 0.</summary>
    public Span2D<float> Weight(int layer) => Matrix(false, $"net.{CheckLayer(layer)}.weight");

    /// <summary>Bias of the network's linear layer <paramref name="layer"/>.</summary>
    public Span<float> Bias(int layer) => Parameter($"net.{CheckLayer(layer)}.bias");

    /// <summary>Gradient of <see cref="Weight"/> (0 at masked-out entries).</summary>
    public Span2D<float> WeightGradient(int layer) => Matrix(true, $"net.{CheckLayer(layer)}.weight");

    /// <summary>Gradient of <see cref="Bias"/>.</summary>
    public Span<float> BiasGradient(int layer) => Gradient($"net.{CheckLayer(layer)}.bias");

    /// <summary>The learnable bound of s = scale ⊙ tanh(r), one per feature (the affine transform only).</summary>
    public Span<float> Scale => Bins == 0
        ? Parameter("scale")
        : throw new InvalidOperationException($"Layer '{Name}' has a spline transform ({Bins} bins), which has no scale: its parameters are all network outputs.");

    /// <summary>
    /// Sets every masked-out weight to exactly 0. The generated code keeps them at 0 (initialisation, gradients, Load);
    /// call this after writing <see cref="IParameterized.Parameters"/> yourself, since a non-zero entry there would act.
    /// </summary>
    public void ApplyMasks()
    {
        for (int l = 0; l < NetLayers; l++)
        {
            var weight = Weight(l);
            MadeKernels.ApplyMask(Parameter($"net.{l}.weight"), weight.Height, weight.Width, l, NetLayers - 1, Features, OutputsPerFeature);
        }
    }

    /// <summary>The binary mask of linear layer <paramref name="layer"/> (1: the weight is used), shape [out, in], as a new array.</summary>
    public float[,] Mask(int layer)
    {
        var weight = Weight(layer);
        var mask = new float[weight.Height, weight.Width];
        for (int o = 0; o < weight.Height; o++)
            for (int i = 0; i < weight.Width; i++)
                mask[o, i] = MadeKernels.IsConnected(CheckLayer(layer), NetLayers - 1, Features, o, i, OutputsPerFeature) ? 1f : 0f;
        return mask;
    }

    private int CheckLayer(int layer) =>
        (uint)layer < (uint)NetLayers
            ? layer
            : throw new ArgumentOutOfRangeException(nameof(layer), layer, $"Layer '{Name}' has network layers 0…{NetLayers - 1}.");
}

/// <summary>A fixed permutation layer. Its constants name the orders <c>[Permute(…)]</c> accepts.</summary>
public sealed class Permutation : FlowLayer
{
    /// <summary>v[j] = u[D−1−j].</summary>
    public const PermutationKind Reverse = PermutationKind.Reverse;

    /// <summary>A fixed random order drawn from the attribute's Seed.</summary>
    public const PermutationKind Random = PermutationKind.Random;

    private readonly int[] _order;

    public Permutation(IParameterized owner, string name, int[] order)
        : base(owner, name, Array.Empty<TensorInfo>()) => _order = order;

    /// <summary>Output feature j is input feature Order[j].</summary>
    public ReadOnlySpan<int> Order => _order;
}

/// <summary>A squeeze layer of an image flow ([Squeeze]): 2×2 space-to-depth, a fixed permutation of the features.</summary>
public sealed class Squeeze : FlowLayer
{
    private readonly int[] _order;

    public Squeeze(IParameterized owner, string name, int[] order, int[] inputShape, int[] outputShape)
        : base(owner, name, Array.Empty<TensorInfo>())
    {
        _order = order;
        InputShape = inputShape;
        OutputShape = outputShape;
    }

    /// <summary>Output feature j is input feature Order[j] (features indexed channel-major).</summary>
    public ReadOnlySpan<int> Order => _order;

    /// <summary>The image shape [C, H, W] the layer reads.</summary>
    public IReadOnlyList<int> InputShape { get; }

    /// <summary>The image shape [4C, H/2, W/2] it writes.</summary>
    public IReadOnlyList<int> OutputShape { get; }
}

/// <summary>A split layer of an image flow ([Split]): the second half of the channels leaves to the latent.</summary>
public sealed class Split : FlowLayer
{
    public Split(IParameterized owner, string name, int[] inputShape, int[] outputShape, int firstLatentFeature, int lastLatentFeature)
        : base(owner, name, Array.Empty<TensorInfo>())
    {
        InputShape = inputShape;
        OutputShape = outputShape;
        FactoredOut = (firstLatentFeature, lastLatentFeature);
    }

    /// <summary>The image shape [C, H, W] the layer receives.</summary>
    public IReadOnlyList<int> InputShape { get; }

    /// <summary>The shape [⌊C/2⌋, H, W] the later layers act on.</summary>
    public IReadOnlyList<int> OutputShape { get; }

    /// <summary>The latent columns [First, Last) the factored-out channels go to (their own places in the row).</summary>
    public (int First, int Last) FactoredOut { get; }
}

/// <summary>ActNorm: v = u ⊙ exp(logscale) + bias.</summary>
public sealed class ActNorm : FlowLayer
{
    public ActNorm(IParameterized owner, string name, TensorInfo[] tensors)
        : base(owner, name, tensors)
    {
    }

    /// <summary>The per-feature log-scale.</summary>
    public Span<float> LogScale => Parameter("logscale");

    /// <summary>The per-feature bias.</summary>
    public Span<float> Bias => Parameter("bias");
}

/// <summary>Invertible linear layer in LU form W = P·L·(U + diag(exp(logs))).</summary>
public sealed class InvertibleLinear : FlowLayer
{
    private readonly int[] _permutation;

    public InvertibleLinear(IParameterized owner, string name, TensorInfo[] tensors, int[] permutation)
        : base(owner, name, tensors) => _permutation = permutation;

    /// <summary>P[i, π[i]] = 1.</summary>
    public ReadOnlySpan<int> Permutation => _permutation;

    /// <summary>L's strictly-lower part (the rest is unused).</summary>
    public Span2D<float> Lower => Matrix(false, "lower");

    /// <summary>U's strictly-upper part (the rest is unused).</summary>
    public Span2D<float> Upper => Matrix(false, "upper");

    /// <summary>The log of U's diagonal.</summary>
    public Span<float> LogS => Parameter("logs");
}

/// <summary>Glow's invertible 1×1 convolution of an image flow: per pixel v = W·u over the channels, W = P·L·(U + diag(exp(logs))).</summary>
public sealed class InvertibleConv1x1 : FlowLayer
{
    private readonly int[] _permutation;

    public InvertibleConv1x1(IParameterized owner, string name, TensorInfo[] tensors, int[] permutation, int[] shape)
        : base(owner, name, tensors)
    {
        _permutation = permutation;
        Shape = shape;
    }

    /// <summary>P[i, π[i]] = 1 (over the channels).</summary>
    public ReadOnlySpan<int> Permutation => _permutation;

    /// <summary>The image shape [C, H, W] the layer acts on (and writes).</summary>
    public IReadOnlyList<int> Shape { get; }

    /// <summary>L's strictly-lower part, C×C (the rest is unused).</summary>
    public Span2D<float> Lower => Matrix(false, "lower");

    /// <summary>U's strictly-upper part, C×C (the rest is unused).</summary>
    public Span2D<float> Upper => Matrix(false, "upper");

    /// <summary>The log of U's diagonal.</summary>
    public Span<float> LogS => Parameter("logs");
}

/// <summary>A fully connected layer of a VAE or GAN: y = act(x · Wᵀ + b).</summary>
public sealed class Dense : FlowLayer
{
    public Dense(IParameterized owner, string name, TensorInfo[] tensors)
        : base(owner, name, tensors)
    {
    }

    /// <summary>The weight, shape [out, in].</summary>
    public Span2D<float> Weight => Matrix(false, "weight");

    /// <summary>The bias.</summary>
    public Span<float> Bias => Parameter("bias");

    /// <summary>Gradient of <see cref="Weight"/>.</summary>
    public Span2D<float> WeightGradient => Matrix(true, "weight");

    /// <summary>Gradient of <see cref="Bias"/>.</summary>
    public Span<float> BiasGradient => Gradient("bias");
}

/// <summary>
/// A convolution of a VAE or GAN: y = act(conv(x, W) + b), W stored [out, in, k, k] as in torch.nn.Conv2d
/// (or [in, out, k, k] for a transposed convolution, as in torch.nn.ConvTranspose2d).
/// </summary>
public sealed class Conv : FlowLayer
{
    public Conv(IParameterized owner, string name, TensorInfo[] tensors)
        : base(owner, name, tensors)
    {
    }

    /// <summary>The weight, flat in PyTorch's layout ([out, in, k, k]; [in, out, k, k] for ConvTranspose).</summary>
    public Span<float> Weight => Parameter("weight");

    /// <summary>The weight's shape.</summary>
    public ReadOnlySpan<int> WeightShape => Tensors[0].Shape;

    /// <summary>The bias, one per output channel.</summary>
    public Span<float> Bias => Parameter("bias");

    /// <summary>Gradient of <see cref="Weight"/>.</summary>
    public Span<float> WeightGradient => Gradient("weight");

    /// <summary>Gradient of <see cref="Bias"/>.</summary>
    public Span<float> BiasGradient => Gradient("bias");
}

/// <summary>A batch norm: y = act(γ ⊙ (x − μ)/√(σ² + ε) + β) per channel, as torch.nn.BatchNorm1d/2d.</summary>
public sealed class BatchNorm : FlowLayer
{
    public BatchNorm(IParameterized owner, string name, TensorInfo[] tensors)
        : base(owner, name, tensors)
    {
    }

    /// <summary>γ ("weight").</summary>
    public Span<float> Weight => Parameter("weight");

    /// <summary>β ("bias").</summary>
    public Span<float> Bias => Parameter("bias");

    /// <summary>The running mean used outside training ("running_mean", a buffer).</summary>
    public Span<float> RunningMean => Parameter("running_mean");

    /// <summary>The running (unbiased) variance used outside training ("running_var", a buffer).</summary>
    public Span<float> RunningVar => Parameter("running_var");
}

/// <summary>A layer that only changes the shape ([Flatten], [Unflatten]); it has no tensors.</summary>
public sealed class Reshape : FlowLayer
{
    public Reshape(IParameterized owner, string name, TensorInfo[] tensors)
        : base(owner, name, tensors)
    {
    }
}
