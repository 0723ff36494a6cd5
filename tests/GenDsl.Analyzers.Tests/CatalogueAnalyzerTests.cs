using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;

namespace GenDsl.Analyzers.Tests;

/// <summary>
/// The rules of the layer catalogue's ops inside VAEs and GANs: GD0015 (sizes above GenDsl's limits, before
/// anything is allocated from them) and GD0016 (shapes that do not chain, with the computed shapes in the
/// message), each on the syntax at fault; and the ready-made convolutional models are clean.
/// </summary>
public class CatalogueAnalyzerTests
{
    private static Task Verify(params string[] sources) => AnalyzerTest.VerifyAsync(sources);

    private static Task VerifyMessage(string source, string id, string message)
    {
        var test = new AnalyzerTest(source);
        test.ExpectedDiagnostics.Add(new DiagnosticResult(id, DiagnosticSeverity.Error).WithLocation(0).WithArguments(message));
        return test.RunAsync();
    }

    [Fact]
    public Task ImageConditionOnAVectorFlowSaysWhatToUse() => VerifyMessage("""
        using GenDsl;
        [Flow(Features = 4, {|#0:ConditionChannels = 1|}, ConditionHeight = 2, ConditionWidth = 3)]
        public sealed partial class VectorFlow
        {
            [AffineCoupling(Mask.FirstHalf, Hidden = 4)] public partial Coupling C1 { get; }
        }
        """, "GD0005", "Flow 'VectorFlow' declares an image condition (ConditionChannels, ConditionHeight, ConditionWidth), which only the convolutional couplings of an image flow read as an image: declare the data's Channels, Height and Width, or use Condition = 6 for a vector condition");

    [Fact]
    public Task ImageConditionsOfVaesAndGans() => Verify("""
        using GenDsl;
        [Vae(Channels = 1, Height = 8, Width = 8, Latent = 2, ConditionChannels = 1, ConditionHeight = 2, ConditionWidth = 2)]
        public sealed partial class SuperResolutionCvae
        {
            [Encoder, Conv(4, 3, Padding = 1)] public partial Conv E1 { get; }
            [Decoder, Dense(16)] public partial Dense D1 { get; }
        }
        [Vae(Features = 6, Latent = 2, {|GD0005:ConditionChannels = 1|}, ConditionHeight = 2, ConditionWidth = 2)]
        public sealed partial class VectorCvae
        {
            [Encoder, Dense(4)] public partial Dense E1 { get; }
            [Decoder, Dense(4)] public partial Dense D1 { get; }
        }
        [Gan(Channels = 1, Height = 4, Width = 4, Noise = 2, {|GD0005:Condition = 3|}, ConditionChannels = 1, ConditionHeight = 2, ConditionWidth = 2)]
        public sealed partial class G
        {
            [Generator, Dense(4)] public partial Dense G1 { get; }
            [Discriminator, Conv(2, 2, Stride = 2)] public partial Conv D1 { get; }
        }
        [Gan(Channels = 1, Height = 4, Width = 4, Noise = 2, ConditionChannels = 1, {|GD0005:ConditionHeight = -1|}, ConditionWidth = 2)]
        public sealed partial class H
        {
            [Generator, Dense(4)] public partial Dense G1 { get; }
            [Discriminator, Conv(2, 2, Stride = 2)] public partial Conv D1 { get; }
        }
        """);

    [Fact]
    public Task ReadyMadeConvolutionalModelsHaveNoDiagnostic() => Verify(
        File.ReadAllText(TestSetup.RepositoryFile("models", "FashionModels.cs")));

    [Fact]
    public Task ValidConvolutionalVaeAndGan() => Verify("""
        using GenDsl;
        [Vae(Channels = 3, Height = 9, Width = 9, Latent = 4, Likelihood = Likelihood.Gaussian, Condition = 2)]
        public sealed partial class V
        {
            [Encoder, Conv(8, 3, Stride = 2, Padding = 1)] public partial Conv E1 { get; }
            [Encoder, BatchNorm] public partial BatchNorm E2 { get; }
            [Encoder, Flatten] public partial Reshape E3 { get; }
            [Decoder, Dense(8 * 5 * 5)] public partial Dense D1 { get; }
            [Decoder, Unflatten(8, 5, 5)] public partial Reshape D2 { get; }
            [Decoder, ConvTranspose(6, 3, Stride = 2, Padding = 1, Activation = Activation.Identity)] public partial Conv D3 { get; }
        }
        """);

