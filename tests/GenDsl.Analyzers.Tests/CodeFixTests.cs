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

    // ---- GD0016: the one padding, output padding or channel count that gives the data's shape --

    [Fact]
    public Task GD0016_AddsThePaddingAndSetsTheChannels_FixAll() => CodeFixTest<LayerArgumentCodeFix>.VerifyAsync("""
        using GenDsl;
        [Gan(Channels = 1, Height = 28, Width = 28, Noise = 8)]
        public sealed partial class G
        {
            [Generator, Dense(32 * 14 * 14)] public partial Dense G1 { get; }
            [Generator, Unflatten(32, 14, 14)] public partial Reshape G2 { get; }
            [Generator, {|GD0016:ConvTranspose(1, 4, Stride = 2)|}] public partial Conv G3 { get; }
            [Discriminator, Conv(8, 4, Stride = 2, Padding = 1, Activation = Activation.LeakyRelu)] public partial Conv D1 { get; }
        }

        [Vae(Channels = 1, Height = 8, Width = 8, Latent = 2)]
        public sealed partial class V
        {
            [Encoder, Conv(4, 4, Stride = 2, Padding = 1)] public partial Conv E1 { get; }
            [Decoder, Dense(4 * 4 * 4)] public partial Dense D1 { get; }
            [Decoder, Unflatten(4, 4, 4)] public partial Reshape D2 { get; }
            [Decoder, {|GD0016:ConvTranspose(3, 4, Stride = 2, Padding = 1, Activation = Activation.Identity)|}] public partial Conv D3 { get; }
        }
        """, """
        using GenDsl;
        [Gan(Channels = 1, Height = 28, Width = 28, Noise = 8)]
        public sealed partial class G
        {
            [Generator, Dense(32 * 14 * 14)] public partial Dense G1 { get; }
            [Generator, Unflatten(32, 14, 14)] public partial Reshape G2 { get; }
            [Generator, ConvTranspose(1, 4, Stride = 2, Padding = 1)] public partial Conv G3 { get; }
            [Discriminator, Conv(8, 4, Stride = 2, Padding = 1, Activation = Activation.LeakyRelu)] public partial Conv D1 { get; }
        }

        [Vae(Channels = 1, Height = 8, Width = 8, Latent = 2)]
        public sealed partial class V
        {
            [Encoder, Conv(4, 4, Stride = 2, Padding = 1)] public partial Conv E1 { get; }
            [Decoder, Dense(4 * 4 * 4)] public partial Dense D1 { get; }
            [Decoder, Unflatten(4, 4, 4)] public partial Reshape D2 { get; }
            [Decoder, ConvTranspose(1, 4, Stride = 2, Padding = 1, Activation = Activation.Identity)] public partial Conv D3 { get; }
        }
        """);

    [Fact]
    public Task GD0016_ReplacesTheWrittenPaddingKeepingItsTrivia() => CodeFixTest<LayerArgumentCodeFix>.VerifyAsync("""
        using GenDsl;
        [Vae(Channels = 1, Height = 8, Width = 8, Latent = 2)]
        public sealed partial class V
        {
            [Encoder, Dense(8)] public partial Dense E1 { get; }
            [Decoder, Dense(4 * 4 * 4)] public partial Dense D1 { get; }
            [Decoder, Unflatten(4, 4, 4)] public partial Reshape D2 { get; }
            [Decoder, {|GD0016:ConvTranspose(1, 4, Stride = 2, Padding = /* border */ 0, Activation = Activation.Identity)|}] public partial Conv D3 { get; }
        }
        """, """
        using GenDsl;
        [Vae(Channels = 1, Height = 8, Width = 8, Latent = 2)]
        public sealed partial class V
        {
            [Encoder, Dense(8)] public partial Dense E1 { get; }
            [Decoder, Dense(4 * 4 * 4)] public partial Dense D1 { get; }
            [Decoder, Unflatten(4, 4, 4)] public partial Reshape D2 { get; }
            [Decoder, ConvTranspose(1, 4, Stride = 2, Padding = /* border */ 1, Activation = Activation.Identity)] public partial Conv D3 { get; }
        }
        """);

    [Fact]
    public Task GD0016_AddsTheOutputPaddingOnAnAttributeSplitOverLines() => CodeFixTest<LayerArgumentCodeFix>.VerifyAsync("""
        using GenDsl;
        [Gan(Channels = 1, Height = 8, Width = 8, Noise = 8)]
        public sealed partial class G
        {
            [Generator, Dense(4 * 4 * 4)] public partial Dense G1 { get; }
            [Generator, Unflatten(4, 4, 4)] public partial Reshape G2 { get; }
            [Generator, {|GD0016:ConvTranspose(1, 3,
                Stride = 2,
                Padding = 1 /* 7×7 */)|}] public partial Conv G3 { get; }
        }
        """, """
        using GenDsl;
        [Gan(Channels = 1, Height = 8, Width = 8, Noise = 8)]
        public sealed partial class G
        {
            [Generator, Dense(4 * 4 * 4)] public partial Dense G1 { get; }
            [Generator, Unflatten(4, 4, 4)] public partial Reshape G2 { get; }
            [Generator, ConvTranspose(1, 3,
                Stride = 2,
                Padding = 1,
                OutputPadding = 1 /* 7×7 */)] public partial Conv G3 { get; }
        }
        """);

    [Fact]
    public Task GD0016_TheDataPinsThePaddingOfALastConvolutionThatDoesNotDivide() => CodeFixTest<LayerArgumentCodeFix>.VerifyAsync("""
        using GenDsl;
        [Vae(Channels = 1, Height = 9, Width = 9, Latent = 2)]
        public sealed partial class V
        {
            [Encoder, Dense(8)] public partial Dense E1 { get; }
            [Decoder, Dense(4 * 21 * 21)] public partial Dense D1 { get; }
            [Decoder, Unflatten(4, 21, 21)] public partial Reshape D2 { get; }
            [Decoder, {|GD0016:Conv(channels: 1, kernel: 5, Stride = 3, Activation = Activation.Identity)|}] public partial Conv D3 { get; }
        }
        """, """
        using GenDsl;
        [Vae(Channels = 1, Height = 9, Width = 9, Latent = 2)]
        public sealed partial class V
        {
            [Encoder, Dense(8)] public partial Dense E1 { get; }
            [Decoder, Dense(4 * 21 * 21)] public partial Dense D1 { get; }
            [Decoder, Unflatten(4, 21, 21)] public partial Reshape D2 { get; }
            [Decoder, Conv(channels: 1, kernel: 5, Stride = 3, Activation = Activation.Identity, Padding = 4)] public partial Conv D3 { get; }
        }
        """);

    [Fact]
    public Task GD0016_SetsTheChannelsWrittenByName() => CodeFixTest<LayerArgumentCodeFix>.VerifyAsync("""
        using GenDsl;
        [Vae(Channels = 1, Height = 8, Width = 8, Latent = 2, Likelihood = Likelihood.Gaussian)]
        public sealed partial class V
        {
            [Encoder, Dense(8)] public partial Dense E1 { get; }
            [Decoder, Dense(4 * 4 * 4)] public partial Dense D1 { get; }
            [Decoder, Unflatten(4, 4, 4)] public partial Reshape D2 { get; }
            [Decoder, {|GD0016:ConvTranspose(kernel: 4, channels: 1, Stride = 2, Padding = 1, Activation = Activation.Identity)|}] public partial Conv D3 { get; }
        }
        """, """
        using GenDsl;
        [Vae(Channels = 1, Height = 8, Width = 8, Latent = 2, Likelihood = Likelihood.Gaussian)]
        public sealed partial class V
        {
            [Encoder, Dense(8)] public partial Dense E1 { get; }
            [Decoder, Dense(4 * 4 * 4)] public partial Dense D1 { get; }
            [Decoder, Unflatten(4, 4, 4)] public partial Reshape D2 { get; }
            [Decoder, ConvTranspose(kernel: 4, channels: 2, Stride = 2, Padding = 1, Activation = Activation.Identity)] public partial Conv D3 { get; }
        }
        """);

    [Fact]
    public Task GD0016_AddsThePaddingToARegressorsLastLayer() => CodeFixTest<LayerArgumentCodeFix>.VerifyAsync("""
        using GenDsl;
        [Regressor(Channels = 1, Height = 8, Width = 8, Condition = 4)]
        public sealed partial class R
        {
            [Predictor, Dense(16)] public partial Dense P1 { get; }
            [Predictor, Unflatten(1, 4, 4)] public partial Reshape P2 { get; }
            [Predictor, {|GD0016:ConvTranspose(1, 4, Stride = 2)|}] public partial Conv P3 { get; }
        }
        """, """
        using GenDsl;
        [Regressor(Channels = 1, Height = 8, Width = 8, Condition = 4)]
        public sealed partial class R
        {
            [Predictor, Dense(16)] public partial Dense P1 { get; }
            [Predictor, Unflatten(1, 4, 4)] public partial Reshape P2 { get; }
            [Predictor, ConvTranspose(1, 4, Stride = 2, Padding = 1)] public partial Conv P3 { get; }
        }
        """);

    private static Task GD0016_NoFix(string source) => CodeFixTest<LayerArgumentCodeFix>.VerifyAsync(source, source);

    [Fact]
    public Task GD0016_NoFixWhenPaddingAndOutputPaddingBothFit() => GD0016_NoFix("""
        using GenDsl;
        [Gan(Channels = 1, Height = 12, Width = 12, Noise = 8)]
        public sealed partial class G
        {
            [Generator, Dense(4 * 4 * 4)] public partial Dense G1 { get; }
            [Generator, Unflatten(4, 4, 4)] public partial Reshape G2 { get; }
            [Generator, {|GD0016:ConvTranspose(1, 3, Stride = 3, Padding = 1)|}] public partial Conv G3 { get; }
        }
        """);

    [Fact]
    public Task GD0016_NoFixWhenTheChannelsAndTheSizeBothDiffer() => GD0016_NoFix("""
        using GenDsl;
        [Gan(Channels = 1, Height = 28, Width = 28, Noise = 8)]
        public sealed partial class G
        {
            [Generator, Dense(32 * 14 * 14)] public partial Dense G1 { get; }
            [Generator, Unflatten(32, 14, 14)] public partial Reshape G2 { get; }
            [Generator, {|GD0016:ConvTranspose(3, 4, Stride = 2)|}] public partial Conv G3 { get; }
        }
        """);

    [Fact]
    public Task GD0016_NoFixWhenOnlyAPaddingOfTheKernelSideOrMoreGivesTheDataShape() => GD0016_NoFix("""
        using GenDsl;
        [Gan(Channels = 1, Height = 28, Width = 28, Noise = 8)]
        public sealed partial class G
        {
            [Generator, Dense(32 * 14 * 14)] public partial Dense G1 { get; }
            [Generator, Unflatten(32, 14, 14)] public partial Reshape G2 { get; }
            [Generator, {|GD0016:ConvTranspose(1, 3, Stride = 3)|}] public partial Conv G3 { get; }   // [1, 42, 42]: Padding = 7 would crop it to 28
        }
        """);

    [Fact]
    public Task GD0016_NoFixInsideANetworkWhereSeveralPaddingsFit() => GD0016_NoFix("""
        using GenDsl;
        [Gan(Channels = 1, Height = 28, Width = 28, Noise = 8)]
        public sealed partial class G
        {
            [Generator, Dense(8)] public partial Dense G1 { get; }
            [Discriminator, Conv(16, 3, Stride = 3, {|GD0016:Padding = 0|})] public partial Conv D1 { get; }
        }
        """);

    [Fact]
    public Task GD0016_NoFixForAnUnflattenOfTheWrongSize() => GD0016_NoFix("""
        using GenDsl;
        [Gan(Channels = 1, Height = 8, Width = 8, Noise = 8)]
        public sealed partial class G
        {
            [Generator, Dense(100)] public partial Dense G1 { get; }
            [Generator, {|GD0016:Unflatten(4, 4, 4)|}] public partial Reshape G2 { get; }
            [Generator, ConvTranspose(1, 4, Stride = 2, Padding = 1)] public partial Conv G3 { get; }
        }
        """);
}
