using GenDsl.CodeFixes;
using Microsoft.CodeAnalysis.Testing;

namespace GenDsl.Analyzers.Tests;

/// <summary>
/// Each code fix, one diagnostic at a time and with Fix All (the testing library runs both, in
/// document, project and solution scope, and checks the result has exactly the remaining diagnostics
/// marked in the fixed code).
/// </summary>
public class CodeFixTests
{
    // ---- GD0001: add partial ------------------------------------------------------------------

    [Fact]
    public Task GD0001_AddsPartialAfterTheOtherModifiers() => CodeFixTest<AddPartialCodeFix>.VerifyAsync("""
        using GenDsl;
        [Flow(Features = 2)]
        public sealed class {|GD0001:F|}
        {
            [AffineCoupling(Mask.Alternating)] public partial Coupling C1 { get; }
            [AffineCoupling(Mask.Alternating)] public partial Coupling C2 { get; }
        }
        """, """
        using GenDsl;
        [Flow(Features = 2)]
        public sealed partial class F
        {
            [AffineCoupling(Mask.Alternating)] public partial Coupling C1 { get; }
            [AffineCoupling(Mask.Alternating)] public partial Coupling C2 { get; }
        }
        """);

    [Fact]
    public Task GD0001_FixAllWithAndWithoutModifiers() => CodeFixTest<AddPartialCodeFix>.VerifyAsync("""
        using GenDsl;
        namespace Models
        {
            [Flow(Features = 2)]
            // a comment before the keyword stays put
            class {|GD0001:A|}
            {
                [AffineCoupling(Mask.Alternating)] public partial Coupling C1 { get; }
                [AffineCoupling(Mask.Alternating)] public partial Coupling C2 { get; }
            }

            [Flow(Features = 2)]
            internal class {|GD0001:B|}
            {
                [AffineCoupling(Mask.Alternating)] public partial Coupling C1 { get; }
                [AffineCoupling(Mask.Alternating)] public partial Coupling C2 { get; }
            }
        }
        """, """
        using GenDsl;
        namespace Models
        {
            [Flow(Features = 2)]
            // a comment before the keyword stays put
            partial class A
            {
                [AffineCoupling(Mask.Alternating)] public partial Coupling C1 { get; }
                [AffineCoupling(Mask.Alternating)] public partial Coupling C2 { get; }
            }

            [Flow(Features = 2)]
            internal partial class B
            {
                [AffineCoupling(Mask.Alternating)] public partial Coupling C1 { get; }
                [AffineCoupling(Mask.Alternating)] public partial Coupling C2 { get; }
            }
        }
        """);

    [Fact]
    public Task GD0001_NoFixForAStaticClass()
    {
        const string source = """
            using GenDsl;
            [Flow(Features = 2)]
            public static partial class {|GD0001:F|}
            {
                [AffineCoupling(Mask.Alternating)] public partial Coupling C1 { get; }
                [AffineCoupling(Mask.Alternating)] public partial Coupling C2 { get; }
            }
            """;
        return CodeFixTest<AddPartialCodeFix>.VerifyAsync(source, source);
    }

    [Fact]
    public Task GD0001_AddsPartialToVaesAndGans() => CodeFixTest<AddPartialCodeFix>.VerifyAsync("""
        using GenDsl;
        [Vae(Features = 4, Latent = 2)]
        public sealed class {|GD0001:V|}
        {
            [Encoder, Dense(8)] public partial Dense E1 { get; }
            [Decoder, Dense(8)] public partial Dense D1 { get; }
        }

        [Gan(Features = 2, Noise = 4)]
        internal class {|GD0001:G|}
        {
            [Generator, Dense(8)] public partial Dense G1 { get; }
            [Discriminator, Dense(8)] public partial Dense D1 { get; }
        }
        """, """
        using GenDsl;
        [Vae(Features = 4, Latent = 2)]
        public sealed partial class V
        {
            [Encoder, Dense(8)] public partial Dense E1 { get; }
            [Decoder, Dense(8)] public partial Dense D1 { get; }
        }

        [Gan(Features = 2, Noise = 4)]
        internal partial class G
        {
            [Generator, Dense(8)] public partial Dense G1 { get; }
            [Discriminator, Dense(8)] public partial Dense D1 { get; }
        }
        """);

