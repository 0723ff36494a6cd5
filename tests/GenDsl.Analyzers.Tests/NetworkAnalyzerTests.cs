using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;

namespace GenDsl.Analyzers.Tests;

/// <summary>
/// The rules on <c>[Vae]</c> and <c>[Gan]</c> models (the shared <c>NetValidator</c>): each fires on the
/// syntax that is wrong (the markup span is the exact expected location), and nothing fires on valid
/// models, the ready-made ones included. CompilerDiagnostics are off (no generator: the partial layer
/// properties have no implementation part).
/// </summary>
public class NetworkAnalyzerTests
{
    private static Task Verify(params string[] sources) => AnalyzerTest.VerifyAsync(sources);

    private static Task VerifyMessage(string source, string id, string message)
    {
        var test = new AnalyzerTest(source);
        test.ExpectedDiagnostics.Add(new DiagnosticResult(id, DiagnosticSeverity.Error).WithLocation(0).WithArguments(message));
        return test.RunAsync();
    }

    // ---- Valid models: no diagnostic -------------------------------------------------------------

    [Fact]
    public Task ReadyMadeModelsHaveNoDiagnostic() => Verify(
        File.ReadAllText(TestSetup.RepositoryFile("models", "VaeGanModels.cs")),
        File.ReadAllText(TestSetup.RepositoryFile("models", "MoonsFlow.cs")));

    [Fact]
    public Task ReadyMadeModelsDeclareVaesAndGans()
    {
        // The test above is meaningful only while that file holds models of both kinds.
        string source = File.ReadAllText(TestSetup.RepositoryFile("models", "VaeGanModels.cs"));
        Assert.Contains("[Vae(", source);
        Assert.Contains("[Gan(", source);
        return Task.CompletedTask;
    }

    [Fact]
    public Task EveryOptionAndFormHasNoDiagnostic() => Verify("""
        using GenDsl;
        namespace Models;
        [Vae(Features = 16, Latent = 4, Likelihood = Likelihood.GaussianFixed, Sigma = 0.5f, Beta = 0, Condition = 3)]
        internal partial class Everything
        {
            [Encoder, Dense(32)] public partial Dense E1 { get; }
            [Dense(width: 16, activation: Activation.Tanh), Encoder] internal partial GenDsl.Dense E2 { get; }
            [Decoder][Dense(activation: Activation.Softplus, width: 8)] public partial Dense D1 { get; }
            [GenDsl.Decoder, GenDsl.DenseAttribute(32, Activation.LeakyRelu)] public partial Dense D2 { get; }

            // Other members are not layers.
            public int NotALayer { get; set; }
            private readonly float[] _buffer = new float[4];
        }

        [Vae(Features = 4, Latent = 2, Likelihood = Likelihood.Gaussian, Sigma = 0)] // Sigma is read only with GaussianFixed
        public sealed partial class GaussianVae
        {
            [Encoder, Dense(8)] public partial Dense E1 { get; }
            [Decoder, Dense(8)] public partial Dense D1 { get; }
        }

        [Gan(Features = 2, Noise = 8, Loss = GanLoss.Hinge, Output = Activation.Tanh, Condition = 8)]
        public sealed partial class HingeGan
        {
            [Generator, Dense(64, Activation.Relu)] public partial Dense G1 { get; }
            [Discriminator, Dense(64, Activation.LeakyRelu)] public partial Dense D1 { get; }
        }

        [Gan(Features = 2, Noise = 1, Loss = GanLoss.Minimax)]
        public sealed partial class NoHiddenLayers
        {
        }
        """);

    [Fact]
    public Task ClassWithoutModelAttributeIsNotChecked() => Verify("""
        using GenDsl;
        public class NotAModel
        {
            [Encoder, Generator, Dense(0)] public Dense? E1 { get; }
            [Discriminator] public int D1;
        }
        """);

    [Fact]
    public Task SecondPartialDeclarationWithoutLayersIsFine() => Verify("""
        using GenDsl;
        [Gan(Features = 2, Noise = 4)]
        public sealed partial class G
        {
            [Generator, Dense(8)] public partial Dense G1 { get; }
            [Discriminator, Dense(8)] public partial Dense D1 { get; }
        }
        public sealed partial class G
        {
            public int Helper() => 1;
        }
        """);

    // ---- GD0001 -------------------------------------------------------------------------------

    [Theory]
    [InlineData("Vae(Features = 4, Latent = 2)", "public sealed class {|GD0001:M|}")]
    [InlineData("Vae(Features = 4, Latent = 2)", "public static partial class {|GD0001:M|}")]
    [InlineData("Gan(Features = 4, Noise = 2)", "public abstract partial class {|GD0001:M|}")]
    [InlineData("Gan(Features = 4, Noise = 2)", "public partial class {|GD0001:M|}<T>")]
    [InlineData("Gan(Features = 4, Noise = 2)", "class {|GD0001:M|}")]
    public Task GD0001_ModelClassShape(string model, string declaration) => Verify($$"""
        using GenDsl;
        [{{model}}]
        {{declaration}}
        {
        }
        """);

