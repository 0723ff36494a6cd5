using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;

namespace GenDsl.Analyzers.Tests;

/// <summary>
/// Every rule fires on the syntax that is wrong (the markup span is the exact expected location), and
/// nothing fires on valid models. CompilerDiagnostics are off: the partial layer properties have no
/// implementation part without the generator.
/// </summary>
public class AnalyzerTests
{
    private static Task Verify(params string[] sources) => AnalyzerTest.VerifyAsync(sources);

    // ---- Valid models: no diagnostic -------------------------------------------------------------

    [Fact]
    public Task ReadyMadeModelsHaveNoDiagnostic() => Verify("""
        using GenDsl;
        [Flow(Features = 2)]
        public sealed partial class MoonsFlow
        {
            [AffineCoupling(Mask.Alternating, Hidden = 64, HiddenLayers = 2)] public partial Coupling C1 { get; }
            [AffineCoupling(Mask.Alternating, Hidden = 64, HiddenLayers = 2)] public partial Coupling C2 { get; }
            [AffineCoupling(Mask.Alternating, Hidden = 64, HiddenLayers = 2)] public partial Coupling C3 { get; }
        }
        [Flow(Features = 2, Condition = 2)]
        public sealed partial class ConditionalMoonsFlow
        {
            [AffineCoupling(Mask.Alternating)] public partial Coupling C1 { get; }
            [AffineCoupling(Mask.Alternating)] public partial Coupling C2 { get; }
        }
        [Flow(Features = 64)]
        public sealed partial class DigitsFlow
        {
            [ActNorm] public partial ActNorm N0 { get; }
            [AffineCoupling(Mask.Even, Hidden = 256, HiddenLayers = 2)] public partial Coupling C1 { get; }
            [AffineCoupling(Mask.Odd, Hidden = 256, HiddenLayers = 2)] public partial Coupling C2 { get; }
            [InvertibleLinear(Seed = 1)] public partial InvertibleLinear L1 { get; }
            [AffineCoupling(Mask.FirstHalf, Hidden = 256, HiddenLayers = 2)] public partial Coupling C3 { get; }
            [AffineCoupling(Mask.SecondHalf, Hidden = 256, HiddenLayers = 2)] public partial Coupling C4 { get; }
        }
        """);

    [Fact]
    public Task EveryLayerKindAndFormHasNoDiagnostic() => Verify("""
        using GenDsl;
        namespace Models;
        [Flow(Features = 4)]
        internal partial class Everything
        {
            [AdditiveCoupling("1100", Hidden = 8, HiddenLayers = 0, Activation = Activation.Tanh)] public partial Coupling A1 { get; }
            [Permute(Permutation.Reverse)] public partial Permutation P1 { get; }
            [AffineCoupling("1100")] internal partial Coupling A2 { get; }
            [Permute(Permutation.Random, Seed = 7)] public partial Permutation P2 { get; }
            [AffineCoupling(GenDsl.Mask.FirstHalf)] public partial GenDsl.Coupling A3 { get; }
            [Permute(3, 1, 0, 2)] public partial Permutation P3 { get; }
            [AffineCoupling(Mask.FirstHalf)] public partial Coupling A4 { get; }
            [ActNorm] public partial ActNorm N { get; }
            [AffineCoupling(Mask.SecondHalf)] public partial Coupling A5 { get; }

            // Other members are not layers.
            public int NotALayer { get; set; }
            private readonly float[] _buffer = new float[4];
        }
        """);

    [Fact]
    public Task ClassWithoutFlowAttributeIsNotChecked() => Verify("""
        using GenDsl;
        public class NotAModel
        {
            [AffineCoupling("1111")] public Coupling? C1 { get; }
            [Permute(0, 0)] public Permutation? P1 { get; }
        }
        """);

    [Fact]
    public Task GeneratedCodeIsNotAnalyzed()
    {
        var test = new AnalyzerTest();
        test.TestState.Sources.Add(("Model.g.cs", """
            using GenDsl;
            [Flow(Features = 3)]
            public sealed class Generated
            {
                [Permute(0, 0, 1)] public Permutation? P1 { get; }
            }
            """));
        return test.RunAsync();
    }

    [Fact]
    public Task SecondPartialDeclarationWithoutLayersIsFine() => Verify("""
        using GenDsl;
        [Flow(Features = 2)]
        public sealed partial class F
        {
            [AffineCoupling(Mask.FirstHalf)] public partial Coupling C1 { get; }
            [AffineCoupling(Mask.SecondHalf)] public partial Coupling C2 { get; }
        }
        public sealed partial class F
        {
            public int Helper() => 1;
        }
        """);

    // ---- GD0001 -------------------------------------------------------------------------------

    [Theory]
    [InlineData("public sealed class {|GD0001:F|}")]
    [InlineData("public static partial class {|GD0001:F|}")]
    [InlineData("public abstract partial class {|GD0001:F|}")]
    [InlineData("public partial class {|GD0001:F|}<T>")]
    public Task GD0001_ModelClassShape(string declaration) => Verify($$"""
        using GenDsl;
        [Flow(Features = 2)]
        {{declaration}}
        {
            [AffineCoupling(Mask.Alternating)] public partial Coupling C1 { get; }
            [AffineCoupling(Mask.Alternating)] public partial Coupling C2 { get; }
        }
        """);

