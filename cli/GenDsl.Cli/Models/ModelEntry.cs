using CommunityToolkit.HighPerformance;
using GenDsl.Data;

namespace GenDsl.Cli.Models;

/// <summary>The three families of generative models GenDsl declares.</summary>
public enum ModelFamily
{
    /// <summary>Normalizing flow: exact log-likelihood, trained by maximum likelihood.</summary>
    Flow,
    /// <summary>Variational autoencoder: trained on the ELBO (reconstruction + KL).</summary>
    Vae,
    /// <summary>Generative adversarial network: a generator and a discriminator trained against each other.</summary>
    Gan,
}

/// <summary>The budget <c>gendsl train</c> uses when the command line does not say.</summary>
/// <param name="Batch">Rows per training step.</param>
/// <param name="LearningRate">Adam's learning rate.</param>
/// <param name="Steps">Optimizer steps.</param>
/// <param name="LearningRateDropAt">After this fraction of the steps the learning rate is multiplied by 0.1 (1: never).</param>
/// <param name="Beta1">Adam's β₁ (null: the family's, 0.5 for GANs and 0.9 otherwise).</param>
/// <param name="Beta2">Adam's β₂.</param>
internal sealed record TrainingDefaults(int Batch = 256, float LearningRate = 1e-3f, int Steps = 2000, double LearningRateDropAt = 1.0,
    float? Beta1 = null, float Beta2 = 0.999f);

/// <summary>
/// One ready-made model the CLI knows: its kebab-case name, family, one-line description, default
/// data set, sizes, and how to create it. <see cref="Create"/> returns a <see cref="ModelSession"/>,
/// the adapter through which every command trains, samples, evaluates and checkpoints the model
/// without knowing its generated class.
/// </summary>
internal abstract class ModelEntry
{
    /// <summary>The <see cref="MaxEvaluationBatch"/> of the dense models: rows per sampling or scoring call.</summary>
    public const int DefaultMaxEvaluationBatch = 1024;

    protected ModelEntry(string name, ModelFamily family, string description, string defaultData, Type modelType,
        int features, int conditionSize, TrainingDefaults? training, DataTransform? transform, int maxEvaluationBatch)
    {
        MaxEvaluationBatch = maxEvaluationBatch;
        Name = name;
        Family = family;
        Description = description;
        DefaultData = defaultData;
        ModelType = modelType;
        Features = features;
        ConditionSize = conditionSize;
        Training = training ?? new TrainingDefaults();
        Transform = transform ?? DataTransform.Identity;
    }

    /// <summary>The name on the command line: the class name in kebab case (<c>moons-flow</c>).</summary>
    public string Name { get; }

    public ModelFamily Family { get; }

    /// <summary>One line for <c>gendsl models</c>.</summary>
    public string Description { get; }

    /// <summary>The data set <c>train</c> and <c>eval</c> use without <c>--data</c>.</summary>
    public string DefaultData { get; }

    /// <summary>The generated class.</summary>
    public Type ModelType { get; }

    /// <summary>The class's full name, which its checkpoints store under <c>gendsl.model</c>.</summary>
    public string ClassName => ModelType.FullName!;

    /// <summary>Columns of a data row.</summary>
    public int Features { get; }

    /// <summary>Number of classes of the one-hot condition (0: unconditional).</summary>
    public int ConditionSize { get; }

    public bool IsConditional => ConditionSize > 0;

    public TrainingDefaults Training { get; }

    /// <summary>
    /// The largest MaxBatch <c>sample</c>, <c>eval</c> and the demo build this model with (their batches are split to fit):
    /// convolutional models keep several [rows, channels·height·width] activations, about 0.5 MB a row for the DCGAN.
    /// </summary>
    public int MaxEvaluationBatch { get; }

    /// <summary>How data rows map to the space the model works in (identity, or dequantisation + logit for pixel data).</summary>
    public DataTransform Transform { get; }

    /// <summary>Builds a fresh model (parameters initialised from <see cref="ModelOptions.Seed"/>).</summary>
    public abstract ModelSession Create(ModelOptions options);

    public override string ToString() => Name;
}

/// <summary>An optimizer with the name its state is saved under (<c>adam</c>; a GAN has two).</summary>
internal sealed record NamedOptimizer(string Name, Optimizer Optimizer);

/// <summary>One number of an evaluation: a JSON key, its value, and a label for people.</summary>
internal sealed record Metric(string Key, double Value, string Label);

/// <summary>
/// A live model behind the operations the commands need. All data is in DATA space (the rows of
/// the data set, for example pixels in [0, 1]); the session applies the entry's
/// <see cref="DataTransform"/> on the way in and out. Conditions are one-hot rows of
/// <see cref="ModelEntry.ConditionSize"/> columns (empty for unconditional models).
/// </summary>
internal abstract class ModelSession
{
    protected ModelSession(ModelEntry entry) => Entry = entry;

    public ModelEntry Entry { get; }

    /// <summary>The generated model behind the session (for what works on any model: its ONNX export).</summary>
    public abstract IGenerativeModel GenerativeModel { get; }

    /// <summary>The largest batch any method accepts.</summary>
    public abstract int MaxBatch { get; }

    /// <summary>Learned parameters (all parts of the model).</summary>
    public abstract int ParameterCount { get; }

    /// <summary>All parameters (checked for NaN before a checkpoint is written).</summary>
    public abstract ReadOnlySpan<float> Parameters { get; }

    /// <summary>The names of the numbers <see cref="TrainStep"/> reports (<c>nll</c>; <c>loss, reconstruction, kl</c>; <c>discriminator, generator</c>).</summary>
    public abstract IReadOnlyList<string> LossNames { get; }

