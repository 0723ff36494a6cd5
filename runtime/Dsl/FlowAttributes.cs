namespace GenDsl;

/// <summary>
/// Declares a normalizing flow: an invertible map between data X (Features columns) and a latent
/// Z ~ N(0, I) of the same size. The class must be <c>partial</c>; its layers are its members that
/// carry a layer attribute, in declaration order, which is the data → latent direction (h = f⁻¹).
/// The source generator emits the constructor, <c>ToLatent</c>, <c>FromLatent</c>, <c>LogProb</c>,
/// <c>Sample</c>, <c>TrainStep</c>, <c>Backward</c>, <c>Save</c> and <c>Load</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class FlowAttribute : Attribute
{
    /// <summary>The number of features D of a data row (and of the latent).</summary>
    public int Features { get; set; }

    /// <summary>Size k of the condition vector Y for a conditional flow p(X|Y); 0 for p(X).</summary>
    public int Condition { get; set; }

    /// <summary>
    /// An image flow's channels C (with <see cref="Height"/> and <see cref="Width"/>; then Features = C·H·W and may be
    /// left out): each row is an image stored channel-major [C, H, W], the VAEs' and GANs' convention, and the image
    /// layers ([Squeeze], per-channel [ActNorm]) act on the current shape. 0 (the default): a vector flow.
    /// </summary>
    public int Channels { get; set; }

    /// <summary>An image flow's height H (see <see cref="Channels"/>).</summary>
    public int Height { get; set; }

    /// <summary>An image flow's width W (see <see cref="Channels"/>).</summary>
    public int Width { get; set; }

    /// <summary>
    /// An image condition's channels (with <see cref="ConditionHeight"/> and <see cref="ConditionWidth"/>; then Condition
    /// = their product and may be left out): each condition row is an image stored channel-major, and the convolutional
    /// coupling networks read it as extra channels resized to their shape, torch's adaptive_avg_pool2d (docs/flow-layers.md,
    /// "Image conditions"); the other layers read it as a vector. 0 (the default): a vector condition (constant channels).
    /// </summary>
    public int ConditionChannels { get; set; }

    /// <summary>An image condition's height (see <see cref="ConditionChannels"/>).</summary>
    public int ConditionHeight { get; set; }

    /// <summary>An image condition's width (see <see cref="ConditionChannels"/>).</summary>
    public int ConditionWidth { get; set; }

    /// <summary>
    /// How the layers' networks start (docs/flow-layers.md, "Initialisation"): <see cref="FlowInitialization.Linear"/>
    /// (the default: every dense layer as torch.nn.Linear) or <see cref="FlowInitialization.Identity"/> (output layers
    /// zero, so that every layer starts as the identity).
    /// </summary>
    public FlowInitialization Initialization { get; set; }
}

/// <summary>How a flow's coupling and MADE networks are initialised (<see cref="FlowAttribute.Initialization"/>).</summary>
public enum FlowInitialization
{
    /// <summary>
    /// Every dense layer of every network, the output layer included, as torch.nn.Linear: weights and biases
    /// ~ U(−1/√fan_in, 1/√fan_in) (times their mask in MADE networks); scales 1. The default: at equal steps it trains
    /// MoonsFlow to a lower held-out NLL than <see cref="Identity"/> (benchmarks/RESULTS.md).
    /// </summary>
    Linear = 0,

    /// <summary>
    /// Hidden layers as torch.nn.Linear, output layers zero (spline layers: zero but for the derivative biases that
    /// make every δ = 1), so that every layer, hence the flow, starts as the identity (Glow's zero initialisation).
    /// </summary>
    Identity = 1,
}

/// <summary>Which features a coupling layer keeps unchanged (and feeds to its network).</summary>
public enum Mask
{
    /// <summary>Coupling number 0, 2, 4… keeps the first half; 1, 3, 5… the second half (couplings counted alone).</summary>
    Alternating = 0,
    /// <summary>Keeps features 0 … ⌊D/2⌋−1.</summary>
    FirstHalf = 1,
    /// <summary>Keeps features ⌊D/2⌋ … D−1.</summary>
    SecondHalf = 2,
    /// <summary>Keeps the even feature indices (checkerboard).</summary>
    Even = 3,
    /// <summary>Keeps the odd feature indices (checkerboard).</summary>
    Odd = 4,
    /// <summary>
    /// Image flows: keeps the first half of the current channels, 0 … ⌊C/2⌋−1 (all their pixels); the coupling's network
    /// is convolutional (docs/flow-layers.md, "Convolutional couplings").
    /// </summary>
    ChannelsFirstHalf = 5,
    /// <summary>Image flows: keeps the channels ⌊C/2⌋ … C−1; a convolutional network.</summary>
    ChannelsSecondHalf = 6,
    /// <summary>Image flows: keeps the pixels with h + w even, all channels (RealNVP's checkerboard); a convolutional network.</summary>
    CheckerboardEven = 7,
    /// <summary>Image flows: keeps the pixels with h + w odd, all channels; a convolutional network.</summary>
    CheckerboardOdd = 8,
}

