using System.Collections.Generic;
using System.Linq;
using System.Threading;
using GenDsl.Generators.Helpers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace GenDsl.Generators.Common;

/// <summary>
/// The declarations a stub needs to add a part to a model type: one header per type from the outermost containing
/// type to the model itself ("partial class Outer", "partial class F&lt;T&gt;"), so that a model declared inside another
/// type, or generic, still gets the stubs that complete its partial layer properties (and the build shows GD0001
/// alone instead of one CS9248 per property). Empty when some type in the chain is not partial: no part can be added.
/// </summary>
internal static class StubShell
{
    /// <summary>The headers, outermost first, or an empty array when a type in the chain is not partial.</summary>
    public static EquatableArray<string> Of(INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        var chain = new List<INamedTypeSymbol>();
        for (var t = type; t is not null; t = t.ContainingType)
            chain.Add(t);
        chain.Reverse();
        var headers = new List<string>();
        foreach (var t in chain)
        {
            if (!IsPartial(t, cancellationToken))
                return Enumerable.Empty<string>().ToEquatableArray();
            headers.Add($"partial {Keyword(t)} {t.Name}{TypeParameters(t)}");
        }
        return headers.ToEquatableArray();
    }

    /// <summary>
    /// A hint name for the stub file, unique where the model's namespace-qualified name is not: the containing types'
    /// names and, for generic types, their arity ("Ns.Outer.F_1.stub").
    /// </summary>
    public static string Hint(INamedTypeSymbol type)
    {
        var names = new List<string>();
        for (var t = type; t is not null; t = t.ContainingType)
            names.Add(t.Arity == 0 ? t.Name : $"{t.Name}_{t.Arity}");
        names.Reverse();
        string ns = type.ContainingNamespace.IsGlobalNamespace ? "" : type.ContainingNamespace.ToDisplayString() + ".";
        bool plain = type.ContainingType is null && type.Arity == 0;
        return ns + string.Join(".", names) + (plain ? "" : ".stub");
    }

    private static bool IsPartial(INamedTypeSymbol type, CancellationToken cancellationToken) =>
        type.DeclaringSyntaxReferences.Any(r =>
            r.GetSyntax(cancellationToken) is TypeDeclarationSyntax t && t.Modifiers.Any(m => m.Text == "partial"));

    private static string Keyword(INamedTypeSymbol type) =>
        type.IsRecord ? (type.TypeKind == TypeKind.Struct ? "record struct" : "record")
        : type.TypeKind switch { TypeKind.Struct => "struct", TypeKind.Interface => "interface", _ => "class" };

    private static string TypeParameters(INamedTypeSymbol type) =>
        type.TypeParameters.Length == 0 ? "" : "<" + string.Join(", ", type.TypeParameters.Select(p => p.Name)) + ">";
}