    [Fact]
    public Task GD0001_NestedModel() => Verify("""
        using GenDsl;
        public partial class Outer
        {
            [Flow(Features = 2)]
            public partial class {|GD0001:F|}
            {
                [AffineCoupling(Mask.Alternating)] public partial Coupling C1 { get; }
                [AffineCoupling(Mask.Alternating)] public partial Coupling C2 { get; }
            }
        }
        """);

    [Fact]
    public Task GD0001_MessageSaysWhy()
    {
        var test = new AnalyzerTest("""
            using GenDsl;
            [Flow(Features = 2)]
            public class {|#0:F|}
            {
                [AffineCoupling(Mask.Alternating)] public partial Coupling C1 { get; }
                [AffineCoupling(Mask.Alternating)] public partial Coupling C2 { get; }
            }
            """);
        test.ExpectedDiagnostics.Add(new DiagnosticResult("GD0001", DiagnosticSeverity.Error).WithLocation(0)
            .WithArguments("Model class 'F' is not partial: a model must be a non-static, non-abstract, non-generic, top-level 'partial' class"));
        return test.RunAsync();
    }

    // ---- GD0002 -------------------------------------------------------------------------------

    [Fact]
    public Task GD0002_DenseInAFlow() => Verify("""
        using GenDsl;
        [Flow(Features = 2)]
        public sealed partial class F
        {
            [AffineCoupling(Mask.Alternating)] public partial Coupling C1 { get; }
            [{|GD0002:Dense(16)|}] public partial Coupling D1 { get; }
            [AffineCoupling(Mask.Alternating)] public partial Coupling C2 { get; }
        }
        """);

    // ---- GD0003 -------------------------------------------------------------------------------

    [Theory]
    [InlineData("""[AffineCoupling({|GD0003:"1111"|})]""")]
    [InlineData("""[AdditiveCoupling({|GD0003:"0000"|}, Hidden = 4)]""")]
    [InlineData("""[AffineCoupling({|GD0003:pattern: "1111"|})]""")]
    public Task GD0003_PatternLeavesASideEmpty(string attribute) => Verify($$"""
        using GenDsl;
        [Flow(Features = 4)]
        public sealed partial class F
        {
            [AffineCoupling(Mask.FirstHalf)] public partial Coupling C1 { get; }
            {{attribute}} public partial Coupling C2 { get; }
        }
        """);

    [Fact]
    public Task GD0003_OneFeatureCannotBeSplit() => Verify("""
        using GenDsl;
        [Flow(Features = 1)]
        public sealed partial class F
        {
            [{|GD0003:AffineCoupling(Mask.Alternating)|}] public partial Coupling C1 { get; }
        }
        """);

    // ---- GD0004 -------------------------------------------------------------------------------

    [Theory]
    [InlineData("{|GD0004:0, 0, 1|}")]      // duplicate
    [InlineData("{|GD0004:0, 1, 3|}")]      // out of range
    [InlineData("{|GD0004:0, -1, 2|}")]     // negative
    [InlineData("{|GD0004:0, 1|}")]         // too few
    [InlineData("{|GD0004:2, 1, 0, 3|}")]   // too many
    [InlineData("{|GD0004:new[] { 1, 1, 0 }|}")]
    public Task GD0004_NotAPermutation(string order) => Verify($$"""
        using GenDsl;
        [Flow(Features = 3)]
        public sealed partial class F
        {
            [AffineCoupling(Mask.FirstHalf)] public partial Coupling C1 { get; }
            [Permute({{order}})] public partial Permutation P1 { get; }
            [AffineCoupling(Mask.FirstHalf)] public partial Coupling C2 { get; }
        }
        """);

    [Fact]
    public Task GD0004_EmptyOrderPointsAtTheAttribute() => Verify("""
        using GenDsl;
        [Flow(Features = 3)]
        public sealed partial class F
        {
            [AffineCoupling(Mask.FirstHalf)] public partial Coupling C1 { get; }
            [{|GD0004:Permute()|}] public partial Permutation P1 { get; }
            [AffineCoupling(Mask.FirstHalf)] public partial Coupling C2 { get; }
        }
        """);

    [Fact]
    public Task GD0004_MessageNamesTheProblem()
    {
        var test = new AnalyzerTest("""
            using GenDsl;
            [Flow(Features = 3)]
            public sealed partial class F
            {
                [AffineCoupling(Mask.FirstHalf)] public partial Coupling C1 { get; }
                [Permute({|#0:0, 0, 1|})] public partial Permutation P1 { get; }
                [AffineCoupling(Mask.FirstHalf)] public partial Coupling C2 { get; }
            }
            """);
        test.ExpectedDiagnostics.Add(new DiagnosticResult("GD0004", DiagnosticSeverity.Error).WithLocation(0)
            .WithArguments("Permutation 'P1' contains 0 twice: list each of 0…2 exactly once"));
        return test.RunAsync();
    }

    // ---- GD0005 -------------------------------------------------------------------------------

