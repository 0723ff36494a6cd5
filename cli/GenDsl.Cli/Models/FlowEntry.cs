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
        : base(name, ModelFamily.Flow, description, defaultData, typeof(TFlow), features, conditionSize, training, transform)
    {
        _create = create;
        TrainStepAdapter = trainStep;
        LogProbAdapter = logProb;
        SampleAdapter = sample;
    }

    public override ModelSession Create(ModelOptions options) => new FlowSession<TFlow>(this, _create(options));
}

/// <summary>A flow behind the <see cref="ModelSession"/> operations; loss term: <c>nll</c> (mean negative log-likelihood in nats, in the model's space).</summary>
internal sealed class FlowSession<TFlow> : ModelSession, ILikelihood where TFlow : class, IFlowModel
{
    private static readonly string[] s_lossNames = ["nll"];
    private readonly FlowEntry<TFlow> _entry;
    private readonly float[] _modelRows;   // MaxBatch × Features: the batch after the data transform
    private readonly float[] _logDet;      // MaxBatch
    private readonly Rng _noise;           // dequantisation noise, positioned by step

    public FlowSession(FlowEntry<TFlow> entry, TFlow flow) : base(entry)
    {
        _entry = entry;
        Flow = flow;
        _modelRows = entry.Transform.IsIdentity ? [] : new float[flow.MaxBatch * flow.Features];
        _logDet = new float[flow.MaxBatch];
        _noise = new Rng(0x6e6f697365UL, stream: 1);
    }

    /// <summary>The generated flow.</summary>
    public TFlow Flow { get; }

    public override int MaxBatch => Flow.MaxBatch;
    public override int ParameterCount => Flow.ParameterCount;
    public override ReadOnlySpan<float> Parameters => Flow.Parameters.Span;
    public override IReadOnlyList<string> LossNames => s_lossNames;

    public override IReadOnlyList<NamedOptimizer> CreateOptimizers(float learningRate, float maxGradNorm) =>
        [new NamedOptimizer("adam", new Adam(Flow, learningRate) { MaxGradNorm = maxGradNorm })];

    public override void TrainStep(ReadOnlySpan2D<float> x, ReadOnlySpan2D<float> y, IReadOnlyList<NamedOptimizer> optimizers,
        long step, Span<float> losses)
    {
        // Each step's noise starts at its own position, so step s draws the same numbers whether or not the run was resumed.
        _noise.Position = (ulong)step * (ulong)(Flow.MaxBatch * Flow.Features);
        losses[0] = _entry.TrainStepAdapter(Flow, ToModel(x, _noise), y, optimizers[0].Optimizer);
    }

    public override void Sample(Span2D<float> x, ReadOnlySpan2D<float> y, Rng rng)
    {
        if (_entry.Transform.IsIdentity)
        {
            _entry.SampleAdapter(Flow, x, y, rng);
            return;
        }
        var z = new Span2D<float>(_modelRows, x.Height, Flow.Features);
        _entry.SampleAdapter(Flow, z, y, rng);
        _entry.Transform.ToData(z, x);
    }

    /// <summary>ln p(x | y) per row in DATA space (for dequantised data: the variational lower bound of the discrete log-probability).</summary>
    public void LogLikelihood(ReadOnlySpan2D<float> x, ReadOnlySpan2D<float> y, Span<float> logLikelihood, Rng noise)
    {
        Span<float> logDet = _logDet.AsSpan(0, x.Height);
        var m = ToModel(x, noise); // also sets logDet (zero for the identity)
        _entry.LogProbAdapter(Flow, m, y, logLikelihood);
        for (int i = 0; i < logLikelihood.Length; i++)
            logLikelihood[i] += logDet[i];
    }

    /// <summary>
    /// Held-out metrics: mean NLL in nats per row (data space), bits per dimension, and for
    /// conditional flows the accuracy of the Bayes classifier argmax_k p(x | k) (uniform prior) —
    /// a conditional density model is also a classifier.
    /// </summary>
    public override IReadOnlyList<Metric> Evaluate(Dataset test, ulong seed, CancellationToken cancellationToken)
    {
        int batch = Flow.MaxBatch, d = Flow.Features, classes = Flow.ConditionSize;
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
                Array.Clear(y);
                for (int i = 0; i < n; i++) y[i * classes + k] = 1f;
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
            new("nll", nll, _entry.Transform.IsIdentity ? "NLL (nats per row)" : "NLL (nats per row, dequantised bound)"),
            new("bits_per_dim", nll / (d * Math.Log(2)), "bits per dimension"),
            new("rows", test.Rows, "held-out rows"),
        };
        if (classes > 0)
            metrics.Add(new("bayes_accuracy", (double)correct / test.Rows, "accuracy of argmax_k p(x | k)"));
        return metrics;
    }

    public override void Save(string path, long step) => Flow.Save(path, step);

    public override long Load(string path) => Flow.Load(path);

    /// <summary>The batch in the model's space (the rows themselves for the identity); ln|det| of the map per row in <c>_logDet</c>.</summary>
    private ReadOnlySpan2D<float> ToModel(ReadOnlySpan2D<float> x, Rng noise)
    {
        Span<float> logDet = _logDet.AsSpan(0, x.Height);
        logDet.Clear();
        if (_entry.Transform.IsIdentity)
            return x;
        var m = new Span2D<float>(_modelRows, x.Height, Flow.Features);
        _entry.Transform.ToModel(x, m, logDet, noise);
        return m;
    }
}