    [Theory]
    [InlineData("Vae(Features = 4, Latent = 2)")]
    [InlineData("Gan(Features = 4, Noise = 2)")]
    public Task GD0001_NestedModel(string model) => Verify($$"""
        using GenDsl;
        public partial class Outer
        {
            [{{model}}]
            public partial class {|GD0001:M|}
            {
            }
        }
        """);

    [Fact]
    public Task GD0001_MessageSaysWhy() => VerifyMessage("""
        using GenDsl;
        [Gan(Features = 2, Noise = 4)]
        public abstract partial class {|#0:G|}
        {
            [Generator, Dense(8)] public partial Dense G1 { get; }
        }
        """, "GD0001", "Model class 'G' is abstract: a model must be a non-static, non-abstract, non-generic, top-level 'partial' class");

    // ---- GD0005 -------------------------------------------------------------------------------

    [Theory]
    [InlineData("[Vae({|GD0005:Features = 0|}, Latent = 2)]")]
    [InlineData("[Vae(Features = 4, {|GD0005:Latent = -1|})]")]
    [InlineData("[{|GD0005:Vae(Features = 4)|}]")]                      // Latent missing
    [InlineData("[{|GD0005:Vae(Latent = 2)|}]")]                        // Features missing
    [InlineData("[Vae(Features = 4, Latent = 2, {|GD0005:Condition = -2|})]")]
    [InlineData("[Vae(Features = 4, Latent = 2, {|GD0005:Beta = -0.5f|})]")]
    [InlineData("[Vae(Features = 4, Latent = 2, Likelihood = Likelihood.GaussianFixed, {|GD0005:Sigma = 0|})]")]
    [InlineData("[Vae({|GD0005:Sigma = -1f|}, Likelihood = Likelihood.GaussianFixed, Features = 4, Latent = 2)]")]
    [InlineData("[Vae({|GD0005:Features = 0|}, {|GD0005:Latent = 0|})]")]
    public Task GD0005_VaeSizes(string vae) => Verify($$"""
        using GenDsl;
        {{vae}}
        public sealed partial class V
        {
            [Encoder, Dense(8)] public partial Dense E1 { get; }
            [Decoder, Dense(8)] public partial Dense D1 { get; }
        }
        """);

    [Theory]
    [InlineData("[Gan(Features = 2, {|GD0005:Noise = 0|})]")]
    [InlineData("[{|GD0005:Gan(Features = 2)|}]")]                      // Noise missing
    [InlineData("[Gan({|GD0005:Features = -2|}, Noise = 4)]")]
    [InlineData("[Gan(Features = 2, Noise = 4, {|GD0005:Condition = -1|})]")]
    [InlineData("[{|GD0005:{|GD0005:Gan()|}|}]")]                       // both missing: one finding each, at the attribute
    public Task GD0005_GanSizes(string gan) => Verify($$"""
        using GenDsl;
        {{gan}}
        public sealed partial class G
        {
            [Generator, Dense(8)] public partial Dense G1 { get; }
            [Discriminator, Dense(8)] public partial Dense D1 { get; }
        }
        """);

    [Theory]
    [InlineData("[Encoder, Dense({|GD0005:0|})]")]
    [InlineData("[Encoder, Dense({|GD0005:-4|}, Activation.Tanh)]")]
    [InlineData("[Encoder, Dense({|GD0005:width: 0|})]")]
    [InlineData("[Encoder, Dense(activation: Activation.Tanh, {|GD0005:width: 0|})]")]
    [InlineData("[Dense({|GD0005:0|}), Encoder]")]
    [InlineData("[Encoder][Dense({|GD0005:0|})]")]
    public Task GD0005_DenseWidth(string attributes) => Verify($$"""
        using GenDsl;
        [Vae(Features = 4, Latent = 2)]
        public sealed partial class V
        {
            {{attributes}} public partial Dense E1 { get; }
            [Decoder, Dense(8)] public partial Dense D1 { get; }
        }
        """);

    [Fact]
    public Task GD0005_MessagesNameTheArgument() => VerifyMessage("""
        using GenDsl;
        [Gan(Features = 2, {|#0:Noise = 0|})]
        public sealed partial class G
        {
            [Generator, Dense(8)] public partial Dense G1 { get; }
        }
        """, "GD0005", "GAN 'G' has Noise = 0: set Noise to the size of Z (≥ 1)");

