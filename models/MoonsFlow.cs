namespace GenDsl.Models;

/// <summary>
/// RealNVP on 2-D data (two moons): 8 affine couplings alternating which coordinate they keep, each
/// network 1 → 64 → 64 → 2 with ReLU. The reference workload <c>train-flow2d</c>.
/// </summary>
[Flow(Features = 2)]
public sealed partial class MoonsFlow
{
    [AffineCoupling(Mask.Alternating, Hidden = 64, HiddenLayers = 2)] public partial Coupling C1 { get; }
    [AffineCoupling(Mask.Alternating, Hidden = 64, HiddenLayers = 2)] public partial Coupling C2 { get; }
    [AffineCoupling(Mask.Alternating, Hidden = 64, HiddenLayers = 2)] public partial Coupling C3 { get; }
    [AffineCoupling(Mask.Alternating, Hidden = 64, HiddenLayers = 2)] public partial Coupling C4 { get; }
    [AffineCoupling(Mask.Alternating, Hidden = 64, HiddenLayers = 2)] public partial Coupling C5 { get; }
    [AffineCoupling(Mask.Alternating, Hidden = 64, HiddenLayers = 2)] public partial Coupling C6 { get; }
    [AffineCoupling(Mask.Alternating, Hidden = 64, HiddenLayers = 2)] public partial Coupling C7 { get; }
    [AffineCoupling(Mask.Alternating, Hidden = 64, HiddenLayers = 2)] public partial Coupling C8 { get; }
}

/// <summary>p(X | which moon): the same RealNVP with a one-hot condition of 2 values fed to every coupling network.</summary>
[Flow(Features = 2, Condition = 2)]
public sealed partial class ConditionalMoonsFlow
{
    [AffineCoupling(Mask.Alternating, Hidden = 64, HiddenLayers = 2)] public partial Coupling C1 { get; }
    [AffineCoupling(Mask.Alternating, Hidden = 64, HiddenLayers = 2)] public partial Coupling C2 { get; }
    [AffineCoupling(Mask.Alternating, Hidden = 64, HiddenLayers = 2)] public partial Coupling C3 { get; }
    [AffineCoupling(Mask.Alternating, Hidden = 64, HiddenLayers = 2)] public partial Coupling C4 { get; }
    [AffineCoupling(Mask.Alternating, Hidden = 64, HiddenLayers = 2)] public partial Coupling C5 { get; }
    [AffineCoupling(Mask.Alternating, Hidden = 64, HiddenLayers = 2)] public partial Coupling C6 { get; }
}

/// <summary>
/// RealNVP on the 8×8 digits (64 features, after uniform dequantisation and a logit transform):
/// ActNorm, checkerboard couplings and invertible linear mixing. Output layers start at zero
/// (<see cref="FlowInitialization.Identity"/>): its tests and figures were measured so, and on the 64-D digits the
/// identity start trains better than torch.nn.Linear's (DigitsMaf, benchmarks/RESULTS.md).
/// </summary>
[Flow(Features = 64, Initialization = FlowInitialization.Identity)]
public sealed partial class DigitsFlow
{
    [ActNorm] public partial ActNorm N0 { get; }
    [AffineCoupling(Mask.Even, Hidden = 256, HiddenLayers = 2)] public partial Coupling C1 { get; }
    [AffineCoupling(Mask.Odd, Hidden = 256, HiddenLayers = 2)] public partial Coupling C2 { get; }
    [InvertibleLinear(Seed = 1)] public partial InvertibleLinear L1 { get; }
    [AffineCoupling(Mask.FirstHalf, Hidden = 256, HiddenLayers = 2)] public partial Coupling C3 { get; }
    [AffineCoupling(Mask.SecondHalf, Hidden = 256, HiddenLayers = 2)] public partial Coupling C4 { get; }
    [InvertibleLinear(Seed = 2)] public partial InvertibleLinear L2 { get; }
    [AffineCoupling(Mask.Even, Hidden = 256, HiddenLayers = 2)] public partial Coupling C5 { get; }
    [AffineCoupling(Mask.Odd, Hidden = 256, HiddenLayers = 2)] public partial Coupling C6 { get; }
}