    [Theory]
    [InlineData("[Flow({|GD0005:Features = 0|})]")]
    [InlineData("[Flow({|GD0005:Features = -3|}, Condition = 1)]")]
    [InlineData("[{|GD0005:Flow|}]")]
    [InlineData("[{|GD0005:Flow()|}]")]
    public Task GD0005_FeaturesNotPositive(string flow) => Verify($$"""
        using GenDsl;
        {{flow}}
        public sealed partial class F
        {
            [AffineCoupling(Mask.Alternating)] public partial Coupling C1 { get; }
            [AffineCoupling(Mask.Alternating)] public partial Coupling C2 { get; }
        }
        """);

    [Fact]
    public Task GD0005_NegativeConditionAndHiddenSizes() => Verify("""
        using GenDsl;
        [Flow(Features = 2, {|GD0005:Condition = -1|})]
        public sealed partial class F
        {
            [AffineCoupling(Mask.Alternating, {|GD0005:Hidden = 0|})] public partial Coupling C1 { get; }
            [AdditiveCoupling(Mask.Alternating, Hidden = 8, {|GD0005:HiddenLayers = -1|})] public partial Coupling C2 { get; }
            [AffineCoupling(Mask.Alternating, HiddenLayers = 0)] public partial Coupling C3 { get; }
        }
        """);

    // ---- [SplineCoupling] ----------------------------------------------------------------------

    [Fact]
    public Task SplineCouplingsHaveNoDiagnostic() => Verify("""
        using GenDsl;
        [Flow(Features = 2)]
        public sealed partial class MoonsSplineFlow
        {
            [SplineCoupling(Mask.Alternating, Bins = 8, TailBound = 3, Hidden = 64, HiddenLayers = 2)] public partial Coupling C1 { get; }
            [SplineCoupling(Mask.Alternating)] public partial Coupling C2 { get; }
            [SplineCoupling(Mask.Alternating, Bins = 2, TailBound = 0.25f, Activation = Activation.Tanh)] public partial Coupling C3 { get; }
            [SplineCoupling(Mask.Alternating, Bins = 256, TailBound = 1e6f)] public partial Coupling C4 { get; }
        }
        """);

    [Theory]
    [InlineData("{|GD0005:Bins = 1|}")]
    [InlineData("{|GD0005:Bins = 0|}")]
    [InlineData("{|GD0005:Bins = -3|}")]
    [InlineData("{|GD0015:Bins = 257|}")]
    [InlineData("{|GD0015:Bins = int.MaxValue|}")]
    [InlineData("{|GD0005:TailBound = 0|}")]
    [InlineData("{|GD0005:TailBound = -1|}")]
    [InlineData("{|GD0005:TailBound = float.NaN|}")]
    [InlineData("{|GD0015:TailBound = float.PositiveInfinity|}")]
    [InlineData("{|GD0015:TailBound = 2e6f|}")]
    [InlineData("{|GD0005:Hidden = 0|}")]
    public Task SplineCouplingArgumentsOutOfRange(string argument) => Verify($$"""
        using GenDsl;
        [Flow(Features = 2)]
        public sealed partial class F
        {
            [SplineCoupling(Mask.Alternating, {{argument}})] public partial Coupling C1 { get; }
            [SplineCoupling(Mask.Alternating)] public partial Coupling C2 { get; }
        }
        """);

    [Fact]
    public Task SplineCouplingMasksAndTypesAreCheckedLikeOtherCouplings() => Verify("""
        using GenDsl;
        [Flow(Features = 4)]
        public sealed partial class F
        {
            [SplineCoupling(Mask.FirstHalf)] public partial Coupling C1 { get; }
            [SplineCoupling({|GD0007:Mask.FirstHalf|})] public partial Coupling C2 { get; }
            [SplineCoupling({|GD0003:"1111"|})] public partial Coupling C3 { get; }
            [SplineCoupling({|GD0006:"11"|})] public partial Coupling C4 { get; }
            [SplineCoupling(Mask.SecondHalf)] public partial {|GD0012:Permutation|} C5 { get; }
        }
        """);

    // ---- GD0006 -------------------------------------------------------------------------------

    [Theory]
    [InlineData("""{|GD0006:"110"|}""")]
    [InlineData("""{|GD0006:"11000"|}""")]
    [InlineData("""{|GD0006:"1x00"|}""")]
    [InlineData("""{|GD0006:"11 00"|}""")]
    [InlineData("""{|GD0006:""|}""")]
    public Task GD0006_MalformedPattern(string pattern) => Verify($$"""
        using GenDsl;
        [Flow(Features = 4)]
        public sealed partial class F
        {
            [AffineCoupling(Mask.SecondHalf)] public partial Coupling C1 { get; }
            [AffineCoupling({{pattern}})] public partial Coupling C2 { get; }
        }
        """);

    // ---- GD0007 -------------------------------------------------------------------------------

    [Theory]
    [InlineData("Mask.FirstHalf", "{|GD0007:Mask.FirstHalf|}")]
    [InlineData("Mask.Even", "{|GD0007:Mask.Even|}")]
    [InlineData("\"1010\"", "{|GD0007:Mask.Even|}")]          // a pattern and a mask that keep the same features
    [InlineData("Mask.SecondHalf", "{|GD0007:Mask.Alternating|}")] // coupling #1 alternates to the second half
    [InlineData("\"0110\"", "{|GD0007:\"0110\"|}")]
    public Task GD0007_SameFeaturesKeptTwice(string first, string second) => Verify($$"""
        using GenDsl;
        [Flow(Features = 4)]
        public sealed partial class F
        {
            [AffineCoupling({{first}})] public partial Coupling C1 { get; }
            [AdditiveCoupling({{second}})] public partial Coupling C2 { get; }
        }
        """);

