using CommunityToolkit.HighPerformance;
using GenDsl.Data;
using GenDsl.Numerics;
using GenDsl.Threading;

namespace GenDsl.Metrics;

/// <summary>
/// A small convolutional classifier of 28×28 grey images (Fashion-MNIST), written directly on the runtime's kernels,
/// used to judge generated images: the class a sample is recognised as (<see cref="Predict"/>,
/// <see cref="ClassHistogram(ReadOnlySpan2D{float})"/>) and the 64-d penultimate features whose Fréchet distance
/// (<see cref="Frechet.Distance(ReadOnlySpan2D{float}, ReadOnlySpan2D{float})"/>) to the test set's is this project's
/// FID analogue.
/// </summary>
/// <remarks>
/// <para><b>Architecture</b> (NCHW rows of 784 pixels in [0, 1]): Conv 1→16, kernel 5, padding 2, ReLU [16, 28, 28] →
/// Conv 16→32, kernel 4, stride 2, padding 1, ReLU [32, 14, 14] → Conv 32→32, kernel 4, stride 2, padding 1, ReLU
/// [32, 7, 7] → Dense 1568→64, ReLU (the <see cref="Features(ReadOnlySpan2D{float}, Span2D{float})"/>) → Dense 64→10 (logits), softmax cross-entropy.
/// 126,122 parameters (<see cref="ParameterCount"/>).</para>
/// <para><b>Initialisation</b>: He-uniform weights, U(±√(6/fan_in)), zero biases, from <see cref="Rng"/>(seed).
/// <b>Training</b> (<see cref="Train"/>): Adam (lr 10⁻³, β = (0.9, 0.999)), batches of 64 from
/// <see cref="BatchSampler"/>(data, 64, seed, dropLast) for the given number of epochs, mean cross-entropy per batch.
/// Every kernel is bit-identical for any thread count, so a given seed gives the same classifier on every machine
/// with the same vector width behaviour (see <see cref="Gemm"/>). With the defaults (<see cref="DefaultEpochs"/> epochs on
/// <see cref="FashionMnist.LoadTrain"/>, <see cref="DefaultSeed"/>) it reaches 87.9 % on
/// <see cref="FashionMnist.LoadTest"/> (see benchmarks/RESULTS.md, "Fashion-MNIST image models").</para>
/// <para>Not thread-safe: one call at a time. Calls on at most <see cref="MaxBatch"/> rows at a time internally, so any
/// number of rows can be passed to the evaluation methods; they allocate nothing.</para>
/// </remarks>
public sealed class FashionClassifier : IParameterized
{
    /// <summary>Pixels per image (28 × 28).</summary>
    public const int InputFeatures = 784;
    /// <summary>Classes (10).</summary>
    public const int Classes = 10;
    /// <summary>Size of the penultimate layer returned by <see cref="Features(ReadOnlySpan2D{float}, Span2D{float})"/> (64).</summary>
    public const int FeatureCount = 64;
    /// <summary>The batch size <see cref="Train"/> uses (64).</summary>
    public const int TrainBatch = 64;
    /// <summary>Epochs of <see cref="Train"/> by default.</summary>
    public const int DefaultEpochs = 5;
    /// <summary>The seed of <see cref="Train"/> by default.</summary>
    public const ulong DefaultSeed = 12;
    /// <summary>Adam's learning rate in <see cref="Train"/>.</summary>
    public const float LearningRate = 1e-3f;

    private static readonly ConvShape C1 = new(1, 28, 28, 16, 5, 1, 2);
    private static readonly ConvShape C2 = new(16, 28, 28, 32, 4, 2, 1);
    private static readonly ConvShape C3 = new(32, 14, 14, 32, 4, 2, 1);
    private const int Flat = 32 * 7 * 7;

    private readonly WorkerPool _pool;
    private readonly Arena _parameters, _gradients;
    private readonly ArenaLayout _layout;
    private readonly float[] _a1, _a2, _a3, _h, _logits;   // forward activations (post-ReLU), MaxBatch rows each
    private readonly float[] _g1, _g2, _g3, _gh, _gLogits;  // their gradients
    private readonly float[] _scratch;
    private readonly int[] _predicted;

