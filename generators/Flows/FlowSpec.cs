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
    int Seed);

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
}

/// <summary>A validation finding: plain values; the analyzer maps (Layer, Argument) back to a location.</summary>
/// <param name="Id">GD0001…</param>
/// <param name="Message">The message, which says how to fix it.</param>
/// <param name="Layer">Index of the offending layer in <see cref="FlowSpec.Layers"/>, or -1 for the class.</param>
/// <param name="IsError">Error (the generator skips the model) or warning.</param>
internal sealed record DiagnosticInfo(string Id, string Message, int Layer, bool IsError);