/// <summary>
/// A masked autoregressive flow (MAF, Papamakarios et al. 2017) on 2-D data (two moons): 6 [MaskedAutoregressive]
/// layers, each a MADE network 2 → 64 → 64 → 4 with ReLU, with the feature order reversed between them so that
/// each feature is in turn conditioned on the other. Density in one pass per layer, sampling in two.
/// </summary>
[Flow(Features = 2)]
public sealed partial class MoonsMaf
{
    [MaskedAutoregressive(Hidden = 64, HiddenLayers = 2)] public partial MaskedAutoregressive M1 { get; }
    [Permute(Permutation.Reverse)] public partial Permutation P1 { get; }
    [MaskedAutoregressive(Hidden = 64, HiddenLayers = 2)] public partial MaskedAutoregressive M2 { get; }
    [Permute(Permutation.Reverse)] public partial Permutation P2 { get; }
    [MaskedAutoregressive(Hidden = 64, HiddenLayers = 2)] public partial MaskedAutoregressive M3 { get; }
    [Permute(Permutation.Reverse)] public partial Permutation P3 { get; }
    [MaskedAutoregressive(Hidden = 64, HiddenLayers = 2)] public partial MaskedAutoregressive M4 { get; }
    [Permute(Permutation.Reverse)] public partial Permutation P4 { get; }
    [MaskedAutoregressive(Hidden = 64, HiddenLayers = 2)] public partial MaskedAutoregressive M5 { get; }
    [Permute(Permutation.Reverse)] public partial Permutation P5 { get; }
    [MaskedAutoregressive(Hidden = 64, HiddenLayers = 2)] public partial MaskedAutoregressive M6 { get; }
}

/// <summary>
/// An autoregressive neural spline flow (Durkan et al. 2019) on 2-D data (two moons): 4 [MaskedAutoregressive] layers
/// with rational-quadratic spline transforms (8 bins on [−3, 3], linear tails), each a MADE network 2 → 64 → 64 → 46
/// with ReLU, the feature order reversed between them. Density in one pass per layer, sampling in two. Identity
/// initialisation (every spline starts as the identity): held-out NLL 0.306 nats at 1,000 steps of 512 (seed 3) against
/// 0.336 under the Linear default.
/// </summary>
[Flow(Features = 2, Initialization = FlowInitialization.Identity)]
public sealed partial class MoonsSplineMaf
{
    [MaskedAutoregressive(Transform = AutoregressiveTransform.Spline, Bins = 8, TailBound = 3, Hidden = 64, HiddenLayers = 2)] public partial MaskedAutoregressive M1 { get; }
    [Permute(Permutation.Reverse)] public partial Permutation P1 { get; }
    [MaskedAutoregressive(Transform = AutoregressiveTransform.Spline, Bins = 8, TailBound = 3, Hidden = 64, HiddenLayers = 2)] public partial MaskedAutoregressive M2 { get; }
    [Permute(Permutation.Reverse)] public partial Permutation P2 { get; }
    [MaskedAutoregressive(Transform = AutoregressiveTransform.Spline, Bins = 8, TailBound = 3, Hidden = 64, HiddenLayers = 2)] public partial MaskedAutoregressive M3 { get; }
    [Permute(Permutation.Reverse)] public partial Permutation P3 { get; }
    [MaskedAutoregressive(Transform = AutoregressiveTransform.Spline, Bins = 8, TailBound = 3, Hidden = 64, HiddenLayers = 2)] public partial MaskedAutoregressive M4 { get; }
}

/// <summary>
/// A neural spline flow on 2-D data (two moons): the <see cref="MoonsFlow"/> shape with rational-quadratic
/// spline couplings (8 bins on [−3, 3], linear tails), each network 1 → 64 → 64 → 23 with ReLU.
/// The workload <c>train-nsf2d</c>.
/// </summary>
[Flow(Features = 2)]
public sealed partial class MoonsSplineFlow
{
    [SplineCoupling(Mask.Alternating, Bins = 8, TailBound = 3, Hidden = 64, HiddenLayers = 2)] public partial Coupling C1 { get; }
    [SplineCoupling(Mask.Alternating, Bins = 8, TailBound = 3, Hidden = 64, HiddenLayers = 2)] public partial Coupling C2 { get; }
    [SplineCoupling(Mask.Alternating, Bins = 8, TailBound = 3, Hidden = 64, HiddenLayers = 2)] public partial Coupling C3 { get; }
    [SplineCoupling(Mask.Alternating, Bins = 8, TailBound = 3, Hidden = 64, HiddenLayers = 2)] public partial Coupling C4 { get; }
    [SplineCoupling(Mask.Alternating, Bins = 8, TailBound = 3, Hidden = 64, HiddenLayers = 2)] public partial Coupling C5 { get; }
    [SplineCoupling(Mask.Alternating, Bins = 8, TailBound = 3, Hidden = 64, HiddenLayers = 2)] public partial Coupling C6 { get; }
    [SplineCoupling(Mask.Alternating, Bins = 8, TailBound = 3, Hidden = 64, HiddenLayers = 2)] public partial Coupling C7 { get; }
    [SplineCoupling(Mask.Alternating, Bins = 8, TailBound = 3, Hidden = 64, HiddenLayers = 2)] public partial Coupling C8 { get; }
}

