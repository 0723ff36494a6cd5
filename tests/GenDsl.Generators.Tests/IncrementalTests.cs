using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace GenDsl.Generators.Tests;

/// <summary>An edit that does not touch a model must not re-run any step of the pipeline.</summary>
public class IncrementalTests
{
    private const string Model = """
        using GenDsl;
        namespace Demo;

        [Flow(Features = 2)]
        public sealed partial class Moons
        {
            [AffineCoupling(Mask.Alternating)] public partial Coupling C1 { get; }
            [AffineCoupling(Mask.Alternating)] public partial Coupling C2 { get; }
        }

        [Vae(Features = 4, Latent = 2)]
        public sealed partial class Small
        {
            [Encoder, Dense(8)] public partial Dense E1 { get; }
            [Decoder, Dense(8)] public partial Dense D1 { get; }
        }
        """;

    [Fact]
    public void UnrelatedEditLeavesEveryTrackedStepCachedOrUnchanged()
    {
        var compilation = GeneratorHarness.Compilation(Model, "namespace Demo; public class Other { public int A; }");
        var driver = GeneratorHarness.Driver().RunGenerators(compilation);

        var edited = compilation.ReplaceSyntaxTree(
            compilation.SyntaxTrees.Last(),
            CSharpSyntaxTree.ParseText("namespace Demo; public class Other { public int A; public int B; }",
                (CSharpParseOptions)compilation.SyntaxTrees.First().Options, path: "Model1.cs"));
        driver = driver.RunGenerators(edited);

        var result = driver.GetRunResult().Results.Single();
        foreach (var name in new[] { TrackingNames.FlowSpecs, TrackingNames.ValidFlows, TrackingNames.FlowPlans, TrackingNames.NetSpecs, TrackingNames.ValidNets, TrackingNames.NetPlans })
        {
            Assert.True(result.TrackedSteps.TryGetValue(name, out var steps), $"step {name} was not tracked");
            foreach (var step in steps)
                foreach (var (_, reason) in step.Outputs)
                    Assert.True(reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged,
                        $"step {name} re-ran with reason {reason} after an unrelated edit");
        }
    }

