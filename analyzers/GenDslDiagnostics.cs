using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace GenDsl.Analyzers;

/// <summary>
/// The GenDsl rule catalogue (docs/diagnostics.md). The messages come from the shared validators
/// (<c>FlowValidator</c>, <c>NetValidator</c>), which say what is wrong and how to fix it; a descriptor
/// adds the ID, title, category, severity and help link.
/// </summary>
public static class GenDslDiagnostics
{
    /// <summary>Where each rule is explained; the anchor is the lower-case ID.</summary>
    public const string HelpBase = "docs/diagnostics.md";

    public const string DeclarationCategory = "GenDsl.Declaration";
    public const string FlowCategory = "GenDsl.Flow";
    public const string SizeCategory = "GenDsl.Size";
    public const string RoleCategory = "GenDsl.Role";
    public const string NetworkCategory = "GenDsl.Network";

    /// <summary>Diagnostic property: the corrected pattern a code fix may write (GD0003, GD0006), when it is unambiguous.</summary>
    public const string PatternProperty = "Pattern";

    /// <summary>
    /// Diagnostic properties of a GD0016 whose fix is unambiguous (<c>OutputFix</c>): the layer member, the
    /// argument of its attribute to set (as written: "Padding", "channels"), the value, and the position of a
    /// constructor parameter ("-1" for a named argument).
    /// </summary>
    public const string FixMemberProperty = "FixMember";

    /// <inheritdoc cref="FixMemberProperty"/>
    public const string FixArgumentProperty = "FixArgument";

    /// <inheritdoc cref="FixMemberProperty"/>
    public const string FixValueProperty = "FixValue";

    /// <inheritdoc cref="FixMemberProperty"/>
    public const string FixPositionProperty = "FixPosition";

    /// <summary>Diagnostic property present when GD0001 is about a missing <c>partial</c> (the fix adds it).</summary>
    public const string NotPartialProperty = "NotPartial";

    public static readonly DiagnosticDescriptor ModelClassShape = Rule("GD0001",
        "Model class must be a top-level partial class", DeclarationCategory, true);

    public static readonly DiagnosticDescriptor NotInvertible = Rule("GD0002",
        "Flow layer is not invertible", FlowCategory, true);

    public static readonly DiagnosticDescriptor EmptyCouplingSide = Rule("GD0003",
        "Coupling leaves one side empty", FlowCategory, true);

    public static readonly DiagnosticDescriptor InvalidPermutation = Rule("GD0004",
        "Explicit order is not a permutation of the features", FlowCategory, true);

    public static readonly DiagnosticDescriptor NonPositiveSize = Rule("GD0005",
        "Size must be positive", SizeCategory, true);

    public static readonly DiagnosticDescriptor MalformedPattern = Rule("GD0006",
        "Coupling pattern does not match the features", FlowCategory, true);

    public static readonly DiagnosticDescriptor SameFeaturesKept = Rule("GD0007",
        "Consecutive couplings keep the same features", FlowCategory, false);

    public static readonly DiagnosticDescriptor NoCoupling = Rule("GD0008",
        "Flow has no coupling layer", FlowCategory, false);

    public static readonly DiagnosticDescriptor MisplacedRole = Rule("GD0009",
        "Layer role does not belong to this model kind", RoleCategory, true);

    public static readonly DiagnosticDescriptor SplitLayers = Rule("GD0010",
        "Layers are split across partial declarations", DeclarationCategory, true);

    public static readonly DiagnosticDescriptor LayerNotPartialProperty = Rule("GD0011",
        "Layer member must be a partial get-only property", DeclarationCategory, true);

    public static readonly DiagnosticDescriptor WrongMemberType = Rule("GD0012",
        "Layer member type does not match its attribute", DeclarationCategory, true);

    public static readonly DiagnosticDescriptor NetworkLayerShape = Rule("GD0013",
        "VAE/GAN layer needs one layer attribute and exactly one role", RoleCategory, true);

    public static readonly DiagnosticDescriptor UnsupportedGanLoss = Rule("GD0014",
        "Wasserstein GAN needs a piecewise-linear critic", NetworkCategory, true);

    public static readonly DiagnosticDescriptor SizeLimit = Rule("GD0015",
        "A size exceeds GenDsl's limits", SizeCategory, true);

    public static readonly DiagnosticDescriptor ShapesDoNotChain = Rule("GD0016",
        "Layer shapes do not chain", NetworkCategory, true);

    public static readonly DiagnosticDescriptor MadeTooNarrow = Rule("GD0017",
        "MADE hidden layers too narrow for every dependency", FlowCategory, false);

    public static readonly DiagnosticDescriptor ImageShape = Rule("GD0018",
        "An image-flow layer does not fit the image's shape", FlowCategory, true);

    /// <summary>Every descriptor, in ID order.</summary>
    public static ImmutableArray<DiagnosticDescriptor> All { get; } = ImmutableArray.Create(
        ModelClassShape, NotInvertible, EmptyCouplingSide, InvalidPermutation, NonPositiveSize, MalformedPattern,
        SameFeaturesKept, NoCoupling, MisplacedRole, SplitLayers, LayerNotPartialProperty, WrongMemberType,
        NetworkLayerShape, UnsupportedGanLoss, SizeLimit, ShapesDoNotChain, MadeTooNarrow, ImageShape);

    private static readonly Dictionary<string, DiagnosticDescriptor> ById = CreateIndex();

    /// <summary>The descriptor of a rule ID produced by the shared validator.</summary>
    public static DiagnosticDescriptor ForId(string id) => ById[id];

    private static Dictionary<string, DiagnosticDescriptor> CreateIndex()
    {
        var index = new Dictionary<string, DiagnosticDescriptor>();
        foreach (var descriptor in All)
            index[descriptor.Id] = descriptor;
        return index;
    }

    private static DiagnosticDescriptor Rule(string id, string title, string category, bool isError) =>
        new(id, title, "{0}", category,
            isError ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
            isEnabledByDefault: true,
            description: null,
            helpLinkUri: HelpBase + "#" + id.ToLowerInvariant());
}