    /// <summary>A classifier with freshly initialised (untrained) weights.</summary>
    /// <param name="seed">Seed of the initial weights.</param>
    /// <param name="maxBatch">Rows processed per internal call (and the largest batch of <see cref="LossAndGradients"/>).</param>
    /// <param name="pool">Threads; null = <see cref="WorkerPool.Default"/>.</param>
    public FashionClassifier(ulong seed, int maxBatch = 256, WorkerPool? pool = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        _pool = pool ?? WorkerPool.Default;
        MaxBatch = maxBatch;
        _layout = new ArenaLayout();
        _layout.Add("c1.w", 16, 1, 5, 5);
        _layout.Add("c1.b", 16);
        _layout.Add("c2.w", 32, 16, 4, 4);
        _layout.Add("c2.b", 32);
        _layout.Add("c3.w", 32, 32, 4, 4);
        _layout.Add("c3.b", 32);
        _layout.Add("d1.w", FeatureCount, Flat);
        _layout.Add("d1.b", FeatureCount);
        _layout.Add("d2.w", Classes, FeatureCount);
        _layout.Add("d2.b", Classes);
        _parameters = new Arena(_layout);
        _gradients = new Arena(_layout);
        _a1 = new float[maxBatch * C1.OutFeatures];
        _a2 = new float[maxBatch * C2.OutFeatures];
        _a3 = new float[maxBatch * C3.OutFeatures];
        _h = new float[maxBatch * FeatureCount];
        _logits = new float[maxBatch * Classes];
        _g1 = new float[_a1.Length];
        _g2 = new float[_a2.Length];
        _g3 = new float[_a3.Length];
        _gh = new float[_h.Length];
        _gLogits = new float[_logits.Length];
        int threads = _pool.Threads;
        _scratch = new float[Math.Max(Conv2d.ScratchFloats(C1, maxBatch, threads),
                             Math.Max(Conv2d.ScratchFloats(C2, maxBatch, threads), Conv2d.ScratchFloats(C3, maxBatch, threads)))];
        _predicted = new int[maxBatch];
        Initialise(seed);
    }

    /// <summary>Rows per internal call.</summary>
    public int MaxBatch { get; }

    /// <summary>Trainable parameters (126,122; <see cref="Parameters"/> also holds alignment padding, whose gradient is always 0).</summary>
    public int ParameterCount
    {
        get
        {
            int used = 0;
            foreach (var s in _layout.Slices) used += s.Length;
            return used;
        }
    }

    /// <inheritdoc/>
    public Memory<float> Parameters => _parameters.Memory;

    /// <inheritdoc/>
    public Memory<float> Gradients => _gradients.Memory;

    /// <inheritdoc/>
    public WorkerPool? Pool => _pool;

    /// <summary>
    /// Trains a classifier from scratch, deterministically: initial weights from <paramref name="seed"/>, batches of
    /// <see cref="TrainBatch"/> from <c>BatchSampler(train, 64, seed + 1, dropLast: true)</c>, Adam
    /// (<see cref="LearningRate"/>), <paramref name="epochs"/> passes over the data.
    /// </summary>
    /// <param name="train">Labelled 784-column images, labels 0 … 9 (e.g. <see cref="FashionMnist.LoadTrain"/>).</param>
    /// <param name="epochs">Passes over the data (≥ 1).</param>
    /// <param name="seed">Seed of the weights and of the batch order.</param>
    /// <param name="pool">Threads; null = <see cref="WorkerPool.Default"/>.</param>
    /// <exception cref="ArgumentException">The data is not labelled 784-column images with labels below 10.</exception>
    public static FashionClassifier Train(Dataset train, int epochs = DefaultEpochs, ulong seed = DefaultSeed, WorkerPool? pool = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentOutOfRangeException.ThrowIfLessThan(epochs, 1);
        CheckLabelled(train);
        var classifier = new FashionClassifier(seed, Math.Max(TrainBatch, 256), pool);
        var adam = new Adam(classifier, LearningRate);
        var sampler = new BatchSampler(train, TrainBatch, seed + 1, shuffle: true, dropLast: train.Rows >= TrainBatch);
        long steps = (long)epochs * sampler.BatchesPerEpoch;
        for (long step = 0; step < steps; step++)
        {
            var batch = sampler.Next();
            classifier.LossAndGradients(batch, sampler.CurrentLabels);
            adam.Step();
        }
        return classifier;
    }

