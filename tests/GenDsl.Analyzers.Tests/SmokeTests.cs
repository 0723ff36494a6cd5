namespace GenDsl.Analyzers.Tests;

public class SmokeTests
{
    [Fact]
    public Task ValidFlowHasNoDiagnostic() => AnalyzerTest.VerifyAsync("""
        using GenDsl;
        [Flow(Features = 2)]
        public sealed partial class F
        {
            [AffineCoupling(Mask.Alternating)] public partial Coupling C1 { get; }
            [AffineCoupling(Mask.Alternating)] public partial Coupling C2 { get; }
        }
        """);

    [Fact]
    public Task BadPermutation() => AnalyzerTest.VerifyAsync("""
        using GenDsl;
        [Flow(Features = 3)]
        public sealed partial class F
        {
            [AffineCoupling(Mask.Alternating)] public partial Coupling C1 { get; }
            [Permute({|GD0004:0, 0, 1|})] public partial Permutation P1 { get; }
            [AffineCoupling(Mask.Alternating)] public partial Coupling C2 { get; }
        }
        """);
}
