using CommunityToolkit.HighPerformance;
using GenDsl.Data;

namespace GenDsl.Cli.Models;

/// <summary>
/// A registry entry for a generated normalizing flow. The generated classes share
/// <see cref="IFlowModel"/> (sizes, parameters, checkpoints), but their typed methods differ between
/// unconditional (<c>TrainStep(x, opt)</c>) and conditional (<c>TrainStep(x, y, opt)</c>) flows, so
/// an entry supplies three one-line adapters; unconditional ones ignore <c>y</c>.
/// </summary>
internal sealed class FlowEntry<TFlow> : ModelEntry where TFlow : class, IFlowModel
{
    /// <summary>One training step (forward, backward, optimizer) on a batch; returns the mean NLL.</summary>
    public delegate float TrainStepFn(TFlow flow, ReadOnlySpan2D<float> x, ReadOnlySpan2D<float> y, Optimizer optimizer);

    /// <summary>ln p(x | y) per row.</summary>
    public delegate void LogProbFn(TFlow flow, ReadOnlySpan2D<float> x, ReadOnlySpan2D<float> y, Span<float> logProb);

    /// <summary>Draws x.Height samples given the conditions.</summary>
    public delegate void SampleFn(TFlow flow, Span2D<float> x, ReadOnlySpan2D<float> y, Rng rng);

    private readonly Func<ModelOptions, TFlow> _create;
    internal readonly TrainStepFn TrainStepAdapter;
    internal readonly LogProbFn LogProbAdapter;
    internal readonly SampleFn SampleAdapter;

    public FlowEntry(string name, string description, string defaultData, int features, int conditionSize,
        Func<ModelOptions, TFlow> create, TrainStepFn trainStep, LogProbFn logProb, SampleFn sample,
        TrainingDefaults? training = null, DataTransform? transform = null)
        : base(name, ModelFamily.Flow, description, defaultData, typeof(TFlow), features, conditionSize, training, transform, DefaultMaxEvaluationBatch)
    {
        _create = create;
        TrainStepAdapter = trainStep;
        LogProbAdapter = logProb;
        SampleAdapter = sample;
    }

    public override ModelSession Create(ModelOptions options) => new FlowSession<TFlow>(this, _create(options));
}

