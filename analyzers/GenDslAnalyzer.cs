using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using GenDsl.Generators.Flows;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace GenDsl.Analyzers;

/// <summary>
/// Reports the findings of the shared validator (the same code the generator runs before it emits
/// anything) at the syntax that is wrong: the layer's attribute, its pattern/mask/order argument, a
/// named argument such as <c>Hidden = 0</c> or <c>Features = 0</c>, the member's name or type, or the
/// class name (GD0001).
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
            var flowAttribute = start.Compilation.GetTypeByMetadataName(FlowParser.FlowAttribute);
            if (flowAttribute is null)
                return; // GenDsl is not referenced: nothing to check
            start.RegisterSymbolAction(symbolContext => AnalyzeType(symbolContext, flowAttribute), SymbolKind.NamedType);
        });
    }

    private static void AnalyzeType(SymbolAnalysisContext context, INamedTypeSymbol flowAttribute)
    {
        var type = (INamedTypeSymbol)context.Symbol;
        AttributeData? flow = null;
        foreach (var attribute in type.GetAttributes())
        {
            if (SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, flowAttribute))
            {
                flow = attribute;
                break;
            }
        }
        if (flow is null)
            return;

        var cancellationToken = context.CancellationToken;
        var spec = FlowParser.Parse(type, flow, cancellationToken);
        var findings = FlowValidator.Validate(spec);
        if (findings.Count == 0)
            return;

        var patterns = PatternRepair.Suggest(spec);
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
        {
            // The model attribute ([Flow]) or one of its named arguments.
            var syntax = AttributeSyntaxOf(flow, cancellationToken);
            var location = finding.Target == FindingTarget.NamedArgument ? NamedArgumentLocation(syntax, finding.Argument) : null;
            return new[] { location ?? syntax?.GetLocation() ?? classLocation };
        }

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