    [Fact]
    public Task GD0007_ActNormDoesNotMixButPermutationsDo() => Verify("""
        using GenDsl;
        [Flow(Features = 4)]
        public sealed partial class F
        {
            [AffineCoupling(Mask.FirstHalf)] public partial Coupling C1 { get; }
            [ActNorm] public partial ActNorm N1 { get; }
            [AffineCoupling({|GD0007:Mask.FirstHalf|})] public partial Coupling C2 { get; }
            [Permute(Permutation.Reverse)] public partial Permutation P1 { get; }
            [AffineCoupling(Mask.FirstHalf)] public partial Coupling C3 { get; }
            [InvertibleLinear] public partial InvertibleLinear L1 { get; }
            [AffineCoupling(Mask.FirstHalf)] public partial Coupling C4 { get; }
            [AffineCoupling(Mask.SecondHalf)] public partial Coupling C5 { get; }
        }
        """);

    [Fact]
    public Task GD0007_IsAWarning()
    {
        var test = new AnalyzerTest("""
            using GenDsl;
            [Flow(Features = 2)]
            public sealed partial class F
            {
                [AffineCoupling(Mask.FirstHalf)] public partial Coupling C1 { get; }
                [AffineCoupling({|#0:Mask.FirstHalf|})] public partial Coupling C2 { get; }
            }
            """);
        test.ExpectedDiagnostics.Add(new DiagnosticResult("GD0007", DiagnosticSeverity.Warning).WithLocation(0)
            .WithArguments("Coupling 'C2' keeps the same features as the coupling before it, with no permutation or mixing layer in between: those features are never transformed. Insert [Permute(Permutation.Reverse)] or flip the mask"));
        return test.RunAsync();
    }

    // ---- GD0008 -------------------------------------------------------------------------------

    [Fact]
    public Task GD0008_NoCoupling() => Verify("""
        using GenDsl;
        [{|GD0008:Flow(Features = 3)|}]
        public sealed partial class F
        {
            [ActNorm] public partial ActNorm N1 { get; }
            [Permute(Permutation.Reverse)] public partial Permutation P1 { get; }
            [InvertibleLinear(Seed = 3)] public partial InvertibleLinear L1 { get; }
        }
        """);

    [Fact]
    public Task GD0008_NotForASingleFeature() => Verify("""
        using GenDsl;
        [Flow(Features = 1)]
        public sealed partial class F
        {
            [ActNorm] public partial ActNorm N1 { get; }
        }
        """);

    [Fact]
    public Task GD0008_NotForAMaskedAutoregressiveFlow() => Verify("""
        using GenDsl;
        [Flow(Features = 3)]
        public sealed partial class F
        {
            [MaskedAutoregressive(Hidden = 8)] public partial MaskedAutoregressive M1 { get; }
        }
        """);

    // ---- GD0018 and the other image-flow checks ------------------------------------------------

    [Fact]
    public Task ImageFlowWithSqueezesHasNoDiagnostic() => Verify("""
        using GenDsl;
        [Flow(Channels = 1, Height = 28, Width = 28)]
        public sealed partial class F
        {
            [Squeeze] public partial Squeeze S1 { get; }
            [ActNorm] public partial ActNorm N1 { get; }
            [InvertibleConv1x1(Seed = 3)] public partial InvertibleConv1x1 W1 { get; }
            [AffineCoupling(Mask.FirstHalf, Hidden = 8)] public partial Coupling C1 { get; }
            [Squeeze] public partial Squeeze S2 { get; }
            [InvertibleConv1x1] public partial InvertibleConv1x1 W2 { get; }
            [AffineCoupling(Mask.SecondHalf, Hidden = 8)] public partial Coupling C2 { get; }
            [Split] public partial Split X1 { get; }
            [AffineCoupling(Mask.ChannelsFirstHalf, Hidden = 8)] public partial Coupling C3 { get; }
        }
        """);

    /// <summary>
    /// Image layers are sized by the current channels, not D: a 3×32×32 Glow with six 1×1 convolutions is within GenDsl's
    /// parameter limit (no GD0015; sized as D×D matrices, the six alone would be 6·(6·3072² + 3072) > 2^28).
    /// </summary>
    [Fact]
    public Task ImageFlowParametersFollowTheChannels() => Verify("""
        using GenDsl;
        [Flow(Channels = 3, Height = 32, Width = 32)]
        public sealed partial class F
        {
            [Squeeze] public partial Squeeze S1 { get; }
            [ActNorm] public partial ActNorm N1 { get; }
            [InvertibleConv1x1(Seed = 1)] public partial InvertibleConv1x1 W1 { get; }
            [AffineCoupling(Mask.ChannelsFirstHalf, Hidden = 512)] public partial Coupling C1 { get; }
            [InvertibleConv1x1(Seed = 2)] public partial InvertibleConv1x1 W2 { get; }
            [AffineCoupling(Mask.ChannelsSecondHalf, Hidden = 512)] public partial Coupling C2 { get; }
            [InvertibleConv1x1(Seed = 3)] public partial InvertibleConv1x1 W3 { get; }
            [AffineCoupling(Mask.ChannelsFirstHalf, Hidden = 512)] public partial Coupling C3 { get; }
            [InvertibleConv1x1(Seed = 4)] public partial InvertibleConv1x1 W4 { get; }
            [InvertibleConv1x1(Seed = 5)] public partial InvertibleConv1x1 W5 { get; }
            [InvertibleConv1x1(Seed = 6)] public partial InvertibleConv1x1 W6 { get; }
            [AffineCoupling(Mask.ChannelsSecondHalf, Hidden = 512)] public partial Coupling C4 { get; }
        }
        """);