/// <summary>A flow behind the <see cref="ModelSession"/> operations; loss term: <c>nll</c> (mean negative log-likelihood in nats, in the model's space).</summary>
internal sealed class FlowSession<TFlow>(FlowEntry<TFlow> entry, TFlow flow) : ModelSession<TFlow>(entry, flow), ILikelihood
    where TFlow : class, IFlowModel
{
    private static readonly string[] s_lossNames = ["nll"];

    public override IReadOnlyList<string> LossNames => s_lossNames;

    public override IReadOnlyList<NamedOptimizer> CreateOptimizers(float learningRate, float maxGradNorm) =>
        [new NamedOptimizer("adam", new Adam(Model, learningRate) { MaxGradNorm = maxGradNorm })];

    public override void TrainStep(ReadOnlySpan2D<float> x, ReadOnlySpan2D<float> y, IReadOnlyList<NamedOptimizer> optimizers,
        long step, Span<float> losses) =>
        losses[0] = entry.TrainStepAdapter(Model, ToModel(x, TrainingNoise(step)), y, optimizers[0].Optimizer);

    public override void Sample(Span2D<float> x, ReadOnlySpan2D<float> y, Rng rng)
    {
        var output = OutputBuffer(x);
        entry.SampleAdapter(Model, output, y, rng);
        ToData(output, x);
    }

    /// <summary>ln p(x | y) per row in DATA space (for dequantised data: the variational lower bound of the discrete log-probability).</summary>
    public void LogLikelihood(ReadOnlySpan2D<float> x, ReadOnlySpan2D<float> y, Span<float> logLikelihood, Rng noise)
    {
        var m = ToModel(x, noise);
        entry.LogProbAdapter(Model, m, y, logLikelihood);
        ReadOnlySpan<float> logDet = LogDet(x.Height);
        for (int i = 0; i < logLikelihood.Length; i++)
            logLikelihood[i] += logDet[i];
    }

    /// <summary>
    /// Held-out metrics: mean NLL in nats per row (data space), bits per dimension, and for
    /// conditional flows the accuracy of the Bayes classifier argmax_k p(x | k) (uniform prior) —
    /// a conditional density model is also a classifier.
    /// </summary>
    public override double? ValidationLoss(Dataset validation, ulong seed, CancellationToken cancellationToken) =>
        Evaluate(validation, "", seed, cancellationToken)[0].Value; // the NLL, with the same dequantisation noise at every check

    public override string ValidationName => "nll";

    public override IReadOnlyList<Metric> Evaluate(Dataset test, string source, ulong seed, CancellationToken cancellationToken)
    {
        int batch = Model.MaxBatch, d = Model.Features, classes = Model.ConditionSize;
        var logLik = new float[batch];
        var best = new float[batch];
        var bestClass = new int[batch];
        var y = new float[batch * Math.Max(classes, 1)];
        var noise = new Rng(seed, stream: 2);
        double sumNll = 0;
        long correct = 0;
        for (int start = 0; start < test.Rows; start += batch)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int n = Math.Min(batch, test.Rows - start);
            var x = test.GetRows(start, n);
            if (classes == 0)
            {
                LogLikelihood(x, ReadOnlySpan2D<float>.Empty, logLik.AsSpan(0, n), noise);
                for (int i = 0; i < n; i++) sumNll -= logLik[i];
                continue;
            }
            // The true label gives the NLL; every label gives the classifier's scores (same noise for each label).
            ReadOnlySpan<int> labels = test.Labels.Slice(start, n);
            best.AsSpan(0, n).Fill(float.NegativeInfinity);
            ulong position = noise.Position;
            for (int k = 0; k < classes; k++)
            {
                noise.Position = position;
                OneHot.Fill(y, n, classes, k);
                LogLikelihood(x, new ReadOnlySpan2D<float>(y, n, classes), logLik.AsSpan(0, n), noise);
                for (int i = 0; i < n; i++)
                {
                    if (labels[i] == k) sumNll -= logLik[i];
                    if (logLik[i] > best[i]) { best[i] = logLik[i]; bestClass[i] = k; }
                }
            }
            for (int i = 0; i < n; i++)
                if (bestClass[i] == labels[i]) correct++;
        }
        double nll = sumNll / test.Rows;
        var metrics = new List<Metric>
        {
            new("nll", nll, Entry.Transform.IsIdentity ? "NLL (nats per row)" : "NLL (nats per row, dequantised bound)"),
            new("bits_per_dim", GenDsl.Metrics.FlowMetrics.BitsPerDim(nll, d), "bits per dimension"),
            new("rows", test.Rows, "held-out rows"),
        };
        if (classes > 0)
            metrics.Add(new("bayes_accuracy", (double)correct / test.Rows, "accuracy of argmax_k p(x | k)"));
        return metrics;
    }
}

/// <summary>One-hot condition rows.</summary>
internal static class OneHot
{
    /// <summary>Rows 0 … n − 1 of <paramref name="y"/> (n × classes) all set to class <paramref name="k"/>.</summary>
    public static void Fill(float[] y, int n, int classes, int k)
    {
        Array.Clear(y, 0, n * classes);
        for (int i = 0; i < n; i++) y[i * classes + k] = 1f;
    }

    /// <summary>Rows 0 … labels.Length − 1 of <paramref name="y"/> set to the one-hot vectors of <paramref name="labels"/>.</summary>
    public static void Fill(float[] y, ReadOnlySpan<int> labels, int classes)
    {
        Array.Clear(y, 0, labels.Length * classes);
        for (int i = 0; i < labels.Length; i++) y[i * classes + labels[i]] = 1f;
    }
}
