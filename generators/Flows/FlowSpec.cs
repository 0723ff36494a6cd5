using GenDsl.Generators.Helpers;

namespace GenDsl.Generators.Flows;

/// <summary>The kinds of layer a flow can hold (and the non-invertible ones it must not).</summary>
internal enum LayerKind
{
    AffineCoupling,
    AdditiveCoupling,
    Permute,
    ActNorm,
    InvertibleLinear,
    /// <summary>A rational-quadratic spline coupling ([SplineCoupling]).</summary>
    SplineCoupling,
    /// <summary>A masked autoregressive layer ([MaskedAutoregressive]: MAF, or IAF with Inverse = true).</summary>
    MaskedAutoregressive,
    /// <summary>2×2 space-to-depth of an image flow ([Squeeze]): a fixed permutation, [C, H, W] → [4C, H/2, W/2].</summary>
    Squeeze,
    /// <summary>Glow's invertible 1×1 convolution of an image flow ([InvertibleConv1x1]): the LU form over the channels, per pixel.</summary>
    InvertibleConv1x1,
    /// <summary>Multi-scale factor-out of an image flow ([Split]): the second half of the channels goes to the latent.</summary>
    Split,
    /// <summary>A layer attribute that has no exact inverse (e.g. [Dense]): rejected in a flow.</summary>
    NotInvertible,
}

/// <summary>
/// One layer member as declared: plain values only (no symbols, nodes or locations), so that the
/// incremental pipeline can compare specs and cache.
/// </summary>
/// <param name="Member">The member's name (C1): prefix of its tensors' names.</param>
/// <param name="MemberType">The member's declared type, fully qualified.</param>
/// <param name="Accessibility">The member's accessibility keywords ("public").</param>
/// <param name="IsPartialProperty">True for a partial property declaration (the supported form).</param>
/// <param name="Kind">The layer kind from its attribute.</param>
/// <param name="AttributeName">The attribute's short name, for messages.</param>
/// <param name="Mask">The <c>GenDsl.Mask</c> value, or -1 when a pattern is given.</param>
/// <param name="Pattern">The pattern string, or null.</param>
/// <param name="Hidden">Hidden width of a coupling's network.</param>
/// <param name="HiddenLayers">Hidden layers of a coupling's network.</param>
/// <param name="Activation">The <c>GenDsl.Activation</c> value of the hidden layers.</param>
/// <param name="PermutationKind">The <c>GenDsl.PermutationKind</c> value, or -1 for an explicit order.</param>
/// <param name="Order">The explicit order of a [Permute(…)], else empty.</param>
/// <param name="Seed">The seed of a random permutation or of InvertibleLinear's P.</param>
internal sealed record LayerSpec(
    string Member,
    string MemberType,
    string Accessibility,
    bool IsPartialProperty,
    LayerKind Kind,
    string AttributeName,
    int Mask,
    string? Pattern,
    int Hidden,
    int HiddenLayers,
    int Activation,
    int PermutationKind,
    EquatableArray<int> Order,
    int Seed)
{
    /// <summary>
    /// For a partial property definition without an implementation part: an implementation whose
    /// accessors throw, emitted when the model has errors (else null). See <c>FlowStubEmitter</c>.
    /// </summary>
    public string? Stub { get; init; }

    /// <summary>K, the bins of a [SplineCoupling] or a spline [MaskedAutoregressive] (its default 8 for other layers, which ignore it).</summary>
    public int Bins { get; init; } = 8;

    /// <summary>B, the tail bound of a [SplineCoupling] or a spline [MaskedAutoregressive] (its default 3 for other layers).</summary>
    public float TailBound { get; init; } = 3f;

    /// <summary>Inverse of a [MaskedAutoregressive] (true: IAF, the network reads the latent side); false for other layers.</summary>
    public bool Inverse { get; init; }

    /// <summary>Transform of a [MaskedAutoregressive] as its enum value (0 Affine, 1 Spline); 0 for other layers.</summary>
    public int Transform { get; init; }

    /// <summary>A [MaskedAutoregressive] whose transform is a rational-quadratic spline (Bins and TailBound apply).</summary>
    public bool IsSplineMade => Kind == LayerKind.MaskedAutoregressive && Transform == 1;

    /// <summary>A layer with a dense network (couplings and masked autoregressive layers): Hidden, HiddenLayers and Activation apply.</summary>
    public bool HasNetwork => IsCoupling || Kind == LayerKind.MaskedAutoregressive;

    /// <summary>A coupling with an image mask (channel halves or a checkerboard): its network is convolutional.</summary>
    public bool HasImageMask => IsCoupling && Pattern is null && Mask is >= FlowMath.MaskChannelsFirstHalf and <= FlowMath.MaskCheckerboardOdd;

    /// <summary>A checkerboard mask (the network reads u ⊙ b over all channels).</summary>
    public bool HasCheckerboardMask => HasImageMask && Mask >= FlowMath.MaskCheckerboardEven;

    /// <summary>A coupling of any kind (affine, additive, spline): a mask, a network, kept and transformed features.</summary>
    public bool IsCoupling => Kind is LayerKind.AffineCoupling or LayerKind.AdditiveCoupling or LayerKind.SplineCoupling;
}

