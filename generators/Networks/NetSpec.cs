using GenDsl.Generators.Helpers;
using GenDsl.Generators.Layers;

namespace GenDsl.Generators.Networks;

/// <summary>The model kinds built from network layers (the catalogue's ops).</summary>
internal enum NetKind
{
    Vae,
    Gan,
    /// <summary>[SemiSupervisedVae]: Kingma et al.'s M2 (encoder, decoder and classifier); see SemiSupervisedPlan.</summary>
    SemiSupervisedVae,
    /// <summary>[Regressor]: one network from y to x trained by the mean squared error; see RegressorPlan.</summary>
    Regressor,
}

/// <summary>One layer member of a VAE or GAN, as plain values: its role and its op from the layer catalogue.</summary>
/// <param name="Member">Member name (E1): prefix of its tensors' names.</param>
/// <param name="MemberType">Declared type, fully qualified.</param>
/// <param name="Accessibility">Accessibility keywords.</param>
/// <param name="IsPartialProperty">True for a get-only partial property (the supported form).</param>
/// <param name="Op">Its op attribute ([Dense], [Conv], …), or null when it has none.</param>
/// <param name="OpCount">How many op attributes it carries (one is allowed).</param>
/// <param name="Roles">Role attributes present: "Encoder", "Decoder", "Generator", "Discriminator".</param>
/// <param name="OtherLayerAttribute">A flow layer attribute on this member (not allowed here), or null: its short name ("AffineCoupling").</param>
internal sealed record NetLayerSpec(
    string Member,
    string MemberType,
    string Accessibility,
    bool IsPartialProperty,
    OpSpec? Op,
    int OpCount,
    EquatableArray<string> Roles,
    string? OtherLayerAttribute)
{
    /// <summary>
    /// For a partial property definition without an implementation part: an implementation whose
    /// accessors throw, emitted when the model has errors (else null). See <c>NetStubEmitter</c>.
    /// </summary>
    public string? Stub { get; init; }
}

/// <summary>
/// A [Vae] or [Gan] declaration as plain values. Latent is the VAE's Latent or the GAN's Noise.
/// Channels/Height/Width (0 when not given) declare image data of that shape, C·H·W = Features.
/// </summary>
internal sealed record NetModelSpec(
    NetKind Kind,
    string? Namespace,
    string ClassName,
    bool IsPartial,
    bool IsStatic,
    bool IsAbstract,
    bool IsGeneric,
    bool IsNested,
    int Features,
    int Latent,
    int Condition,
    int Likelihood,
    float Sigma,
    float Beta,
    int Loss,
    int Output,
    int LayerDeclarationCount,
    EquatableArray<NetLayerSpec> Layers,
    float GradientPenalty = 10f,
    int Channels = 0,
    int Height = 0,
    int Width = 0,
    int Classes = 0,
    float Alpha = 1f,
    float ClassifierNoise = 0f)
{
    /// <summary>True when the data is declared as images (Channels, Height or Width given).</summary>
    public bool HasImageShape => Channels != 0 || Height != 0 || Width != 0;

    /// <summary>The shape of a data row: (C, H, W) for images, else a vector of Features (valid after validation).</summary>
    public Shape DataShape => HasImageShape ? new Shape(Channels, Height, Width) : Shape.Vector(Features);

    public string FullName => Namespace is null ? ClassName : Namespace + "." + ClassName;

    /// <summary>ConditionChannels = C_y, ConditionHeight = H_y, ConditionWidth = W_y: an image condition (all 0 for a vector one).</summary>
    public ConditionImage ConditionImage { get; init; }

    /// <summary>The Condition the declaration wrote (0 if left out); <see cref="Condition"/> is C_y·H_y·W_y for an image condition.</summary>
    public int DeclaredCondition { get; init; }

    /// <summary>The partial declarations a stub adds its part under (see <c>StubShell</c>); empty: none can be added.</summary>
    public EquatableArray<string> StubShell { get; init; } = EquatableArray<string>.Empty;

    /// <summary>The stub file's hint name (unique for nested and generic models too).</summary>
    public string StubHint { get; init; } = "";

    public string KindName => Kind switch { NetKind.Vae => "VAE", NetKind.Gan => "GAN", NetKind.Regressor => "Regressor", _ => "Semi-supervised VAE" };
}