    [Fact]
    public Task GD0005_WidthMessage() => VerifyMessage("""
        using GenDsl;
        [Vae(Features = 4, Latent = 2)]
        public sealed partial class V
        {
            [Encoder, Dense({|#0:0|}, Activation.Relu)] public partial Dense E1 { get; }
        }
        """, "GD0005", "Layer 'E1' has [Dense] with width 0: the number of units must be ≥ 1");

    // ---- GD0009 -------------------------------------------------------------------------------

    [Fact]
    public Task GD0009_RolesOfTheOtherKind() => Verify("""
        using GenDsl;
        [Vae(Features = 4, Latent = 2)]
        public sealed partial class V
        {
            [{|GD0009:Generator|}, Dense(8)] public partial Dense E1 { get; }
            [Encoder, {|GD0009:Discriminator|}, Dense(8)] public partial Dense E2 { get; }
            [Decoder, Dense(8)] public partial Dense D1 { get; }
        }

        [Gan(Features = 2, Noise = 4)]
        public sealed partial class G
        {
            [Generator, Dense(8)] public partial Dense G1 { get; }
            [Dense(8), {|GD0009:Decoder|}] public partial Dense D1 { get; }
            [{|GD0009:Encoder|}] public int NotALayer { get; set; }
        }
        """);

    [Fact]
    public Task GD0009_FlowLayerAttributes() => Verify("""
        using GenDsl;
        [Vae(Features = 4, Latent = 2)]
        public sealed partial class V
        {
            [Encoder, Dense(8)] public partial Dense E1 { get; }
            [{|GD0009:AffineCoupling(Mask.Alternating)|}] public partial Coupling C1 { get; }
            [Decoder, {|GD0009:ActNorm|}] public partial Dense D1 { get; }
        }

        [Gan(Features = 2, Noise = 4)]
        public sealed partial class G
        {
            [Generator, {|GD0009:Permute(Permutation.Reverse)|}] public partial Permutation P1 { get; }
            [Discriminator, Dense(8)] public partial Dense D1 { get; }
        }
        """);

    [Fact]
    public Task GD0009_Message() => VerifyMessage("""
        using GenDsl;
        [Gan(Features = 2, Noise = 4)]
        public sealed partial class G
        {
            [{|#0:Encoder|}, Dense(8)] public partial Dense G1 { get; }
        }
        """, "GD0009", "Layer 'G1' has the role [Encoder], which a GAN does not have: use [Generator] or [Discriminator]");

    // ---- GD0010 -------------------------------------------------------------------------------

    [Fact]
    public Task GD0010_LayersInTwoDeclarations() => Verify("""
        using GenDsl;
        [Vae(Features = 4, Latent = 2)]
        public sealed partial class V
        {
            [Encoder, Dense(8)] public partial Dense E1 { get; }
        }
        """, """
        using GenDsl;
        public sealed partial class V
        {
            [Encoder, {|GD0010:Dense(8)|}] public partial Dense E2 { get; }
            [Decoder, {|GD0010:Dense(8)|}] public partial Dense D1 { get; }
            [{|GD0013:{|GD0010:Decoder|}|}] public partial Dense D2 { get; }   // no [Dense]: at its first attribute
        }
        """);

    // ---- GD0011 / GD0012 ----------------------------------------------------------------------

    [Fact]
    public Task GD0011_LayerMustBeAPartialGetOnlyProperty() => Verify("""
        using GenDsl;
        [Gan(Features = 2, Noise = 4)]
        public sealed partial class G
        {
            [Generator, Dense(8)] public Dense? {|GD0011:G1|};
            [Generator, Dense(8)] public Dense? {|GD0011:G2|} { get; }
            [Discriminator, Dense(8)] public partial Dense {|GD0011:D1|} { get; set; }
            [Discriminator, Dense(8)] public partial Dense {|GD0011:D2|} { get; init; }
        }
        """);

    [Fact]
    public Task GD0012_TypeMustBeDense() => Verify("""
        using GenDsl;
        [Vae(Features = 4, Latent = 2)]
        public sealed partial class V
        {
            [Encoder, Dense(8)] public partial {|GD0012:Dense?|} E1 { get; }
            [Encoder, Dense(8)] public partial {|GD0012:Coupling|} E2 { get; }
            [Decoder, Dense(8)] public partial {|GD0012:object|} D1 { get; }
            [Decoder, Dense(8)] public partial GenDsl.Dense D2 { get; }
        }
        """);

    // ---- GD0013 -------------------------------------------------------------------------------

    [Fact]
    public Task GD0013_RoleWithoutDense() => Verify("""
        using GenDsl;
        [Vae(Features = 4, Latent = 2)]
        public sealed partial class V
        {
            [{|GD0013:Encoder|}] public partial Dense E1 { get; }
            [Decoder, Dense(8)] public partial Dense D1 { get; }
        }
        """);