/// <summary>A flow declaration as plain values.</summary>
internal sealed record FlowSpec(
    string? Namespace,
    string ClassName,
    string Accessibility,
    bool IsSealed,
    bool IsPartial,
    bool IsStatic,
    bool IsAbstract,
    bool IsGeneric,
    bool IsNested,
    int Features,
    int Condition,
    int LayerDeclarationCount,
    EquatableArray<LayerSpec> Layers)
{
    /// <summary>Fully qualified metadata name, for the hint name and messages.</summary>
    public string FullName => Namespace is null ? ClassName : Namespace + "." + ClassName;

    /// <summary>Role attributes of other model kinds ([Encoder], [Generator]…) found on members: all misplaced in a flow (GD0009).</summary>
    public EquatableArray<RoleSpec> Roles { get; init; } = EquatableArray<RoleSpec>.Empty;

    /// <summary>[Flow(Initialization = …)]: 0 Linear (the default), 1 Identity (zero output layers); other values are GD0005.</summary>
    public int Initialization { get; init; }

    /// <summary>[Flow(Channels = C, Height = H, Width = W)] of an image flow (0 for a vector flow).</summary>
    public int Channels { get; init; }

    /// <summary>The image's height H (0 for a vector flow).</summary>
    public int Height { get; init; }

    /// <summary>The image's width W (0 for a vector flow).</summary>
    public int Width { get; init; }

    /// <summary>The Features the declaration wrote (0 if left out); <see cref="Features"/> is C·H·W for an image flow.</summary>
    public int DeclaredFeatures { get; init; }

    /// <summary>[Flow(ConditionChannels = C_y, ConditionHeight = H_y, ConditionWidth = W_y)]: an image condition (all 0 for a vector one).</summary>
    public Layers.ConditionImage ConditionImage { get; init; }

    /// <summary>The Condition the declaration wrote (0 if left out); <see cref="Condition"/> is C_y·H_y·W_y for an image condition.</summary>
    public int DeclaredCondition { get; init; }

    /// <summary>An image flow: any of Channels, Height, Width set (the validator checks all three are ≥ 1).</summary>
    public bool IsImage => Channels != 0 || Height != 0 || Width != 0;

    /// <summary>Output layers start at zero (each layer the identity): <c>FlowInitialization.Identity</c>.</summary>
    public bool IdentityInit => Initialization == 1;

    /// <summary>The partial declarations a stub adds its part under (see <c>StubShell</c>); empty: none can be added.</summary>
    public EquatableArray<string> StubShell { get; init; } = EquatableArray<string>.Empty;

    /// <summary>The stub file's hint name (unique for nested and generic models too).</summary>
    public string StubHint { get; init; } = "";
}

/// <summary>A role attribute on a member.</summary>
/// <param name="Member">The member's name.</param>
/// <param name="AttributeName">The attribute's short name ("Encoder").</param>
/// <param name="AttributeFullName">The attribute's full name ("GenDsl.EncoderAttribute"), to find it again.</param>
internal sealed record RoleSpec(string Member, string AttributeName, string AttributeFullName);

/// <summary>Which piece of syntax a finding points at (the analyzer maps it to a location).</summary>
internal enum FindingTarget
{
    /// <summary>The layer's attribute (a VAE/GAN layer's [Dense]), or the model attribute ([Flow], [Vae], [Gan]) when Layer = -1.</summary>
    Attribute,
    /// <summary>
    /// The attribute's constructor argument(s): the mask, the pattern string, the explicit order; only the
    /// argument of the constructor parameter <see cref="DiagnosticInfo.Argument"/> when it is set (a [Dense]'s width).
    /// </summary>
    ConstructorArgument,
    /// <summary>The named argument <see cref="DiagnosticInfo.Argument"/> (e.g. Hidden, Features); the attribute if it is absent.</summary>
    NamedArgument,
    /// <summary>The layer member's name.</summary>
    MemberName,
    /// <summary>The layer member's declared type.</summary>
    MemberType,
    /// <summary>The class name (GD0001).</summary>
    ClassName,
    /// <summary>The layer members of every partial declaration but the first (GD0010).</summary>
    LayerDeclarations,
    /// <summary>The role attribute <see cref="FlowSpec.Roles"/>[<see cref="DiagnosticInfo.Role"/>].</summary>
    Role,
    /// <summary>
    /// The attribute of the layer's member whose short name (as in messages: "Dense", "Generator",
    /// "AffineCoupling") is <see cref="DiagnosticInfo.Argument"/>: a VAE/GAN layer carries several.
    /// </summary>
    MemberAttribute,
}

/// <summary>A validation finding: plain values; the analyzer maps (Layer, Target, Argument) back to a location.</summary>
/// <param name="Id">GD0001…</param>
/// <param name="Message">The message, which says how to fix it.</param>
/// <param name="Layer">Index of the offending layer in <see cref="FlowSpec.Layers"/> (or <c>NetModelSpec.Layers</c>), or -1 for the class.</param>
/// <param name="IsError">Error (the generator skips the model) or warning.</param>
/// <param name="Target">Which part of the layer (or class) is at fault.</param>
/// <param name="Argument">The named argument for <see cref="FindingTarget.NamedArgument"/>, the constructor parameter for
/// <see cref="FindingTarget.ConstructorArgument"/> (null: all of them), the attribute for <see cref="FindingTarget.MemberAttribute"/>.</param>
/// <param name="Role">Index in <see cref="FlowSpec.Roles"/> for <see cref="FindingTarget.Role"/>.</param>
/// <param name="Fix">The one change of the layer's attribute that fixes it, when it is unambiguous (GD0016: <see cref="Layers.OutputFix"/>).</param>
internal sealed record DiagnosticInfo(string Id, string Message, int Layer, bool IsError,
    FindingTarget Target = FindingTarget.Attribute, string? Argument = null, int Role = -1, Layers.ArgumentChange? Fix = null);