/// <summary>How a <see cref="PermuteAttribute"/> layer orders the features.</summary>
public enum PermutationKind
{
    /// <summary>v[j] = u[D−1−j].</summary>
    Reverse = 0,
    /// <summary>A fixed random order drawn from <see cref="PermuteAttribute.Seed"/> at compile time.</summary>
    Random = 1,
}

/// <summary>
/// Affine coupling (RealNVP): the kept features x₁ pass through; the others become
/// z₂ = (x₂ − m(x₁)) ⊙ exp(−s(x₁)), with s = scale ⊙ tanh(raw) bounded for stability.
/// s and m are the two heads of one MLP. Log-det of h: −Σ s.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field, AllowMultiple = false)]
public sealed class AffineCouplingAttribute : Attribute
{
    /// <summary>A coupling with a named mask.</summary>
    public AffineCouplingAttribute(Mask mask) => Mask = mask;

    /// <summary>A coupling with a pattern such as <c>"1100"</c>: '1' marks the features kept unchanged.</summary>
    public AffineCouplingAttribute(string pattern) => Pattern = pattern;

    /// <summary>The named mask (when no pattern is given).</summary>
    public Mask Mask { get; }

    /// <summary>The explicit pattern, or null.</summary>
    public string? Pattern { get; }

    /// <summary>Width of each hidden layer of the coupling network.</summary>
    public int Hidden { get; set; } = 64;

    /// <summary>Number of hidden layers of the coupling network (0: a single linear map).</summary>
    public int HiddenLayers { get; set; } = 2;

    /// <summary>Activation of the hidden layers.</summary>
    public Activation Activation { get; set; } = Activation.Relu;
}

/// <summary>Additive coupling (NICE): z₂ = x₂ − m(x₁); log-det 0.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field, AllowMultiple = false)]
public sealed class AdditiveCouplingAttribute : Attribute
{
    /// <summary>A coupling with a named mask.</summary>
    public AdditiveCouplingAttribute(Mask mask) => Mask = mask;

    /// <summary>A coupling with a pattern such as <c>"1100"</c>: '1' marks the features kept unchanged.</summary>
    public AdditiveCouplingAttribute(string pattern) => Pattern = pattern;

    /// <summary>The named mask (when no pattern is given).</summary>
    public Mask Mask { get; }

    /// <summary>The explicit pattern, or null.</summary>
    public string? Pattern { get; }

    /// <summary>Width of each hidden layer of the coupling network.</summary>
    public int Hidden { get; set; } = 64;

    /// <summary>Number of hidden layers of the coupling network.</summary>
    public int HiddenLayers { get; set; } = 2;

    /// <summary>Activation of the hidden layers.</summary>
    public Activation Activation { get; set; } = Activation.Relu;
}

/// <summary>
/// Rational-quadratic spline coupling (Neural Spline Flows, Durkan et al. 2019): the kept features x₁ pass
/// through; each other feature goes through its own monotonic rational-quadratic spline of
/// <see cref="Bins"/> bins on [−<see cref="TailBound"/>, <see cref="TailBound"/>] (identity outside),
/// whose 3·Bins − 1 parameters (widths, heights, interior derivatives) the network computes from x₁.
/// Log-det of h: Σ ln g′. The exact semantics are in docs/flow-layers.md.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field, AllowMultiple = false)]
public sealed class SplineCouplingAttribute : Attribute
{
    /// <summary>A coupling with a named mask.</summary>
    public SplineCouplingAttribute(Mask mask) => Mask = mask;

    /// <summary>A coupling with a pattern such as <c>"1100"</c>: '1' marks the features kept unchanged.</summary>
    public SplineCouplingAttribute(string pattern) => Pattern = pattern;

    /// <summary>The named mask (when no pattern is given).</summary>
    public Mask Mask { get; }

    /// <summary>The explicit pattern, or null.</summary>
    public string? Pattern { get; }

    /// <summary>K, the number of bins of each spline (2 … 256).</summary>
    public int Bins { get; set; } = 8;

    /// <summary>B: each spline acts on [−B, B] and is the identity outside (linear tails).</summary>
    public float TailBound { get; set; } = 3f;

    /// <summary>Width of each hidden layer of the coupling network.</summary>
    public int Hidden { get; set; } = 64;

    /// <summary>Number of hidden layers of the coupling network (0: a single linear map).</summary>
    public int HiddenLayers { get; set; } = 2;

    /// <summary>Activation of the hidden layers.</summary>
    public Activation Activation { get; set; } = Activation.Relu;
}

/// <summary>The elementwise transform of a <see cref="MaskedAutoregressiveAttribute"/>, parametrised by its MADE network.</summary>
public enum AutoregressiveTransform
{
    /// <summary>v_i = (u_i − m_i)·exp(−s_i), s = scale ⊙ tanh(r): 2 network outputs per feature and a learned scale (MAF, IAF).</summary>
    Affine,

    /// <summary>
    /// A monotonic rational-quadratic spline on [−TailBound, TailBound], identity outside, exactly as
    /// [SplineCoupling]'s: 3·Bins − 1 network outputs per feature (the autoregressive neural spline flow of Durkan et al. 2019).
    /// </summary>
    Spline,
}

