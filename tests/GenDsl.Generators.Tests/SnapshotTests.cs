using ApprovalTests;
using ApprovalTests.Reporters;

namespace GenDsl.Generators.Tests;

/// <summary>
/// The emitted source of representative flows, compared with approved files next to this file
/// (ApprovalTests). After an intended change of the emitter, inspect the *.received.txt files and
/// rename them to *.approved.txt.
/// </summary>
[UseReporter(typeof(QuietReporter))]
public class SnapshotTests
{
    [Fact]
    public void RealNvp2D()
    {
        var (generated, _) = GeneratorHarness.Run("""
            using GenDsl;
            namespace Demo;

            [Flow(Features = 2)]
            public sealed partial class Moons
            {
                [AffineCoupling(Mask.Alternating, Hidden = 64, HiddenLayers = 2)] public partial Coupling C1 { get; }
                [AffineCoupling(Mask.Alternating, Hidden = 64, HiddenLayers = 2)] public partial Coupling C2 { get; }
            }
            """);
        Approvals.Verify(Assert.Single(generated));
    }

    [Fact]
    public void ImageGlowLayers()
    {
        var (generated, _) = GeneratorHarness.Run("""
            using GenDsl;
            namespace Demo;

            [Flow(Channels = 1, Height = 4, Width = 4)]
            public sealed partial class TinyImages
            {
                [Squeeze] public partial Squeeze S1 { get; }
                [ActNorm] public partial ActNorm N1 { get; }
                [InvertibleConv1x1(Seed = 1)] public partial InvertibleConv1x1 W1 { get; }
                [AffineCoupling(Mask.FirstHalf, Hidden = 8, HiddenLayers = 1)] public partial Coupling C1 { get; }
                [Squeeze] public partial Squeeze S2 { get; }
                [AdditiveCoupling(Mask.SecondHalf, Hidden = 8, HiddenLayers = 1)] public partial Coupling C2 { get; }
            }
            """);
        Approvals.Verify(Assert.Single(generated));
    }

    [Fact]
    public void ConvolutionalCouplings()
    {
        var (generated, _) = GeneratorHarness.Run("""
            using GenDsl;
            namespace Demo;

            [Flow(Channels = 2, Height = 4, Width = 4, Condition = 1)]
            public sealed partial class ConvCouplings
            {
                [AffineCoupling(Mask.CheckerboardEven, Hidden = 8, HiddenLayers = 2)] public partial Coupling C1 { get; }
                [Squeeze] public partial Squeeze S1 { get; }
                [AffineCoupling(Mask.ChannelsFirstHalf, Hidden = 8, HiddenLayers = 2)] public partial Coupling C2 { get; }
                [AdditiveCoupling(Mask.ChannelsSecondHalf, Hidden = 8, HiddenLayers = 1)] public partial Coupling C3 { get; }
            }
            """);
        Approvals.Verify(Assert.Single(generated));
    }

    [Fact]
    public void MultiScaleSplit()
    {
        var (generated, _) = GeneratorHarness.Run("""
            using GenDsl;
            namespace Demo;

            [Flow(Channels = 1, Height = 4, Width = 4)]
            public sealed partial class MultiScale
            {
                [Squeeze] public partial Squeeze S1 { get; }
                [AffineCoupling(Mask.ChannelsFirstHalf, Hidden = 8, HiddenLayers = 1)] public partial Coupling C1 { get; }
                [Split] public partial Split X1 { get; }
                [AffineCoupling(Mask.CheckerboardEven, Hidden = 8, HiddenLayers = 1)] public partial Coupling C2 { get; }
            }
            """);
        Approvals.Verify(Assert.Single(generated));
    }

    /// <summary>An image condition of a conv CVAE: the encoder reads y resized to the image as a channel, the decoder reads it flat after z.</summary>
    [Fact]
    public void ImageConditionedCvae()
    {
        var (generated, _) = GeneratorHarness.Run("""
            using GenDsl;
            namespace Demo;

            [Vae(Channels = 1, Height = 8, Width = 8, Latent = 2, ConditionChannels = 1, ConditionHeight = 2, ConditionWidth = 2)]
            public sealed partial class SuperResolutionCvae
            {
                [Encoder, Conv(4, 4, Stride = 2, Padding = 1)] public partial Conv E1 { get; }
                [Decoder, Dense(16)] public partial Dense D1 { get; }
                [Decoder, Unflatten(1, 4, 4)] public partial Reshape D2 { get; }
                [Decoder, ConvTranspose(1, 4, Stride = 2, Padding = 1, Activation = Activation.Identity)] public partial Conv D3 { get; }
            }
            """);
        Approvals.Verify(Assert.Single(generated));
    }