    [Fact]
    public Task GD0018_SqueezeOfAnOddSide() => Verify("""
        using GenDsl;
        [Flow(Channels = 1, Height = 28, Width = 28)]
        public sealed partial class F
        {
            [Squeeze] public partial Squeeze S1 { get; }
            [Squeeze] public partial Squeeze S2 { get; }
            [{|GD0018:Squeeze|}] public partial Squeeze S3 { get; }
            [AffineCoupling(Mask.FirstHalf, Hidden = 8)] public partial Coupling C1 { get; }
        }
        """);

    [Fact]
    public Task GD0018_SqueezeOfAnOddWidthNamesTheShape() => Verify("""
        using GenDsl;
        [Flow(Channels = 3, Height = 4, Width = 6)]
        public sealed partial class F
        {
            [Squeeze] public partial Squeeze S1 { get; }
            [{|GD0018:Squeeze|}] public partial Squeeze S2 { get; }
            [AffineCoupling(Mask.FirstHalf, Hidden = 8)] public partial Coupling C1 { get; }
        }
        """);

    [Fact]
    public Task GD0018_SqueezeInAVectorFlow() => Verify("""
        using GenDsl;
        [Flow(Features = 16)]
        public sealed partial class F
        {
            [{|GD0018:Squeeze|}] public partial Squeeze S1 { get; }
            [AffineCoupling(Mask.FirstHalf, Hidden = 8)] public partial Coupling C1 { get; }
            [{|GD0018:Squeeze|}] public partial {|GD0012:Coupling|} S2 { get; }
            [{|GD0018:InvertibleConv1x1(Seed = 2)|}] public partial InvertibleConv1x1 W1 { get; }
            [{|GD0018:InvertibleConv1x1|}] public partial {|GD0012:InvertibleLinear|} W2 { get; }
        }
        """);

    [Fact]
    public Task GD0018_ImageMasksThatDoNotFit() => Verify("""
        using GenDsl;
        [Flow(Features = 16)]
        public sealed partial class V
        {
            [AffineCoupling({|GD0018:Mask.ChannelsFirstHalf|})] public partial Coupling C1 { get; }
        }
        [Flow(Channels = 1, Height = 4, Width = 4)]
        public sealed partial class F
        {
            [AffineCoupling({|GD0018:Mask.ChannelsSecondHalf|})] public partial Coupling C1 { get; }
            [AdditiveCoupling(Mask.CheckerboardEven, Hidden = 4)] public partial Coupling C2 { get; }
            [SplineCoupling({|GD0018:Mask.CheckerboardOdd|})] public partial Coupling C3 { get; }
            [Squeeze] public partial Squeeze S1 { get; }
            [Squeeze] public partial Squeeze S2 { get; }
            [AffineCoupling({|GD0018:Mask.CheckerboardOdd|})] public partial Coupling C4 { get; }
            [AffineCoupling(Mask.ChannelsFirstHalf)] public partial Coupling C5 { get; }
        }
        """);

    [Fact]
    public Task GD0018_SplitsThatDoNotFit() => Verify("""
        using GenDsl;
        [Flow(Features = 16)]
        public sealed partial class V
        {
            [AffineCoupling(Mask.FirstHalf)] public partial Coupling C1 { get; }
            [{|GD0018:Split|}] public partial Split X1 { get; }
        }
        [Flow(Channels = 2, Height = 4, Width = 4)]
        public sealed partial class F
        {
            [AffineCoupling(Mask.ChannelsFirstHalf, Hidden = 4)] public partial Coupling C1 { get; }
            [Split] public partial Split X1 { get; }
            [{|GD0018:Split|}] public partial Split X2 { get; }
            [{|GD0018:AffineCoupling(Mask.FirstHalf)|}] public partial Coupling C2 { get; }
            [{|GD0018:Permute(Permutation.Reverse)|}] public partial Permutation P1 { get; }
            [Squeeze] public partial Squeeze S1 { get; }
            [AffineCoupling(Mask.CheckerboardEven, Hidden = 4)] public partial Coupling C3 { get; }
        }
        """);

    [Fact]
    public Task ImageFlowSizes() => Verify("""
        using GenDsl;
        [Flow(Channels = 2, {|GD0005:Height = 0|}, Width = 4)]
        public sealed partial class F
        {
            [AffineCoupling(Mask.FirstHalf, Hidden = 8)] public partial Coupling C1 { get; }
        }
        [Flow({|GD0005:Features = 10|}, Channels = 2, Height = 2, Width = 2)]
        public sealed partial class G
        {
            [AffineCoupling(Mask.FirstHalf, Hidden = 8)] public partial Coupling C1 { get; }
        }
        """);