/// <summary>
/// Masked autoregressive layer (MAF, Papamakarios et al. 2017; IAF with <see cref="Inverse"/>): a MADE network
/// (Germain et al. 2015) whose masked dense layers make feature i's transform parameters depend only on the features
/// before i, and an elementwise transform of every feature: by default the affine map v_i = (u_i − m_i)·exp(−s_i),
/// s = scale ⊙ tanh(r) (log-det −Σ s); with <see cref="Transform"/> = <see cref="AutoregressiveTransform.Spline"/>
/// a rational-quadratic spline (log-det Σ ln g′). MAF (the default): one network pass for the density, D sequential
/// passes for sampling; IAF: the reverse. The exact semantics (degrees, masks, parameter names) are in docs/flow-layers.md.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field, AllowMultiple = false)]
public sealed class MaskedAutoregressiveAttribute : Attribute
{
    /// <summary>Width of each hidden layer of the MADE network (at least Features − 1 to express every dependency).</summary>
    public int Hidden { get; set; } = 64;

    /// <summary>Number of hidden layers of the MADE network (at least 1).</summary>
    public int HiddenLayers { get; set; } = 2;

    /// <summary>Activation of the hidden layers.</summary>
    public Activation Activation { get; set; } = Activation.Relu;

    /// <summary>
    /// False (MAF): the network reads the data side u — fast density, sampling in D passes. True (IAF): it reads the
    /// latent side v — fast sampling, density (and training) in D passes.
    /// </summary>
    public bool Inverse { get; set; }

    /// <summary>The elementwise transform: affine (the default) or a rational-quadratic spline.</summary>
    public AutoregressiveTransform Transform { get; set; } = AutoregressiveTransform.Affine;

    /// <summary>K, the bins of each spline (2 … 256), with <see cref="Transform"/> = Spline; ignored otherwise.</summary>
    public int Bins { get; set; } = 8;

    /// <summary>B: each spline acts on [−B, B] and is the identity outside, with <see cref="Transform"/> = Spline; ignored otherwise.</summary>
    public float TailBound { get; set; } = 3f;
}

/// <summary>A fixed permutation of the features; log-det 0.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field, AllowMultiple = false)]
public sealed class PermuteAttribute : Attribute
{
    /// <summary>A named order (<see cref="Permutation.Reverse"/> or <see cref="Permutation.Random"/>).</summary>
    public PermuteAttribute(PermutationKind kind) => Kind = kind;

    /// <summary>An explicit order: output feature j is input feature <paramref name="order"/>[j].</summary>
    public PermuteAttribute(params int[] order) => Order = order;

    /// <summary>The named order (when <see cref="Order"/> is null).</summary>
    public PermutationKind Kind { get; }

    /// <summary>The explicit order, or null.</summary>
    public int[]? Order { get; }

    /// <summary>Seed of a <see cref="PermutationKind.Random"/> order.</summary>
    public int Seed { get; set; }
}

/// <summary>Per-feature affine map v = u ⊙ exp(logscale) + bias, initialised from the first batch (Glow). Log-det Σ logscale.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field, AllowMultiple = false)]
public sealed class ActNormAttribute : Attribute
{
}

/// <summary>A learned invertible D×D matrix in Glow's LU form W = P·L·(U + diag(exp(logs))). Log-det Σ logs.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field, AllowMultiple = false)]
public sealed class InvertibleLinearAttribute : Attribute
{
    /// <summary>Seed of the fixed permutation P.</summary>
    public int Seed { get; set; }
}

/// <summary>
/// Squeeze (RealNVP, Glow): 2×2 space-to-depth on an image flow, [C, H, W] → [4C, H/2, W/2], exactly torch's
/// <c>x.view(B, C, H/2, 2, W/2, 2).permute(0, 1, 3, 5, 2, 4).reshape(B, 4C, H/2, W/2)</c>: output channel
/// 4c + 2i + j holds the pixels (2h + i, 2w + j) of input channel c. A fixed permutation of the features; log-det 0.
/// H and W must be even.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field, AllowMultiple = false)]
public sealed class SqueezeAttribute : Attribute
{
}

/// <summary>
/// Glow's invertible 1×1 convolution on an image flow: at every pixel the C channels of the current shape go through
/// one learned invertible C×C matrix W = P·L·(U + diag(exp(logs))) ([InvertibleLinear]'s LU form over the channels):
/// v[:, :, h, w] = W·u[:, :, h, w]. Log-det of h: H·W·Σ logs.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field, AllowMultiple = false)]
public sealed class InvertibleConv1x1Attribute : Attribute
{
    /// <summary>Seed of the fixed channel permutation P.</summary>
    public int Seed { get; set; }
}

/// <summary>
/// Multi-scale factor-out (RealNVP, Glow) on an image flow: of the current shape [C, H, W], the channels ⌊C/2⌋ … C−1
/// leave the flow and go straight to the latent (their features keep their places in the latent row, N(0, I));
/// later layers act on [⌊C/2⌋, H, W], the active prefix of the row. Sampling draws them back in. Log-det 0.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field, AllowMultiple = false)]
public sealed class SplitAttribute : Attribute
{
}