    /// <summary>A regressor of the super-resolution shape: y [1, 2, 2] read flat → dense → unflatten → batch norm → the conv transpose that makes the image.</summary>
    [Fact]
    public void SuperResolutionRegressor()
    {
        var (generated, _) = GeneratorHarness.Run("""
            using GenDsl;
            namespace Demo;

            [Regressor(Channels = 1, Height = 8, Width = 8, ConditionChannels = 1, ConditionHeight = 2, ConditionWidth = 2)]
            public sealed partial class SuperResolutionRegressor
            {
                [Predictor, Dense(16)] public partial Dense P1 { get; }
                [Predictor, Unflatten(1, 4, 4)] public partial Reshape P2 { get; }
                [Predictor, BatchNorm] public partial BatchNorm P3 { get; }
                [Predictor, ConvTranspose(1, 4, Stride = 2, Padding = 1, Activation = Activation.Sigmoid)] public partial Conv P4 { get; }
            }
            """);
        Approvals.Verify(Assert.Single(generated));
    }

    /// <summary>An image condition: the convolutional coupling reads y resized to its shape, the dense one reads y flat.</summary>
    [Fact]
    public void ImageConditionedFlow()
    {
        var (generated, _) = GeneratorHarness.Run("""
            using GenDsl;
            namespace Demo;

            [Flow(Channels = 1, Height = 4, Width = 4, ConditionChannels = 1, ConditionHeight = 2, ConditionWidth = 2)]
            public sealed partial class SuperResolution
            {
                [AffineCoupling(Mask.CheckerboardEven, Hidden = 8, HiddenLayers = 1)] public partial Coupling C1 { get; }
                [Squeeze] public partial Squeeze S1 { get; }
                [AffineCoupling(Mask.ChannelsFirstHalf, Hidden = 8, HiddenLayers = 1)] public partial Coupling C2 { get; }
                [AffineCoupling(Mask.SecondHalf, Hidden = 8, HiddenLayers = 1)] public partial Coupling C3 { get; }
            }
            """);
        Approvals.Verify(Assert.Single(generated));
    }

    [Fact]
    public void ConditionalFlow()
    {
        var (generated, _) = GeneratorHarness.Run("""
            using GenDsl;
            namespace Demo;

            [Flow(Features = 4, Condition = 3)]
            public sealed partial class Conditional
            {
                [AffineCoupling("1100", Hidden = 32, HiddenLayers = 1, Activation = Activation.Tanh)] public partial Coupling C1 { get; }
                [Permute(Permutation.Random, Seed = 7)] public partial Permutation P1 { get; }
                [AdditiveCoupling(Mask.Even, Hidden = 16, HiddenLayers = 1)] public partial Coupling C2 { get; }
            }
            """);
        Approvals.Verify(Assert.Single(generated));
    }

    [Fact]
    public void ActNormInvertibleLinearExplicitPermutation()
    {
        var (generated, _) = GeneratorHarness.Run("""
            using GenDsl;
            namespace Demo;

            [Flow(Features = 6)]
            internal sealed partial class Glowish
            {
                [ActNorm] public partial ActNorm N1 { get; }
                [InvertibleLinear(Seed = 3)] public partial InvertibleLinear L1 { get; }
                [AffineCoupling(Mask.FirstHalf, Hidden = 8, HiddenLayers = 1, Activation = Activation.LeakyRelu)] public partial Coupling C1 { get; }
                [Permute(5, 4, 3, 2, 1, 0)] public partial Permutation P1 { get; }
                [AffineCoupling(Mask.FirstHalf, Hidden = 8, HiddenLayers = 0)] public partial Coupling C2 { get; }
            }
            """);
        Approvals.Verify(Assert.Single(generated));
    }

    [Fact]
    public void ConditionalSplineFlow()
    {
        var (generated, _) = GeneratorHarness.Run("""
            using GenDsl;
            namespace Demo;

            [Flow(Features = 3, Condition = 2)]
            public sealed partial class Nsf
            {
                [SplineCoupling(Mask.FirstHalf, Bins = 4, TailBound = 2.5f, Hidden = 16, HiddenLayers = 1)] public partial Coupling S1 { get; }
                [Permute(Permutation.Reverse)] public partial Permutation P1 { get; }
                [SplineCoupling(Mask.FirstHalf, Bins = 8, TailBound = 3, Hidden = 16, HiddenLayers = 2, Activation = Activation.Tanh)] public partial Coupling S2 { get; }
            }
            """);
        Approvals.Verify(Assert.Single(generated));
    }

