using CommunityToolkit.HighPerformance;
using GenDsl.Cli.Data;
using GenDsl.Data;
using GenDsl.Metrics;

namespace GenDsl.Cli.Models;

/// <summary>A registry entry for a generated GAN: its typed methods as one-line adapters (unconditional ones ignore <c>y</c>).</summary>
internal sealed class GanEntry<TGan> : ModelEntry where TGan : class, IGanModel
{
    /// <summary>One alternating step: a discriminator update, then a generator update; returns both losses.</summary>
    public delegate GanLosses TrainStepFn(TGan gan, ReadOnlySpan2D<float> x, ReadOnlySpan2D<float> y, Optimizer discriminator, Optimizer generator);

    /// <summary>Draws x.Height samples given the conditions.</summary>
    public delegate void SampleFn(TGan gan, Span2D<float> x, ReadOnlySpan2D<float> y, Rng rng);

    /// <summary>The discriminator's probability that each row is real.</summary>
    public delegate void DiscriminateFn(TGan gan, ReadOnlySpan2D<float> x, ReadOnlySpan2D<float> y, Span<float> probability);

    private readonly Func<ModelOptions, TGan> _create;
    internal readonly TrainStepFn TrainStepAdapter;
    internal readonly SampleFn SampleAdapter;
    internal readonly DiscriminateFn DiscriminateAdapter;

    public GanEntry(string name, string description, string defaultData, int features, int conditionSize,
        Func<ModelOptions, TGan> create, TrainStepFn trainStep, SampleFn sample, DiscriminateFn discriminate,
        TrainingDefaults? training = null, DataTransform? transform = null, int maxEvaluationBatch = DefaultMaxEvaluationBatch)
        : base(name, ModelFamily.Gan, description, defaultData, typeof(TGan), features, conditionSize, training, transform, maxEvaluationBatch)
    {
        _create = create;
        TrainStepAdapter = trainStep;
        SampleAdapter = sample;
        DiscriminateAdapter = discriminate;
    }

    public override ModelSession Create(ModelOptions options) => new GanSession<TGan>(this, _create(options));
}

/// <summary>
/// A GAN behind the <see cref="ModelSession"/> operations: two Adam optimizers, one on the generator's
/// and one on the discriminator's parameters, with β₁ = 0.5 unless the entry says otherwise (the usual
/// GAN setting), saved as <c>discriminator.adam</c> and <c>generator.adam</c>. Loss terms:
/// <c>discriminator</c> (its binary cross-entropy on real vs fake; ln 4 ≈ 1.386 when it cannot tell
/// them apart) and <c>generator</c>.
/// </summary>
internal sealed class GanSession<TGan>(GanEntry<TGan> entry, TGan gan) : ModelSession<TGan>(entry, gan) where TGan : class, IGanModel
{
    private static readonly string[] s_lossNames = ["discriminator", "generator"];

    public override IReadOnlyList<string> LossNames => s_lossNames;

    /// <summary>Adam's β₁: the entry's, or 0.5 (the DCGAN paper's, which calms the two players' oscillation).</summary>
    private float Beta1 => Entry.Training.Beta1 ?? 0.5f;

    public override IReadOnlyList<NamedOptimizer> CreateOptimizers(float learningRate, float maxGradNorm) =>
    [
        new NamedOptimizer("discriminator.adam", new Adam(Model.DiscriminatorPart, learningRate, Beta1, Entry.Training.Beta2) { MaxGradNorm = maxGradNorm }),
        new NamedOptimizer("generator.adam", new Adam(Model.GeneratorPart, learningRate, Beta1, Entry.Training.Beta2) { MaxGradNorm = maxGradNorm }),
    ];

    public override void TrainStep(ReadOnlySpan2D<float> x, ReadOnlySpan2D<float> y, IReadOnlyList<NamedOptimizer> optimizers,
        long step, Span<float> losses)
    {
        var loss = entry.TrainStepAdapter(Model, ToModel(x, TrainingNoise(step)), y, optimizers[0].Optimizer, optimizers[1].Optimizer);
        losses[0] = loss.Discriminator;
        losses[1] = loss.Generator;
    }

    public override void Sample(Span2D<float> x, ReadOnlySpan2D<float> y, Rng rng)
    {
        var output = OutputBuffer(x);
        entry.SampleAdapter(Model, output, y, rng);
        ToData(output, x);
    }

    /// <summary>
    /// Held-out metrics: the discriminator's mean probability on real held-out rows and on as many
    /// samples (both near ½ when it cannot tell them apart); on a known Gaussian mixture (8gaussians,
    /// 25gaussians) the modes covered and the share of high-quality samples (within 3σ of a mode,
    /// <see cref="ModeMetrics"/>), and for a conditional GAN the share of samples nearest to the
    /// asked-for mode.
    /// </summary>
    public override IReadOnlyList<Metric> Evaluate(Dataset test, string source, ulong seed, CancellationToken cancellationToken)
    {
        int batch = Model.MaxBatch, d = Model.Features, classes = Model.ConditionSize;
        int n = Math.Min(test.Rows, 10_000);
        var samples = new float[n * d];
        var probability = new float[batch];
        var y = new float[batch * Math.Max(classes, 1)];
        var rng = new Rng(seed, stream: 3);
        double realMean = 0, fakeMean = 0;
        for (int start = 0; start < n; start += batch)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int rows = Math.Min(batch, n - start);
            var cond = ReadOnlySpan2D<float>.Empty;
            if (classes > 0)
            {
                OneHot.Fill(y, test.Labels.Slice(start, rows), classes); // samples follow the held-out labels
                cond = new ReadOnlySpan2D<float>(y, rows, classes);
            }
            entry.DiscriminateAdapter(Model, ToModel(test.GetRows(start, rows), TrainingNoise(0)), cond, probability.AsSpan(0, rows));
            for (int i = 0; i < rows; i++) realMean += probability[i];
            var fake = new Span2D<float>(samples, start * d, rows, d, 0);
            entry.SampleAdapter(Model, fake, cond, rng); // model space; mapped to data space below
            entry.DiscriminateAdapter(Model, fake, cond, probability.AsSpan(0, rows));
            for (int i = 0; i < rows; i++) fakeMean += probability[i];
            Entry.Transform.ToData(fake, fake);
        }
        var metrics = new List<Metric>
        {
            new("d_real", realMean / n, "mean D(x) on held-out data"),
            new("d_fake", fakeMean / n, "mean D(x) on samples"),
        };
        if (d == 2 && DataCatalog.KnownMixture(source) is { } mixture)
        {
            var coverage = ModeMetrics.Evaluate(new ReadOnlySpan2D<float>(samples, n, 2), mixture);
            metrics.Add(new("modes_covered", coverage.ModesCovered, $"modes covered (of {coverage.Modes})"));
            metrics.Add(new("high_quality_share", coverage.HighQualityShare, "samples within 3σ of a mode"));
            if (classes > 0)
            {
                int right = 0;
                for (int i = 0; i < n; i++)
                    if (mixture.NearestMode(samples[2 * i], samples[2 * i + 1]) == test.Labels[i]) right++;
                metrics.Add(new("asked_for_mode_share", (double)right / n, "samples nearest to the asked-for mode"));
            }
        }
        metrics.Add(new("samples", n, "samples scored"));
        return metrics;
    }
}
