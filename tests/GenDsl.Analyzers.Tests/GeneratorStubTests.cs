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
}
