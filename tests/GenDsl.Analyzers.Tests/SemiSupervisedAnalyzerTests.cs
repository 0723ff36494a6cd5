using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;

namespace GenDsl.Analyzers.Tests;

/// <summary>
/// The rules on <c>[SemiSupervisedVae]</c> (M2) models, from the shared <c>NetValidator</c>: each fires on the
/// syntax that is wrong, with a message that names the place and the fix; nothing fires on valid models,
/// the ready-made <c>MnistM2</c> included.
/// </summary>
public class SemiSupervisedAnalyzerTests
{
    private static Task Verify(params string[] sources) => AnalyzerTest.VerifyAsync(sources);

    private static Task VerifyMessage(string source, string id, string message)
    {
        var test = new AnalyzerTest(source);
        test.ExpectedDiagnostics.Add(new DiagnosticResult(id, DiagnosticSeverity.Error).WithLocation(0).WithArguments(message));
        return test.RunAsync();
    }

    [Fact]
    public Task ReadyMadeM2HasNoDiagnostic() => Verify(File.ReadAllText(TestSetup.RepositoryFile("models", "SemiSupervisedModels.cs")));

    [Fact]
    public Task DenseAndConvolutionalM2HaveNoDiagnostic() => Verify("""
        using GenDsl;
        namespace Models;
        [SemiSupervisedVae(Features = 6, Latent = 2, Classes = 3, Alpha = 0.5f)]
        public sealed partial class TinyM2
        {
            [Encoder, Dense(8, Activation.Softplus)] public partial Dense E1 { get; }
            [Decoder, Dense(8, Activation.Softplus)] public partial Dense D1 { get; }
            [Classifier, Dense(8)] public partial Dense C1 { get; }
        }

        [SemiSupervisedVae(Channels = 1, Height = 6, Width = 6, Latent = 2, Classes = 2)]
        public sealed partial class TinyConvM2
        {
            [Encoder, Conv(4, 4, Stride = 2, Padding = 1)] public partial Conv E1 { get; }
            [Decoder, Dense(4 * 3 * 3)] public partial Dense D1 { get; }
            [Decoder, Unflatten(4, 3, 3)] public partial Reshape D2 { get; }
            [Decoder, ConvTranspose(1, 3, Stride = 2, Padding = 1, OutputPadding = 1, Activation = Activation.Identity)] public partial Conv D3 { get; }
            [Classifier, Conv(4, 4, Stride = 2, Padding = 1)] public partial Conv C1 { get; }
            [Classifier, BatchNorm(Activation = Activation.Relu)] public partial BatchNorm C2 { get; }
            [Classifier, Dense(8)] public partial Dense C3 { get; }
        }
        """);

    [Fact]
    public Task ClassesBelowTwo() => VerifyMessage("""
        using GenDsl;
        [SemiSupervisedVae(Features = 4, Latent = 2, {|#0:Classes = 1|})]
        public sealed partial class M
        {
            [Encoder, Dense(8)] public partial Dense E1 { get; }
            [Decoder, Dense(8)] public partial Dense D1 { get; }
            [Classifier, Dense(8)] public partial Dense C1 { get; }
        }
        """, "GD0005", "Semi-supervised VAE 'M' has Classes = 1: set Classes to the number of classes of the labels y, at least 2 (10 for digits)");

    [Fact]
    public Task ClassesMissing() => VerifyMessage("""
        using GenDsl;
        [{|#0:SemiSupervisedVae(Features = 4, Latent = 2)|}]
        public sealed partial class M
        {
            [Encoder, Dense(8)] public partial Dense E1 { get; }
            [Decoder, Dense(8)] public partial Dense D1 { get; }
            [Classifier, Dense(8)] public partial Dense C1 { get; }
        }
        """, "GD0005", "Semi-supervised VAE 'M' has Classes = 0: set Classes to the number of classes of the labels y, at least 2 (10 for digits)");

    [Fact]
    public Task NegativeAlpha() => VerifyMessage("""
        using GenDsl;
        [SemiSupervisedVae(Features = 4, Latent = 2, Classes = 3, {|#0:Alpha = -1f|})]
        public sealed partial class M
        {
            [Encoder, Dense(8)] public partial Dense E1 { get; }
            [Decoder, Dense(8)] public partial Dense D1 { get; }
            [Classifier, Dense(8)] public partial Dense C1 { get; }
        }
        """, "GD0005", "Semi-supervised VAE 'M' has Alpha = -1: the classification weight α must be a finite number ≥ 0 (the paper's 0.1·N is Alpha = 0.1·N/N_labelled here; see docs/semi-supervised.md)");