    [Fact]
    public Task GD0001_NoFixForANestedGan()
    {
        const string source = """
            using GenDsl;
            public partial class Outer
            {
                [Gan(Features = 2, Noise = 4)]
                public partial class {|GD0001:G|}
                {
                    [Generator, Dense(8)] public partial Dense G1 { get; }
                }
            }
            """;
        return CodeFixTest<AddPartialCodeFix>.VerifyAsync(source, source);
    }

    // ---- GD0003 / GD0006: corrected pattern --------------------------------------------------

    [Theory]
    [InlineData(4, "{|GD0003:\"1111\"|}", "\"1100\"")]
    [InlineData(5, "{|GD0003:\"00000\"|}", "\"11000\"")]
    [InlineData(4, "{|GD0006:\"11_00\"|}", "\"1100\"")]
    [InlineData(4, "{|GD0006:\"0 1 0 1\"|}", "\"0101\"")]
    [InlineData(6, "{|GD0006:\"1100\"|}", "\"111000\"")]   // first half, redrawn at 6
    [InlineData(6, "{|GD0006:\"101\"|}", "\"101010\"")]    // even
    [InlineData(2, "{|GD0006:\"0011\"|}", "\"01\"")]       // second half
    [InlineData(4, "{|GD0006:\"11 11\"|}", "\"1100\"")]    // separators, then one-sided → half-half
    public Task GD0003_GD0006_UnambiguousCorrection(int features, string pattern, string corrected) => CodeFixTest<PatternCodeFix>.VerifyAsync($$"""
        using GenDsl;
        [Flow(Features = {{features}})]
        public sealed partial class F
        {
            [AffineCoupling({{pattern}}, Hidden = 8)] public partial Coupling C1 { get; }
        }
        """, $$"""
        using GenDsl;
        [Flow(Features = {{features}})]
        public sealed partial class F
        {
            [AffineCoupling({{corrected}}, Hidden = 8)] public partial Coupling C1 { get; }
        }
        """);

    [Theory]
    [InlineData(4, "\"10\"")]     // first half or even? ambiguous
    [InlineData(4, "\"1x00\"")]
    [InlineData(4, "\"110\"")]    // no named mask has this shape
    [InlineData(4, "\"1\"")]
    public Task GD0003_GD0006_NoFixWhenAmbiguous(int features, string pattern)
    {
        string source = $$"""
            using GenDsl;
            [Flow(Features = {{features}})]
            public sealed partial class F
            {
                [AffineCoupling({|GD0006:{{pattern}}|})] public partial Coupling C1 { get; }
                [Permute(Permutation.Reverse)] public partial Permutation P1 { get; }
            }
            """;
        return CodeFixTest<PatternCodeFix>.VerifyAsync(source, source);
    }

    [Fact]
    public Task GD0003_NoFixForASingleFeature()
    {
        const string source = """
            using GenDsl;
            [Flow(Features = 1)]
            public sealed partial class F
            {
                [{|GD0003:AffineCoupling("1")|}] public partial Coupling C1 { get; }
            }
            """;
        return CodeFixTest<PatternCodeFix>.VerifyAsync(source, source);
    }

    [Fact]
    public Task GD0003_AvoidsRepeatingThePreviousCoupling() => CodeFixTest<PatternCodeFix>.VerifyAsync("""
        using GenDsl;
        [Flow(Features = 4)]
        public sealed partial class F
        {
            [AffineCoupling(Mask.FirstHalf)] public partial Coupling C1 { get; }
            [AffineCoupling({|GD0003:"1111"|})] public partial Coupling C2 { get; }
        }
        """, """
        using GenDsl;
        [Flow(Features = 4)]
        public sealed partial class F
        {
            [AffineCoupling(Mask.FirstHalf)] public partial Coupling C1 { get; }
            [AffineCoupling("0011")] public partial Coupling C2 { get; }
        }
        """);