    /// <summary>
    /// The mean softmax cross-entropy of the batch (nats), and its gradient with respect to every parameter written to
    /// <see cref="Gradients"/> (overwritten).
    /// </summary>
    /// <param name="x">At most <see cref="MaxBatch"/> rows of 784 pixels.</param>
    /// <param name="labels">One label 0 … 9 per row.</param>
    public float LossAndGradients(ReadOnlySpan2D<float> x, ReadOnlySpan<int> labels)
    {
        int n = x.Height;
        CheckBatch(x, labels.Length, n);
        if (n > MaxBatch)
            throw new ArgumentException($"The batch has {n} rows but this classifier holds at most {MaxBatch} (its maxBatch).", nameof(x));
        Forward(x);
        var p = _parameters;
        var g = _gradients;
        var h = View(_h, n, FeatureCount);
        var a3 = View(_a3, n, C3.OutFeatures);
        var a2 = View(_a2, n, C2.OutFeatures);
        var a1 = View(_a1, n, C1.OutFeatures);
        var gLogits = View(_gLogits, n, Classes);
        var gh = View(_gh, n, FeatureCount);
        var g3 = View(_g3, n, C3.OutFeatures);
        var g2 = View(_g2, n, C2.OutFeatures);
        var g1 = View(_g1, n, C1.OutFeatures);

        // Softmax cross-entropy: loss = mean(lse(z) − z_y); ∂/∂z = (softmax(z) − onehot(y)) / n.
        double loss = 0;
        float invN = 1f / n;
        for (int r = 0; r < n; r++)
        {
            var z = _logits.AsSpan(r * Classes, Classes);
            var gz = _gLogits.AsSpan(r * Classes, Classes);
            int y = labels[r];
            if ((uint)y >= Classes)
                throw new ArgumentException($"Label {y} of row {r} is not a class 0 … {Classes - 1}.", nameof(labels));
            float lse = Reductions.LogSumExp(z);
            loss += lse - z[y];
            for (int c = 0; c < Classes; c++)
                gz[c] = MathF.Exp(z[c] - lse) * invN;
            gz[y] -= invN;
        }

        // Dense 64 → 10.
        Gemm.Multiply(gLogits, true, h, false, g.Slice2D("d2.w"), 1f, 0f, _pool);
        GemmBackward.ColumnSums(gLogits, g["d2.b"], false, _pool);
        Gemm.Multiply(gLogits, false, p.Slice2D("d2.w"), false, gh, 1f, 0f, _pool);
        // Dense 1568 → 64, ReLU.
        GemmBackward.ActivationAndBias(gh, h, Activation.Relu, 0f, g["d1.b"], false, _pool);
        Gemm.Multiply(gh, true, a3, false, g.Slice2D("d1.w"), 1f, 0f, _pool);
        Gemm.Multiply(gh, false, p.Slice2D("d1.w"), false, g3, 1f, 0f, _pool);
        // Conv 3.
        Conv2d.ActivationBackward(g3, a3, Activation.Relu, 0f, C3.OutChannels, g["c3.b"], false, _pool);
        Conv2d.BackwardWeight(g3, a2, g["c3.w"], Span<float>.Empty, C3, _scratch, _pool);
        Conv2d.BackwardData(g3, p["c3.w"], g2, C3, _scratch, _pool);
        // Conv 2.
        Conv2d.ActivationBackward(g2, a2, Activation.Relu, 0f, C2.OutChannels, g["c2.b"], false, _pool);
        Conv2d.BackwardWeight(g2, a1, g["c2.w"], Span<float>.Empty, C2, _scratch, _pool);
        Conv2d.BackwardData(g2, p["c2.w"], g1, C2, _scratch, _pool);
        // Conv 1 (no input gradient needed).
        Conv2d.ActivationBackward(g1, a1, Activation.Relu, 0f, C1.OutChannels, g["c1.b"], false, _pool);
        Conv2d.BackwardWeight(g1, x, g["c1.w"], Span<float>.Empty, C1, _scratch, _pool);
        return (float)(loss / n);
    }

    /// <summary>The mean softmax cross-entropy (nats) over all rows, without touching the gradients.</summary>
    public double Loss(ReadOnlySpan2D<float> x, ReadOnlySpan<int> labels)
    {
        CheckBatch(x, labels.Length, x.Height);
        double loss = 0;
        for (int start = 0; start < x.Height; start += MaxBatch)
        {
            int n = Math.Min(MaxBatch, x.Height - start);
            Forward(x.Slice(start, 0, n, InputFeatures));
            for (int r = 0; r < n; r++)
            {
                var z = _logits.AsSpan(r * Classes, Classes);
                loss += Reductions.LogSumExp(z) - z[labels[start + r]];
            }
        }
        return x.Height == 0 ? 0 : loss / x.Height;
    }

