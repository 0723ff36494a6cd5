namespace GenDsl.Models.Tests.Export;

// Models whose members are named like torch.nn.Module attributes and methods (forward, training, parameters, state_dict,
// to, T_destination), methods and helpers of the exported module (inverse, log_prob, encode, classify, _like), its instance
// attributes (actnorm_initialized, alpha), its class constants (MODEL, BETA, ALPHA) and Python keywords (lambda, None,
// pass): the exported PyTorch modules keep them in self._modules under their checkpoint names (PyTorchExportTests).

/// <summary>A flow of every layer kind with tensors, each named like something a torch module already has.</summary>
[Flow(Features = 4)]
public sealed partial class ClashFlow
{
    [AffineCoupling(Mask.Even, Hidden = 8, HiddenLayers = 1, Activation = Activation.Tanh)] public partial Coupling forward { get; }
    [ActNorm] public partial ActNorm training { get; }
    [InvertibleLinear(Seed = 3)] public partial InvertibleLinear parameters { get; }
    [AdditiveCoupling(Mask.Odd, Hidden = 8, HiddenLayers = 1, Activation = Activation.Softplus)] public partial Coupling lambda { get; }
    [Permute(Permutation.Reverse)] public partial Permutation state_dict { get; }
    [MaskedAutoregressive(Hidden = 8)] public partial MaskedAutoregressive None { get; }
    [SplineCoupling("1100", Bins = 4, Hidden = 8)] public partial Coupling inverse { get; }
    [AffineCoupling(Mask.Alternating, Hidden = 8, HiddenLayers = 0)] public partial Coupling MODEL { get; }
    [AffineCoupling("0011", Hidden = 8, HiddenLayers = 1)] public partial Coupling actnorm_initialized { get; }
    [ActNorm] public partial ActNorm log_prob { get; }
}

/// <summary>A conditional Gaussian VAE with a batch norm (buffers), its members named like module attributes, methods, constants and keywords.</summary>
[Vae(Features = 5, Latent = 2, Likelihood = Likelihood.Gaussian, Condition = 2, Beta = 0.8f)]
public sealed partial class ClashVae
{
    [Encoder, Dense(6, Activation.Tanh)] public partial Dense encode { get; }
    [Encoder, BatchNorm(Activation = Activation.Relu)] public partial BatchNorm training { get; }
    [Encoder, Dense(5, Activation.Softplus)] public partial Dense pass { get; }
    [Decoder, Dense(6, Activation.Tanh)] public partial Dense to { get; }
    [Decoder, Dense(5, Activation.LeakyRelu)] public partial Dense BETA { get; }
    [Decoder, Dense(4, Activation.Sigmoid)] public partial Dense _like { get; }
    [Decoder, Dense(4, Activation.Tanh)] public partial Dense T_destination { get; }
}

/// <summary>An M2 with a batch-normalised classifier, its members named like its own methods, attributes and constants.</summary>
[SemiSupervisedVae(Features = 6, Latent = 2, Classes = 3, Alpha = 0.6f, ClassifierNoise = 0.3f)]
public sealed partial class ClashM2
{
    [Encoder, Dense(5, Activation.Tanh)] public partial Dense classify { get; }
    [Decoder, Dense(5, Activation.Softplus)] public partial Dense alpha { get; }
    [Classifier, Dense(5, Activation.Identity)] public partial Dense forward { get; }
    [Classifier, BatchNorm(Activation = Activation.Tanh)] public partial BatchNorm training { get; }
    [Classifier, Dense(4, Activation.Relu)] public partial Dense ALPHA { get; }
}
