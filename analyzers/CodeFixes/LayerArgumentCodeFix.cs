using System.Collections.Immutable;
using System.Composition;
using System.Globalization;
using System.Linq;
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
/// GD0016 (shapes that do not chain) when one change is unambiguous: the last [Conv]/[ConvTranspose] of a
/// decoder or generator, whose output the data's shape pins, gets the one Padding, OutputPadding or
/// channels value that makes it that shape. The analyzer found it with the op's own shape rule and sends
/// it in the diagnostic's properties (<see cref="GenDslDiagnostics.FixArgumentProperty"/> …); the fix
/// only edits the syntax: the named argument's value when it is written, else a new named argument after
/// the others, or the constructor argument's value.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(LayerArgumentCodeFix)), Shared]
public sealed class LayerArgumentCodeFix : CodeFixProvider
{
    public const string EquivalenceKey = "GenDsl.SetLayerArgument";

    public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(GenDslDiagnostics.ShapesDoNotChain.Id);

    // One GD0016 per model, each fix edits its own attribute: the batch fixer's merge is the sequential result.
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null)
            return;
        foreach (var diagnostic in context.Diagnostics)
        {
            if (!TryReadFix(diagnostic, out var fix))
                continue;
            var attribute = root.FindNode(diagnostic.Location.SourceSpan).FirstAncestorOrSelf<AttributeSyntax>();
            if (attribute is null || MemberName(attribute) != fix.Member)
                continue;
            if (!fix.IsNamed && ConstructorArgument(attribute, fix) is null)
                continue;
            string title = fix.IsNamed
                ? $"Set {fix.Argument} = {fix.Value} on '{fix.Member}'"
                : $"Set {fix.Argument} to {fix.Value} on '{fix.Member}'";
            context.RegisterCodeFix(
                CodeAction.Create(title, ct => SetAsync(context.Document, attribute, fix, ct), EquivalenceKey),
                diagnostic);
        }
    }

    /// <summary>The change the analyzer sent.</summary>
    private readonly record struct Fix(string Member, string Argument, int Value, int Position)
    {
        public bool IsNamed => Position < 0;
    }

    private static bool TryReadFix(Diagnostic diagnostic, out Fix fix)
    {
        fix = default;
        var p = diagnostic.Properties;
        if (!p.TryGetValue(GenDslDiagnostics.FixMemberProperty, out var member) || member is null
            || !p.TryGetValue(GenDslDiagnostics.FixArgumentProperty, out var argument) || string.IsNullOrEmpty(argument)
            || !p.TryGetValue(GenDslDiagnostics.FixValueProperty, out var valueText)
            || !int.TryParse(valueText, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) || value < 0
            || !p.TryGetValue(GenDslDiagnostics.FixPositionProperty, out var positionText)
            || !int.TryParse(positionText, NumberStyles.Integer, CultureInfo.InvariantCulture, out int position))
            return false;
        fix = new Fix(member, argument!, value, position);
        return true;
    }

    private static async Task<Document> SetAsync(Document document, AttributeSyntax attribute, Fix fix, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root is null)
            return document;
        var literal = SyntaxFactory.LiteralExpression(SyntaxKind.NumericLiteralExpression, SyntaxFactory.Literal(fix.Value));

        if (!fix.IsNamed)
        {
            var argument = ConstructorArgument(attribute, fix);
            return argument is null ? document : document.WithSyntaxRoot(root.ReplaceNode(argument.Expression, literal.WithTriviaFrom(argument.Expression)));
        }

        var named = attribute.ArgumentList?.Arguments.FirstOrDefault(a => a.NameEquals?.Name.Identifier.ValueText == fix.Argument);
        if (named is not null)
            return document.WithSyntaxRoot(root.ReplaceNode(named.Expression, literal.WithTriviaFrom(named.Expression)));
        return document.WithSyntaxRoot(root.ReplaceNode(attribute, WithNamedArgument(attribute, fix.Argument, literal)));
    }

    /// <summary>
    /// The attribute with <c>Name = value</c> added after its last argument, laid out like the arguments
    /// before it: the last separator's trivia (", " or ",⏎") and the last argument's indentation are
    /// reused, and what followed the last argument (a space, a comment before the ')') now follows the new one.
    /// </summary>
    private static AttributeSyntax WithNamedArgument(AttributeSyntax attribute, string name, ExpressionSyntax value)
    {
        var nameEquals = SyntaxFactory.NameEquals(
            SyntaxFactory.IdentifierName(name).WithTrailingTrivia(SyntaxFactory.Space),
            SyntaxFactory.Token(SyntaxKind.EqualsToken).WithTrailingTrivia(SyntaxFactory.Space));
        var added = SyntaxFactory.AttributeArgument(nameEquals, null, value);

        var list = attribute.ArgumentList ?? SyntaxFactory.AttributeArgumentList();
        var arguments = list.Arguments;
        if (arguments.Count == 0)
            return attribute.WithArgumentList(list.WithArguments(SyntaxFactory.SingletonSeparatedList(added)));

        var last = arguments[arguments.Count - 1];
        var separator = arguments.SeparatorCount > 0
            ? arguments.GetSeparator(arguments.SeparatorCount - 1)
            : SyntaxFactory.Token(SyntaxKind.CommaToken).WithTrailingTrivia(SyntaxFactory.Space);
        added = added.WithLeadingTrivia(arguments.Count > 1 ? last.GetLeadingTrivia() : SyntaxTriviaList.Empty)
            .WithTrailingTrivia(last.GetTrailingTrivia());

        var nodesAndTokens = arguments.GetWithSeparators()
            .Select(n => n.IsNode && n.AsNode() == last ? (SyntaxNodeOrToken)last.WithoutTrailingTrivia() : n)
            .ToList();
        nodesAndTokens.Add(separator.WithoutAnnotations());
        nodesAndTokens.Add(added);
        return attribute.WithArgumentList(list.WithArguments(SyntaxFactory.SeparatedList<AttributeArgumentSyntax>(nodesAndTokens)));
    }

    /// <summary>
    /// The argument of the constructor parameter: by name (<c>channels: 3</c>) or at its position among
    /// the constructor arguments; null when it is not written.
    /// </summary>
    private static AttributeArgumentSyntax? ConstructorArgument(AttributeSyntax attribute, Fix fix)
    {
        var arguments = attribute.ArgumentList?.Arguments;
        if (arguments is null)
            return null;
        int position = 0;
        foreach (var argument in arguments)
        {
            if (argument.NameEquals is not null)
                continue;
            if (argument.NameColon is not null ? argument.NameColon.Name.Identifier.ValueText == fix.Argument : position == fix.Position)
                return argument;
            position++;
        }
        return null;
    }

    /// <summary>The name of the property or field the attribute is on.</summary>
    private static string? MemberName(AttributeSyntax attribute) => attribute.FirstAncestorOrSelf<MemberDeclarationSyntax>() switch
    {
        PropertyDeclarationSyntax property => property.Identifier.ValueText,
        FieldDeclarationSyntax field => field.Declaration.Variables.FirstOrDefault()?.Identifier.ValueText,
        _ => null,
    };
}