    /// <summary>The most probable class of each row (ties: the lowest class).</summary>
    /// <param name="x">Rows of 784 pixels in [0, 1].</param>
    /// <param name="labels">One entry per row.</param>
    public void Predict(ReadOnlySpan2D<float> x, Span<int> labels)
    {
        CheckBatch(x, labels.Length, x.Height);
        for (int start = 0; start < x.Height; start += MaxBatch)
        {
            int n = Math.Min(MaxBatch, x.Height - start);
            Forward(x.Slice(start, 0, n, InputFeatures));
            for (int r = 0; r < n; r++)
            {
                var z = _logits.AsSpan(r * Classes, Classes);
                int best = 0;
                for (int c = 1; c < Classes; c++)
                    if (z[c] > z[best]) best = c;
                labels[start + r] = best;
            }
        }
    }

    /// <summary>The 64 penultimate (post-ReLU) activations of each row: the features of <see cref="Frechet.Distance(ReadOnlySpan2D{float}, ReadOnlySpan2D{float})"/>.</summary>
    /// <param name="x">Rows of 784 pixels in [0, 1].</param>
    /// <param name="features">x's rows × <see cref="FeatureCount"/>.</param>
    public void Features(ReadOnlySpan2D<float> x, Span2D<float> features)
    {
        if (features.Height != x.Height || features.Width != FeatureCount)
            throw new ArgumentException(
                $"features is {features.Height} × {features.Width} but x has {x.Height} rows: pass {x.Height} × {FeatureCount}.", nameof(features));
        CheckBatch(x, x.Height, x.Height);
        for (int start = 0; start < x.Height; start += MaxBatch)
        {
            int n = Math.Min(MaxBatch, x.Height - start);
            Forward(x.Slice(start, 0, n, InputFeatures));
            View(_h, n, FeatureCount).CopyTo(features.Slice(start, 0, n, FeatureCount));
        }
    }

    /// <summary>The share (0 … 1) of the data set's rows whose predicted class is their label.</summary>
    public double Accuracy(Dataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        CheckLabelled(data);
        var x = data.AsSpan2D();
        var labels = data.Labels;
        int correct = 0;
        for (int start = 0; start < data.Rows; start += MaxBatch)
        {
            int n = Math.Min(MaxBatch, data.Rows - start);
            Predict(x.Slice(start, 0, n, InputFeatures), _predicted.AsSpan(0, n));
            for (int r = 0; r < n; r++)
                if (_predicted[r] == labels[start + r]) correct++;
        }
        return data.Rows == 0 ? 0 : (double)correct / data.Rows;
    }

    /// <summary>How many rows are classified as each class (10 counts).</summary>
    public int[] ClassHistogram(ReadOnlySpan2D<float> x)
    {
        var counts = new int[Classes];
        for (int start = 0; start < x.Height; start += MaxBatch)
        {
            int n = Math.Min(MaxBatch, x.Height - start);
            Predict(x.Slice(start, 0, n, x.Width), _predicted.AsSpan(0, n));
            for (int r = 0; r < n; r++)
                counts[_predicted[r]]++;
        }
        return counts;
    }

    /// <summary>How many of <paramref name="labels"/> are each class 0 … <paramref name="classes"/> − 1.</summary>
    /// <exception cref="ArgumentException">A label is outside 0 … classes − 1.</exception>
    public static int[] ClassHistogram(ReadOnlySpan<int> labels, int classes = Classes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        var counts = new int[classes];
        foreach (int y in labels)
        {
            if ((uint)y >= (uint)classes)
                throw new ArgumentException($"Label {y} is not a class 0 … {classes - 1}.", nameof(labels));
            counts[y]++;
        }
        return counts;
    }

    /// <summary>
    /// Judges <paramref name="count"/> generated images: <paramref name="source"/> fills them in batches of at most
    /// <paramref name="batch"/> rows (its second argument is the index of the batch's first image), and each batch is
    /// classified. Returns the images' <see cref="Features(ReadOnlySpan2D{float}, Span2D{float})"/> (count × 64, row-major) and predicted classes.
    /// </summary>
    /// <param name="count">Images to draw (≥ 1).</param>
    /// <param name="batch">Rows per call of the source (≥ 1, e.g. the generator's MaxBatch).</param>
    /// <param name="source">Writes images (rows of 784 pixels in [0, 1]) into its span.</param>
    public (float[] Features, int[] Labels) Judge(int count, int batch, ImageBatchSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        var features = new float[count * FeatureCount];
        var labels = new int[count];
        var images = new float[Math.Min(batch, count) * InputFeatures];
        for (int start = 0; start < count; start += batch)
        {
            int n = Math.Min(batch, count - start);
            var view = new Span2D<float>(images, 0, n, InputFeatures, 0);
            source(view, start);
            Features(view, new Span2D<float>(features, start * FeatureCount, n, FeatureCount, 0));
            Predict(view, labels.AsSpan(start, n));
        }
        return (features, labels);
    }

