using CommunityToolkit.HighPerformance;
using GenDsl.Data;

namespace GenDsl.Cli.Models;

/// <summary>
/// A registry entry for a generated variational auto-encoder: its typed methods as one-line adapters
/// (unconditional ones ignore <c>y</c>).
/// </summary>
internal sealed class VaeEntry<TVae> : ModelEntry where TVae : class, IVaeModel
{
    /// <summary>One training step; returns the batch's loss terms.</summary>
    public delegate VaeLoss TrainStepFn(TVae vae, ReadOnlySpan2D<float> x, ReadOnlySpan2D<float> y, Optimizer optimizer);

    /// <summary>A per-row score: the ELBO, or the IWAE estimate of ln p(x) with <paramref name="k"/> samples.</summary>
    public delegate void ScoreFn(TVae vae, ReadOnlySpan2D<float> x, ReadOnlySpan2D<float> y, int k, Span<float> perRow);

    /// <summary>The reconstruction x → μ(x) → decoder mean.</summary>
    public delegate void ReconstructFn(TVae vae, ReadOnlySpan2D<float> x, ReadOnlySpan2D<float> y, Span2D<float> xHat);

    /// <summary>Draws x.Height samples (decoder means) given the conditions.</summary>
    public delegate void SampleFn(TVae vae, Span2D<float> x, ReadOnlySpan2D<float> y, Rng rng);

    private readonly Func<ModelOptions, TVae> _create;
    internal readonly TrainStepFn TrainStepAdapter;
    internal readonly ScoreFn ElboAdapter, IwaeAdapter;
    internal readonly ReconstructFn ReconstructAdapter;
    internal readonly SampleFn SampleAdapter;

    public VaeEntry(string name, string description, string defaultData, int features, int conditionSize,
        Func<ModelOptions, TVae> create, TrainStepFn trainStep, ScoreFn elbo, ScoreFn iwae, ReconstructFn reconstruct, SampleFn sample,
        TrainingDefaults? training = null, DataTransform? transform = null, int maxEvaluationBatch = DefaultMaxEvaluationBatch)
        : base(name, ModelFamily.Vae, description, defaultData, typeof(TVae), features, conditionSize, training, transform, maxEvaluationBatch)
    {
        _create = create;
        TrainStepAdapter = trainStep;
        ElboAdapter = elbo;
        IwaeAdapter = iwae;
        ReconstructAdapter = reconstruct;
        SampleAdapter = sample;
    }

    public override ModelSession Create(ModelOptions options) => new VaeSession<TVae>(this, _create(options));
}

/// <summary>
/// A VAE behind the <see cref="ModelSession"/> operations. Loss terms: <c>loss</c> = reconstruction + KL
/// (the negative ELBO of the batch, nats per example), <c>reconstruction</c> (−E_q ln p(x | z)), <c>kl</c>
/// (KL(q(z | x) ‖ N(0, I))).
/// </summary>
internal sealed class VaeSession<TVae>(VaeEntry<TVae> entry, TVae vae) : ModelSession<TVae>(entry, vae) where TVae : class, IVaeModel
{
    /// <summary>Importance samples per row of the IWAE estimate in <see cref="Evaluate"/>.</summary>
    public const int IwaeSamples = 50;

    private static readonly string[] s_lossNames = ["loss", "reconstruction", "kl"];

    public override IReadOnlyList<string> LossNames => s_lossNames;

    public override IReadOnlyList<NamedOptimizer> CreateOptimizers(float learningRate, float maxGradNorm) =>
        [new NamedOptimizer("adam", new Adam(Model, learningRate, Entry.Training.Beta1 ?? 0.9f, Entry.Training.Beta2) { MaxGradNorm = maxGradNorm })];

    public override void TrainStep(ReadOnlySpan2D<float> x, ReadOnlySpan2D<float> y, IReadOnlyList<NamedOptimizer> optimizers,
        long step, Span<float> losses)
    {
        var loss = entry.TrainStepAdapter(Model, ToModel(x, TrainingNoise(step)), y, optimizers[0].Optimizer);
        losses[0] = loss.Loss;
        losses[1] = loss.Reconstruction;
        losses[2] = loss.Kl;
    }

    public override void Sample(Span2D<float> x, ReadOnlySpan2D<float> y, Rng rng)
    {
        var output = OutputBuffer(x);
        entry.SampleAdapter(Model, output, y, rng);
        ToData(output, x);
    }

    /// <summary>The reconstructions of x.Height ≤ MaxBatch rows (data space).</summary>
    public void Reconstruct(ReadOnlySpan2D<float> x, ReadOnlySpan2D<float> y, Span2D<float> xHat)
    {
        var m = ToModel(x, TrainingNoise(0));
        var output = OutputBuffer(xHat);
        entry.ReconstructAdapter(Model, m, y, output);
        ToData(output, xHat);
    }

    public override double? ValidationLoss(Dataset validation, ulong seed, CancellationToken cancellationToken) =>
        NegativeBounds(validation, iwae: false, cancellationToken).Elbo;

    public override string ValidationName => "negative_elbo";

    /// <summary>Mean −ELBO (one draw) and, if asked, the IWAE bound over the rows of <paramref name="data"/>.</summary>
    private (double Elbo, double Iwae) NegativeBounds(Dataset data, bool iwae, CancellationToken cancellationToken)
    {
        int batch = Model.MaxBatch, classes = Model.ConditionSize;
        var perRow = new float[batch];
        var y = new float[batch * Math.Max(classes, 1)];
        double elbo = 0, iw = 0;
        for (int start = 0; start < data.Rows; start += batch)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int n = Math.Min(batch, data.Rows - start);
            var x = ToModel(data.GetRows(start, n), TrainingNoise(0));
            var cond = ReadOnlySpan2D<float>.Empty;
            if (classes > 0)
            {
                OneHot.Fill(y, data.Labels.Slice(start, n), classes);
                cond = new ReadOnlySpan2D<float>(y, n, classes);
            }
            entry.ElboAdapter(Model, x, cond, 1, perRow.AsSpan(0, n));
            for (int i = 0; i < n; i++) elbo -= perRow[i];
            if (!iwae) continue;
            entry.IwaeAdapter(Model, x, cond, IwaeSamples, perRow.AsSpan(0, n));
            for (int i = 0; i < n; i++) iw -= perRow[i];
        }
        return (elbo / data.Rows, iw / data.Rows);
    }

    /// <summary>
    /// Held-out metrics: the negative ELBO and the IWAE estimate of −ln p(x) with
    /// <see cref="IwaeSamples"/> samples (tighter), in nats per row and in bits per dimension, each
    /// row scored given its own label for a conditional VAE.
    /// </summary>
    public override IReadOnlyList<Metric> Evaluate(Dataset test, string source, ulong seed, CancellationToken cancellationToken)
    {
        int d = Model.Features;
        var (elbo, iwae) = NegativeBounds(test, iwae: true, cancellationToken);
        return
        [
            new("negative_elbo", elbo, "−ELBO (nats per row)"),
            new("iwae_nll", iwae, $"IWAE({IwaeSamples}) −ln p(x) (nats per row)"),
            new("elbo_bits_per_dim", GenDsl.Metrics.FlowMetrics.BitsPerDim(elbo, d), "−ELBO in bits per dimension"),
            new("iwae_bits_per_dim", GenDsl.Metrics.FlowMetrics.BitsPerDim(iwae, d), "IWAE in bits per dimension"),
            new("rows", test.Rows, "held-out rows"),
        ];
    }
}
