using GenDsl.Generators.Helpers;

namespace GenDsl.Generators.Networks;

/// <summary>The two model kinds built from [Dense] layers.</summary>
internal enum NetKind
{
    Vae,
    Gan,
}

/// <summary>One layer member of a VAE or GAN, as plain values.</summary>
/// <param name="Member">Member name (E1): prefix of its tensors' names.</param>
/// <param name="MemberType">Declared type, fully qualified.</param>
/// <param name="Accessibility">Accessibility keywords.</param>
/// <param name="IsPartialProperty">True for a get-only partial property (the supported form).</param>
/// <param name="IsDense">Has [Dense].</param>
/// <param name="Width">[Dense] width.</param>
/// <param name="Activation">[Dense] activation (GenDsl.Activation value).</param>
/// <param name="Roles">Role attributes present: "Encoder", "Decoder", "Generator", "Discriminator".</param>
/// <param name="OtherLayerAttribute">A flow layer attribute on this member (not allowed here), or null: its short name ("AffineCoupling").</param>
internal sealed record NetLayerSpec(
    string Member,
    string MemberType,
    string Accessibility,
    bool IsPartialProperty,
    bool IsDense,
    int Width,
    int Activation,
    EquatableArray<string> Roles,
    string? OtherLayerAttribute)
{
    /// <summary>
    /// For a partial property definition without an implementation part: an implementation whose
    /// accessors throw, emitted when the model has errors (else null). See <c>NetStubEmitter</c>.
    /// </summary>
    public string? Stub { get; init; }
}

/// <summary>A [Vae] or [Gan] declaration as plain values. Latent is the VAE's Latent or the GAN's Noise.</summary>
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
    float GradientPenalty = 10f)
{
    public string FullName => Namespace is null ? ClassName : Namespace + "." + ClassName;

    public string KindName => Kind == NetKind.Vae ? "VAE" : "GAN";
}