    [Fact]
    public Task GD0013_DenseWithoutRole() => Verify("""
        using GenDsl;
        [Gan(Features = 2, Noise = 4)]
        public sealed partial class G
        {
            [{|GD0013:Dense(8)|}] public partial Dense G1 { get; }
            [Discriminator, Dense(8)] public partial Dense D1 { get; }
        }
        """);

    [Fact]
    public Task GD0013_TwoRolesPointsAtTheSecond() => Verify("""
        using GenDsl;
        [Gan(Features = 2, Noise = 4)]
        public sealed partial class G
        {
            [Generator, {|GD0013:Discriminator|}, Dense(8)] public partial Dense G1 { get; }
            [Discriminator][Dense(8)][{|GD0013:Generator|}] public partial Dense D1 { get; }
        }
        """);

    [Fact]
    public Task GD0013_Message() => VerifyMessage("""
        using GenDsl;
        [Vae(Features = 4, Latent = 2)]
        public sealed partial class V
        {
            [{|#0:Dense(8)|}] public partial Dense E1 { get; }
        }
        """, "GD0013", "Layer 'E1' has no role: each layer of a VAE is '[Encoder, Dense(width, activation)]' or '[Decoder, Conv(…)]' (a role and one layer attribute)");

    // ---- GD0014 -------------------------------------------------------------------------------

    [Theory]
    [InlineData("[Gan(Features = 2, Noise = 4, {|GD0014:Loss = GanLoss.Wasserstein|})]")]
    [InlineData("[Gan({|GD0014:Loss = (GanLoss)3|}, Features = 2, Noise = 4)]")]
    [InlineData("[Gan(Features = 2, Noise = 4, {|GD0014:Loss = GenDsl.GanLoss.Wasserstein|}, Output = Activation.Tanh)]")]
    public Task GD0014_Wasserstein(string gan) => Verify($$"""
        using GenDsl;
        {{gan}}
        public sealed partial class G
        {
            [Generator, Dense(8)] public partial Dense G1 { get; }
            [Discriminator, Dense(8, Activation.Tanh)] public partial Dense D1 { get; }
        }
        """);

    [Fact]
    public Task WassersteinWithAPiecewiseLinearCriticIsValid() => Verify("""
        using GenDsl;
        [Gan(Features = 2, Noise = 4, Loss = GanLoss.Wasserstein, GradientPenalty = 5f)]
        public sealed partial class G
        {
            [Generator, Dense(8, Activation.Tanh)] public partial Dense G1 { get; }
            [Discriminator, Dense(8, Activation.LeakyRelu)] public partial Dense D1 { get; }
            [Discriminator, Dense(8, Activation.Relu)] public partial Dense D2 { get; }
        }
        """);

    [Fact]
    public Task GD0014_Message() => VerifyMessage("""
        using GenDsl;
        [Gan(Features = 2, Noise = 4, {|#0:Loss = GanLoss.Wasserstein|})]
        public sealed partial class G
        {
            [Generator, Dense(8)] public partial Dense G1 { get; }
            [Discriminator, Dense(8, Activation.Sigmoid)] public partial Dense D1 { get; }
        }
        """, "GD0014", "GAN 'G' uses GanLoss.Wasserstein, whose gradient penalty GenDsl differentiates through a piecewise-linear dense critic only, but discriminator layer 'D1' uses a smooth activation: use Activation.LeakyRelu or Relu there, or another loss");

    // ---- Flow rules that a VAE/GAN does not have ----------------------------------------------

    [Fact]
    public Task NoFlowRuleOnAVaeOrGan() => Verify("""
        using GenDsl;
        // A [Flow] would get GD0002 on [Dense], GD0009 on the roles, GD0008 for lacking a coupling.
        [Vae(Features = 2, Latent = 1)]
        public sealed partial class V
        {
            [Encoder, Dense(8)] public partial Dense E1 { get; }
            [Decoder, Dense(8)] public partial Dense D1 { get; }
        }
        """);

    // ---- Several findings at once -------------------------------------------------------------

    [Fact]
    public Task EveryFindingOfAModelIsReported() => Verify("""
        using GenDsl;
        [Gan({|GD0005:Features = 0|}, Noise = 4, {|GD0014:Loss = GanLoss.Wasserstein|})]
        public sealed class {|GD0001:G|}
        {
            [Generator, Dense({|GD0005:0|})] public partial {|GD0012:Coupling|} G1 { get; }
            [{|GD0009:Encoder|}, Dense(8)] public partial Dense G2 { get; }
            [{|GD0013:Discriminator|}] public partial Dense D1 { get; }
            [Discriminator, Dense(8, Activation.Tanh)] public Dense? {|GD0011:D2|};
        }
        """);
}
