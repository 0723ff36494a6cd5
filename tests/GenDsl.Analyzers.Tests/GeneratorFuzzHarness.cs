using System.Collections.Immutable;
using System.Diagnostics;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Xunit.Abstractions;

namespace GenDsl.Analyzers.Tests;

/// <summary>
/// Runs the GenDsl generator and analyzer in-process on one source text, as an IDE does on every
/// keystroke, and checks the outcome: no exception escapes (a thrown exception, a generator result
/// with an exception, the compiler's "generator failed" warnings CS8784/CS8785, an AD0001 analyzer
/// exception), the case takes at most <see cref="DefaultMaxCaseTime"/> (unless told otherwise; the best of three runs when the
/// first is slower), and when the analyzer reports no GD
/// error the generated files compile (errors the half-typed user code causes in the user's file are
/// not counted). Failures are collected (the first of each kind with its source) and reported at once.
/// </summary>
/// <remarks>
/// Set <c>GENDSL_FUZZ_ASSEMBLIES</c> to a folder holding another build's GenDsl.Generators.dll and
/// GenDsl.Analyzers.dll (e.g. an older commit's) to run the same cases against those: they are loaded
/// into their own load context, beside this build's.
/// </remarks>
internal sealed class GeneratorFuzzHarness(ITestOutputHelper output, TimeSpan? maxCaseTime = null)
{
    /// <summary>By default, the longest the generator and the analyzer (which makes the compiler build the generated code) may take on one case (the harness's own compile check of the generated files is timed apart).</summary>
    /// <remarks>2 s: the largest declarations the limits allow (a Glow whose four convolutional couplings get
    /// HiddenLayers = 256, about 1,000 conv layers to emit and compile) took 1.2 s, three times in a row, on the 2-core
    /// box with a training run beside it; a hang or a blow-up in the size of the input still takes far longer.</remarks>
    public static readonly TimeSpan DefaultMaxCaseTime = TimeSpan.FromSeconds(2);

    private readonly TimeSpan _maxCaseTime = maxCaseTime ?? DefaultMaxCaseTime;

    /// <summary>A case that has not finished by then is abandoned (cancelled) and recorded as a failure.</summary>
    private static readonly TimeSpan Abandon = TimeSpan.FromSeconds(20);

