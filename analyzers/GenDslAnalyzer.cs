using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using GenDsl.Generators.Flows;
using GenDsl.Generators.Networks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace GenDsl.Analyzers;

/// <summary>
/// Reports the findings of the shared validators (the same code the generator runs before it emits
/// anything: <c>FlowValidator</c> for <c>[Flow]</c>, <c>NetValidator</c> for <c>[Vae]</c> and
/// <c>[Gan]</c>) at the syntax that is wrong: the layer's attribute, its pattern/mask/order or width
/// argument, a named argument such as <c>Hidden = 0</c>, <c>Latent = 0</c> or
/// <c>Loss = GanLoss.Wasserstein</c>, a role attribute, the member's name or type, or the class name (GD0001).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class GenDslAnalyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => GenDslDiagnostics.All;

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(static start =>
        {
            var models = new ModelAttributes(
                start.Compilation.GetTypeByMetadataName(FlowParser.FlowAttribute),
                start.Compilation.GetTypeByMetadataName(NetParser.VaeAttribute),
                start.Compilation.GetTypeByMetadataName(NetParser.GanAttribute),
                start.Compilation.GetTypeByMetadataName(NetParser.SemiSupervisedVaeAttribute),
                start.Compilation.GetTypeByMetadataName(NetParser.RegressorAttribute));
            if (models.Flow is null && models.Vae is null && models.Gan is null && models.SemiSupervisedVae is null && models.Regressor is null)
                return; // GenDsl is not referenced: nothing to check
            start.RegisterSymbolAction(symbolContext => AnalyzeType(symbolContext, models), SymbolKind.NamedType);
        });
    }

    /// <summary>The model attribute classes of the compilation (null when absent).</summary>
    private sealed class ModelAttributes
    {
        public ModelAttributes(INamedTypeSymbol? flow, INamedTypeSymbol? vae, INamedTypeSymbol? gan, INamedTypeSymbol? semiSupervisedVae, INamedTypeSymbol? regressor)
        {
            Regressor = regressor;
            Flow = flow;
            Vae = vae;
            Gan = gan;
            SemiSupervisedVae = semiSupervisedVae;
        }

        public INamedTypeSymbol? Flow { get; }
        public INamedTypeSymbol? Vae { get; }
        public INamedTypeSymbol? Gan { get; }
        public INamedTypeSymbol? SemiSupervisedVae { get; }
        public INamedTypeSymbol? Regressor { get; }
    }

    private static void AnalyzeType(SymbolAnalysisContext context, ModelAttributes models)
    {
        var type = (INamedTypeSymbol)context.Symbol;
        foreach (var attribute in type.GetAttributes())
        {
            var attributeClass = attribute.AttributeClass;
            if (attributeClass is null)
                continue;
            if (models.Flow is not null && SymbolEqualityComparer.Default.Equals(attributeClass, models.Flow))
                AnalyzeFlow(context, type, attribute);
            else if (models.Vae is not null && SymbolEqualityComparer.Default.Equals(attributeClass, models.Vae))
                AnalyzeNet(context, type, attribute, NetKind.Vae);
            else if (models.Gan is not null && SymbolEqualityComparer.Default.Equals(attributeClass, models.Gan))
                AnalyzeNet(context, type, attribute, NetKind.Gan);
            else if (models.SemiSupervisedVae is not null && SymbolEqualityComparer.Default.Equals(attributeClass, models.SemiSupervisedVae))
                AnalyzeNet(context, type, attribute, NetKind.SemiSupervisedVae);
            else if (models.Regressor is not null && SymbolEqualityComparer.Default.Equals(attributeClass, models.Regressor))
                AnalyzeNet(context, type, attribute, NetKind.Regressor);
            else
                continue;
            return; // one model attribute per class (the generator, too, reads the first of each kind)
        }
    }

    private static void AnalyzeFlow(SymbolAnalysisContext context, INamedTypeSymbol type, AttributeData flow)
    {
        var cancellationToken = context.CancellationToken;
        var spec = FlowParser.Parse(type, flow, cancellationToken);
        var findings = FlowValidator.Validate(spec);
        if (findings.Count == 0)
            return;

        // The repaired patterns only serve GD0003/GD0006, which the validator reports only once every size is within
        // its limits: never computed from an unchecked Features (int.MaxValue would loop over 2^31 features per coupling).
        var patterns = findings.Any(f => f.Id is "GD0003" or "GD0006") ? PatternRepair.Suggest(spec) : new Dictionary<int, string>();
        foreach (var finding in findings)
        {
            var descriptor = GenDslDiagnostics.ForId(finding.Id);
            var properties = ImmutableDictionary<string, string?>.Empty;
            if (finding.Id == "GD0001" && !spec.IsPartial)
                properties = properties.Add(GenDslDiagnostics.NotPartialProperty, "true");
            if (finding.Id is "GD0003" or "GD0006" && patterns.TryGetValue(finding.Layer, out var pattern))
                properties = properties.Add(GenDslDiagnostics.PatternProperty, pattern);

            foreach (var location in Locate(type, flow, spec, finding, cancellationToken))
                context.ReportDiagnostic(Diagnostic.Create(descriptor, location, properties, finding.Message));
        }
    }

    private static void AnalyzeNet(SymbolAnalysisContext context, INamedTypeSymbol type, AttributeData model, NetKind kind)
    {
        var cancellationToken = context.CancellationToken;
        var spec = NetParser.Parse(kind, type, model, cancellationToken);
        var findings = NetValidator.Validate(spec);
        foreach (var finding in findings)
        {
            var descriptor = GenDslDiagnostics.ForId(finding.Id);
            var properties = ImmutableDictionary<string, string?>.Empty;
            if (finding.Id == "GD0001" && !spec.IsPartial)
                properties = properties.Add(GenDslDiagnostics.NotPartialProperty, "true");
            if (finding.Fix is { } fix && finding.Layer >= 0 && finding.Layer < spec.Layers.Count)
            {
                properties = properties
                    .Add(GenDslDiagnostics.FixMemberProperty, spec.Layers[finding.Layer].Member)
                    .Add(GenDslDiagnostics.FixArgumentProperty, fix.Argument)
                    .Add(GenDslDiagnostics.FixValueProperty, fix.Value.ToString(System.Globalization.CultureInfo.InvariantCulture))
                    .Add(GenDslDiagnostics.FixPositionProperty, fix.Position.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            foreach (var location in LocateNet(type, model, spec, finding, cancellationToken))
                context.ReportDiagnostic(Diagnostic.Create(descriptor, location, properties, finding.Message));
        }
    }

    /// <summary>The location(s) of a finding; one, except GD0010 (every layer outside the first declaration).</summary>
    private static IEnumerable<Location> Locate(INamedTypeSymbol type, AttributeData flow, FlowSpec spec, DiagnosticInfo finding, CancellationToken cancellationToken)
    {
        var classLocation = type.Locations.FirstOrDefault(l => l.IsInSource) ?? Location.None;
        switch (finding.Target)
        {
            case FindingTarget.ClassName:
                return new[] { classLocation };

            case FindingTarget.LayerDeclarations:
                return LayersOutsideFirstDeclaration(type, cancellationToken);

            case FindingTarget.Role:
            {
                var role = spec.Roles[finding.Role];
                var member = type.GetMembers(role.Member).FirstOrDefault();
                var attribute = member?.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == role.AttributeFullName);
                return new[] { AttributeLocation(attribute, cancellationToken) ?? member?.Locations.FirstOrDefault() ?? classLocation };
            }
        }

        if (finding.Layer < 0)
            return new[] { ModelAttributeLocation(flow, finding, cancellationToken) ?? classLocation };

        var layer = spec.Layers[finding.Layer];
        var (layerMember, layerAttribute) = FindLayer(type, layer.Member);
        if (layerMember is null)
            return new[] { classLocation };
        var attributeSyntax = AttributeSyntaxOf(layerAttribute, cancellationToken);
        var fallback = attributeSyntax?.GetLocation() ?? layerMember.Locations.FirstOrDefault() ?? classLocation;

        Location? precise = finding.Target switch
        {
            FindingTarget.ConstructorArgument => ConstructorArgumentsLocation(attributeSyntax),
            FindingTarget.NamedArgument => NamedArgumentLocation(attributeSyntax, finding.Argument),
            FindingTarget.MemberName => layerMember.Locations.FirstOrDefault(l => l.IsInSource),
            FindingTarget.MemberType => MemberTypeLocation(layerMember, cancellationToken),
            _ => null,
        };
        return new[] { precise ?? fallback };
    }

    /// <summary>The model attribute ([Flow], [Vae], [Gan]) or, for <see cref="FindingTarget.NamedArgument"/>, that named argument when present.</summary>
    private static Location? ModelAttributeLocation(AttributeData model, DiagnosticInfo finding, CancellationToken cancellationToken)
    {
        var syntax = AttributeSyntaxOf(model, cancellationToken);
        var location = finding.Target == FindingTarget.NamedArgument ? NamedArgumentLocation(syntax, finding.Argument) : null;
        return location ?? syntax?.GetLocation();
    }

    /// <summary>
    /// The location(s) of a VAE/GAN finding; one, except GD0010 (every layer outside the first
    /// declaration). A layer's "attribute" is its [Dense] (else its first GenDsl attribute); its
    /// constructor and named arguments are the [Dense]'s.
    /// </summary>
    private static IEnumerable<Location> LocateNet(INamedTypeSymbol type, AttributeData model, NetModelSpec spec, DiagnosticInfo finding, CancellationToken cancellationToken)
    {
        var classLocation = type.Locations.FirstOrDefault(l => l.IsInSource) ?? Location.None;
        switch (finding.Target)
        {
            case FindingTarget.ClassName:
                return new[] { classLocation };
            case FindingTarget.LayerDeclarations:
                return NetLayersOutsideFirstDeclaration(type, cancellationToken);
        }
        if (finding.Layer < 0)
            return new[] { ModelAttributeLocation(model, finding, cancellationToken) ?? classLocation };

        var (member, attributes) = FindNetLayer(type, spec.Layers[finding.Layer].Member);
        if (member is null)
            return new[] { classLocation };
        var main = attributes.FirstOrDefault(IsOpAttribute) ?? attributes.FirstOrDefault();
        var mainSyntax = AttributeSyntaxOf(main, cancellationToken);
        var fallback = mainSyntax?.GetLocation() ?? member.Locations.FirstOrDefault() ?? classLocation;

        Location? precise = finding.Target switch
        {
            FindingTarget.ConstructorArgument => finding.Argument is null
                ? ConstructorArgumentsLocation(mainSyntax)
                : ConstructorArgumentLocation(main, mainSyntax, finding.Argument),
            FindingTarget.NamedArgument => NamedArgumentLocation(mainSyntax, finding.Argument),
            FindingTarget.MemberAttribute => AttributeLocation(
                attributes.FirstOrDefault(a => a.AttributeClass is not null && ShortName(a.AttributeClass) == finding.Argument), cancellationToken),
            FindingTarget.MemberName => member.Locations.FirstOrDefault(l => l.IsInSource),
            FindingTarget.MemberType => MemberTypeLocation(member, cancellationToken),
            _ => null,
        };
        return new[] { precise ?? fallback };
    }

    /// <summary>Whether the parser of VAEs and GANs reads this attribute of a member: [Dense], a role, or a flow layer (GD0009).</summary>
    private static bool IsNetLayerAttribute(AttributeData attribute)
    {
        string? name = attribute.AttributeClass?.ToDisplayString();
        return name is not null && (GenDsl.Generators.Layers.OpCatalog.ForAttribute(name) is not null || NetParser.RoleAttributes.ContainsKey(name) || FlowParser.LayerAttributes.ContainsKey(name));
    }

    /// <summary>Whether the attribute is a network op of the layer catalogue ([Dense], [Conv] …).</summary>
    private static bool IsOpAttribute(AttributeData attribute)
    {
        string? name = attribute.AttributeClass?.ToDisplayString();
        return name is not null && GenDsl.Generators.Layers.OpCatalog.ForAttribute(name) is not null;
    }

    /// <summary>A VAE/GAN layer member of that name and its GenDsl attributes, in source order (as <c>NetParser</c> finds it).</summary>
    internal static (ISymbol? Member, List<AttributeData> Attributes) FindNetLayer(INamedTypeSymbol type, string memberName)
    {
        foreach (var member in type.GetMembers(memberName))
        {
            if (member is not (IPropertySymbol or IFieldSymbol) || member.IsImplicitlyDeclared)
                continue;
            var attributes = member.GetAttributes().Where(IsNetLayerAttribute).ToList();
            if (attributes.Count > 0)
                return (member, attributes);
        }
        return (null, new List<AttributeData>());
    }

    /// <summary>An attribute class's name without the "Attribute" suffix, as in the validators' messages.</summary>
    private static string ShortName(INamedTypeSymbol attributeClass)
    {
        string name = attributeClass.Name;
        return name.EndsWith("Attribute", System.StringComparison.Ordinal) ? name.Substring(0, name.Length - "Attribute".Length) : name;
    }

    /// <summary>The layer member of that name and its layer attribute (the first one the parser recognises).</summary>
    internal static (ISymbol? Member, AttributeData? Attribute) FindLayer(INamedTypeSymbol type, string memberName)
    {
        foreach (var member in type.GetMembers(memberName))
        {
            if (member is not (IPropertySymbol or IFieldSymbol) || member.IsImplicitlyDeclared)
                continue;
            foreach (var attribute in member.GetAttributes())
            {
                string? name = attribute.AttributeClass?.ToDisplayString();
                if (name is not null && FlowParser.LayerAttributes.ContainsKey(name))
                    return (member, attribute);
            }
        }
        return (null, null);
    }

    internal static AttributeSyntax? AttributeSyntaxOf(AttributeData? attribute, CancellationToken cancellationToken) =>
        attribute?.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax;

    private static Location? AttributeLocation(AttributeData? attribute, CancellationToken cancellationToken) =>
        AttributeSyntaxOf(attribute, cancellationToken)?.GetLocation();

    /// <summary>From the first to the last positional argument (the mask, the pattern, or every entry of an explicit order).</summary>
    internal static Location? ConstructorArgumentsLocation(AttributeSyntax? attribute)
    {
        var positional = attribute?.ArgumentList?.Arguments.Where(a => a.NameEquals is null).ToList();
        if (attribute is null || positional is null || positional.Count == 0)
            return null;
        return Location.Create(attribute.SyntaxTree, TextSpan.FromBounds(positional[0].SpanStart, positional[positional.Count - 1].Span.End));
    }

    /// <summary>
    /// The argument given for the constructor parameter <paramref name="parameter"/>: by name
    /// (<c>width: 0</c>) or by position (the first argument for <c>width</c>).
    /// </summary>
    private static Location? ConstructorArgumentLocation(AttributeData? attribute, AttributeSyntax? syntax, string parameter)
    {
        var parameters = attribute?.AttributeConstructor?.Parameters;
        var arguments = syntax?.ArgumentList?.Arguments;
        if (parameters is null || arguments is null)
            return null;
        int position = 0;
        foreach (var argument in arguments)
        {
            if (argument.NameEquals is not null)
                continue; // a property: not a constructor argument
            string? name = argument.NameColon?.Name.Identifier.ValueText
                ?? (position < parameters.Value.Length ? parameters.Value[position].Name : null);
            position++;
            if (name == parameter)
                return argument.GetLocation();
        }
        return null;
    }

    private static Location? NamedArgumentLocation(AttributeSyntax? attribute, string? name)
    {
        var argument = attribute?.ArgumentList?.Arguments.FirstOrDefault(a => a.NameEquals?.Name.Identifier.ValueText == name);
        return argument?.GetLocation();
    }

    private static Location? MemberTypeLocation(ISymbol member, CancellationToken cancellationToken)
    {
        foreach (var reference in member.DeclaringSyntaxReferences)
        {
            var node = reference.GetSyntax(cancellationToken);
            var typeSyntax = node switch
            {
                PropertyDeclarationSyntax property => property.Type,
                VariableDeclaratorSyntax { Parent: VariableDeclarationSyntax declaration } => declaration.Type,
                _ => null,
            };
            if (typeSyntax is not null)
                return typeSyntax.GetLocation();
        }
        return null;
    }

    /// <summary>
    /// The layers of every partial declaration after the first one that declares VAE/GAN layers: each
    /// at its [Dense] (else its first GenDsl attribute), as <c>NetParser</c> counts declarations.
    /// </summary>
    private static IEnumerable<Location> NetLayersOutsideFirstDeclaration(INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        var byDeclaration = new List<(SyntaxNode Declaration, List<Location> Layers)>();
        foreach (var member in type.GetMembers())
        {
            if (member is not (IPropertySymbol or IFieldSymbol) || member.IsImplicitlyDeclared)
                continue;
            var attributes = member.GetAttributes().Where(IsNetLayerAttribute).ToList();
            if (attributes.Count == 0)
                continue;
            var main = attributes.FirstOrDefault(IsOpAttribute) ?? attributes[0];
            var syntax = AttributeSyntaxOf(main, cancellationToken);
            var declaration = syntax?.FirstAncestorOrSelf<TypeDeclarationSyntax>();
            if (syntax is null || declaration is null)
                continue;
            int index = byDeclaration.FindIndex(d => d.Declaration == declaration);
            if (index < 0)
            {
                byDeclaration.Add((declaration, new List<Location>()));
                index = byDeclaration.Count - 1;
            }
            byDeclaration[index].Layers.Add(syntax.GetLocation());
        }
        return byDeclaration.Skip(1).SelectMany(d => d.Layers).ToList();
    }

    /// <summary>The layer attributes of every partial declaration after the first one that declares layers.</summary>
    private static IEnumerable<Location> LayersOutsideFirstDeclaration(INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        var byDeclaration = new List<(SyntaxNode Declaration, List<Location> Layers)>();
        foreach (var member in type.GetMembers())
        {
            if (member is not (IPropertySymbol or IFieldSymbol) || member.IsImplicitlyDeclared)
                continue;
            var (layerMember, attribute) = FindLayer(type, member.Name);
            if (layerMember is null || !SymbolEqualityComparer.Default.Equals(layerMember, member))
                continue;
            var syntax = AttributeSyntaxOf(attribute, cancellationToken);
            var declaration = syntax?.FirstAncestorOrSelf<TypeDeclarationSyntax>();
            if (syntax is null || declaration is null)
                continue;
            int index = byDeclaration.FindIndex(d => d.Declaration == declaration);
            if (index < 0)
            {
                byDeclaration.Add((declaration, new List<Location>()));
                index = byDeclaration.Count - 1;
            }
            byDeclaration[index].Layers.Add(syntax.GetLocation());
        }
        return byDeclaration.Skip(1).SelectMany(d => d.Layers).ToList();
    }
}