    /// <summary>The <see cref="Features(ReadOnlySpan2D{float}, Span2D{float})"/> of every row of a data set (rows × 64, row-major).</summary>
    public float[] Features(Dataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var features = new float[data.Rows * FeatureCount];
        Features(data.AsSpan2D(), new Span2D<float>(features, data.Rows, FeatureCount));
        return features;
    }

    // ------------------------------------------------------------------------------------------ implementation

    private void Initialise(ulong seed)
    {
        var rng = new Rng(seed);
        _parameters.Clear();
        _gradients.Clear();
        Fill("c1.w", C1.PatchLength);
        Fill("c2.w", C2.PatchLength);
        Fill("c3.w", C3.PatchLength);
        Fill("d1.w", Flat);
        Fill("d2.w", FeatureCount);

        void Fill(string name, int fanIn)
        {
            float bound = MathF.Sqrt(6f / fanIn);
            rng.FillUniform(_parameters[name], -bound, bound);
        }
    }

    /// <summary>Forward pass of ≤ MaxBatch rows into the activation buffers.</summary>
    private void Forward(ReadOnlySpan2D<float> x)
    {
        int n = x.Height;
        var p = _parameters;
        var a1 = View(_a1, n, C1.OutFeatures);
        var a2 = View(_a2, n, C2.OutFeatures);
        var a3 = View(_a3, n, C3.OutFeatures);
        var h = View(_h, n, FeatureCount);
        Conv2d.Forward(x, p["c1.w"], p["c1.b"], a1, C1, Activation.Relu, 0f, _scratch, _pool);
        Conv2d.Forward(a1, p["c2.w"], p["c2.b"], a2, C2, Activation.Relu, 0f, _scratch, _pool);
        Conv2d.Forward(a2, p["c3.w"], p["c3.b"], a3, C3, Activation.Relu, 0f, _scratch, _pool);
        Gemm.Multiply(a3, false, p.Slice2D("d1.w"), true, h, new Epilogue(p["d1.b"], Activation.Relu), 1f, 0f, _pool);
        Gemm.Multiply(h, false, p.Slice2D("d2.w"), true, View(_logits, n, Classes), new Epilogue(p["d2.b"]), 1f, 0f, _pool);
    }

    private static Span2D<float> View(float[] buffer, int rows, int columns) => new(buffer, 0, rows, columns, 0);

    private static void CheckBatch(ReadOnlySpan2D<float> x, int labels, int rows)
    {
        if (x.Width != InputFeatures)
            throw new ArgumentException($"x has {x.Width} columns but the classifier reads 28 × 28 = {InputFeatures} pixels per row.", nameof(x));
        if (labels != rows)
            throw new ArgumentException($"x has {rows} rows but {labels} labels were given: pass one per row.", nameof(labels));
    }

    private static void CheckLabelled(Dataset data)
    {
        if (data.Columns != InputFeatures)
            throw new ArgumentException($"'{data.Name}' has {data.Columns} columns; the classifier reads 28 × 28 = {InputFeatures}.", nameof(data));
        if (!data.HasLabels || data.ClassCount > Classes)
            throw new ArgumentException($"'{data.Name}' needs labels 0 … {Classes - 1}.", nameof(data));
    }
}

/// <summary>Fills <paramref name="images"/> (rows of 784 pixels) with generated images; <paramref name="firstRow"/> is the index of its first row among all the images drawn.</summary>
public delegate void ImageBatchSource(Span2D<float> images, int firstRow);

/// <summary>A per-row score of a model, such as a VAE's <c>Elbo(x, perRow)</c>.</summary>
public delegate void RowScores(ReadOnlySpan2D<float> x, Span<float> perRow);

/// <summary>Scores of a model averaged over a held-out data set.</summary>
public static class HeldOut
{
    /// <summary>−(mean of <paramref name="score"/> over all rows of <paramref name="data"/>), scored <paramref name="batch"/> rows at a time: e.g. the held-out −ELBO in nats per row.</summary>
    public static double NegativeMean(Dataset data, int batch, RowScores score)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(score);
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        var perRow = new float[batch];
        double sum = 0;
        for (int start = 0; start < data.Rows; start += batch)
        {
            int n = Math.Min(batch, data.Rows - start);
            score(data.GetRows(start, n), perRow.AsSpan(0, n));
            for (int i = 0; i < n; i++) sum -= perRow[i];
        }
        return data.Rows == 0 ? 0 : sum / data.Rows;
    }
}
