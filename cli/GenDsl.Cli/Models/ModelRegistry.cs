using GenDsl.Models;

namespace GenDsl.Cli.Models;

/// <summary>
/// The ready-made models the CLI knows, by their kebab-case names. Adding a model is one entry:
/// name, description, default data set, sizes, a factory and the family's small adapters.
/// </summary>
internal static class ModelRegistry
{
    /// <summary>Rows per sampling or scoring call of the convolutional models (their activations take ~0.1–0.5 MB a row).</summary>
    private const int ConvEvaluationBatch = 256;

    /// <summary>The DCGAN recipe (Radford et al.): Adam 2e-4, β = (0.5, 0.999), batches of 64, a constant learning rate.</summary>
    private static readonly TrainingDefaults DcganTraining =
        new(Batch: 64, LearningRate: 2e-4f, Steps: 3000, LearningRateDropAt: 1.0, Beta1: 0.5f, Beta2: 0.999f);

    /// <summary>Every entry, in the order <c>gendsl models</c> lists them.</summary>
    public static IReadOnlyList<ModelEntry> All { get; } =
    [
        // ---- Normalizing flows (models/MoonsFlow.cs) ----
        new FlowEntry<MoonsFlow>(
            "moons-flow", "RealNVP, 8 affine couplings (64-64 ReLU): exact density of 2-D points", defaultData: "moons",
            MoonsFlow.FeatureCount, MoonsFlow.ConditionCount, o => new MoonsFlow(o),
            trainStep: static (m, x, _, opt) => m.TrainStep(x, opt),
            logProb: static (m, x, _, logp) => m.LogProb(x, logp),
            sample: static (m, x, _, rng) => m.Sample(x, rng),
            training: new TrainingDefaults(Batch: 256, LearningRate: 1e-3f, Steps: 2000)),

        new FlowEntry<MoonsSplineFlow>(
            "moons-spline-flow", "Neural spline flow, 8 rational-quadratic spline couplings (8 bins on [−3, 3], 64-64 ReLU)", defaultData: "moons",
            MoonsSplineFlow.FeatureCount, MoonsSplineFlow.ConditionCount, o => new MoonsSplineFlow(o),
            trainStep: static (m, x, _, opt) => m.TrainStep(x, opt),
            logProb: static (m, x, _, logp) => m.LogProb(x, logp),
            sample: static (m, x, _, rng) => m.Sample(x, rng),
            training: new TrainingDefaults(Batch: 512, LearningRate: 1e-3f, Steps: 1000)),

        new FlowEntry<MoonsMaf>(
            "moons-maf", "Masked autoregressive flow, 6 MADE layers (64-64 ReLU) with reversals between", defaultData: "moons",
            MoonsMaf.FeatureCount, MoonsMaf.ConditionCount, o => new MoonsMaf(o),
            trainStep: static (m, x, _, opt) => m.TrainStep(x, opt),
            logProb: static (m, x, _, logp) => m.LogProb(x, logp),
            sample: static (m, x, _, rng) => m.Sample(x, rng),
            training: new TrainingDefaults(Batch: 512, LearningRate: 1e-3f, Steps: 1000)),

        new FlowEntry<MoonsSplineMaf>(
            "moons-spline-maf", "Autoregressive spline flow, 4 MADE layers (64-64 ReLU) with 8-bin splines on [−3, 3]", defaultData: "moons",
            MoonsSplineMaf.FeatureCount, MoonsSplineMaf.ConditionCount, o => new MoonsSplineMaf(o),
            trainStep: static (m, x, _, opt) => m.TrainStep(x, opt),
            logProb: static (m, x, _, logp) => m.LogProb(x, logp),
            sample: static (m, x, _, rng) => m.Sample(x, rng),
            training: new TrainingDefaults(Batch: 512, LearningRate: 1e-3f, Steps: 1000)),

        new FlowEntry<ConditionalMoonsFlow>(
            "conditional-moons-flow", "RealNVP p(x | which moon): 6 couplings fed a one-hot label of 2 classes", defaultData: "moons",
            ConditionalMoonsFlow.FeatureCount, ConditionalMoonsFlow.ConditionCount, o => new ConditionalMoonsFlow(o),
            trainStep: static (m, x, y, opt) => m.TrainStep(x, y, opt),
            logProb: static (m, x, y, logp) => m.LogProb(x, y, logp),
            sample: static (m, x, y, rng) => m.Sample(x, y, rng),
            training: new TrainingDefaults(Batch: 256, LearningRate: 1e-3f, Steps: 1500)),

        new FlowEntry<DigitsFlow>(
            "digits-flow", "RealNVP on 8×8 digits: ActNorm, checkerboard couplings (256-256), invertible 1×1 mixing", defaultData: "digits",
            DigitsFlow.FeatureCount, DigitsFlow.ConditionCount, o => new DigitsFlow(o),
            trainStep: static (m, x, _, opt) => m.TrainStep(x, opt),
            logProb: static (m, x, _, logp) => m.LogProb(x, logp),
            sample: static (m, x, _, rng) => m.Sample(x, rng),
            // Early stopping: with 1,438 training images the held-out bits/dim is lowest near 250 steps (2.21), then it overfits.
            training: new TrainingDefaults(Batch: 128, LearningRate: 1e-3f, Steps: 250),
            // Pixels are counts 0 … 16 scaled to [0, 1]: 17 levels, dequantised, then logit (GenDsl.Data.LogitTransform).
            transform: DataTransform.DequantizeLogit(levels: 17)),

        new FlowEntry<DigitsSplineFlow>(
            "digits-spline-flow", "Neural spline flow on 8×8 digits: DigitsFlow's layout with spline couplings (8 bins on [−5, 5], 104-104)", defaultData: "digits",
            DigitsSplineFlow.FeatureCount, DigitsSplineFlow.ConditionCount, o => new DigitsSplineFlow(o),
            trainStep: static (m, x, _, opt) => m.TrainStep(x, opt),
            logProb: static (m, x, _, logp) => m.LogProb(x, logp),
            sample: static (m, x, _, rng) => m.Sample(x, rng),
            training: new TrainingDefaults(Batch: 128, LearningRate: 1e-3f, Steps: 250),
            transform: DataTransform.DequantizeLogit(levels: 17)),

        new FlowEntry<DigitsMaf>(
            "digits-maf", "Masked autoregressive flow on 8×8 digits: ActNorm, 5 MADE layers (256-256) with permutations between", defaultData: "digits",
            DigitsMaf.FeatureCount, DigitsMaf.ConditionCount, o => new DigitsMaf(o),
            trainStep: static (m, x, _, opt) => m.TrainStep(x, opt),
            logProb: static (m, x, _, logp) => m.LogProb(x, logp),
            sample: static (m, x, _, rng) => m.Sample(x, rng),
            training: new TrainingDefaults(Batch: 128, LearningRate: 1e-3f, Steps: 250),
            transform: DataTransform.DequantizeLogit(levels: 17)),

        new FlowEntry<FashionGlow>(
            "fashion-glow", "Glow on 28×28 Fashion-MNIST: squeeze, 2 steps (ActNorm, 1×1 conv, conv coupling 32), split, squeeze, 2 steps", defaultData: "fashion",
            FashionGlow.FeatureCount, FashionGlow.ConditionCount, o => new FashionGlow(o),
            trainStep: static (m, x, _, opt) => m.TrainStep(x, opt),
            logProb: static (m, x, _, logp) => m.LogProb(x, logp),
            sample: static (m, x, _, rng) => m.Sample(x, rng),
            // The measured budget of FashionGlowTests: 600 steps of 64 give 4.67 held-out bits/dim (about 40 s on 2 cores).
            training: new TrainingDefaults(Batch: 64, LearningRate: 1e-3f, Steps: 600),
            // Pixels are bytes scaled to [0, 1]: 256 levels, dequantised, then logit (GenDsl.Data.LogitTransform).
            transform: DataTransform.DequantizeLogit(levels: 256)),

        new FlowEntry<MnistGlow>(
            "mnist-glow", "Multi-scale flow on 28×28 MNIST: 2 checkerboard couplings, squeeze, 2 Glow steps, split, squeeze, 2 Glow steps", defaultData: "mnist",
            MnistGlow.FeatureCount, MnistGlow.ConditionCount, o => new MnistGlow(o),
            trainStep: static (m, x, _, opt) => m.TrainStep(x, opt),
            logProb: static (m, x, _, logp) => m.LogProb(x, logp),
            sample: static (m, x, _, rng) => m.Sample(x, rng),
            // The measured budget of MnistGlowTests: 600 steps of 64 give 1.90 held-out bits/dim.
            training: new TrainingDefaults(Batch: 64, LearningRate: 1e-3f, Steps: 600),
            transform: DataTransform.DequantizeLogit(levels: 256)),

        // ---- Variational auto-encoders (models/VaeGanModels.cs) ----
        new VaeEntry<DigitsVae>(
            "digits-vae", "VAE on 8×8 digits: 64 → 128 → z(8) → 128 → 64, Bernoulli likelihood", defaultData: "digits",
            DigitsVae.FeatureCount, DigitsVae.ConditionCount, o => new DigitsVae(o),
            trainStep: static (m, x, _, opt) => m.TrainStep(x, opt),
            elbo: static (m, x, _, _, perRow) => m.Elbo(x, perRow),
            iwae: static (m, x, _, k, perRow) => m.ImportanceLogLikelihood(x, k, perRow),
            reconstruct: static (m, x, _, xHat) => m.Reconstruct(x, xHat),
            sample: static (m, x, _, rng) => m.Sample(x, rng),
            training: new TrainingDefaults(Batch: 128, LearningRate: 1e-3f, Steps: 3000)),

        new VaeEntry<MnistVae>(
            "mnist-vae", "the PyTorch example's VAE on MNIST: 784 → 400 → z(20) → 400 → 784, Bernoulli", defaultData: "mnist",
            MnistVae.FeatureCount, MnistVae.ConditionCount, o => new MnistVae(o),
            trainStep: static (m, x, _, opt) => m.TrainStep(x, opt),
            elbo: static (m, x, _, _, perRow) => m.Elbo(x, perRow),
            iwae: static (m, x, _, k, perRow) => m.ImportanceLogLikelihood(x, k, perRow),
            reconstruct: static (m, x, _, xHat) => m.Reconstruct(x, xHat),
            sample: static (m, x, _, rng) => m.Sample(x, rng),
            training: new TrainingDefaults(Batch: 128, LearningRate: 1e-3f, Steps: 3000)),

        new VaeEntry<DigitsCvae>(
            "digits-cvae", "conditional VAE p(x | digit) on 8×8 digits: the one-hot digit fed to encoder and decoder", defaultData: "digits",
            DigitsCvae.FeatureCount, DigitsCvae.ConditionCount, o => new DigitsCvae(o),
            trainStep: static (m, x, y, opt) => m.TrainStep(x, y, opt),
            elbo: static (m, x, y, _, perRow) => m.Elbo(x, y, perRow),
            iwae: static (m, x, y, k, perRow) => m.ImportanceLogLikelihood(x, y, k, perRow),
            reconstruct: static (m, x, y, xHat) => m.Reconstruct(x, y, xHat),
            sample: static (m, x, y, rng) => m.Sample(x, y, rng),
            training: new TrainingDefaults(Batch: 128, LearningRate: 1e-3f, Steps: 3000)),

        // ---- GANs (models/VaeGanModels.cs): Adam β₁ = 0.5; the learning rate drops ×0.1 for the last 40% of the steps ----
        new GanEntry<RingGan>(
            "ring-gan", "GAN on the ring of 8 Gaussians: G 8 → 128 → 128 → 2, D 2 → 128 → 128 → 1", defaultData: "8gaussians",
            RingGan.FeatureCount, RingGan.ConditionCount, o => new RingGan(o),
            trainStep: static (m, x, _, d, g) => m.TrainStep(x, d, g),
            sample: static (m, x, _, rng) => m.Sample(x, rng),
            discriminate: static (m, x, _, p) => m.Discriminate(x, p),
            training: new TrainingDefaults(Batch: 256, LearningRate: 1e-3f, Steps: 5000, LearningRateDropAt: 0.6)),

        new GanEntry<RingCgan>(
            "ring-cgan", "conditional GAN p(x | mode) on the ring of 8 Gaussians: the one-hot mode fed to G and D", defaultData: "8gaussians",
            RingCgan.FeatureCount, RingCgan.ConditionCount, o => new RingCgan(o),
            trainStep: static (m, x, y, d, g) => m.TrainStep(x, y, d, g),
            sample: static (m, x, y, rng) => m.Sample(x, y, rng),
            discriminate: static (m, x, y, p) => m.Discriminate(x, y, p),
            training: new TrainingDefaults(Batch: 256, LearningRate: 1e-3f, Steps: 5000, LearningRateDropAt: 0.6)),

        new GanEntry<MnistGan>(
            "mnist-gan", "GAN on MNIST: G 64 → 256 → 256 → 784 (tanh), D 784 → 256 → 256 → 1", defaultData: "mnist",
            MnistGan.FeatureCount, MnistGan.ConditionCount, o => new MnistGan(o),
            trainStep: static (m, x, _, d, g) => m.TrainStep(x, d, g),
            sample: static (m, x, _, rng) => m.Sample(x, rng),
            discriminate: static (m, x, _, p) => m.Discriminate(x, p),
            training: new TrainingDefaults(Batch: 128, LearningRate: 2e-4f, Steps: 5000, LearningRateDropAt: 0.6),
            // The generator ends in tanh: it sees pixels rescaled from [0, 1] to [−1, 1].
            transform: DataTransform.Affine(scale: 2f, shift: -1f)),

        // ---- Convolutional image models on 28×28 Fashion-MNIST (models/FashionModels.cs) ----
        new VaeEntry<FashionConvVae>(
            "fashion-conv-vae", "conv VAE on 28×28 Fashion-MNIST: Conv 32 → Conv 64 → z(16) → ConvT 32 → ConvT 1, Bernoulli", defaultData: "fashion",
            FashionConvVae.FeatureCount, FashionConvVae.ConditionCount, o => new FashionConvVae(o),
            trainStep: static (m, x, _, opt) => m.TrainStep(x, opt),
            elbo: static (m, x, _, _, perRow) => m.Elbo(x, perRow),
            iwae: static (m, x, _, k, perRow) => m.ImportanceLogLikelihood(x, k, perRow),
            reconstruct: static (m, x, _, xHat) => m.Reconstruct(x, xHat),
            sample: static (m, x, _, rng) => m.Sample(x, rng),
            training: new TrainingDefaults(Batch: 128, LearningRate: 1e-3f, Steps: 3000),
            maxEvaluationBatch: ConvEvaluationBatch),

        new VaeEntry<FashionConvCvae>(
            "fashion-conv-cvae", "conditional conv VAE p(image | class): the one-hot class as 10 constant channels into the encoder, joined to z", defaultData: "fashion",
            FashionConvCvae.FeatureCount, FashionConvCvae.ConditionCount, o => new FashionConvCvae(o),
            trainStep: static (m, x, y, opt) => m.TrainStep(x, y, opt),
            elbo: static (m, x, y, _, perRow) => m.Elbo(x, y, perRow),
            iwae: static (m, x, y, k, perRow) => m.ImportanceLogLikelihood(x, y, k, perRow),
            reconstruct: static (m, x, y, xHat) => m.Reconstruct(x, y, xHat),
            sample: static (m, x, y, rng) => m.Sample(x, y, rng),
            training: new TrainingDefaults(Batch: 128, LearningRate: 1e-3f, Steps: 3000),
            maxEvaluationBatch: ConvEvaluationBatch),

        new VaeEntry<FashionMlpVae>(
            "fashion-mlp-vae", "MLP VAE on Fashion-MNIST at the conv VAE's parameter budget: 784 → 128 → z(16) → 128 → 784, Bernoulli", defaultData: "fashion",
            FashionMlpVae.FeatureCount, FashionMlpVae.ConditionCount, o => new FashionMlpVae(o),
            trainStep: static (m, x, _, opt) => m.TrainStep(x, opt),
            elbo: static (m, x, _, _, perRow) => m.Elbo(x, perRow),
            iwae: static (m, x, _, k, perRow) => m.ImportanceLogLikelihood(x, k, perRow),
            reconstruct: static (m, x, _, xHat) => m.Reconstruct(x, xHat),
            sample: static (m, x, _, rng) => m.Sample(x, rng),
            training: new TrainingDefaults(Batch: 128, LearningRate: 1e-3f, Steps: 3000)),

        // ---- DCGANs: the DCGAN recipe, Adam 2e-4 with β = (0.5, 0.999), batches of 64, no learning-rate drop ----
        new GanEntry<FashionDcgan>(
            "fashion-dcgan", "DCGAN on Fashion-MNIST: G z(64) → 128·7·7 → ConvT 64 → ConvT 1 (sigmoid), batch norm; D Conv 64 → Conv 128 → 1", defaultData: "fashion",
            FashionDcgan.FeatureCount, FashionDcgan.ConditionCount, o => new FashionDcgan(o),
            trainStep: static (m, x, _, d, g) => m.TrainStep(x, d, g),
            sample: static (m, x, _, rng) => m.Sample(x, rng),
            discriminate: static (m, x, _, p) => m.Discriminate(x, p),
            training: DcganTraining,
            maxEvaluationBatch: ConvEvaluationBatch),

        new GanEntry<FashionCdcgan>(
            "fashion-cdcgan", "conditional DCGAN p(image | class): the one-hot class joins z in G and enters D as 10 constant channels", defaultData: "fashion",
            FashionCdcgan.FeatureCount, FashionCdcgan.ConditionCount, o => new FashionCdcgan(o),
            trainStep: static (m, x, y, d, g) => m.TrainStep(x, y, d, g),
            sample: static (m, x, y, rng) => m.Sample(x, y, rng),
            discriminate: static (m, x, y, p) => m.Discriminate(x, y, p),
            training: DcganTraining,
            maxEvaluationBatch: ConvEvaluationBatch),
    ];

    /// <summary>The kebab-case names, comma-separated (for messages).</summary>
    public static string NameList => string.Join(", ", All.Select(e => e.Name));

    /// <summary>The entry of that name (case-insensitive), or a usage error listing the models.</summary>
    public static ModelEntry Get(string name)
    {
        foreach (var entry in All)
            if (string.Equals(entry.Name, name, StringComparison.OrdinalIgnoreCase))
                return entry;
        throw CliException.Usage($"Unknown model '{name}'. Available models: {NameList} (gendsl models describes them).");
    }

    /// <summary>The entry whose generated class has this full name (a checkpoint's <c>gendsl.model</c>), or null.</summary>
    public static ModelEntry? FindByClassName(string className)
    {
        foreach (var entry in All)
            if (entry.ClassName == className)
                return entry;
        return null;
    }
}