    // ---- GD0015 -------------------------------------------------------------------------------

    [Fact]
    public Task GD0015_HugeSizesAreReportedAtTheirArgument() => Verify("""
        using GenDsl;
        [Vae({|GD0015:Features = 2147483647|}, Latent = 2)]
        public sealed partial class V1
        {
            [Encoder, Dense(8)] public partial Dense E1 { get; }
        }
        [Vae(Features = 4, Latent = 2)]
        public sealed partial class V2
        {
            [Encoder, Dense({|GD0015:2000000|})] public partial Dense E1 { get; }
            [Encoder, Conv(8, {|GD0015:1000|})] public partial Conv E2 { get; }
        }
        [Flow({|GD0015:Features = 2147483647|})]
        public sealed partial class F1
        {
            [AffineCoupling(Mask.Alternating)] public partial Coupling C1 { get; }
        }
        [Flow(Features = 4)]
        public sealed partial class {|GD0015:F2|}
        {
            [AffineCoupling(Mask.Alternating, {|GD0015:HiddenLayers = 100000|})] public partial Coupling C1 { get; }
        }
        """);

    [Fact]
    public Task GD0015_Message() => VerifyMessage("""
        using GenDsl;
        [Gan(Features = 4, Noise = 2)]
        public sealed partial class G
        {
            [Generator, Dense({|#0:int.MaxValue|})] public partial Dense G1 { get; }
        }
        """, "GD0015", "Layer 'G1' has [Dense] with width 2147483647: GenDsl's limit for the number of units is 1048576");

    [Fact]
    public Task GD0015_TooManyParametersAtTheClass() => Verify("""
        using GenDsl;
        [Gan(Features = 1000000, Noise = 2)]
        public sealed partial class {|GD0015:G|}
        {
            [Generator, Dense(1000000)] public partial Dense G1 { get; }
        }
        """);

    // ---- GD0016 -------------------------------------------------------------------------------

    [Fact]
    public Task GD0016_KernelLargerThanThePaddedInput() => VerifyMessage("""
        using GenDsl;
        [Vae(Channels = 1, Height = 4, Width = 4, Latent = 2)]
        public sealed partial class V
        {
            [Encoder, Conv(8, {|#0:7|})] public partial Conv E1 { get; }
        }
        """, "GD0016", "Layer 'E1' has [Conv] with kernel 7, larger than its input [1, 4, 4] padded by 0 (4×4): use a kernel of at most 4 or more padding. (input of 'E1' in the encoder: [1, 4, 4])");

    [Fact]
    public Task GD0016_NonIntegerOutputSizeNamesThePaddingThatFits() => VerifyMessage("""
        using GenDsl;
        [Gan(Channels = 1, Height = 28, Width = 28, Noise = 8)]
        public sealed partial class G
        {
            [Generator, Dense(8)] public partial Dense G1 { get; }
            [Discriminator, Conv(16, 3, Stride = 3, {|#0:Padding = 0|})] public partial Conv D1 { get; }
        }
        """, "GD0016", "Layer 'D1' has [Conv] with kernel 3, stride 3, padding 0 on [1, 28, 28]: (side + 2·0 − 3)/3 = (25/3, 25/3) is not an integer, so the last rows or columns would be dropped: change the padding or the stride (Padding = 1 fits) (input of 'D1' in the discriminator: [1, 28, 28])");

    [Fact]
    public Task GD0016_ConvolutionOnAVectorSaysToUnflatten() => Verify("""
        using GenDsl;
        [Vae(Features = 784, Latent = 2)]
        public sealed partial class V
        {
            [Encoder, Conv(8, {|GD0016:3|})] public partial Conv E1 { get; }
        }
        """);

