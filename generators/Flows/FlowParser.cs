using System.Collections.Generic;
using System.Linq;
using System.Threading;
using GenDsl.Generators.Helpers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace GenDsl.Generators.Flows;

/// <summary>Reads a [Flow] class and its layer members into a <see cref="FlowSpec"/>.</summary>
internal static class FlowParser
{
    public const string FlowAttribute = "GenDsl.FlowAttribute";

    /// <summary>Layer attribute full names → kind. The network ops of the catalogue ([Dense], [Conv] …) are not invertible.</summary>
    public static readonly IReadOnlyDictionary<string, LayerKind> LayerAttributes = CreateLayerAttributes();

    private static Dictionary<string, LayerKind> CreateLayerAttributes()
    {
        var kinds = new Dictionary<string, LayerKind>
        {
            ["GenDsl.AffineCouplingAttribute"] = LayerKind.AffineCoupling,
            ["GenDsl.AdditiveCouplingAttribute"] = LayerKind.AdditiveCoupling,
            ["GenDsl.PermuteAttribute"] = LayerKind.Permute,
            ["GenDsl.ActNormAttribute"] = LayerKind.ActNorm,
            ["GenDsl.InvertibleLinearAttribute"] = LayerKind.InvertibleLinear,
            ["GenDsl.SplineCouplingAttribute"] = LayerKind.SplineCoupling,
            ["GenDsl.MaskedAutoregressiveAttribute"] = LayerKind.MaskedAutoregressive,
            ["GenDsl.SqueezeAttribute"] = LayerKind.Squeeze,
            ["GenDsl.InvertibleConv1x1Attribute"] = LayerKind.InvertibleConv1x1,
            ["GenDsl.SplitAttribute"] = LayerKind.Split,
        };
        foreach (var op in Layers.OpCatalog.All)
            kinds[op.AttributeFullName] = LayerKind.NotInvertible;
        return kinds;
    }

    /// <summary>Layer-role attributes of the other model kinds (VAE, GAN): none belongs in a flow (GD0009).</summary>
    public static readonly IReadOnlyCollection<string> RoleAttributes = new HashSet<string>
    {
        "GenDsl.EncoderAttribute",
        "GenDsl.DecoderAttribute",
        "GenDsl.GeneratorAttribute",
        "GenDsl.DiscriminatorAttribute",
    };

    public static FlowSpec Parse(INamedTypeSymbol type, AttributeData flowAttribute, CancellationToken cancellationToken)
    {
        int features = 0, condition = 0, initialization = 0, channels = 0, height = 0, width = 0;
        int conditionChannels = 0, conditionHeight = 0, conditionWidth = 0;
        foreach (var arg in flowAttribute.NamedArguments)
        {
            if (arg.Key == "Features" && arg.Value.Value is int f) features = f;
            else if (arg.Key == "Condition" && arg.Value.Value is int c) condition = c;
            else if (arg.Key == "Initialization" && arg.Value.Value is int i) initialization = i;
            else if (arg.Key == "Channels" && arg.Value.Value is int ch) channels = ch;
            else if (arg.Key == "Height" && arg.Value.Value is int h) height = h;
            else if (arg.Key == "Width" && arg.Value.Value is int wd) width = wd;
            else if (arg.Key == "ConditionChannels" && arg.Value.Value is int cc) conditionChannels = cc;
            else if (arg.Key == "ConditionHeight" && arg.Value.Value is int chh) conditionHeight = chh;
            else if (arg.Key == "ConditionWidth" && arg.Value.Value is int cw) conditionWidth = cw;
        }
        int declaredCondition = condition;
        var conditionImage = new Layers.ConditionImage(conditionChannels, conditionHeight, conditionWidth);
        condition = conditionImage.ConditionSize(condition); // an image condition: k = C_y·H_y·W_y
        int declaredFeatures = features;
        if (channels > 0 && height > 0 && width > 0)
        {
            // An image flow: D = C·H·W (saturated, so that the validator's bound check, GD0015, sees an oversized image)
            long d = (long)channels * height * width;
            features = d > int.MaxValue ? int.MaxValue : (int)d;
        }

        var layers = new List<LayerSpec>();
        var roles = new List<RoleSpec>();
        var declarations = new HashSet<SyntaxNode>();
        foreach (var member in type.GetMembers())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (member is not (IPropertySymbol or IFieldSymbol) || member.IsImplicitlyDeclared)
                continue;
            foreach (var attribute in member.GetAttributes())
            {
                string? name = attribute.AttributeClass?.ToDisplayString();
                if (name is not null && RoleAttributes.Contains(name))
                    roles.Add(new RoleSpec(member.Name, ShortName(attribute.AttributeClass!), name));
            }
            foreach (var attribute in member.GetAttributes())
            {
                string? name = attribute.AttributeClass?.ToDisplayString();
                if (name is null || !LayerAttributes.TryGetValue(name, out var kind))
                    continue;
                layers.Add(ParseLayer(type, member, attribute, kind, cancellationToken));
                foreach (var reference in member.DeclaringSyntaxReferences)
                {
                    var typeDeclaration = reference.GetSyntax(cancellationToken).FirstAncestorOrSelf<TypeDeclarationSyntax>();
                    if (typeDeclaration is not null)
                        declarations.Add(typeDeclaration);
                }
                break; // one layer attribute per member
            }
        }