    [Fact]
    public Task GD0003_GD0006_FixAllIsConsistent() => CodeFixTest<PatternCodeFix>.VerifyAsync("""
        using GenDsl;
        [Flow(Features = 4)]
        public sealed partial class F
        {
            [AffineCoupling({|GD0003:"1111"|})] public partial Coupling C1 { get; }
            [AffineCoupling({|GD0003:"0000"|})] public partial Coupling C2 { get; }
            [AffineCoupling({|GD0006:"11 00"|})] public partial Coupling C3 { get; }
            [AffineCoupling({|GD0006:"1?00"|})] public partial Coupling C4 { get; }
        }
        """, """
        using GenDsl;
        [Flow(Features = 4)]
        public sealed partial class F
        {
            [AffineCoupling("1100")] public partial Coupling C1 { get; }
            [AffineCoupling("0011")] public partial Coupling C2 { get; }
            [AffineCoupling("1100")] public partial Coupling C3 { get; }
            [AffineCoupling({|GD0006:"1?00"|})] public partial Coupling C4 { get; }
        }
        """);

    // ---- GD0007: insert a permutation ---------------------------------------------------------

    [Fact]
    public Task GD0007_InsertsAReversePermutation() => CodeFixTest<SameFeaturesCodeFix>.VerifyAsync("""
        using GenDsl;
        [Flow(Features = 2)]
        public sealed partial class F
        {
            [AffineCoupling(Mask.FirstHalf)] public partial Coupling C1 { get; }
            /// <summary>The second coupling.</summary>
            [AffineCoupling({|GD0007:Mask.FirstHalf|})] public partial Coupling C2 { get; }
        }
        """, """
        using GenDsl;
        [Flow(Features = 2)]
        public sealed partial class F
        {
            [AffineCoupling(Mask.FirstHalf)] public partial Coupling C1 { get; }
            [Permute(Permutation.Reverse)] public partial Permutation P1 { get; }
            /// <summary>The second coupling.</summary>
            [AffineCoupling(Mask.FirstHalf)] public partial Coupling C2 { get; }
        }
        """, SameFeaturesCodeFix.InsertPermutationKey);

    [Fact]
    public Task GD0007_InsertedNamesAreFreshAndSimplifiedInAnyNamespace() => CodeFixTest<SameFeaturesCodeFix>.VerifyAsync("""
        namespace GenDsl.Models;
        [Flow(Features = 4)]
        public sealed partial class F
        {
            [AffineCoupling(Mask.Even)] public partial Coupling P1 { get; }
            [AffineCoupling({|GD0007:Mask.Even|})] public partial Coupling C2 { get; }
            public int P2 => 0;
            [AffineCoupling({|GD0007:Mask.Even|})] public partial Coupling C3 { get; }
            [AffineCoupling({|GD0007:"1010"|})] public partial Coupling C4 { get; }
        }
        """, """
        namespace GenDsl.Models;
        [Flow(Features = 4)]
        public sealed partial class F
        {
            [AffineCoupling(Mask.Even)] public partial Coupling P1 { get; }
            [Permute(Permutation.Reverse)] public partial Permutation P3 { get; }
            [AffineCoupling(Mask.Even)] public partial Coupling C2 { get; }
            public int P2 => 0;
            [Permute(Permutation.Reverse)] public partial Permutation P4 { get; }
            [AffineCoupling(Mask.Even)] public partial Coupling C3 { get; }
            [Permute(Permutation.Reverse)] public partial Permutation P5 { get; }
            [AffineCoupling("1010")] public partial Coupling C4 { get; }
        }
        """, SameFeaturesCodeFix.InsertPermutationKey);