    private static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Preview);

    private static readonly CSharpCompilationOptions CompilationOptions = new(
        OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable, allowUnsafe: true);

    private static readonly (Func<IIncrementalGenerator> Generator, Func<DiagnosticAnalyzer> Analyzer, string Origin) Target = LoadTarget();

    /// <summary><c>GENDSL_FUZZ_TRACE</c>: a file each case's label is appended to before it runs (to find a case that crashes the process).</summary>
    private static readonly string? Trace = Environment.GetEnvironmentVariable("GENDSL_FUZZ_TRACE");

    /// <summary><c>GENDSL_FUZZ_ONLY</c>: run only the cases whose label contains this text (to reproduce one).</summary>
    private static readonly string? Only = Environment.GetEnvironmentVariable("GENDSL_FUZZ_ONLY");

    private readonly Dictionary<string, (int Count, string Example)> _failures = [];
    private readonly Stopwatch _total = new();

    public int Cases { get; private set; }

    /// <summary>Cases whose declaration had no GD error, so that the generated code was compiled and checked.</summary>
    public int Generated { get; private set; }

    /// <summary>The longest generator + analyzer time of one case, and that case.</summary>
    public TimeSpan MaxTime { get; private set; }

    public string MaxTimeCase { get; private set; } = "";

    /// <summary>The longest compile check of a case's generated files (the harness's work, not the IDE's).</summary>
    public TimeSpan MaxCompileTime { get; private set; }

    public int FailureCount => _failures.Values.Sum(f => f.Count);

    private static (Func<IIncrementalGenerator>, Func<DiagnosticAnalyzer>, string) LoadTarget()
    {
        string? folder = Environment.GetEnvironmentVariable("GENDSL_FUZZ_ASSEMBLIES");
        if (string.IsNullOrEmpty(folder))
            return (() => new GenDsl.Generators.GenDslGenerator(), () => new GenDslAnalyzer(), "this build");
        var context = new AssemblyLoadContext("GenDslFuzzTarget");
        Assembly generators = context.LoadFromAssemblyPath(Path.GetFullPath(Path.Combine(folder, "GenDsl.Generators.dll")));
        Assembly analyzers = context.LoadFromAssemblyPath(Path.GetFullPath(Path.Combine(folder, "GenDsl.Analyzers.dll")));
        Type generator = generators.GetType("GenDsl.Generators.GenDslGenerator", throwOnError: true)!;
        Type analyzer = analyzers.GetType("GenDsl.Analyzers.GenDslAnalyzer", throwOnError: true)!;
        return (() => (IIncrementalGenerator)Activator.CreateInstance(generator)!, () => (DiagnosticAnalyzer)Activator.CreateInstance(analyzer)!, folder);
    }

    /// <summary>Runs one case; <paramref name="label"/> says which mutation of which seed it is.</summary>
    public void Check(string source, string label)
    {
        if (Only is not null && !label.Contains(Only, StringComparison.Ordinal))
            return;
        Warm();
        Cases++;
        if (Trace is not null)
            File.AppendAllText(Trace, label + "\n"); // the last line names the case that took the process down
        using var cancel = new CancellationTokenSource();
        _total.Start();
        var run = Task.Run(() => RunOnce(source, cancel.Token));
        bool finished = run.Wait(Abandon) || run.IsCompleted;
        _total.Stop();
        if (!finished)
        {
            cancel.Cancel();
            Record("did not finish within " + Abandon.TotalSeconds + " s", source, label);
            return;
        }
        if (run.IsFaulted)
        {
            var e = run.Exception!.GetBaseException();
            Record("threw " + e.GetType().Name + ": " + FirstLine(e.Message) + " " + FirstFrame(e), source, label);
            return;
        }
        var outcome = run.Result;
        if (outcome.RunTime > _maxCaseTime)
        {
            // Timed once, a case can be slow because of the machine (the other test classes run beside this one
            // on 2 cores, a GC, a late JIT): it counts as slow only if it is slow twice more. A case that is slow
            // because of its declaration (HiddenLayers = 100000 took minutes before the limits) is slow every time.
            for (int again = 0; again < 2 && outcome.RunTime > _maxCaseTime; again++)
            {
                var retry = Task.Run(() => RunOnce(source, CancellationToken.None));
                if (!retry.Wait(Abandon) || retry.IsFaulted)
                    break;
                if (retry.Result.RunTime < outcome.RunTime)
                    outcome = retry.Result;
            }
        }
        if (outcome.RunTime > MaxTime)
        {
            MaxTime = outcome.RunTime;
            MaxTimeCase = label;
        }
        if (Trace is not null)
            File.AppendAllText(Trace, $"  {outcome.RunTime.TotalMilliseconds:F0} ms (generator {outcome.GeneratorTime.TotalMilliseconds:F0} ms) + compile check {outcome.CompileTime.TotalMilliseconds:F0} ms\n");
        if (outcome.CompileTime > MaxCompileTime)
            MaxCompileTime = outcome.CompileTime;
        if (outcome.RunTime > _maxCaseTime)
            Record($"generator + analyzer took {outcome.RunTime.TotalMilliseconds:F0} ms (more than {_maxCaseTime.TotalMilliseconds:F0} ms)", source, label);
        if (outcome.GeneratorProblem is not null)
            Record("generator: " + outcome.GeneratorProblem, source, label);
        if (outcome.AnalyzerProblem is not null)
            Record("analyzer: " + outcome.AnalyzerProblem, source, label);
        if (outcome.GeneratedErrors is not null)
            Record("generated code does not compile: " + outcome.GeneratedErrors, source, label);
        if (outcome.CheckedGenerated)
            Generated++;
    }

    /// <summary>
    /// The first runs of the process JIT the generator's, the analyzer's and the compiler's paths: every seed
    /// is run once (not as a case) before the first case, so that no case is timed with the JIT's work.
    /// </summary>
    private static void Warm()
    {
        if (s_warm)
            return;
        lock (WarmLock)
        {
            if (s_warm)
                return;
            foreach (var seed in GeneratorFuzzCorpus.Seeds)
                RunOnce(seed.Source, CancellationToken.None);
            s_warm = true;
        }
    }

    private static readonly object WarmLock = new();
    private static volatile bool s_warm;

    private sealed record Outcome(string? GeneratorProblem, string? AnalyzerProblem, string? GeneratedErrors, bool CheckedGenerated, TimeSpan RunTime, TimeSpan CompileTime, TimeSpan GeneratorTime);

    private static Outcome RunOnce(string source, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var tree = CSharpSyntaxTree.ParseText(source, ParseOptions, path: "Model.cs", cancellationToken: cancellationToken);
        var compilation = CSharpCompilation.Create("Fuzz", [tree], TestSetup.References, CompilationOptions);

        GeneratorDriver driver = CSharpGeneratorDriver.Create(
            [Target.Generator().AsSourceGenerator()],
            parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: false));
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out var withGenerated, out var generatorDiagnostics, cancellationToken);
        var result = driver.GetRunResult().Results.Single();
        string? generatorProblem = result.Exception is not null
            ? result.Exception.GetType().Name + ": " + FirstLine(result.Exception.Message) + " " + FirstFrame(result.Exception)
            : generatorDiagnostics.FirstOrDefault(d => d.Id is "CS8784" or "CS8785")?.GetMessage();

        var generatorTime = watch.Elapsed;
        var exceptions = new List<Exception>();
        var options = new CompilationWithAnalyzersOptions(
            new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty),
            onAnalyzerException: (e, _, _) => { lock (exceptions) exceptions.Add(e); },
            concurrentAnalysis: false,
            logAnalyzerExecutionTime: false);
        var analysis = withGenerated.WithAnalyzers([Target.Analyzer()], options);
        var diagnostics = analysis.GetAnalyzerDiagnosticsAsync(cancellationToken).GetAwaiter().GetResult();
        string? analyzerProblem = exceptions.Count > 0
            ? exceptions[0].GetType().Name + ": " + FirstLine(exceptions[0].Message) + " " + FirstFrame(exceptions[0])
            : diagnostics.FirstOrDefault(d => d.Id == "AD0001")?.GetMessage();

        var runTime = watch.Elapsed;
        watch.Restart();

        bool gdError = diagnostics.Any(d => d.Id.StartsWith("GD", StringComparison.Ordinal) && d.Severity == DiagnosticSeverity.Error);
        string? generatedErrors = null;
        if (!gdError)
        {
            var errors = withGenerated.SyntaxTrees
                .Where(t => t != tree)
                .SelectMany(t => withGenerated.GetSemanticModel(t).GetDiagnostics(cancellationToken: cancellationToken))
                .Where(d => d.Severity == DiagnosticSeverity.Error)
                .ToList();
            if (errors.Count > 0)
                generatedErrors = string.Join("; ", errors.Take(3).Select(e => e.ToString()));
        }
        return new Outcome(generatorProblem, analyzerProblem, generatedErrors, !gdError && withGenerated.SyntaxTrees.Count() > 1, runTime, watch.Elapsed, generatorTime);
    }

    private static string FirstLine(string text)
    {
        int end = text.IndexOf('\n');
        return end < 0 ? text : text[..end].TrimEnd();
    }

    /// <summary>The innermost GenDsl frame of the stack (where the fix goes), else the first one.</summary>
    private static string FirstFrame(Exception e)
    {
        var lines = (e.StackTrace ?? "").Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        return "[" + (lines.FirstOrDefault(l => l.Contains("GenDsl.", StringComparison.Ordinal)) ?? lines.FirstOrDefault() ?? "") + "]";
    }

    private void Record(string what, string source, string label)
    {
        // Failures of one kind at one place count once, with the first source as the example.
        string key = what.Length > 300 ? what[..300] : what;
        key = System.Text.RegularExpressions.Regex.Replace(key, @"\d+", "#");
        if (_failures.TryGetValue(key, out var known))
            _failures[key] = (known.Count + 1, known.Example);
        else
            _failures[key] = (1, $"{label}: {what}\n----- source -----\n{source}\n------------------");
    }

    /// <summary>Writes the counts and times, and fails with every kind of failure found.</summary>
    public void Report(string name)
    {
        output.WriteLine($"{name} ({Target.Origin}): {Cases} cases ({Generated} with generated code compiled) in {_total.Elapsed.TotalSeconds:F1} s; " +
            $"slowest generator + analyzer {MaxTime.TotalMilliseconds:F0} ms ({MaxTimeCase}); slowest compile check {MaxCompileTime.TotalMilliseconds:F0} ms; {FailureCount} failures of {_failures.Count} kinds");
        foreach (var (kind, (count, example)) in _failures)
            output.WriteLine($"[{count}×] {example}\n");
        Assert.True(_failures.Count == 0,
            $"{FailureCount} of {Cases} cases failed ({_failures.Count} kinds):\n\n" + string.Join("\n\n", _failures.Values.Select(f => $"[{f.Count}×] {f.Example}")));
    }
}
