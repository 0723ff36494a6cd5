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