    /// <summary>[Flow(Initialization = FlowInitialization.Identity)]: zero output layers, the spline derivative biases, in C# and in the PyTorch module.</summary>
    [Fact]
    public void IdentityInitialization()
    {
        var (generated, _) = GeneratorHarness.Run("""
            using GenDsl;
            namespace Demo;

            [Flow(Features = 2, Initialization = FlowInitialization.Identity)]
            public sealed partial class Zero
            {
                [AffineCoupling(Mask.FirstHalf, Hidden = 4, HiddenLayers = 1)] public partial Coupling C1 { get; }
                [SplineCoupling(Mask.SecondHalf, Bins = 3, Hidden = 4, HiddenLayers = 1)] public partial Coupling S1 { get; }
                [MaskedAutoregressive(Transform = AutoregressiveTransform.Spline, Bins = 3, Hidden = 4, HiddenLayers = 1)] public partial MaskedAutoregressive M1 { get; }
            }
            """);
        Approvals.Verify(Assert.Single(generated));
    }

    [Fact]
    public void MaskedAutoregressiveFlow()
    {
        var (generated, _) = GeneratorHarness.Run("""
            using GenDsl;
            namespace Demo;

            [Flow(Features = 3, Condition = 2)]
            public sealed partial class Maf
            {
                [MaskedAutoregressive(Hidden = 8, HiddenLayers = 2)] public partial MaskedAutoregressive M1 { get; }
                [Permute(Permutation.Reverse)] public partial Permutation P1 { get; }
                [MaskedAutoregressive(Hidden = 6, HiddenLayers = 1, Activation = Activation.Tanh, Inverse = true)] public partial MaskedAutoregressive M2 { get; }
            }
            """);
        Approvals.Verify(Assert.Single(generated));
    }

    [Fact]
    public void MaskedAutoregressiveSplineFlow()
    {
        var (generated, _) = GeneratorHarness.Run("""
            using GenDsl;
            namespace Demo;

            [Flow(Features = 3, Condition = 1)]
            public sealed partial class Nsf
            {
                [MaskedAutoregressive(Transform = AutoregressiveTransform.Spline, Bins = 4, Hidden = 8, HiddenLayers = 2)] public partial MaskedAutoregressive M1 { get; }
                [Permute(Permutation.Reverse)] public partial Permutation P1 { get; }
                [MaskedAutoregressive(Transform = AutoregressiveTransform.Spline, Bins = 3, TailBound = 2, Hidden = 6, HiddenLayers = 1, Inverse = true)] public partial MaskedAutoregressive M2 { get; }
            }
            """);
        Approvals.Verify(Assert.Single(generated));
    }

    [Fact]
    public void ConditionalGaussianVae()
    {
        var (generated, _) = GeneratorHarness.Run("""
            using GenDsl;
            namespace Demo;

            [Vae(Features = 16, Latent = 4, Likelihood = Likelihood.Gaussian, Condition = 3)]
            public sealed partial class Cvae
            {
                [Encoder, Dense(32, Activation.Relu)] public partial Dense E1 { get; }
                [Decoder, Dense(32, Activation.Tanh)] public partial Dense D1 { get; }
            }
            """);
        Approvals.Verify(Assert.Single(generated));
    }

    [Fact]
    public void NonSaturatingGan()
    {
        var (generated, _) = GeneratorHarness.Run("""
            using GenDsl;
            namespace Demo;

            [Gan(Features = 2, Noise = 8, Loss = GanLoss.NonSaturating)]
            public sealed partial class Ring
            {
                [Generator, Dense(64, Activation.Relu)] public partial Dense G1 { get; }
                [Discriminator, Dense(64, Activation.LeakyRelu)] public partial Dense D1 { get; }
            }
            """);
        Approvals.Verify(Assert.Single(generated));
    }

    [Fact]
    public void WassersteinGanWithGradientPenalty()
    {
        var (generated, _) = GeneratorHarness.Run("""
            using GenDsl;
            namespace Demo;

            [Gan(Features = 2, Noise = 4, Loss = GanLoss.Wasserstein, GradientPenalty = 10f, Condition = 3)]
            public sealed partial class Critic
            {
                [Generator, Dense(32, Activation.Relu)] public partial Dense G1 { get; }
                [Discriminator, Dense(32, Activation.LeakyRelu)] public partial Dense D1 { get; }
                [Discriminator, Dense(16, Activation.Relu)] public partial Dense D2 { get; }
            }
            """);
        Approvals.Verify(Assert.Single(generated));
    }

    [Fact]
    public void BernoulliVaeAndHingeGan()
    {
        var (generated, _) = GeneratorHarness.Run("""
            using GenDsl;
            namespace Demo;

            [Vae(Features = 8, Latent = 2, Likelihood = Likelihood.Bernoulli, Beta = 0.5f)]
            public sealed partial class Binary
            {
                [Encoder, Dense(16, Activation.Tanh)] public partial Dense E1 { get; }
                [Decoder, Dense(16, Activation.Softplus)] public partial Dense D1 { get; }
            }

            [Gan(Features = 3, Noise = 2, Loss = GanLoss.Hinge, Output = Activation.Sigmoid)]
            public sealed partial class Hinged
            {
                [Generator, Dense(8, Activation.Relu)] public partial Dense G1 { get; }
                [Discriminator, Dense(8, Activation.LeakyRelu)] public partial Dense D1 { get; }
            }
            """);
        Approvals.VerifyAll(generated.OrderBy(g => g, StringComparer.Ordinal), "generated");
    }

