using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;

namespace GenDsl.Analyzers.Tests;

/// <summary>
/// The rules on <c>[Regressor]</c> models, from the shared <c>NetValidator</c>: each fires on the syntax that is wrong, with
/// a message that names the place and the fix; nothing fires on valid regressors.
/// </summary>
public class RegressorAnalyzerTests
{
    private static Task Verify(params string[] sources) => AnalyzerTest.VerifyAsync(sources);

    private static Task VerifyMessage(string source, string id, string message)
    {
        var test = new AnalyzerTest(source);
        test.ExpectedDiagnostics.Add(new DiagnosticResult(id, DiagnosticSeverity.Error).WithLocation(0).WithArguments(message));
        return test.RunAsync();
    }

    [Fact]
    public Task DenseConvolutionalAndLinearRegressorsHaveNoDiagnostic() => Verify("""
        using GenDsl;
        namespace Models;
        [Regressor(Features = 5, Condition = 3, Output = Activation.Sigmoid)]
        public sealed partial class DenseRegressor
        {
            [Predictor, Dense(7, Activation.Tanh)] public partial Dense P1 { get; }
        }

        [Regressor(Channels = 1, Height = 8, Width = 8, ConditionChannels = 1, ConditionHeight = 2, ConditionWidth = 2)]
        public sealed partial class SuperResolution
        {
            [Predictor, Dense(16)] public partial Dense P1 { get; }
            [Predictor, Unflatten(1, 4, 4)] public partial Reshape P2 { get; }
            [Predictor, BatchNorm] public partial BatchNorm P3 { get; }
            [Predictor, ConvTranspose(1, 4, Stride = 2, Padding = 1, Activation = Activation.Sigmoid)] public partial Conv P4 { get; }
        }

        [Regressor(Features = 2, Condition = 4)]
        public sealed partial class Linear
        {
        }
        """);

    [Fact]
    public Task NoInput() => VerifyMessage("""
        using GenDsl;
        [{|#0:Regressor(Features = 4)|}]
        public sealed partial class R
        {
            [Predictor, Dense(8)] public partial Dense P1 { get; }
        }
        """, "GD0005", "Regressor 'R' has Condition = 0: a regressor predicts x from y: set Condition to the size of Y (≥ 1), or ConditionChannels, ConditionHeight and ConditionWidth for an image y");

    [Fact]
    public Task ARoleOfAnotherKind() => VerifyMessage("""
        using GenDsl;
        [Regressor(Features = 4, Condition = 2)]
        public sealed partial class R
        {
            [{|#0:Generator|}, Dense(8)] public partial Dense P1 { get; }
        }
        """, "GD0009", "Layer 'P1' has the role [Generator], which a Regressor does not have: use [Predictor]");

    [Fact]
    public Task AFlowLayerInside() => VerifyMessage("""
        using GenDsl;
        [Regressor(Features = 4, Condition = 2)]
        public sealed partial class R
        {
            [Predictor, {|#0:AffineCoupling(Pattern.Alternating)|}] public partial Coupling P1 { get; }
        }
        """, "GD0009", "Layer 'P1' has [AffineCoupling], a flow layer, inside a Regressor: use [Predictor, Dense(width, activation)]");

    [Fact]
    public Task AbsurdOutput() => VerifyMessage("""
        using GenDsl;
        [Regressor(Features = 4, Condition = 2, {|#0:Output = (Activation)42|})]
        public sealed partial class R
        {
        }
        """, "GD0005", "Regressor 'R' has Output = 42, which is not a value of GenDsl.Activation: use one of its named members");

    [Fact]
    public Task ALastConvolutionThatDoesNotMakeTheImage() => VerifyMessage("""
        using GenDsl;
        [Regressor(Channels = 1, Height = 8, Width = 8, Condition = 4)]
        public sealed partial class R
        {
            [Predictor, Dense(16)] public partial Dense P1 { get; }
            [Predictor, Unflatten(1, 4, 4)] public partial Reshape P2 { get; }
            [Predictor, {|#0:ConvTranspose(1, 4, Stride = 2)|}] public partial Conv P3 { get; }
        }
        """, "GD0016", "The predictor ends with 'P3', whose output [1, 10, 10] is not the data's shape [1, 8, 8] (Channels = 1, Height = 8, Width = 8): set Padding = 1, which gives [1, 8, 8]");

    [Fact]
    public Task TwoOutputActivations() => VerifyMessage("""
        using GenDsl;
        [Regressor(Channels = 1, Height = 8, Width = 8, Condition = 4, {|#0:Output = Activation.Tanh|})]
        public sealed partial class R
        {
            [Predictor, Dense(16)] public partial Dense P1 { get; }
            [Predictor, Unflatten(1, 4, 4)] public partial Reshape P2 { get; }
            [Predictor, ConvTranspose(1, 4, Stride = 2, Padding = 1, Activation = Activation.Sigmoid)] public partial Conv P3 { get; }
        }
        """, "GD0016", "The predictor ends with 'P3', a [ConvTranspose] whose Activation = Sigmoid is the output activation, but [Regressor] also sets Output = Tanh: set the activation once, on 'P3'");

    [Fact]
    public Task AnImageInputWithAWrongCondition() => VerifyMessage("""
        using GenDsl;
        [Regressor(Features = 4, {|#0:Condition = 5|}, ConditionChannels = 1, ConditionHeight = 2, ConditionWidth = 2)]
        public sealed partial class R
        {
        }
        """, "GD0005", "Regressor 'R' has Condition = 5 but ConditionChannels·ConditionHeight·ConditionWidth = 1·2·2 = 4: leave Condition out (it is their product)");
}