    [Fact]
    public Task GD0016_UnflattenOfTheWrongSize() => Verify("""
        using GenDsl;
        [Gan(Channels = 1, Height = 8, Width = 8, Noise = 8)]
        public sealed partial class G
        {
            [Generator, Dense(100)] public partial Dense G1 { get; }
            [Generator, {|GD0016:Unflatten(4, 4, 4)|}] public partial Reshape G2 { get; }
            [Generator, ConvTranspose(1, 4, Stride = 2, Padding = 1)] public partial Conv G3 { get; }
        }
        """);

    [Fact]
    public Task GD0016_GeneratorWhoseOutputIsNotTheData() => VerifyMessage("""
        using GenDsl;
        [Gan(Channels = 1, Height = 28, Width = 28, Noise = 8)]
        public sealed partial class G
        {
            [Generator, Dense(64 * 7 * 7)] public partial Dense G1 { get; }
            [Generator, Unflatten(64, 7, 7)] public partial Reshape G2 { get; }
            [Generator, ConvTranspose(32, 4, Stride = 2, Padding = 1)] public partial Conv G3 { get; }
            [Generator, {|#0:ConvTranspose(1, 4, Stride = 2)|}] public partial Conv G4 { get; }
        }
        """, "GD0016", "The generator ends with 'G4', whose output [1, 30, 30] is not the data's shape [1, 28, 28] (Channels = 1, Height = 28, Width = 28): set Padding = 1, which gives [1, 28, 28]");

    [Fact]
    public Task GD0016_GaussianDecoderWithOneChannelNamesTheChannelsThatFit() => VerifyMessage("""
        using GenDsl;
        [Vae(Channels = 1, Height = 8, Width = 8, Latent = 2, Likelihood = Likelihood.Gaussian)]
        public sealed partial class V
        {
            [Encoder, Dense(8)] public partial Dense E1 { get; }
            [Decoder, Dense(4 * 4 * 4)] public partial Dense D1 { get; }
            [Decoder, Unflatten(4, 4, 4)] public partial Reshape D2 { get; }
            [Decoder, {|#0:ConvTranspose(1, 4, Stride = 2, Padding = 1, Activation = Activation.Identity)|}] public partial Conv D3 { get; }
        }
        """, "GD0016", "The decoder ends with 'D3', whose output [1, 8, 8] is not the data's shape [2, 8, 8] (Channels = 1, Height = 8, Width = 8; a Gaussian decoder outputs a mean and a log-variance channel per data channel): set channels to 2, which gives [2, 8, 8]");

    [Fact]
    public Task GD0016_OutputThatNoPaddingFixes() => VerifyMessage("""
        using GenDsl;
        [Gan(Channels = 1, Height = 28, Width = 28, Noise = 8)]
        public sealed partial class G
        {
            [Generator, Dense(32 * 14 * 14)] public partial Dense G1 { get; }
            [Generator, Unflatten(32, 14, 14)] public partial Reshape G2 { get; }
            [Generator, {|#0:ConvTranspose(3, 4, Stride = 2)|}] public partial Conv G3 { get; }
        }
        """, "GD0016", "The generator ends with 'G3', whose output [3, 30, 30] is not the data's shape [1, 28, 28] (Channels = 1, Height = 28, Width = 28): change its channels, kernel, stride or padding, or end the generator with a [Dense] layer so that a dense head is implied");

    [Fact]
    public Task GD0016_OutputThatTwoArgumentsFixNamesBoth() => VerifyMessage("""
        using GenDsl;
        [Gan(Channels = 1, Height = 12, Width = 12, Noise = 8)]
        public sealed partial class G
        {
            [Generator, Dense(4 * 4 * 4)] public partial Dense G1 { get; }
            [Generator, Unflatten(4, 4, 4)] public partial Reshape G2 { get; }
            [Generator, {|#0:ConvTranspose(1, 3, Stride = 3, Padding = 1)|}] public partial Conv G3 { get; }
        }
        """, "GD0016", "The generator ends with 'G3', whose output [1, 10, 10] is not the data's shape [1, 12, 12] (Channels = 1, Height = 12, Width = 12): Padding = 0 or OutputPadding = 2 gives [1, 12, 12] (one of them), or change its kernel or stride, or end the generator with a [Dense] layer so that a dense head is implied");