    [Fact]
    public void ConditionalConvolutionalGanWithBatchNorm()
    {
        var (generated, _) = GeneratorHarness.Run("""
            using GenDsl;
            namespace Demo;

            [Gan(Channels = 1, Height = 8, Width = 8, Noise = 4, Condition = 2)]
            public sealed partial class TinyDcgan
            {
                [Generator, Dense(8 * 2 * 2, Activation.Identity)] public partial Dense G1 { get; }
                [Generator, BatchNorm(Activation = Activation.Relu)] public partial BatchNorm G2 { get; }
                [Generator, Unflatten(8, 2, 2)] public partial Reshape G3 { get; }
                [Generator, ConvTranspose(4, 4, Stride = 2, Padding = 1, Activation = Activation.Identity)] public partial Conv G4 { get; }
                [Generator, BatchNorm(Activation = Activation.Relu)] public partial BatchNorm G5 { get; }
                [Generator, ConvTranspose(1, 4, Stride = 2, Padding = 1, Activation = Activation.Sigmoid)] public partial Conv G6 { get; }
                [Discriminator, Conv(4, 3, Stride = 1, Padding = 1, Activation = Activation.LeakyRelu)] public partial Conv D1 { get; }
                [Discriminator, Conv(8, 4, Stride = 2, Padding = 1, Activation = Activation.LeakyRelu)] public partial Conv D2 { get; }
                [Discriminator, Flatten] public partial Reshape D3 { get; }
            }
            """);
        Approvals.Verify(Assert.Single(generated));
    }

    [Fact]
    public void ConvolutionalGaussianVae()
    {
        var (generated, _) = GeneratorHarness.Run("""
            using GenDsl;
            namespace Demo;

            [Vae(Channels = 2, Height = 6, Width = 6, Latent = 3, Likelihood = Likelihood.Gaussian)]
            public sealed partial class TinyConvVae
            {
                [Encoder, Conv(4, 3, Stride = 2, Padding = 1)] public partial Conv E1 { get; }
                [Encoder, Dense(16)] public partial Dense E2 { get; }
                [Decoder, Dense(4 * 3 * 3)] public partial Dense D1 { get; }
                [Decoder, Unflatten(4, 3, 3)] public partial Reshape D2 { get; }
                [Decoder, ConvTranspose(4, 3, Stride = 2, Padding = 1, OutputPadding = 1, Activation = Activation.Identity)] public partial Conv D3 { get; }
            }
            """);
        Approvals.Verify(Assert.Single(generated));
    }

    [Fact]
    public void SemiSupervisedVae()
    {
        var (generated, _) = GeneratorHarness.Run("""
            using GenDsl;
            namespace Demo;

            [SemiSupervisedVae(Features = 6, Latent = 2, Classes = 3, Alpha = 0.5f)]
            public sealed partial class TinyM2
            {
                [Encoder, Dense(8, Activation.Softplus)] public partial Dense E1 { get; }
                [Decoder, Dense(8, Activation.Softplus)] public partial Dense D1 { get; }
                [Classifier, Dense(8)] public partial Dense C1 { get; }
            }
            """);
        Approvals.Verify(Assert.Single(generated));
    }

    [Fact]
    public void MemberNamesClashingWithTorchAndPython()
    {
        // forward, training (nn.Module's), lambda (a keyword) and alpha (the module's own attribute) live in self._modules;
        // E1 stays an attribute
        var (generated, _) = GeneratorHarness.Run("""
            using GenDsl;
            namespace Demo;

            [SemiSupervisedVae(Features = 6, Latent = 2, Classes = 3)]
            public sealed partial class ClashM2
            {
                [Encoder, Dense(8, Activation.Softplus)] public partial Dense E1 { get; }
                [Encoder, BatchNorm] public partial BatchNorm training { get; }
                [Decoder, Dense(8, Activation.Softplus)] public partial Dense forward { get; }
                [Classifier, Dense(8)] public partial Dense lambda { get; }
                [Classifier, Dense(4)] public partial Dense alpha { get; }
            }
            """);
        Approvals.Verify(Assert.Single(generated));
    }

    [Fact]
    public void ConvolutionalSemiSupervisedVae()
    {
        var (generated, _) = GeneratorHarness.Run("""
            using GenDsl;
            namespace Demo;

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
        Approvals.Verify(Assert.Single(generated));
    }
}