    [Fact]
    public Task NegativeClassifierNoise() => VerifyMessage("""
        using GenDsl;
        [SemiSupervisedVae(Features = 4, Latent = 2, Classes = 3, {|#0:ClassifierNoise = -0.5f|})]
        public sealed partial class M
        {
            [Encoder, Dense(8)] public partial Dense E1 { get; }
            [Decoder, Dense(8)] public partial Dense D1 { get; }
            [Classifier, Dense(8)] public partial Dense C1 { get; }
        }
        """, "GD0005", "Semi-supervised VAE 'M' has ClassifierNoise = -0.5: the standard deviation of the classifier's training input noise must be a finite number ≥ 0 (0: no noise)");

    [Fact]
    public Task MissingClassifier() => VerifyMessage("""
        using GenDsl;
        [{|#0:SemiSupervisedVae(Features = 4, Latent = 2, Classes = 3)|}]
        public sealed partial class M
        {
            [Encoder, Dense(8)] public partial Dense E1 { get; }
            [Decoder, Dense(8)] public partial Dense D1 { get; }
        }
        """, "GD0013", "Semi-supervised VAE 'M' has no [Classifier] layer: q(y|x) needs one, e.g. '[Classifier, Dense(500, Activation.Relu)] public partial Dense C1 { get; }' (its softmax head over the 3 classes is implied)");

    [Fact]
    public Task RoleOfAnotherKind() => Verify("""
        using GenDsl;
        [SemiSupervisedVae(Features = 4, Latent = 2, Classes = 3)]
        public sealed partial class M
        {
            [Encoder, Dense(8)] public partial Dense E1 { get; }
            [Decoder, Dense(8)] public partial Dense D1 { get; }
            [Classifier, Dense(8)] public partial Dense C1 { get; }
            [{|GD0009:Discriminator|}, Dense(8)] public partial Dense X1 { get; }
        }

        [Vae(Features = 4, Latent = 2)]
        public sealed partial class V
        {
            [Encoder, Dense(8)] public partial Dense E1 { get; }
            [{|GD0009:Classifier|}, Dense(8)] public partial Dense C1 { get; }
        }
        """);

    [Fact]
    public Task WrongWidthsInTheClassifier() => VerifyMessage("""
        using GenDsl;
        [SemiSupervisedVae(Channels = 1, Height = 6, Width = 6, Latent = 2, Classes = 3)]
        public sealed partial class M
        {
            [Encoder, Dense(8)] public partial Dense E1 { get; }
            [Decoder, Dense(8)] public partial Dense D1 { get; }
            [Classifier, Conv(4, {|#0:9|})] public partial Conv C1 { get; }
        }
        """, "GD0016", "Layer 'C1' has [Conv] with kernel 9, larger than its input [1, 6, 6] padded by 0 (6×6): use a kernel of at most 6 or more padding. (input of 'C1' in the classifier: [1, 6, 6])");

    [Fact]
    public Task DecoderThatDoesNotMakeTheImage() => VerifyMessage("""
        using GenDsl;
        [SemiSupervisedVae(Channels = 1, Height = 6, Width = 6, Latent = 2, Classes = 3)]
        public sealed partial class M
        {
            [Encoder, Dense(8)] public partial Dense E1 { get; }
            [Decoder, Dense(4 * 3 * 3)] public partial Dense D1 { get; }
            [Decoder, Unflatten(4, 3, 3)] public partial Reshape D2 { get; }
            [Decoder, {|#0:ConvTranspose(1, 3, Stride = 2, Padding = 1, Activation = Activation.Identity)|}] public partial Conv D3 { get; }
            [Classifier, Dense(8)] public partial Dense C1 { get; }
        }
        """, "GD0016", "The decoder ends with 'D3', whose output [1, 5, 5] is not the data's shape [1, 6, 6] (Channels = 1, Height = 6, Width = 6): set OutputPadding = 1, which gives [1, 6, 6]");
}