    /// <summary>
    /// Squeezes and couplings with an image mask name their index formula (GenDsl.FlowIndex) instead of listing C·H·W
    /// indices in the generated code, so they do not count toward the 2^15 listing limit: a 3×64×64 Glow of 3 levels
    /// (15 such layers, 184,320 indices) has no GD0015; vector couplings in an image flow still count.
    /// </summary>
    [Fact]
    public Task ImageLayersDoNotCountTowardTheListingLimit() => Verify("""
        using GenDsl;
        [Flow(Channels = 3, Height = 64, Width = 64)]
        public sealed partial class Glow64
        {
            [AffineCoupling(Mask.CheckerboardEven, Hidden = 16)] public partial Coupling B1 { get; }
            [AffineCoupling(Mask.CheckerboardOdd, Hidden = 16)] public partial Coupling B2 { get; }
            [Squeeze] public partial Squeeze S1 { get; }
            [ActNorm] public partial ActNorm N1 { get; }
            [InvertibleConv1x1(Seed = 1)] public partial InvertibleConv1x1 W1 { get; }
            [AffineCoupling(Mask.ChannelsFirstHalf, Hidden = 16)] public partial Coupling C1 { get; }
            [ActNorm] public partial ActNorm N2 { get; }
            [InvertibleConv1x1(Seed = 2)] public partial InvertibleConv1x1 W2 { get; }
            [AffineCoupling(Mask.ChannelsSecondHalf, Hidden = 16)] public partial Coupling C2 { get; }
            [ActNorm] public partial ActNorm N3 { get; }
            [InvertibleConv1x1(Seed = 3)] public partial InvertibleConv1x1 W3 { get; }
            [AffineCoupling(Mask.ChannelsFirstHalf, Hidden = 16)] public partial Coupling C3 { get; }
            [ActNorm] public partial ActNorm N4 { get; }
            [InvertibleConv1x1(Seed = 4)] public partial InvertibleConv1x1 W4 { get; }
            [AffineCoupling(Mask.ChannelsSecondHalf, Hidden = 16)] public partial Coupling C4 { get; }
            [Split] public partial Split X1 { get; }
            [Squeeze] public partial Squeeze S2 { get; }
            [ActNorm] public partial ActNorm N5 { get; }
            [InvertibleConv1x1(Seed = 5)] public partial InvertibleConv1x1 W5 { get; }
            [AffineCoupling(Mask.ChannelsFirstHalf, Hidden = 16)] public partial Coupling C5 { get; }
            [ActNorm] public partial ActNorm N6 { get; }
            [InvertibleConv1x1(Seed = 6)] public partial InvertibleConv1x1 W6 { get; }
            [AffineCoupling(Mask.ChannelsSecondHalf, Hidden = 16)] public partial Coupling C6 { get; }
            [ActNorm] public partial ActNorm N7 { get; }
            [InvertibleConv1x1(Seed = 7)] public partial InvertibleConv1x1 W7 { get; }
            [AffineCoupling(Mask.ChannelsFirstHalf, Hidden = 16)] public partial Coupling C7 { get; }
            [ActNorm] public partial ActNorm N8 { get; }
            [InvertibleConv1x1(Seed = 8)] public partial InvertibleConv1x1 W8 { get; }
            [AffineCoupling(Mask.ChannelsSecondHalf, Hidden = 16)] public partial Coupling C8 { get; }
            [Split] public partial Split X2 { get; }
            [Squeeze] public partial Squeeze S3 { get; }
            [ActNorm] public partial ActNorm N9 { get; }
            [InvertibleConv1x1(Seed = 9)] public partial InvertibleConv1x1 W9 { get; }
            [AffineCoupling(Mask.ChannelsFirstHalf, Hidden = 16)] public partial Coupling C9 { get; }
            [ActNorm] public partial ActNorm N10 { get; }
            [InvertibleConv1x1(Seed = 10)] public partial InvertibleConv1x1 W10 { get; }
            [AffineCoupling(Mask.ChannelsSecondHalf, Hidden = 16)] public partial Coupling C10 { get; }
            [ActNorm] public partial ActNorm N11 { get; }
            [InvertibleConv1x1(Seed = 11)] public partial InvertibleConv1x1 W11 { get; }
            [AffineCoupling(Mask.ChannelsFirstHalf, Hidden = 16)] public partial Coupling C11 { get; }
            [ActNorm] public partial ActNorm N12 { get; }
            [InvertibleConv1x1(Seed = 12)] public partial InvertibleConv1x1 W12 { get; }
            [AffineCoupling(Mask.ChannelsSecondHalf, Hidden = 16)] public partial Coupling C12 { get; }
        }
        [Flow({|GD0015:Channels = 3|}, Height = 64, Width = 64)]
        public sealed partial class VectorCouplings
        {
            [AffineCoupling(Mask.FirstHalf, Hidden = 4)] public partial Coupling C1 { get; }
            [AffineCoupling(Mask.SecondHalf, Hidden = 4)] public partial Coupling C2 { get; }
            [AffineCoupling(Mask.FirstHalf, Hidden = 4)] public partial Coupling C3 { get; }
        }
        """);

