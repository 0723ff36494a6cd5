namespace GenDsl.Analyzers.Tests;

/// <summary>
/// With the generator in the compilation: a valid model compiles with no error, and a broken one has no
/// compiler error at all, only GD diagnostics (the generator completes its partial layer properties
/// with throwing stubs instead of generating it). This is what lets `dotnet build` show the GD errors.
/// </summary>
public class GeneratorStubTests
{
    [Fact]
    public Task ValidModelCompilesWithTheGeneratedCode() => GeneratorAndAnalyzerTest.VerifyAsync("""
        using GenDsl;
        namespace Demo;
        [Flow(Features = 4, Condition = 1)]
        public sealed partial class F
        {
            [ActNorm] public partial ActNorm N { get; }
            [AffineCoupling(Mask.Even, Hidden = 8)] public partial Coupling C1 { get; }
            [Permute(Permutation.Reverse)] public partial Permutation P1 { get; }
            [AdditiveCoupling("1100", Hidden = 8)] internal partial Coupling C2 { get; }
            [InvertibleLinear(Seed = 1)] public partial InvertibleLinear L { get; }
            [AffineCoupling(Mask.Alternating, Hidden = 8)] public partial Coupling C3 { get; }
        }
        public static class Use
        {
            public static int Run() => new F(new ModelOptions { MaxBatch = 4 }).ParameterCount;
        }
        """);

    [Fact]
    public Task BrokenModelsHaveOnlyGenDslErrors() => GeneratorAndAnalyzerTest.VerifyAsync("""
        using GenDsl;
        namespace Demo;
        [Flow(Features = 3)]
        public sealed partial class F
        {
            [AffineCoupling(Mask.FirstHalf)] public partial Coupling C1 { get; }
            [AffineCoupling({|GD0007:Mask.FirstHalf|})] public partial {|GD0012:Coupling?|} C2 { get; }
            [Permute({|GD0004:0, 0, 1|})] public partial Permutation P1 { get; }
            [AffineCoupling({|GD0003:"111"|})] internal partial Coupling C3 { get; }
            [AffineCoupling({|GD0006:"10"|}, {|GD0005:Hidden = 0|})] public partial Coupling C4 { get; }
            [ActNorm] public partial {|GD0012:Coupling|} N { get; }
            [ActNorm] public partial ActNorm {|GD0011:M|} { get; private set; }
            [{|GD0002:Dense(4)|}] public partial Coupling D { get; }
        }

        [{|GD0008:Flow(Features = 2)|}]
        public sealed class {|GD0001:NotPartial|}
        {
        }
        """);

    /// <summary>
    /// Models declared inside another type, or generic, are GD0001 errors; their partial layer properties still get stubs
    /// (under the same containing declarations), so GD0001 is the only error, not one CS9248 per property. Two nested
    /// models of the same name in different containers and a generic one beside a plain one get distinct stub files.
    /// </summary>
    [Fact]
    public Task NestedAndGenericModelsHaveOnlyGD0001() => GeneratorAndAnalyzerTest.VerifyAsync("""
        using GenDsl;
        namespace Demo;
        public static partial class Outer
        {
            [Flow(Features = 2)]
            public sealed partial class {|GD0001:F|}
            {
                [AffineCoupling(Mask.FirstHalf)] public partial Coupling C1 { get; }
            }

            public partial record struct Inner
            {
                [Vae(Features = 4, Latent = 2)]
                public sealed partial class {|GD0001:V|}
                {
                    [Encoder, Dense(8)] public partial Dense E1 { get; }
                    [Decoder, Dense(8)] public partial Dense D1 { get; }
                }
            }
        }

        public partial class Other
        {
            [Flow(Features = 2)]
            public sealed partial class {|GD0001:F|}
            {
                [AffineCoupling(Mask.SecondHalf)] public partial Coupling C1 { get; }
            }
        }

        [Flow(Features = 2)]
        public sealed partial class {|GD0001:G|}<T>
        {
            [AffineCoupling(Mask.FirstHalf)] public partial Coupling C1 { get; }
        }
        """);