        bool isPartial = type.DeclaringSyntaxReferences.Any(r =>
            r.GetSyntax(cancellationToken) is TypeDeclarationSyntax t && t.Modifiers.Any(m => m.Text == "partial"));

        return new FlowSpec(
            type.ContainingNamespace.IsGlobalNamespace ? null : type.ContainingNamespace.ToDisplayString(),
            type.Name,
            Accessibility(type.DeclaredAccessibility),
            type.IsSealed,
            isPartial,
            type.IsStatic,
            type.IsAbstract,
            type.IsGenericType,
            type.ContainingType is not null,
            features,
            condition,
            declarations.Count,
            layers.ToEquatableArray())
        {
            Roles = roles.ToEquatableArray(),
            Initialization = initialization,
            Channels = channels,
            Height = height,
            Width = width,
            DeclaredFeatures = declaredFeatures,
            ConditionImage = conditionImage,
            DeclaredCondition = declaredCondition,
            StubShell = Common.StubShell.Of(type, cancellationToken),
            StubHint = Common.StubShell.Hint(type),
        };
    }

    private static LayerSpec ParseLayer(INamedTypeSymbol type, ISymbol member, AttributeData attribute, LayerKind kind, CancellationToken cancellationToken)
    {
        int mask = -1, permutationKind = -1, hidden = 64, hiddenLayers = 2, activation = 1, seed = 0, bins = 8;
        float tailBound = 3f;
        bool inverse = false;
        int transform = 0;
        string? pattern = null;
        var order = EquatableArray<int>.Empty;

        if (attribute.ConstructorArguments.Length == 1)
        {
            var arg = attribute.ConstructorArguments[0];
            if (arg.Kind == TypedConstantKind.Array)
                order = arg.Values.Select(v => v.Value is int i ? i : -1).ToEquatableArray();
            else if (arg.Value is string s)
                pattern = s;
            else if (arg.Value is int e)
            {
                if (kind == LayerKind.Permute) permutationKind = e;
                else mask = e;
            }
        }

        foreach (var named in attribute.NamedArguments)
        {
            switch (named.Key)
            {
                case "Hidden" when named.Value.Value is int h: hidden = h; break;
                case "HiddenLayers" when named.Value.Value is int n: hiddenLayers = n; break;
                case "Activation" when named.Value.Value is int a: activation = a; break;
                case "Seed" when named.Value.Value is int sd: seed = sd; break;
                case "Bins" when named.Value.Value is int k: bins = k; break;
                case "TailBound" when named.Value.Value is float b: tailBound = b; break;
                case "Inverse" when named.Value.Value is bool iaf: inverse = iaf; break;
                case "Transform" when named.Value.Value is int t: transform = t; break;
            }
        }

        var (memberType, isPartialProperty) = MemberShape(member);

        return new LayerSpec(member.Name, memberType, MemberAccessibility(member, cancellationToken), isPartialProperty, kind,
            ShortName(attribute.AttributeClass!), mask, pattern, hidden, hiddenLayers, activation, permutationKind, order, seed)
        {
            Stub = Stub(type, member, cancellationToken),
            Bins = bins,
            TailBound = tailBound,
            Inverse = inverse,
            Transform = transform,
        };
    }

    private static readonly SymbolDisplayFormat StubTypeFormat = SymbolDisplayFormat.FullyQualifiedFormat
        .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    /// <summary>
    /// An implementation part for a partial property definition that has none, whose accessors throw:
    /// what the generator emits for a model it skips, so that the only errors are the GD diagnostics
    /// (the command-line compiler runs no analyzer once a declaration has an error such as CS9248).
    /// Also used for the layers of a VAE or GAN (<c>NetParser</c>).
    /// </summary>
    internal static string? Stub(INamedTypeSymbol type, ISymbol member, CancellationToken cancellationToken)
    {
        if (member is not IPropertySymbol { IsPartialDefinition: true, PartialImplementationPart: null } property)
            return null;
        var syntax = property.DeclaringSyntaxReferences
            .Select(r => r.GetSyntax(cancellationToken))
            .OfType<PropertyDeclarationSyntax>()
            .FirstOrDefault();
        if (syntax?.AccessorList is null)
            return null;
        string message = $"throw new global::System.InvalidOperationException(\"{type.Name} was not generated: its GenDsl declaration has errors (see the GD diagnostics).\");";
        var text = new System.Text.StringBuilder();
        text.Append(string.Join(" ", syntax.Modifiers.Select(m => m.Text)))
            .Append(' ').Append(property.Type.ToDisplayString(StubTypeFormat))
            .Append(' ').Append(syntax.Identifier.Text).Append(" {");
        foreach (var accessor in syntax.AccessorList.Accessors)
        {
            text.Append(' ');
            foreach (var modifier in accessor.Modifiers)
                text.Append(modifier.Text).Append(' ');
            text.Append(accessor.Keyword.Text).Append(" => ").Append(message);
        }
        return text.Append(" }").ToString();
    }

    /// <summary>An attribute class's name without the "Attribute" suffix, as written in code.</summary>
    private static string ShortName(INamedTypeSymbol attributeClass)
    {
        string name = attributeClass.Name;
        return name.EndsWith("Attribute") ? name.Substring(0, name.Length - "Attribute".Length) : name;
    }

    /// <summary>The member's declared type and whether it is a get-only partial property (the supported layer form).</summary>
    internal static (string Type, bool IsPartialProperty) MemberShape(ISymbol member) =>
        member is IPropertySymbol property
            ? (property.Type.ToDisplayString(), property.IsPartialDefinition && property.SetMethod is null && property.GetMethod is not null)
            : (((IFieldSymbol)member).Type.ToDisplayString(), false);

    /// <summary>
    /// A layer member's accessibility keywords as its declaration writes them, which its generated implementation
    /// part repeats: "" for a partial property written without any (implicitly private: C# rejects an
    /// implementation part that says "private" then, CS8799).
    /// </summary>
    internal static string MemberAccessibility(ISymbol member, CancellationToken cancellationToken)
    {
        foreach (var reference in member.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax(cancellationToken) is PropertyDeclarationSyntax property
                && !property.Modifiers.Any(m => m.Text is "public" or "private" or "protected" or "internal"))
                return "";
        }
        return Accessibility(member.DeclaredAccessibility);
    }

    internal static string Accessibility(Accessibility accessibility) => accessibility switch
    {
        Microsoft.CodeAnalysis.Accessibility.Public => "public",
        Microsoft.CodeAnalysis.Accessibility.Internal => "internal",
        Microsoft.CodeAnalysis.Accessibility.Private => "private",
        Microsoft.CodeAnalysis.Accessibility.Protected => "protected",
        Microsoft.CodeAnalysis.Accessibility.ProtectedOrInternal => "protected internal",
        Microsoft.CodeAnalysis.Accessibility.ProtectedAndInternal => "private protected",
        _ => "internal",
    };
}