    /// <summary>The generator still computes the image layers' tables while planning: 2^20 pixels × 17 such layers is GD0015 at Channels.</summary>
    [Fact]
    public Task ImageLayersThatWouldTakeTheGeneratorLongAreGD0015() => Verify("""
        using GenDsl;
        [Flow({|GD0015:Channels = 1|}, Height = 1024, Width = 1024)]
        public sealed partial class Huge
        {
            [AdditiveCoupling(Mask.CheckerboardEven, Hidden = 1, HiddenLayers = 0)] public partial Coupling C1 { get; }
            [AdditiveCoupling(Mask.CheckerboardOdd, Hidden = 1, HiddenLayers = 0)] public partial Coupling C2 { get; }
            [AdditiveCoupling(Mask.CheckerboardEven, Hidden = 1, HiddenLayers = 0)] public partial Coupling C3 { get; }
            [AdditiveCoupling(Mask.CheckerboardOdd, Hidden = 1, HiddenLayers = 0)] public partial Coupling C4 { get; }
            [AdditiveCoupling(Mask.CheckerboardEven, Hidden = 1, HiddenLayers = 0)] public partial Coupling C5 { get; }
            [AdditiveCoupling(Mask.CheckerboardOdd, Hidden = 1, HiddenLayers = 0)] public partial Coupling C6 { get; }
            [AdditiveCoupling(Mask.CheckerboardEven, Hidden = 1, HiddenLayers = 0)] public partial Coupling C7 { get; }
            [AdditiveCoupling(Mask.CheckerboardOdd, Hidden = 1, HiddenLayers = 0)] public partial Coupling C8 { get; }
            [AdditiveCoupling(Mask.CheckerboardEven, Hidden = 1, HiddenLayers = 0)] public partial Coupling C9 { get; }
            [AdditiveCoupling(Mask.CheckerboardOdd, Hidden = 1, HiddenLayers = 0)] public partial Coupling C10 { get; }
            [AdditiveCoupling(Mask.CheckerboardEven, Hidden = 1, HiddenLayers = 0)] public partial Coupling C11 { get; }
            [AdditiveCoupling(Mask.CheckerboardOdd, Hidden = 1, HiddenLayers = 0)] public partial Coupling C12 { get; }
            [AdditiveCoupling(Mask.CheckerboardEven, Hidden = 1, HiddenLayers = 0)] public partial Coupling C13 { get; }
            [AdditiveCoupling(Mask.CheckerboardOdd, Hidden = 1, HiddenLayers = 0)] public partial Coupling C14 { get; }
            [AdditiveCoupling(Mask.CheckerboardEven, Hidden = 1, HiddenLayers = 0)] public partial Coupling C15 { get; }
            [AdditiveCoupling(Mask.CheckerboardOdd, Hidden = 1, HiddenLayers = 0)] public partial Coupling C16 { get; }
            [AdditiveCoupling(Mask.CheckerboardEven, Hidden = 1, HiddenLayers = 0)] public partial Coupling C17 { get; }
        }
        """);

    [Fact]
    public Task ImageConditionSizes() => Verify("""
        using GenDsl;
        [Flow(Channels = 1, Height = 4, Width = 4, ConditionChannels = 1, {|GD0005:ConditionHeight = 0|}, ConditionWidth = 2)]
        public sealed partial class F
        {
            [AffineCoupling(Mask.CheckerboardEven, Hidden = 4)] public partial Coupling C1 { get; }
        }
        [Flow(Channels = 1, Height = 4, Width = 4, {|GD0005:Condition = 10|}, ConditionChannels = 2, ConditionHeight = 3, ConditionWidth = 3)]
        public sealed partial class G
        {
            [AffineCoupling(Mask.CheckerboardEven, Hidden = 4)] public partial Coupling C1 { get; }
        }
        [Flow(Features = 4, {|GD0005:ConditionChannels = 1|}, ConditionHeight = 2, ConditionWidth = 2)]
        public sealed partial class VectorFlow
        {
            [AffineCoupling(Mask.FirstHalf, Hidden = 4)] public partial Coupling C1 { get; }
        }
        [Flow(Channels = 1, Height = 4, Width = 4, Condition = 18, ConditionChannels = 2, ConditionHeight = 3, ConditionWidth = 3)]
        public sealed partial class Fine
        {
            [AffineCoupling(Mask.CheckerboardEven, Hidden = 4)] public partial Coupling C1 { get; }
        }
        """);

    // ---- GD0017 and the other [MaskedAutoregressive] checks -----------------------------------

    [Fact]
    public Task GD0017_MadeNarrowerThanFeaturesMinusOne() => Verify("""
        using GenDsl;
        [Flow(Features = 6)]
        public sealed partial class F
        {
            [MaskedAutoregressive({|GD0017:Hidden = 4|})] public partial MaskedAutoregressive M1 { get; }
            [Permute(Permutation.Reverse)] public partial Permutation P1 { get; }
            [MaskedAutoregressive(Hidden = 5, Inverse = true)] public partial MaskedAutoregressive M2 { get; }
        }
        """);

    [Fact]
    public Task MaskedAutoregressiveSizesAndMemberType() => Verify("""
        using GenDsl;
        [Flow(Features = 4, Condition = 2)]
        public sealed partial class F
        {
            [MaskedAutoregressive({|GD0005:HiddenLayers = 0|})] public partial MaskedAutoregressive M1 { get; }
            [MaskedAutoregressive({|GD0005:Hidden = 0|})] public partial MaskedAutoregressive M2 { get; }
            [MaskedAutoregressive] public partial {|GD0012:Coupling|} M3 { get; }
        }
        """);

