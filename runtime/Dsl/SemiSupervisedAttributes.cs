using CommunityToolkit.HighPerformance;

namespace GenDsl;

/// <summary>
/// Declares a semi-supervised VAE, Kingma et al. (2014)'s M2: p(x, y, z) = p(y)·p(z)·p(x | y, z) with
/// p(y) uniform over <see cref="Classes"/> classes, p(z) = N(0, I) and a Bernoulli decoder p(x | y, z);
/// an encoder q(z | x, y) and a classifier q(y | x). Layer members: <c>[Encoder, …]</c> (reads
/// [x, onehot(y)]), <c>[Decoder, …]</c> (reads [z, onehot(y)]) and <c>[Classifier, …]</c> (reads x),
/// each in declaration order; the encoder's (μ, ln σ²) head, the decoder's logits and the classifier's
/// logits (<c>classifier.head</c>, softmax) follow from this attribute. See docs/semi-supervised.md.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class SemiSupervisedVaeAttribute : Attribute
{
    /// <summary>Image data: the channels of an image (with <see cref="Height"/> and <see cref="Width"/>; Features may then be omitted). y enters the encoder as <see cref="Classes"/> constant channels after the image's.</summary>
    public int Channels { get; set; }

    /// <summary>Image data: the height of an image in pixels.</summary>
    public int Height { get; set; }

    /// <summary>Image data: the width of an image in pixels.</summary>
    public int Width { get; set; }

    /// <summary>Columns of a data row (values in [0, 1]: the decoder is Bernoulli).</summary>
    public int Features { get; set; }

    /// <summary>Size of the continuous latent z.</summary>
    public int Latent { get; set; }

    /// <summary>Number of classes K of the discrete latent y (≥ 2).</summary>
    public int Classes { get; set; }

    /// <summary>
    /// Weight α of the labelled rows' classification term α·(−ln q(y|x)), relative to their −ELBO (both
    /// averaged over the labelled batch). The paper's α = 0.1·N (N data points, with its sums over the whole
    /// data set) is, in this per-batch-mean form, Alpha = 0.1·N / N_labelled (10 for 100 labels in 10,000
    /// images). The generated model's <c>Alpha</c> property starts here and may be changed.
    /// </summary>
    public float Alpha { get; set; } = 1f;

    /// <summary>
    /// Standard deviation σ of Gaussian noise added to the classifier's input in training passes only
    /// (x + σ·n, n ~ N(0, I) from the model's training noise): a regulariser of q(y|x), which otherwise fits a
    /// handful of labels exactly and saturates. 0 (the default): none. The encoder and decoder always see the
    /// clean x; Classify and Predict never add noise. The generated model's <c>ClassifierNoise</c> property starts
    /// here and may be changed.
    /// </summary>
    public float ClassifierNoise { get; set; }
}

/// <summary>Marks a layer of a semi-supervised VAE's classifier q(y | x).</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field, AllowMultiple = false)]
public sealed class ClassifierAttribute : Attribute
{
}

/// <summary>
/// The terms of a semi-supervised VAE step, means over their batches (nats per example):
/// Loss = Labelled + Alpha·Classification + Unlabelled, where Labelled is the labelled rows' −ELBO(x, y),
/// Classification their −ln q(y|x), and Unlabelled the unlabelled rows' U(x) = Σ_y q(y|x)·(−ELBO(x, y)) − H(q(y|x)).
/// </summary>
public readonly record struct SemiSupervisedLoss(float Loss, float Labelled, float Classification, float Unlabelled);

/// <summary>A generated semi-supervised VAE (M2).</summary>
public interface ISemiSupervisedModel : IGenerativeModel, INoisyModel
{
    /// <summary>Size of the continuous latent z.</summary>
    int LatentSize { get; }

    /// <summary>Number of classes of y.</summary>
    int ClassCount { get; }

    /// <summary>The classifier's parameters (to train it alone, e.g. on the labels only, with its own optimizer).</summary>
    IParameterized ClassifierPart { get; }

    /// <summary>α, the weight of the labelled rows' −ln q(y|x).</summary>
    float Alpha { get; set; }

    /// <summary>σ of the Gaussian noise on the classifier's input in training passes (0: none).</summary>
    float ClassifierNoise { get; set; }

    /// <summary>One step on a labelled batch (labels 0…K−1) and an unlabelled batch (either may be empty); returns the loss before the step.</summary>
    SemiSupervisedLoss TrainStep(ReadOnlySpan2D<float> labelled, ReadOnlySpan<int> labels, ReadOnlySpan2D<float> unlabelled, Optimizer optimizer);

    /// <summary>One step of the classifier alone on labelled rows (an optimizer over <see cref="ClassifierPart"/>); returns the mean −ln q(y|x).</summary>
    float TrainClassifier(ReadOnlySpan2D<float> labelled, ReadOnlySpan<int> labels, Optimizer optimizer);

    /// <summary>q(y|x) per row.</summary>
    void Classify(ReadOnlySpan2D<float> x, Span2D<float> probabilities);

    /// <summary>argmax q(y|x) per row.</summary>
    void Predict(ReadOnlySpan2D<float> x, Span<int> classes);

    /// <summary>ELBO(x, y) per row for the given labels.</summary>
    void Elbo(ReadOnlySpan2D<float> x, ReadOnlySpan<int> labels, Span<float> perRow);

    /// <summary>Decoder means for z ~ N(0, I) and the given classes.</summary>
    void Sample(Span2D<float> x, ReadOnlySpan<int> classes, Rng rng);

    /// <summary>Each row's style (z of q(z|x, argmax q(y|x))) decoded with the given class.</summary>
    void Transfer(ReadOnlySpan2D<float> x, ReadOnlySpan<int> classes, Span2D<float> output, Rng? rng = null);
}