    [Fact]
    public Task GD0007_InsertKeepsFullyQualifiedNamesWithoutAUsing() => CodeFixTest<SameFeaturesCodeFix>.VerifyAsync("""
        namespace Models;
        [GenDsl.Flow(Features = 2)]
        public sealed partial class F
        {
            [GenDsl.AffineCoupling(GenDsl.Mask.FirstHalf)] public partial GenDsl.Coupling C1 { get; }
            [GenDsl.AffineCoupling({|GD0007:GenDsl.Mask.FirstHalf|})] public partial GenDsl.Coupling C2 { get; }
        }
        """, """
        namespace Models;
        [GenDsl.Flow(Features = 2)]
        public sealed partial class F
        {
            [GenDsl.AffineCoupling(GenDsl.Mask.FirstHalf)] public partial GenDsl.Coupling C1 { get; }
            [GenDsl.Permute(GenDsl.Permutation.Reverse)] public partial GenDsl.Permutation P1 { get; }
            [GenDsl.AffineCoupling(GenDsl.Mask.FirstHalf)] public partial GenDsl.Coupling C2 { get; }
        }
        """, SameFeaturesCodeFix.InsertPermutationKey);

    // ---- GD0007: flip the mask ----------------------------------------------------------------

    [Theory]
    [InlineData("Mask.FirstHalf", "Mask.FirstHalf", "Mask.SecondHalf")]
    [InlineData("Mask.SecondHalf", "Mask.SecondHalf", "Mask.FirstHalf")]
    [InlineData("Mask.Even", "Mask.Even", "Mask.Odd")]
    [InlineData("Mask.Odd", "GenDsl.Mask.Odd", "GenDsl.Mask.Even")]
    [InlineData("\"1010\"", "\"1010\"", "\"0101\"")]
    [InlineData("Mask.SecondHalf", "Mask.Alternating", "Mask.FirstHalf")]   // coupling #1 alternates to the second half
    [InlineData("Mask.FirstHalf", "(Mask)1", "Mask.SecondHalf")]
    public Task GD0007_FlipsTheSecondMask(string first, string second, string flipped) => CodeFixTest<SameFeaturesCodeFix>.VerifyAsync($$"""
        using GenDsl;
        [Flow(Features = 4)]
        public sealed partial class F
        {
            [AffineCoupling({{first}})] public partial Coupling C1 { get; }
            [AffineCoupling({|GD0007:{{second}}|})] public partial Coupling C2 { get; }
        }
        """, $$"""
        using GenDsl;
        [Flow(Features = 4)]
        public sealed partial class F
        {
            [AffineCoupling({{first}})] public partial Coupling C1 { get; }
            [AffineCoupling({{flipped}})] public partial Coupling C2 { get; }
        }
        """, SameFeaturesCodeFix.FlipMaskKey);

    [Fact]
    public Task GD0007_FlipAllFollowsTheLayerOrder() => CodeFixTest<SameFeaturesCodeFix>.VerifyAsync("""
        using GenDsl;
        [Flow(Features = 4)]
        public sealed partial class F
        {
            [AffineCoupling(Mask.FirstHalf)] public partial Coupling C1 { get; }
            [AffineCoupling({|GD0007:Mask.FirstHalf|})] public partial Coupling C2 { get; }
            [AffineCoupling({|GD0007:Mask.FirstHalf|})] public partial Coupling C3 { get; }
            [AffineCoupling({|GD0007:Mask.FirstHalf|})] public partial Coupling C4 { get; }
        }
        """, """
        using GenDsl;
        [Flow(Features = 4)]
        public sealed partial class F
        {
            [AffineCoupling(Mask.FirstHalf)] public partial Coupling C1 { get; }
            [AffineCoupling(Mask.SecondHalf)] public partial Coupling C2 { get; }
            [AffineCoupling(Mask.FirstHalf)] public partial Coupling C3 { get; }
            [AffineCoupling(Mask.SecondHalf)] public partial Coupling C4 { get; }
        }
        """, SameFeaturesCodeFix.FlipMaskKey);
}
