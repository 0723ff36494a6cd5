using System.Collections.Immutable;
using GenDsl.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;

namespace GenDsl.Analyzers.Tests;

/// <summary>
/// Test setup shared by the analyzer and code-fix tests: C# preview (partial properties), the running
/// .NET's own assemblies as references (no reference-assembly download) plus the GenDsl runtime, and
/// no compiler diagnostics (without the generator, every layer property lacks its implementation part).
/// </summary>
internal static class TestSetup
{
    /// <summary>No package to resolve: the references are <see cref="References"/>.</summary>
    public static readonly ReferenceAssemblies ReferenceAssemblies = new("net10.0");

    /// <summary>The framework assemblies of the running runtime, the GenDsl runtime and its dependencies.</summary>
    public static readonly ImmutableArray<MetadataReference> References = LoadReferences();

    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        string frameworkDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Where(p => Path.GetDirectoryName(p) == frameworkDirectory)
            .Append(typeof(FlowAttribute).Assembly.Location)
            .Append(typeof(CommunityToolkit.HighPerformance.Span2D<>).Assembly.Location)
            .Append(typeof(System.Numerics.Tensors.TensorPrimitives).Assembly.Location)
            .DistinctBy(Path.GetFileName);
        return paths.Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToImmutableArray();
    }

    public static void Configure(SolutionState state)
    {
        state.AdditionalReferences.AddRange(References);
    }

    /// <summary>A file of the repository (found above the test assembly: the folder of GenDsl.sln).</summary>
    public static string RepositoryFile(params string[] parts)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "GenDsl.sln")))
                return Path.Combine([dir.FullName, .. parts]);
        }
        throw new InvalidOperationException("GenDsl.sln not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>Runs <see cref="GenDslAnalyzer"/> on sources with <c>{|GD0004:…|}</c> markup.</summary>
internal sealed class AnalyzerTest : CSharpAnalyzerTest<GenDslAnalyzer, DefaultVerifier>
{
    public AnalyzerTest(params string[] sources)
    {
        foreach (var source in sources)
            TestState.Sources.Add(source);
        ReferenceAssemblies = TestSetup.ReferenceAssemblies;
        TestSetup.Configure(TestState);
        CompilerDiagnostics = CompilerDiagnostics.None;
    }

    protected override ParseOptions CreateParseOptions() =>
        ((CSharpParseOptions)base.CreateParseOptions()).WithLanguageVersion(LanguageVersion.Preview);

    public static Task VerifyAsync(params string[] sources) => new AnalyzerTest(sources).RunAsync();
}

/// <summary>Runs <see cref="GenDslAnalyzer"/> and a code fix: the fix, one at a time and Fix All.</summary>
internal sealed class CodeFixTest<TCodeFix> : CSharpCodeFixTest<GenDslAnalyzer, TCodeFix, DefaultVerifier>
    where TCodeFix : CodeFixProvider, new()
{
    public CodeFixTest(string source, string fixedSource, string? equivalenceKey = null)
    {
        TestCode = source;
        FixedCode = fixedSource;
        CodeActionEquivalenceKey = equivalenceKey;
        // Markup in the fixed code lists the diagnostics that remain (also for IDs the fix handles elsewhere).
        FixedState.MarkupHandling = MarkupMode.Allow;
        ReferenceAssemblies = TestSetup.ReferenceAssemblies;
        TestSetup.Configure(TestState);
        CompilerDiagnostics = CompilerDiagnostics.None;
    }

    protected override ParseOptions CreateParseOptions() =>
        ((CSharpParseOptions)base.CreateParseOptions()).WithLanguageVersion(LanguageVersion.Preview);

    public static Task VerifyAsync(string source, string fixedSource, string? equivalenceKey = null) =>
        new CodeFixTest<TCodeFix>(source, fixedSource, equivalenceKey).RunAsync();
}

/// <summary>
/// The analyzer with the real source generator in the same compilation, and compiler errors checked:
/// a valid model's generated code compiles; a broken model gets only stubs, so the only errors left
/// are the GD diagnostics (as in a command-line build, which runs no analyzer after a declaration error).
/// </summary>
internal sealed class GeneratorAndAnalyzerTest : CSharpAnalyzerTest<GenDslAnalyzer, DefaultVerifier>
{
    public GeneratorAndAnalyzerTest(params string[] sources)
    {
        foreach (var source in sources)
            TestState.Sources.Add(source);
        ReferenceAssemblies = TestSetup.ReferenceAssemblies;
        TestSetup.Configure(TestState);
        CompilerDiagnostics = CompilerDiagnostics.Errors;
        TestBehaviors |= TestBehaviors.SkipGeneratedSourcesCheck;
    }

    protected override IEnumerable<Type> GetSourceGenerators() => [typeof(GenDsl.Generators.GenDslGenerator)];

    protected override ParseOptions CreateParseOptions() =>
        ((CSharpParseOptions)base.CreateParseOptions()).WithLanguageVersion(LanguageVersion.Preview);

    protected override CompilationOptions CreateCompilationOptions() =>
        ((CSharpCompilationOptions)base.CreateCompilationOptions()).WithAllowUnsafe(true).WithNullableContextOptions(NullableContextOptions.Enable);

    public static Task VerifyAsync(params string[] sources) => new GeneratorAndAnalyzerTest(sources).RunAsync();
}
