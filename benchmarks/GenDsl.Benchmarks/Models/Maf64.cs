namespace GenDsl.Benchmarks.Models;

/// <summary>
/// The <c>train-maf64</c> / <c>sample-maf64-b256</c> workloads' model: a masked autoregressive flow on the 64
/// dequantised, logit-transformed pixels of the 8×8 digits, 5 [MaskedAutoregressive] layers (MADE 64 → 256 → 256 → 128,
/// ReLU) with the feature order reversed between them (no ActNorm, so that the TorchSharp twin starts equal).
/// </summary>
[Flow(Features = 64)]
public sealed partial class Maf64
{
    [MaskedAutoregressive(Hidden = 256, HiddenLayers = 2)] public partial MaskedAutoregressive M1 { get; }
    [Permute(Permutation.Reverse)] public partial Permutation P1 { get; }
    [MaskedAutoregressive(Hidden = 256, HiddenLayers = 2)] public partial MaskedAutoregressive M2 { get; }
    [Permute(Permutation.Reverse)] public partial Permutation P2 { get; }
    [MaskedAutoregressive(Hidden = 256, HiddenLayers = 2)] public partial MaskedAutoregressive M3 { get; }
    [Permute(Permutation.Reverse)] public partial Permutation P3 { get; }
    [MaskedAutoregressive(Hidden = 256, HiddenLayers = 2)] public partial MaskedAutoregressive M4 { get; }
    [Permute(Permutation.Reverse)] public partial Permutation P4 { get; }
    [MaskedAutoregressive(Hidden = 256, HiddenLayers = 2)] public partial MaskedAutoregressive M5 { get; }
}
