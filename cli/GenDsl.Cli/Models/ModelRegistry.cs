using GenDsl.Models;

namespace GenDsl.Cli.Models;

/// <summary>
/// The ready-made models the CLI knows, by their kebab-case names. Adding a model is one entry:
/// name, description, default data set, sizes, a factory and the family's small adapters.
/// </summary>
internal static class ModelRegistry
{
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
            training: new TrainingDefaults(Batch: 128, LearningRate: 1e-3f, Steps: 3000),
            // Pixels are counts 0 … 16 scaled to [0, 1]: 17 levels, dequantised, then logit.
            transform: DataTransform.DequantizeLogit(levels: 17)),

        // TODO(gen2): VAE entries, once models/ has DigitsVae, MnistVae and DigitsCvae (branch gen2). Each is
        // a VaeEntry<T> (to write: ModelFamily.Vae, loss terms "loss, reconstruction, kl" from VaeLoss,
        // eval = ELBO and IWAE bits/dim via Elbo / ImportanceLogLikelihood, plus reconstructions for the demo):
        //   new VaeEntry<DigitsVae>("digits-vae", "…", defaultData: "digits", DigitsVae.FeatureCount, DigitsVae.ConditionCount,
        //       o => new DigitsVae(o), trainStep: static (m, x, _, opt) => m.TrainStep(x, opt), elbo: …, iwae: …,
        //       reconstruct: …, sample: static (m, x, _, rng) => m.Sample(x, rng)),
        //   "mnist-vae" (defaultData: "mnist"), "digits-cvae" (conditional on the digit, defaultData: "digits").

        // TODO(gen2): GAN entries, once models/ has RingGan, MnistGan and RingCgan. A GanEntry<T> (to write:
        // ModelFamily.Gan, two optimizers "discriminator.adam" and "generator.adam" built on gan.DiscriminatorPart
        // and gan.GeneratorPart with β₁ = 0.5, loss terms "discriminator, generator" from GanLosses, eval = mode
        // coverage and quality share via GenDsl.Metrics.ModeMetrics on the 8gaussians mixture):
        //   "ring-gan" (defaultData: "8gaussians"), "mnist-gan" (defaultData: "mnist"), "ring-cgan" (conditional on the mode).
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