/// <summary>
/// A neural spline flow on the 8×8 digits, DigitsFlow's layout with rational-quadratic spline couplings in place of
/// the affine ones (8 bins on [−5, 5], networks 104-104 so the parameter count, 566,432, is within 1 % of DigitsFlow's
/// 560,960). Trained on the same dequantised, logit-transformed pixels (issue #14's higher-dimensional comparison).
/// Identity initialisation, as DigitsFlow.
/// </summary>
[Flow(Features = 64, Initialization = FlowInitialization.Identity)]
public sealed partial class DigitsSplineFlow
{
    [ActNorm] public partial ActNorm N0 { get; }
    [SplineCoupling(Mask.Even, Bins = 8, TailBound = 5, Hidden = 104, HiddenLayers = 2)] public partial Coupling C1 { get; }
    [SplineCoupling(Mask.Odd, Bins = 8, TailBound = 5, Hidden = 104, HiddenLayers = 2)] public partial Coupling C2 { get; }
    [InvertibleLinear(Seed = 1)] public partial InvertibleLinear L1 { get; }
    [SplineCoupling(Mask.FirstHalf, Bins = 8, TailBound = 5, Hidden = 104, HiddenLayers = 2)] public partial Coupling C3 { get; }
    [SplineCoupling(Mask.SecondHalf, Bins = 8, TailBound = 5, Hidden = 104, HiddenLayers = 2)] public partial Coupling C4 { get; }
    [InvertibleLinear(Seed = 2)] public partial InvertibleLinear L2 { get; }
    [SplineCoupling(Mask.Even, Bins = 8, TailBound = 5, Hidden = 104, HiddenLayers = 2)] public partial Coupling C5 { get; }
    [SplineCoupling(Mask.Odd, Bins = 8, TailBound = 5, Hidden = 104, HiddenLayers = 2)] public partial Coupling C6 { get; }
}

/// <summary>
/// A masked autoregressive flow (MAF) on the 8×8 digits: ActNorm, then 5 [MaskedAutoregressive] layers (MADE 64 → 256 →
/// 256 → 128, ReLU) with the feature order reversed or shuffled between them; 577,088 parameters, within 3 % of
/// DigitsFlow's 560,960. The same dequantised, logit-transformed pixels (issue #14's higher-dimensional comparison).
/// Density in one pass per layer; sampling takes 64 network passes per layer. Identity initialisation: over 5 seeds it
/// reaches 2.218 ± 0.010 bits/dim at 500 steps against 2.236 ± 0.008 for torch.nn.Linear's (benchmarks/RESULTS.md).
/// </summary>
[Flow(Features = 64, Initialization = FlowInitialization.Identity)]
public sealed partial class DigitsMaf
{
    [ActNorm] public partial ActNorm N1 { get; }
    [MaskedAutoregressive(Hidden = 256, HiddenLayers = 2)] public partial MaskedAutoregressive M1 { get; }
    [Permute(Permutation.Reverse)] public partial Permutation P1 { get; }
    [MaskedAutoregressive(Hidden = 256, HiddenLayers = 2)] public partial MaskedAutoregressive M2 { get; }
    [Permute(Permutation.Random, Seed = 1)] public partial Permutation P2 { get; }
    [MaskedAutoregressive(Hidden = 256, HiddenLayers = 2)] public partial MaskedAutoregressive M3 { get; }
    [Permute(Permutation.Reverse)] public partial Permutation P3 { get; }
    [MaskedAutoregressive(Hidden = 256, HiddenLayers = 2)] public partial MaskedAutoregressive M4 { get; }
    [Permute(Permutation.Random, Seed = 2)] public partial Permutation P4 { get; }
    [MaskedAutoregressive(Hidden = 256, HiddenLayers = 2)] public partial MaskedAutoregressive M5 { get; }
}