    [Fact]
    public Task GD0016_LastConvolutionThatDoesNotDivideNamesThePaddingOfTheDataShape() => VerifyMessage("""
        using GenDsl;
        [Vae(Channels = 1, Height = 9, Width = 9, Latent = 2)]
        public sealed partial class V
        {
            [Encoder, Dense(8)] public partial Dense E1 { get; }
            [Decoder, Dense(4 * 21 * 21)] public partial Dense D1 { get; }
            [Decoder, Unflatten(4, 21, 21)] public partial Reshape D2 { get; }
            [Decoder, Conv(1, 5, Stride = 3, {|#0:Padding = 0|}, Activation = Activation.Identity)] public partial Conv D3 { get; }
        }
        """, "GD0016", "Layer 'D3' has [Conv] with kernel 5, stride 3, padding 0 on [4, 21, 21]: (side + 2·0 − 5)/3 = (16/3, 16/3) is not an integer, so the last rows or columns would be dropped: change the padding or the stride (Padding = 1 fits) (input of 'D3' in the decoder: [4, 21, 21]); 'D3' is the last layer of the decoder: set Padding = 4, which gives the data's shape [1, 9, 9]");

    [Fact]
    public Task GD0016_BernoulliDecoderEndingWithAnActivation() => Verify("""
        using GenDsl;
        [Vae(Channels = 1, Height = 8, Width = 8, Latent = 2)]
        public sealed partial class V
        {
            [Encoder, Conv(4, 4, Stride = 2, Padding = 1)] public partial Conv E1 { get; }
            [Decoder, Dense(4 * 4 * 4)] public partial Dense D1 { get; }
            [Decoder, Unflatten(4, 4, 4)] public partial Reshape D2 { get; }
            [Decoder, ConvTranspose(1, 4, Stride = 2, Padding = 1, {|GD0016:Activation = Activation.Sigmoid|})] public partial Conv D3 { get; }
        }
        """);

    [Fact]
    public Task GD0016_FeaturesThatDisagreeWithTheImage() => Verify("""
        using GenDsl;
        [Vae({|GD0016:Features = 100|}, Channels = 1, Height = 8, Width = 8, Latent = 2)]
        public sealed partial class V
        {
            [Encoder, Dense(8)] public partial Dense E1 { get; }
        }
        """);

    [Fact]
    public Task GD0016_OutputPaddingNotSmallerThanTheStride() => Verify("""
        using GenDsl;
        [Gan(Channels = 1, Height = 8, Width = 8, Noise = 8)]
        public sealed partial class G
        {
            [Generator, Dense(4 * 4 * 4)] public partial Dense G1 { get; }
            [Generator, Unflatten(4, 4, 4)] public partial Reshape G2 { get; }
            [Generator, ConvTranspose(1, 4, Stride = 2, Padding = 1, {|GD0016:OutputPadding = 2|})] public partial Conv G3 { get; }
        }
        """);

    [Fact]
    public Task GD0012_ConvolutionTypedAsDense() => Verify("""
        using GenDsl;
        [Vae(Channels = 1, Height = 8, Width = 8, Latent = 2)]
        public sealed partial class V
        {
            [Encoder, Conv(4, 3)] public partial {|GD0012:Dense|} E1 { get; }
        }
        """);

    [Fact]
    public Task GD0014_WassersteinWithAConvolutionalCritic() => Verify("""
        using GenDsl;
        [Gan(Channels = 1, Height = 8, Width = 8, Noise = 8, {|GD0014:Loss = GanLoss.Wasserstein|})]
        public sealed partial class G
        {
            [Generator, Dense(16)] public partial Dense G1 { get; }
            [Discriminator, Conv(4, 3, Activation = Activation.LeakyRelu)] public partial Conv D1 { get; }
        }
        """);

    [Fact]
    public Task GD0005_UnknownActivationValue() => Verify("""
        using GenDsl;
        [Vae(Channels = 1, Height = 8, Width = 8, Latent = 2)]
        public sealed partial class V
        {
            [Encoder, Conv(4, 3, {|GD0005:Activation = (Activation)42|})] public partial Conv E1 { get; }
        }
        """);
}