    [Fact]
    public Task MaskedAutoregressiveSplineValues() => Verify("""
        using GenDsl;
        [Flow(Features = 3)]
        public sealed partial class F
        {
            [MaskedAutoregressive(Transform = AutoregressiveTransform.Spline, {|GD0005:Bins = 1|})] public partial MaskedAutoregressive M1 { get; }
            [MaskedAutoregressive(Transform = AutoregressiveTransform.Spline, {|GD0005:TailBound = 0|}, Inverse = true)] public partial MaskedAutoregressive M2 { get; }
            [MaskedAutoregressive({|GD0005:Transform = (AutoregressiveTransform)7|})] public partial MaskedAutoregressive M4 { get; }
            [MaskedAutoregressive(Bins = 1, TailBound = 0)] public partial MaskedAutoregressive M5 { get; } // affine: Bins and TailBound unused
        }
        """);

    [Fact]
    public Task MaskedAutoregressiveSplineLimits() => Verify("""
        using GenDsl;
        [Flow(Features = 3)]
        public sealed partial class F
        {
            [MaskedAutoregressive(Transform = AutoregressiveTransform.Spline, {|GD0015:Bins = 300|})] public partial MaskedAutoregressive M1 { get; }
            [MaskedAutoregressive(Transform = AutoregressiveTransform.Spline, {|GD0015:TailBound = 1e7f|}, Inverse = true)] public partial MaskedAutoregressive M2 { get; }
        }
        """);

    [Fact]
    public Task FlowInitializationValues() => Verify("""
        using GenDsl;
        [Flow(Features = 2, {|GD0005:Initialization = (FlowInitialization)5|})]
        public sealed partial class F
        {
            [AffineCoupling(Mask.Alternating)] public partial Coupling C1 { get; }
        }
        [Flow(Features = 2, Initialization = FlowInitialization.Identity)]
        public sealed partial class G
        {
            [AffineCoupling(Mask.Alternating)] public partial Coupling C1 { get; }
        }
        [Flow(Features = 2, Initialization = FlowInitialization.Linear)]
        public sealed partial class H
        {
            [AffineCoupling(Mask.Alternating)] public partial Coupling C1 { get; }
        }
        """);

    // ---- GD0009 -------------------------------------------------------------------------------

    [Fact]
    public Task GD0009_RolesOfOtherModelKinds() => Verify("""
        using GenDsl;
        [Flow(Features = 2)]
        public sealed partial class F
        {
            [{|GD0009:Encoder|}, AffineCoupling(Mask.Alternating)] public partial Coupling C1 { get; }
            [AffineCoupling(Mask.Alternating)] public partial Coupling C2 { get; }
            [{|GD0009:Generator|}] public int NotALayer { get; set; }
        }
        """);

    // ---- GD0010 -------------------------------------------------------------------------------

    [Fact]
    public Task GD0010_LayersInTwoDeclarations() => Verify("""
        using GenDsl;
        [Flow(Features = 2)]
        public sealed partial class F
        {
            [AffineCoupling(Mask.FirstHalf)] public partial Coupling C1 { get; }
        }
        """, """
        using GenDsl;
        public sealed partial class F
        {
            [{|GD0010:AffineCoupling(Mask.SecondHalf)|}] public partial Coupling C2 { get; }
            [{|GD0010:ActNorm|}] public partial ActNorm N { get; }
        }
        """);

    // ---- GD0011 / GD0012 ----------------------------------------------------------------------

    [Fact]
    public Task GD0011_LayerMustBeAPartialGetOnlyProperty() => Verify("""
        using GenDsl;
        [Flow(Features = 2)]
        public sealed partial class F
        {
            [AffineCoupling(Mask.Alternating)] public Coupling? {|GD0011:C1|};
            [AffineCoupling(Mask.Alternating)] public Coupling? {|GD0011:C2|} { get; }
            [ActNorm] public partial ActNorm {|GD0011:N|} { get; set; }
        }
        """);

    [Fact]
    public Task GD0012_TypeMustMatchTheAttribute() => Verify("""
        using GenDsl;
        [Flow(Features = 2)]
        public sealed partial class F
        {
            [AffineCoupling(Mask.Alternating)] public partial {|GD0012:ActNorm|} C1 { get; }
            [AffineCoupling(Mask.Alternating)] public partial Coupling C2 { get; }
            [Permute(Permutation.Reverse)] public partial {|GD0012:Coupling|} P { get; }
        }
        """);

    // ---- Several findings at once -------------------------------------------------------------

    [Fact]
    public Task EveryFindingOfAModelIsReported() => Verify("""
        using GenDsl;
        [Flow(Features = 4)]
        public sealed partial class F
        {
            [AffineCoupling({|GD0006:"110"|}, {|GD0005:Hidden = -2|})] public partial Coupling C1 { get; }
            [AffineCoupling(Mask.FirstHalf)] public partial Coupling C2 { get; }
            [AffineCoupling({|GD0007:Mask.FirstHalf|})] public partial Coupling C3 { get; }
            [Permute({|GD0004:0, 1, 2|})] public partial {|GD0012:Coupling|} P1 { get; }
        }
        """);
}