    [Fact]
    public void EditingTheModelChangesTheOutput()
    {
        var compilation = GeneratorHarness.Compilation(Model);
        var driver = GeneratorHarness.Driver().RunGenerators(compilation);
        var edited = compilation.ReplaceSyntaxTree(compilation.SyntaxTrees.First(),
            CSharpSyntaxTree.ParseText(Model.Replace("[AffineCoupling(Mask.Alternating)] public partial Coupling C2", "[AffineCoupling(Mask.Alternating, Hidden = 32)] public partial Coupling C2"),
                (CSharpParseOptions)compilation.SyntaxTrees.First().Options, path: "Model0.cs"));
        driver = driver.RunGenerators(edited);
        var steps = driver.GetRunResult().Results.Single().TrackedSteps[TrackingNames.FlowPlans];
        Assert.Contains(steps.SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
    }

    [Fact]
    public void InvalidModelsAreSkipped()
    {
        var compilation = GeneratorHarness.Compilation("""
            using GenDsl;
            [Flow(Features = 2)]
            public sealed partial class Broken
            {
                [Permute(0, 0)] public partial Permutation P1 { get; }
            }
            """);
        var driver = GeneratorHarness.Driver().RunGenerators(compilation);
        // No model code: only a stub completing the partial layer property (so that builds show the GD errors).
        var stub = Assert.Single(driver.GetRunResult().GeneratedTrees).ToString();
        Assert.DoesNotContain("IFlowModel", stub);
        Assert.Contains("public partial global::GenDsl.Permutation P1 { get => throw new global::System.InvalidOperationException(", stub);
    }

    [Fact]
    public void InvalidVaesAndGansGetOnlyStubs()
    {
        var compilation = GeneratorHarness.Compilation("""
            using GenDsl;
            namespace Demo;
            [Vae(Features = 4, Latent = 0)]
            public sealed partial class BrokenVae
            {
                [Encoder, Dense(8)] public partial Dense E1 { get; }
                [Decoder, Dense(8)] public partial Dense? D1 { get; }
                [Decoder, Dense(8)] public Dense? D2;
            }
            [Gan(Features = 2, Noise = 4, Loss = GanLoss.Wasserstein)]
            internal sealed partial class BrokenGan
            {
                [Generator, Dense(8)] internal partial Dense G1 { get; }
                [Discriminator, Dense(8)] public partial Dense D1 { get; set; }
            }
            [Gan(Features = 2, Noise = 4)]
            public sealed class NotPartial
            {
                [Generator, Dense(8)] public Dense? G1 { get; }
            }
            """);
        var driver = GeneratorHarness.Driver().RunGenerators(compilation);
        var generated = driver.GetRunResult().GeneratedTrees.ToDictionary(t => Path.GetFileName(t.FilePath), t => t.ToString());

        // No model code, and nothing for a class no declaration can be added to: only the stubs.
        Assert.Equal(new[] { "Demo.BrokenGan.g.cs", "Demo.BrokenVae.g.cs" }, generated.Keys.Order());
        Assert.All(generated.Values, source => Assert.DoesNotContain("TrainStep", source));
        const string Throw = " => throw new global::System.InvalidOperationException(";
        var vae = generated["Demo.BrokenVae.g.cs"];
        Assert.Contains("namespace Demo;", vae);
        Assert.Contains("public partial global::GenDsl.Dense E1 { get" + Throw, vae);
        Assert.Contains("public partial global::GenDsl.Dense? D1 { get" + Throw, vae);
        Assert.DoesNotContain("D2", vae); // a field needs no implementation part
        var gan = generated["Demo.BrokenGan.g.cs"];
        Assert.Contains("internal partial global::GenDsl.Dense G1 { get" + Throw, gan);
        Assert.Contains("public partial global::GenDsl.Dense D1 { get" + Throw, gan);
        Assert.Contains(" set" + Throw, gan);

        // The stubs compile: the only errors left are the ones the analyzers report (none from C#).
        var output = compilation.AddSyntaxTrees(driver.GetRunResult().GeneratedTrees);
        var errors = output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToArray();
        Assert.True(errors.Length == 0, string.Join("\n", errors.Select(e => e.ToString())));
    }

    [Fact]
    public void UnrelatedEditLeavesTheStubStepsCached()
    {
        const string broken = """
            using GenDsl;
            [Flow(Features = 2)]
            public sealed partial class BrokenFlow
            {
                [Permute(0, 0)] public partial Permutation P1 { get; }
            }
            [Gan(Features = 2, Noise = 0)]
            public sealed partial class BrokenGan
            {
                [Generator, Dense(8)] public partial Dense G1 { get; }
            }
            """;
        var compilation = GeneratorHarness.Compilation(broken, "public class Other { public int A; }");
        var driver = GeneratorHarness.Driver().RunGenerators(compilation);
        Assert.Equal(2, driver.GetRunResult().GeneratedTrees.Length);

        var edited = compilation.ReplaceSyntaxTree(
            compilation.SyntaxTrees.Last(),
            CSharpSyntaxTree.ParseText("public class Other { public int A; public int B; }",
                (CSharpParseOptions)compilation.SyntaxTrees.First().Options, path: "Model1.cs"));
        driver = driver.RunGenerators(edited);

        var result = driver.GetRunResult().Results.Single();
        foreach (var name in new[] { TrackingNames.FlowStubs, TrackingNames.NetStubs })
        {
            Assert.True(result.TrackedSteps.TryGetValue(name, out var steps), $"step {name} was not tracked");
            Assert.NotEmpty(steps.SelectMany(s => s.Outputs));
            foreach (var step in steps)
                foreach (var (_, reason) in step.Outputs)
                    Assert.True(reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged,
                        $"step {name} re-ran with reason {reason} after an unrelated edit");
        }
    }
}
