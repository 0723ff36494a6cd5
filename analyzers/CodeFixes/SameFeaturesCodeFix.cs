using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using GenDsl.Analyzers;
using GenDsl.Generators.Flows;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Simplification;

namespace GenDsl.CodeFixes;

/// <summary>
/// GD0007 (two couplings in a row keep the same features): either insert a
/// <c>[Permute(Permutation.Reverse)]</c> layer between them, or flip the second coupling's mask
/// (FirstHalf ↔ SecondHalf, Even ↔ Odd, an Alternating one to the half it does not keep, a pattern's
/// bits inverted).
/// </summary>
/// <remarks>
/// Fix All cannot be a plain batch merge: inserted layers need distinct fresh names, and a flipped
/// coupling changes what the next one is compared with. It applies the fixes of each class in layer
/// order on one document.
/// </remarks>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(SameFeaturesCodeFix)), Shared]
public sealed class SameFeaturesCodeFix : CodeFixProvider
{
    public const string InsertPermutationKey = "GenDsl.InsertPermutation";
    public const string FlipMaskKey = "GenDsl.FlipMask";

    public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(GenDslDiagnostics.SameFeaturesKept.Id);

    public override FixAllProvider GetFixAllProvider() => FixAllProvider.Create(
        static async (context, document, diagnostics) => context.CodeActionEquivalenceKey switch
        {
            InsertPermutationKey => await InsertPermutationsAsync(document, diagnostics, context.CancellationToken).ConfigureAwait(false),
            FlipMaskKey => await FlipMasksAsync(document, diagnostics, context.CancellationToken).ConfigureAwait(false),
            _ => null,
        });

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null)
            return;
        foreach (var diagnostic in context.Diagnostics)
        {
            var member = CouplingMember(root, diagnostic);
            if (member is null)
                continue;
            string name = MemberName(member);
            var single = ImmutableArray.Create(diagnostic);
            context.RegisterCodeFix(
                CodeAction.Create($"Insert [Permute(Permutation.Reverse)] before '{name}'",
                    async ct => await InsertPermutationsAsync(context.Document, single, ct).ConfigureAwait(false) ?? context.Document,
                    InsertPermutationKey),
                diagnostic);
            context.RegisterCodeFix(
                CodeAction.Create($"Flip the mask of '{name}'",
                    async ct => await FlipMasksAsync(context.Document, single, ct).ConfigureAwait(false) ?? context.Document,
                    FlipMaskKey),
                diagnostic);
        }
    }

    // ---- Insert a permutation -------------------------------------------------------------------

    private static async Task<Document?> InsertPermutationsAsync(Document document, ImmutableArray<Diagnostic> diagnostics, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || model is null)
            return null;

        var targets = new HashSet<MemberDeclarationSyntax>();
        foreach (var diagnostic in diagnostics)
        {
            var member = CouplingMember(root, diagnostic);
            if (member is not null)
                targets.Add(member);
        }
        var classes = targets.Select(m => m.Parent).OfType<TypeDeclarationSyntax>().Distinct().ToList();
        if (classes.Count == 0)
            return null;

        string newLine = NewLine(root);
        var newRoot = root.ReplaceNodes(classes, (original, _) =>
        {
            // Fresh names P1, P2, … not used by any member of the class (in any of its declarations).
            var taken = new HashSet<string>(model.GetDeclaredSymbol(original, cancellationToken)?.MemberNames ?? Enumerable.Empty<string>());
            int next = 1;
            var members = new List<MemberDeclarationSyntax>();
            foreach (var member in original.Members)
            {
                if (targets.Contains(member))
                {
                    while (taken.Contains("P" + next))
                        next++;
                    string name = "P" + next;
                    taken.Add(name);
                    members.Add(PermutationMember(name, Indentation(member), newLine));
                }
                members.Add(member);
            }
            return original.WithMembers(SyntaxFactory.List(members));
        });
        return document.WithSyntaxRoot(newRoot);
    }

    /// <summary><c>[Permute(Permutation.Reverse)] public partial Permutation {name} { get; }</c>, names simplified against the usings.</summary>
    private static MemberDeclarationSyntax PermutationMember(string name, SyntaxTriviaList indentation, string newLine)
    {
        var member = (PropertyDeclarationSyntax)SyntaxFactory.ParseMemberDeclaration(
            $"[global::GenDsl.Permute(global::GenDsl.Permutation.Reverse)] public partial global::GenDsl.Permutation {name} {{ get; }}")!;
        var attribute = member.AttributeLists[0].Attributes[0];
        member = member.ReplaceNodes(
            new SyntaxNode[] { attribute.Name, attribute.ArgumentList!.Arguments[0].Expression, member.Type },
            (_, rewritten) => rewritten.WithAdditionalAnnotations(Simplifier.Annotation));
        return member.WithLeadingTrivia(indentation).WithTrailingTrivia(SyntaxFactory.EndOfLine(newLine));
    }

    /// <summary>The whitespace that starts the member's first line.</summary>
    private static SyntaxTriviaList Indentation(SyntaxNode member)
    {
        var leading = member.GetLeadingTrivia();
        int start = leading.Count;
        while (start > 0 && leading[start - 1].IsKind(SyntaxKind.WhitespaceTrivia))
            start--;
        return SyntaxFactory.TriviaList(leading.Skip(start));
    }

    private static string NewLine(SyntaxNode root)
    {
        var endOfLine = root.DescendantTrivia().FirstOrDefault(t => t.IsKind(SyntaxKind.EndOfLineTrivia));
        return endOfLine.IsKind(SyntaxKind.EndOfLineTrivia) ? endOfLine.ToString() : "\n";
    }

    // ---- Flip the mask ------------------------------------------------------------------------

    private static async Task<Document?> FlipMasksAsync(Document document, ImmutableArray<Diagnostic> diagnostics, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || model is null)
            return null;

        // Flagged coupling arguments, grouped by class.
        var byClass = new Dictionary<INamedTypeSymbol, Dictionary<string, AttributeArgumentSyntax>>(SymbolEqualityComparer.Default);
        foreach (var diagnostic in diagnostics)
        {
            var member = CouplingMember(root, diagnostic);
            var argument = root.FindNode(diagnostic.Location.SourceSpan).FirstAncestorOrSelf<AttributeArgumentSyntax>();
            if (member?.Parent is not TypeDeclarationSyntax declaration || argument is null)
                continue;
            if (model.GetDeclaredSymbol(declaration, cancellationToken) is not INamedTypeSymbol type)
                continue;
            if (!byClass.TryGetValue(type, out var flagged))
                byClass[type] = flagged = new Dictionary<string, AttributeArgumentSyntax>();
            flagged[MemberName(member)] = argument;
        }

        var replacements = new Dictionary<SyntaxNode, SyntaxNode>();
        foreach (var entry in byClass)
        {
            var flow = entry.Key.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == FlowParser.FlowAttribute);
            if (flow is null)
                continue;
            var spec = FlowParser.Parse(entry.Key, flow, cancellationToken);
            foreach (var flip in Flips(spec, entry.Value.Keys))
            {
                var expression = entry.Value[flip.Member].Expression;
                replacements[expression] = FlippedExpression(expression, flip);
            }
        }
        if (replacements.Count == 0)
            return null;
        return document.WithSyntaxRoot(root.ReplaceNodes(replacements.Keys, (original, _) => replacements[original]));
    }

    /// <summary>A flipped coupling: its new named mask, or its new pattern.</summary>
    internal readonly record struct Flip(string Member, int Mask, string? Pattern);

    /// <summary>
    /// Walks the layers in order with the flips made so far, and flips each flagged coupling that (still)
    /// keeps the same features as the coupling before it.
    /// </summary>
    internal static List<Flip> Flips(FlowSpec spec, IEnumerable<string> flagged)
    {
        var targets = new HashSet<string>(flagged);
        var flips = new List<Flip>();
        int features = spec.Features;
        int[]? previousKept = null;
        int couplings = 0;
        foreach (var original in spec.Layers)
        {
            var layer = original;
            switch (layer.Kind)
            {
                case LayerKind.Permute:
                case LayerKind.InvertibleLinear:
                    previousKept = null;
                    break;
                case LayerKind.AffineCoupling:
                case LayerKind.AdditiveCoupling:
                case LayerKind.SplineCoupling:
                {
                    var kept = Kept(layer, features, couplings);
                    if (kept is not null && previousKept is not null && kept.SequenceEqual(previousKept) && targets.Contains(layer.Member))
                    {
                        layer = layer.Pattern is not null
                            ? layer with { Pattern = PatternRepair.Invert(layer.Pattern) }
                            : layer with { Mask = FlippedMask(layer.Mask, couplings) };
                        flips.Add(new Flip(layer.Member, layer.Mask, layer.Pattern));
                        kept = Kept(layer, features, couplings);
                    }
                    if (kept is not null)
                        previousKept = kept;
                    couplings++;
                    break;
                }
            }
        }
        return flips;
    }

    /// <summary>The kept features, or null when the mask is invalid (GD0003/GD0006: the validator skips it too).</summary>
    private static int[]? Kept(LayerSpec layer, int features, int couplingNumber)
    {
        if (features < 2 || (layer.Pattern is not null && !PatternRepair.IsWellFormed(layer.Pattern, features)))
            return null;
        var kept = FlowMath.Kept(layer, features, couplingNumber);
        return kept.Length > 0 && kept.Length < features ? kept : null;
    }

    /// <summary>The named mask that keeps exactly the features <paramref name="mask"/> transforms.</summary>
    private static int FlippedMask(int mask, int couplingNumber) => mask switch
    {
        FlowMath.MaskFirstHalf => FlowMath.MaskSecondHalf,
        FlowMath.MaskSecondHalf => FlowMath.MaskFirstHalf,
        FlowMath.MaskEven => FlowMath.MaskOdd,
        FlowMath.MaskOdd => FlowMath.MaskEven,
        // Alternating keeps the first half on even coupling numbers, the second half on odd ones.
        _ => couplingNumber % 2 == 0 ? FlowMath.MaskSecondHalf : FlowMath.MaskFirstHalf,
    };

    private static string MaskName(int mask) => mask switch
    {
        FlowMath.MaskAlternating => "Alternating",
        FlowMath.MaskFirstHalf => "FirstHalf",
        FlowMath.MaskSecondHalf => "SecondHalf",
        FlowMath.MaskEven => "Even",
        _ => "Odd",
    };

    private static ExpressionSyntax FlippedExpression(ExpressionSyntax expression, Flip flip)
    {
        if (flip.Pattern is not null)
            return SyntaxFactory.LiteralExpression(SyntaxKind.StringLiteralExpression, SyntaxFactory.Literal(flip.Pattern)).WithTriviaFrom(expression);
        string name = MaskName(flip.Mask);
        // Keep the user's spelling (Mask.X, GenDsl.Mask.X, an alias…): only the member name changes.
        if (expression is MemberAccessExpressionSyntax access)
            return access.WithName(SyntaxFactory.IdentifierName(name).WithTriviaFrom(access.Name));
        return SyntaxFactory.ParseExpression("global::GenDsl.Mask." + name)
            .WithAdditionalAnnotations(Simplifier.Annotation)
            .WithTriviaFrom(expression);
    }

    // ---- Shared -------------------------------------------------------------------------------

    /// <summary>The coupling member (property or field) a GD0007 diagnostic sits in.</summary>
    private static MemberDeclarationSyntax? CouplingMember(SyntaxNode root, Diagnostic diagnostic) =>
        root.FindNode(diagnostic.Location.SourceSpan).FirstAncestorOrSelf<MemberDeclarationSyntax>(m => m is PropertyDeclarationSyntax or FieldDeclarationSyntax);

    private static string MemberName(MemberDeclarationSyntax member) => member switch
    {
        PropertyDeclarationSyntax property => property.Identifier.ValueText,
        FieldDeclarationSyntax field => field.Declaration.Variables.FirstOrDefault()?.Identifier.ValueText ?? "",
        _ => "",
    };
}
