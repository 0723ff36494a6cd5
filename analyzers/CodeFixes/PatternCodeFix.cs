using System.Collections.Immutable;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using GenDsl.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace GenDsl.CodeFixes;

/// <summary>
/// GD0003/GD0006: replaces a coupling's pattern by the corrected one the analyzer found unambiguous
/// (it travels in the diagnostic's <see cref="GenDslDiagnostics.PatternProperty"/>).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(PatternCodeFix)), Shared]
public sealed class PatternCodeFix : CodeFixProvider
{
    public const string EquivalenceKey = "GenDsl.CorrectPattern";

    public override ImmutableArray<string> FixableDiagnosticIds =>
        ImmutableArray.Create(GenDslDiagnostics.EmptyCouplingSide.Id, GenDslDiagnostics.MalformedPattern.Id);

    // Each fix replaces one literal, and the analyzer computed every correction with the earlier ones
    // applied: the batch fixer's merge is the sequential result.
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null)
            return;
        foreach (var diagnostic in context.Diagnostics)
        {
            if (!diagnostic.Properties.TryGetValue(GenDslDiagnostics.PatternProperty, out var pattern) || pattern is null)
                continue;
            var argument = root.FindNode(diagnostic.Location.SourceSpan).FirstAncestorOrSelf<AttributeArgumentSyntax>();
            if (argument is null)
                continue;
            context.RegisterCodeFix(
                CodeAction.Create($"Use the pattern \"{pattern}\"",
                    ct => ReplaceAsync(context.Document, argument, pattern, ct), EquivalenceKey),
                diagnostic);
        }
    }

    private static async Task<Document> ReplaceAsync(Document document, AttributeArgumentSyntax argument, string pattern, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var literal = SyntaxFactory.LiteralExpression(SyntaxKind.StringLiteralExpression, SyntaxFactory.Literal(pattern))
            .WithTriviaFrom(argument.Expression);
        return document.WithSyntaxRoot(root!.ReplaceNode(argument.Expression, literal));
    }
}