    [Fact]
    public Task BrokenModelInTheGlobalNamespaceWithTwoDeclarations() => GeneratorAndAnalyzerTest.VerifyAsync("""
        using GenDsl;
        [Flow(Features = 2)]
        public sealed partial class G
        {
            [AffineCoupling(Mask.FirstHalf)] public partial Coupling C1 { get; }
        }
        """, """
        using GenDsl;
        public sealed partial class G
        {
            [{|GD0010:AffineCoupling(Mask.SecondHalf)|}] public partial Coupling C2 { get; }
        }
        """);

    [Fact]
    public Task ValidVaeAndGanCompileWithTheGeneratedCode() => GeneratorAndAnalyzerTest.VerifyAsync("""
        using GenDsl;
        namespace Demo;
        [Vae(Features = 6, Latent = 2, Likelihood = Likelihood.GaussianFixed, Sigma = 0.5f, Condition = 2)]
        public sealed partial class V
        {
            [Encoder, Dense(8)] public partial Dense E1 { get; }
            [Decoder, Dense(8, Activation.Tanh)] internal partial Dense D1 { get; }
        }
        [Gan(Features = 2, Noise = 4, Loss = GanLoss.Hinge, Output = Activation.Tanh)]
        public sealed partial class G
        {
            [Generator, Dense(8)] public partial Dense G1 { get; }
            [Discriminator, Dense(8, Activation.LeakyRelu)] public partial Dense D1 { get; }
        }
        public static class Use
        {
            public static int Run() =>
                new V(new ModelOptions { MaxBatch = 4 }).ParameterCount + new G(new ModelOptions { MaxBatch = 4 }).ParameterCount;
        }
        """);

    [Fact]
    public Task BrokenVaeAndGanHaveOnlyGenDslErrors() => GeneratorAndAnalyzerTest.VerifyAsync("""
        using GenDsl;
        namespace Demo;
        [Vae(Features = 4, {|GD0005:Latent = 0|}, Likelihood = Likelihood.GaussianFixed, {|GD0005:Sigma = 0|})]
        public sealed partial class V
        {
            [Encoder, Dense({|GD0005:0|})] public partial Dense E1 { get; }
            [Encoder, Dense(8)] public partial Dense {|GD0011:E2|} { get; set; }
            [Encoder, Dense(8)] public partial {|GD0012:Dense?|} E3 { get; }
            [{|GD0009:Generator|}, Dense(8)] public partial Dense E4 { get; }
            [{|GD0009:AffineCoupling(Mask.Alternating)|}] public partial Coupling C1 { get; }
            [{|GD0013:Decoder|}] public partial Dense D1 { get; }
            [{|GD0013:Dense(8)|}] internal partial Dense D2 { get; }
            [Decoder, Dense(8)] public Dense? {|GD0011:D3|};
        }

        [Gan(Features = 2, Noise = 4, {|GD0014:Loss = GanLoss.Wasserstein|})]
        public sealed partial class G
        {
            [Generator, {|GD0013:Discriminator|}, Dense(8)] public partial Dense G1 { get; }
            [Discriminator, Dense(8, Activation.Tanh)] public partial {|GD0012:Coupling|} D1 { get; }
        }

        [Gan(Features = 2, Noise = 4)]
        public sealed class {|GD0001:NotPartial|}
        {
        }

        public static class Use
        {
            // A broken model keeps its layer properties (they throw), but gets no generated members.
            public static Dense Layer(V v) => v.E1;
        }
        """);

    [Fact]
    public Task BrokenGanInTheGlobalNamespaceWithTwoDeclarations() => GeneratorAndAnalyzerTest.VerifyAsync("""
        using GenDsl;
        [Gan(Features = 2, Noise = 4)]
        public sealed partial class H
        {
            [Generator, Dense(8)] public partial Dense G1 { get; }
        }
        """, """
        using GenDsl;
        public sealed partial class H
        {
            [Discriminator, {|GD0010:Dense(8)|}] public partial Dense D1 { get; }
        }
        """);
}