    /// <summary>The optimizers one training run uses, created on this model's parameters.</summary>
    public abstract IReadOnlyList<NamedOptimizer> CreateOptimizers(float learningRate, float maxGradNorm);

    /// <summary>
    /// One optimizer step on a batch; writes the loss terms (<see cref="LossNames"/>) into
    /// <paramref name="losses"/>. <paramref name="step"/> (0-based) selects the random numbers
    /// of the data transform, so a resumed run draws what an uninterrupted one would.
    /// </summary>
    public abstract void TrainStep(ReadOnlySpan2D<float> x, ReadOnlySpan2D<float> y, IReadOnlyList<NamedOptimizer> optimizers,
        long step, Span<float> losses);

    /// <summary>Draws x.Height ≤ <see cref="MaxBatch"/> samples (data space) given the conditions <paramref name="y"/>.</summary>
    public abstract void Sample(Span2D<float> x, ReadOnlySpan2D<float> y, Rng rng);

    /// <summary>
    /// The family's metrics on held-out data (see cli/README.md for their meaning);
    /// <paramref name="source"/> is the data set's name (a GAN scores mode coverage on known mixtures).
    /// </summary>
    public abstract IReadOnlyList<Metric> Evaluate(Dataset test, string source, ulong seed, CancellationToken cancellationToken);

    /// <summary>
    /// The number early stopping watches (<c>train --validation</c>), lower is better: a flow's held-out NLL, a VAE's
    /// −ELBO (one draw per row, from the model's evaluation stream). Null for a family without one (GANs: their losses
    /// do not measure the samples' quality).
    /// </summary>
    public virtual double? ValidationLoss(Dataset validation, ulong seed, CancellationToken cancellationToken) => null;

    /// <summary>What <see cref="ValidationLoss"/> is, for messages and the validation log's header.</summary>
    public virtual string ValidationName => "validation loss";

    /// <summary>Writes the parameters to a checkpoint (atomically), with the step count.</summary>
    public abstract void Save(string path, long step);

    /// <summary>Loads a checkpoint of this model; returns its step. Throws <see cref="InvalidDataException"/> for another model's checkpoint.</summary>
    public abstract long Load(string path);
}

/// <summary>
/// The part every family shares: the generated model (sizes, parameters, checkpoints through
/// <see cref="IGenerativeModel"/>) and the buffers that carry a batch through the data transform.
/// </summary>
internal abstract class ModelSession<TModel> : ModelSession where TModel : class, IGenerativeModel
{
    private readonly float[] _modelRows;   // MaxBatch × Features: a batch after the data transform
    private readonly float[] _outputRows;  // MaxBatch × Features: a model's output before the inverse transform
    private readonly float[] _logDet;      // MaxBatch: ln|det| of the transform per row
    private readonly Rng _noise = new(0x6e6f697365UL, stream: 1); // the transform's training noise, positioned by step

    protected ModelSession(ModelEntry entry, TModel model) : base(entry)
    {
        Model = model;
        _modelRows = entry.Transform.IsIdentity ? [] : new float[model.MaxBatch * model.Features];
        _outputRows = entry.Transform.IsIdentity ? [] : new float[model.MaxBatch * model.Features];
        _logDet = new float[model.MaxBatch];
    }

    /// <summary>The generated model.</summary>
    public TModel Model { get; }

    public override IGenerativeModel GenerativeModel => Model;

    public override int MaxBatch => Model.MaxBatch;
    public override int ParameterCount => Model.ParameterCount;
    public override ReadOnlySpan<float> Parameters => Model.Parameters.Span;
    public override void Save(string path, long step) => Model.Save(path, step);
    public override long Load(string path) => Model.Load(path);

    /// <summary>ln|det| of the last <see cref="ToModel"/> per row (zero for the identity).</summary>
    protected ReadOnlySpan<float> LogDet(int rows) => _logDet.AsSpan(0, rows);

    /// <summary>The transform's noise for training step <paramref name="step"/> (each step starts at its own position).</summary>
    protected Rng TrainingNoise(long step)
    {
        _noise.Position = (ulong)step * (ulong)(Model.MaxBatch * Model.Features);
        return _noise;
    }

    /// <summary>The batch in the model's space (the rows themselves for the identity); ln|det| per row in <see cref="LogDet"/>.</summary>
    protected ReadOnlySpan2D<float> ToModel(ReadOnlySpan2D<float> x, Rng noise)
    {
        Span<float> logDet = _logDet.AsSpan(0, x.Height);
        logDet.Clear();
        if (Entry.Transform.IsIdentity)
            return x;
        var m = new Span2D<float>(_modelRows, x.Height, Model.Features);
        Entry.Transform.ToModel(x, m, logDet, noise);
        return m;
    }

    /// <summary>Where a model writes rows that are then mapped to <paramref name="x"/> in data space: <paramref name="x"/> itself for the identity.</summary>
    protected Span2D<float> OutputBuffer(Span2D<float> x) =>
        Entry.Transform.IsIdentity ? x : new Span2D<float>(_outputRows, x.Height, Model.Features);

    /// <summary>Maps rows written to <see cref="OutputBuffer"/> into <paramref name="x"/> (nothing to do for the identity).</summary>
    protected void ToData(Span2D<float> output, Span2D<float> x)
    {
        if (!Entry.Transform.IsIdentity)
            Entry.Transform.ToData(output, x);
    }
}

/// <summary>A session that scores rows: ln p(x | y) per row, in data space (flows exactly; a VAE would give its ELBO).</summary>
internal interface ILikelihood
{
    /// <summary>Writes ln p(x | y) for each of the x.Height ≤ MaxBatch rows; <paramref name="noise"/> feeds dequantisation.</summary>
    void LogLikelihood(ReadOnlySpan2D<float> x, ReadOnlySpan2D<float> y, Span<float> logLikelihood, Rng noise);
}
