namespace GenDsl.Benchmarks.Models;

/// <summary>
/// The <c>train-flow784</c> workload's model: RealNVP on 784 features (MNIST after dequantisation and a
/// logit transform), 4 affine couplings alternating which half they keep, each network
/// 392 → 1024 → 1024 → 784 (ReLU; the 784 outputs are the raw log-scales and shifts of the 392
/// transformed features). Declared here, compiled by the GenDsl generator like any user model.
/// </summary>
[Flow(Features = 784)]
public sealed partial class Flow784
{
    /// <summary>Coupling 0: keeps features 0…391, transforms 392…783.</summary>
    [AffineCoupling(Mask.Alternating, Hidden = 1024, HiddenLayers = 2)] public partial Coupling C1 { get; }
    /// <summary>Coupling 1: keeps features 392…783, transforms 0…391.</summary>
    [AffineCoupling(Mask.Alternating, Hidden = 1024, HiddenLayers = 2)] public partial Coupling C2 { get; }
    /// <summary>Coupling 2: as coupling 0.</summary>
    [AffineCoupling(Mask.Alternating, Hidden = 1024, HiddenLayers = 2)] public partial Coupling C3 { get; }
    /// <summary>Coupling 3: as coupling 1.</summary>
    [AffineCoupling(Mask.Alternating, Hidden = 1024, HiddenLayers = 2)] public partial Coupling C4 { get; }
}
