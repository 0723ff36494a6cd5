namespace GenDsl.Models;

/// <summary>
/// Kingma et al. (2014)'s M2 on 28×28 MNIST digits: q(z|x,y) 794 → 256 → (32, 32), p(x|y,z) 42 → 256 → 784
/// (Bernoulli), q(y|x) 784 → 256 → 256 → 10 (softmax). Alpha = 10 is the paper's α = 0.1·N for 100 labels in
/// 10,000 images (0.1·N/N_labelled in GenDsl's per-batch-mean convention). ClassifierNoise = 0.7: the classifier
/// trains on x + 0.7·n, n ~ N(0, I), which keeps it from saturating on the 100 labels (benchmarks/RESULTS.md,
/// "Follow-up"). The CLI's <c>mnist-m2</c>.
/// </summary>
[SemiSupervisedVae(Features = 784, Latent = 32, Classes = 10, Alpha = 10f, ClassifierNoise = 0.7f)]
public sealed partial class MnistM2
{
    [Encoder, Dense(256, Activation.Softplus)] public partial Dense E1 { get; }
    [Decoder, Dense(256, Activation.Softplus)] public partial Dense D1 { get; }
    [Classifier, Dense(256, Activation.Relu)] public partial Dense C1 { get; }
    [Classifier, Dense(256, Activation.Relu)] public partial Dense C2 { get; }
}

/// <summary>
/// The convolutional M2 (issue #17's second goal): the encoder q(z|x,y) and the classifier q(y|x) are convolutional,
/// 4×4 stride-2 convolutions as in DCGAN's discriminator (the encoder reads y as 10 constant channels after the
/// image's: [11, 28, 28] → [16, 14, 14] → [32, 7, 7] → (32, 32); the classifier [1, 28, 28] → [32, 14, 14] → [64, 7, 7]
/// → 128 → 10), the decoder <see cref="MnistM2"/>'s dense one (42 → 256 → 784, Bernoulli); the same Alpha and
/// classifier input noise. <c>tools/m2-mnist --model conv</c>; figures in benchmarks/RESULTS.md.
/// </summary>
[SemiSupervisedVae(Channels = 1, Height = 28, Width = 28, Latent = 32, Classes = 10, Alpha = 10f, ClassifierNoise = 0.7f)]
public sealed partial class MnistConvM2
{
    [Encoder, Conv(16, 4, Stride = 2, Padding = 1, Activation = Activation.Relu)] public partial Conv E1 { get; }    // [1 + 10, 28, 28] → [16, 14, 14]
    [Encoder, Conv(32, 4, Stride = 2, Padding = 1, Activation = Activation.Relu)] public partial Conv E2 { get; }    // → [32, 7, 7]
    [Decoder, Dense(256, Activation.Softplus)] public partial Dense D1 { get; }
    [Classifier, Conv(32, 4, Stride = 2, Padding = 1, Activation = Activation.Relu)] public partial Conv C1 { get; } // [1, 28, 28] → [32, 14, 14]
    [Classifier, Conv(64, 4, Stride = 2, Padding = 1, Activation = Activation.Relu)] public partial Conv C2 { get; } // → [64, 7, 7]
    [Classifier, Dense(128, Activation.Relu)] public partial Dense C3 { get; }
}
