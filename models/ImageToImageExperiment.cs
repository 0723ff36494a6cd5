using System.Diagnostics;
using CommunityToolkit.HighPerformance;
using GenDsl.Data;
using GenDsl.Metrics;
using GenDsl.Threading;

namespace GenDsl.Models;

/// <summary>The course's two image-to-image tasks on 28×28 grey images (see <see cref="ImageToImage"/>).</summary>
public enum ImageTask
{
    /// <summary>y = the 7×7 average-pooled image (each value the mean of a 4×4 block) → x = the 28×28 image.</summary>
    SuperResolution,

    /// <summary>y = the upper half (rows 0–13, 1×14×28) → x = the lower half (rows 14–27).</summary>
    Inpainting,
}

/// <summary>The four models of a task (see models/ImageToImageModels.cs): one regressor and three conditional generative models with the same body.</summary>
public enum CompletionModel
{
    /// <summary>x̂ = f(y) trained by the mean squared error (<see cref="SuperResRegressor"/>, <see cref="InpaintRegressor"/>).</summary>
    Regressor,

    /// <summary>The conditional VAE; a completion is the decoder's mean for z ~ N(0, I) (<see cref="SuperResCvae"/>, <see cref="InpaintCvae"/>).</summary>
    Cvae,

    /// <summary>The conditional GAN (non-saturating; <see cref="SuperResCgan"/>, <see cref="InpaintCgan"/>).</summary>
    Cgan,

    /// <summary>The conditional Glow on dequantised logits; a completion is a sample at temperature 1 mapped back to pixels (<see cref="SuperResFlow"/>, <see cref="InpaintFlow"/>).</summary>
    Flow,
}

/// <summary>Trains on a batch of (x, y) rows; returns the step's loss.</summary>
public delegate float CompletionTrainStep(ReadOnlySpan2D<float> x, ReadOnlySpan2D<float> y);

/// <summary>Writes one completion x of each row of y (a draw for the generative models; <paramref name="rng"/> unused by the regressor).</summary>
public delegate void CompletionDraw(ReadOnlySpan2D<float> y, Span2D<float> x, Rng rng);

/// <summary>One trainable model of a task behind a common face: its training step and its completions.</summary>
public sealed class Completer
{
    internal Completer(ImageTask task, CompletionModel kind, IGenerativeModel model, CompletionTrainStep step, CompletionDraw draw)
    {
        Task = task;
        Kind = kind;
        Model = model;
        TrainStep = step;
        Draw = draw;
    }

    /// <summary>The task.</summary>
    public ImageTask Task { get; }

    /// <summary>Which of the four models.</summary>
    public CompletionModel Kind { get; }

    /// <summary>The generated model (save, load, export it through this).</summary>
    public IGenerativeModel Model { get; }

    /// <summary>One optimiser step (Adam, the settings of <see cref="ImageToImage.Create"/>).</summary>
    public CompletionTrainStep TrainStep { get; }

    /// <summary>Completions of a batch of conditions.</summary>
    public CompletionDraw Draw { get; }

    /// <summary>Whether two draws differ (false for the regressor).</summary>
    public bool IsStochastic => Kind != CompletionModel.Regressor;

    /// <summary>The model's name in the CLI and the reports: regressor, cvae, cgan, flow.</summary>
    public string Name => ImageToImage.Name(Kind);
}

/// <summary>One model's measurement on a task's test set (see <see cref="ImageToImage.Evaluate"/>).</summary>
/// <param name="MeanSquaredError">Mean over test rows and pixels of (completion − truth)², the first draw of each row for a generative model; the regressor's test MSE.</param>
/// <param name="SampleVariance">Per-pixel variance over the draws of one condition (unbiased), averaged over pixels and rows: the diversity; 0 for the regressor.</param>
/// <param name="TrueClass">Share of completed images (every draw) that the classifier assigns to the test image's class; NaN without a classifier.</param>
/// <param name="Sharpness">Mean squared difference of neighbouring pixels (horizontal and vertical) of the completions over the same of the true x: 1 is as sharp as the data, a blurred answer is below.</param>
public sealed record CompletionScores(ImageTask Task, CompletionModel Kind, int TestRows, int Draws,
    double MeanSquaredError, double SampleVariance, double TrueClass, double Sharpness);

/// <summary>
/// The course's question "what happens if we train a regressor to colour an image?" on real images: super-resolution
/// and inpainting (<see cref="ImageTask"/>) on 28×28 data, a regressor against three conditional generative models of the
/// same body (models/ImageToImageModels.cs). The regressor converges to the conditional mean E[x | y], a blur of the
/// answers that fit y; the generative models draw answers, sharp and different from each other.
/// </summary>
public static class ImageToImage
{
    /// <summary>Side of the images (28).</summary>
    public const int Side = 28;

    /// <summary>Pixels of a whole image (784).</summary>
    public const int Pixels = Side * Side;

    /// <summary>Batch of every training step (64).</summary>
    public const int Batch = 64;

    /// <summary>The names of the models, as the CLI takes them.</summary>
    public static IReadOnlyList<string> ModelNames { get; } = ["regressor", "cvae", "cgan", "flow"];

    /// <summary>The CLI name of a model.</summary>
    public static string Name(CompletionModel kind) => ModelNames[(int)kind];

    /// <summary>The CLI name of a task: superres, inpaint.</summary>
    public static string Name(ImageTask task) => task == ImageTask.SuperResolution ? "superres" : "inpaint";

    /// <summary>Columns of a target row x: 784 (super-resolution) or 392 (inpainting).</summary>
    public static int TargetSize(ImageTask task) => task == ImageTask.SuperResolution ? Pixels : Pixels / 2;

    /// <summary>Columns of a condition row y: 49 or 392.</summary>
    public static int ConditionSize(ImageTask task) => task == ImageTask.SuperResolution ? 49 : Pixels / 2;

    /// <summary>Height of the target image (28 or 14; the width is 28).</summary>
    public static int TargetHeight(ImageTask task) => task == ImageTask.SuperResolution ? Side : Side / 2;

    /// <summary>Splits a 784-pixel image into its condition y and target x.</summary>
    public static void Split(ImageTask task, ReadOnlySpan<float> image, Span<float> y, Span<float> x)
    {
        CheckImage(image, nameof(image));
        if (task == ImageTask.SuperResolution)
        {
            for (int by = 0; by < 7; by++)
                for (int bx = 0; bx < 7; bx++)
                {
                    float sum = 0;
                    for (int r = 0; r < 4; r++)
                        for (int c = 0; c < 4; c++)
                            sum += image[(4 * by + r) * Side + 4 * bx + c];
                    y[by * 7 + bx] = sum / 16f;
                }
            image.CopyTo(x);
        }
        else
        {
            image[..(Pixels / 2)].CopyTo(y);
            image[(Pixels / 2)..].CopyTo(x);
        }
    }

    /// <summary>The whole image a completion x of condition y stands for: x itself (super-resolution) or the given upper half above x.</summary>
    public static void Compose(ImageTask task, ReadOnlySpan<float> y, ReadOnlySpan<float> x, Span<float> image)
    {
        if (task == ImageTask.SuperResolution)
            x[..Pixels].CopyTo(image);
        else
        {
            y[..(Pixels / 2)].CopyTo(image);
            x[..(Pixels / 2)].CopyTo(image[(Pixels / 2)..]);
        }
    }

    /// <summary>The condition drawn as a 784-pixel image: the 7×7 values as 4×4 blocks, or the upper half above a black lower half.</summary>
    public static void ShowCondition(ImageTask task, ReadOnlySpan<float> y, Span<float> image)
    {
        if (task == ImageTask.SuperResolution)
        {
            for (int r = 0; r < Side; r++)
                for (int c = 0; c < Side; c++)
                    image[r * Side + c] = y[(r / 4) * 7 + c / 4];
        }
        else
        {
            y[..(Pixels / 2)].CopyTo(image);
            image[(Pixels / 2)..Pixels].Clear();
        }
    }

    /// <summary>The (x, y) rows of every image of <paramref name="images"/> (784 columns), labels kept on x.</summary>
    /// <exception cref="ArgumentException">The images are not 784 columns (28×28).</exception>
    public static (Dataset X, float[] Y) Make(ImageTask task, Dataset images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Columns != Pixels)
            throw new ArgumentException(
                $"{images.Name}: the image-to-image tasks take 28×28 grey images (784 columns) but these rows have {images.Columns}; pass MNIST, Fashion-MNIST or another 28×28 data set.", nameof(images));
        int dx = TargetSize(task), dy = ConditionSize(task);
        var x = new float[images.Rows * dx];
        var y = new float[images.Rows * dy];
        for (int r = 0; r < images.Rows; r++)
            Split(task, images.Row(r), y.AsSpan(r * dy, dy), x.AsSpan(r * dx, dx));
        int[]? labels = images.HasLabels ? images.Labels.ToArray() : null;
        return (new Dataset(x, images.Rows, dx, labels, $"{images.Name} ({Name(task)} targets)"), y);
    }

    /// <summary>
    /// A freshly initialised model of the task with its optimiser: Adam 10⁻³ for the regressor, the CVAE and the flow,
    /// Adam 2·10⁻⁴ (β₁ = 0.5) for each part of the GAN (DCGAN's settings). The flow trains on
    /// <see cref="LogitTransform"/>(256) of dequantised pixels (so x must be 8-bit levels k/255) and its samples are mapped back.
    /// </summary>
    /// <param name="seed">The model's seed (initialisation, its noise; the flow's dequantisation stream too).</param>
    /// <param name="maxBatch">The largest batch of <see cref="Completer.TrainStep"/> and <see cref="Completer.Draw"/>.</param>
    /// <param name="pool">Threads (null: <see cref="WorkerPool.Default"/>).</param>
    public static Completer Create(ImageTask task, CompletionModel kind, ulong seed, int maxBatch = 256, WorkerPool? pool = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        var options = new ModelOptions { MaxBatch = maxBatch, Seed = seed, Pool = pool };
        bool sr = task == ImageTask.SuperResolution;
        switch (kind)
        {
            case CompletionModel.Regressor:
            {
                IRegressorModel r = sr ? new SuperResRegressor(options) : new InpaintRegressor(options);
                var adam = new Adam(r, 1e-3f);
                return new Completer(task, kind, r, (x, y) => r.TrainStep(x, y, adam), (y, x, _) => r.Predict(y, x));
            }
            case CompletionModel.Cvae:
            {
                if (sr)
                {
                    var v = new SuperResCvae(options);
                    var adam = new Adam(v, 1e-3f);
                    return new Completer(task, kind, v, (x, y) => v.TrainStep(x, y, adam).Loss, (y, x, rng) => v.Sample(x, y, rng));
                }
                else
                {
                    var v = new InpaintCvae(options);
                    var adam = new Adam(v, 1e-3f);
                    return new Completer(task, kind, v, (x, y) => v.TrainStep(x, y, adam).Loss, (y, x, rng) => v.Sample(x, y, rng));
                }
            }
            case CompletionModel.Cgan:
            {
                if (sr)
                {
                    var g = new SuperResCgan(options);
                    var (d, gen) = (new Adam(g.DiscriminatorPart, 2e-4f, 0.5f, 0.999f), new Adam(g.GeneratorPart, 2e-4f, 0.5f, 0.999f));
                    return new Completer(task, kind, g, (x, y) => g.TrainStep(x, y, d, gen).Generator, (y, x, rng) => g.Sample(x, y, rng));
                }
                else
                {
                    var g = new InpaintCgan(options);
                    var (d, gen) = (new Adam(g.DiscriminatorPart, 2e-4f, 0.5f, 0.999f), new Adam(g.GeneratorPart, 2e-4f, 0.5f, 0.999f));
                    return new Completer(task, kind, g, (x, y) => g.TrainStep(x, y, d, gen).Generator, (y, x, rng) => g.Sample(x, y, rng));
                }
            }
            case CompletionModel.Flow:
            {
                var logit = new LogitTransform(256);
                int dx = TargetSize(task);
                var buffer = new float[maxBatch * dx];
                var dequantisation = new Rng(seed, stream: 23);
                if (sr)
                {
                    var f = new SuperResFlow(options);
                    var adam = new Adam(f, 1e-3f);
                    return new Completer(task, kind, f, (x, y) => f.TrainStep(Dequantise(logit, x, buffer, dequantisation), y, adam),
                        (y, x, rng) => FlowDraw(logit, buffer, y, x, rng, (yy, v, r) => f.Sample(v, yy, r)));
                }
                else
                {
                    var f = new InpaintFlow(options);
                    var adam = new Adam(f, 1e-3f);
                    return new Completer(task, kind, f, (x, y) => f.TrainStep(Dequantise(logit, x, buffer, dequantisation), y, adam),
                        (y, x, rng) => FlowDraw(logit, buffer, y, x, rng, (yy, v, r) => f.Sample(v, yy, r)));
                }
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "Pass Regressor, Cvae, Cgan or Flow.");
        }
    }

    private static ReadOnlySpan2D<float> Dequantise(LogitTransform logit, ReadOnlySpan2D<float> x, float[] buffer, Rng rng)
    {
        var v = new Span2D<float>(buffer, 0, x.Height, x.Width, 0);
        logit.Forward(x, v, Span<float>.Empty, rng);
        return v;
    }

    private static void FlowDraw(LogitTransform logit, float[] buffer, ReadOnlySpan2D<float> y, Span2D<float> x, Rng rng, CompletionDraw sample)
    {
        var v = new Span2D<float>(buffer, 0, y.Height, x.Width, 0);
        sample(y, v, rng);
        logit.Inverse(v, x);
        for (int r = 0; r < x.Height; r++)
        {
            var row = x.GetRowSpan(r);
            for (int c = 0; c < row.Length; c++)
                row[c] = Math.Clamp(row[c], 0f, 1f);   // the logit's squeeze maps (α, 1 − α) to [0, 1]; a tail sample may fall outside
        }
    }

    /// <summary>
    /// Trains <paramref name="model"/> for <paramref name="steps"/> steps of <see cref="Batch"/> rows drawn by a
    /// <see cref="BatchSampler"/> seeded with <paramref name="seed"/> (each batch's conditions with it).
    /// <paramref name="progress"/> (may be null) is called after every step with (step, loss).
    /// </summary>
    public static float Train(Completer model, Dataset x, float[] y, int steps, ulong seed, Action<int, float>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        int dy = ConditionSize(model.Task);
        if (x.Columns != TargetSize(model.Task) || y.Length != x.Rows * dy)
            throw new ArgumentException($"The targets have {x.Columns} columns and the conditions {y.Length} values for {x.Rows} rows; {Name(model.Task)} needs {TargetSize(model.Task)} and {dy} per row (use ImageToImage.Make).", nameof(x));
        int batch = Math.Min(Batch, x.Rows);
        var sampler = new BatchSampler(x, batch, seed + 101, shuffle: true, dropLast: true);
        var yBatch = new float[batch * dy];
        float loss = float.NaN;
        for (int step = 1; step <= steps; step++)
        {
            var xb = sampler.Next();
            var rows = sampler.CurrentIndices;
            for (int i = 0; i < rows.Length; i++)
                y.AsSpan(rows[i] * dy, dy).CopyTo(yBatch.AsSpan(i * dy, dy));
            loss = model.TrainStep(xb, new ReadOnlySpan2D<float>(yBatch, rows.Length, dy));
            if (!float.IsFinite(loss))
                throw new InvalidOperationException($"The {model.Name} diverged at step {step} of {Name(model.Task)} (loss {loss}); train with another seed or fewer steps.");
            progress?.Invoke(step, loss);
        }
        return loss;
    }

    /// <summary>
    /// Measures a trained model on the first <paramref name="rows"/> test rows with <paramref name="draws"/> completions
    /// per condition (≥ 2 for the variance; the regressor's are identical): the scores of <see cref="CompletionScores"/>.
    /// </summary>
    /// <param name="classifier">Judges the class of completed images (trained on the same kind of images), or null.</param>
    /// <param name="seed">Seed of the completions' noise.</param>
    public static CompletionScores Evaluate(Completer model, Dataset x, float[] y, FashionClassifier? classifier, int draws = 4, int rows = int.MaxValue, ulong seed = 7)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(draws, 2);
        var task = model.Task;
        int dx = TargetSize(task), dy = ConditionSize(task), h = TargetHeight(task);
        int n = Math.Min(rows, x.Rows);
        int chunk = Math.Min(Batch, n);
        var rng = new Rng(seed, stream: 29);
        var completions = new float[draws * chunk * dx];
        var images = new float[draws * chunk * Pixels];
        var predicted = new int[draws * chunk];
        double squared = 0, variance = 0, sharp = 0, sharpTruth = 0;
        long correct = 0, judged = 0;
        for (int start = 0; start < n; start += chunk)
        {
            int m = Math.Min(chunk, n - start);
            var yRows = new ReadOnlySpan2D<float>(y, start * dy, m, dy, 0);
            for (int s = 0; s < draws; s++)
                model.Draw(yRows, new Span2D<float>(completions, s * chunk * dx, m, dx, 0), rng);
            for (int i = 0; i < m; i++)
            {
                var truth = x.Row(start + i);
                sharpTruth += Roughness(truth, h);
                for (int p = 0; p < dx; p++)
                {
                    double mean = 0;
                    for (int s = 0; s < draws; s++) mean += completions[(s * chunk + i) * dx + p];
                    mean /= draws;
                    double v = 0;
                    for (int s = 0; s < draws; s++)
                    {
                        double e = completions[(s * chunk + i) * dx + p] - mean;
                        v += e * e;
                    }
                    variance += v / (draws - 1);
                    double err = completions[i * dx + p] - truth[p];
                    squared += err * err;
                }
                for (int s = 0; s < draws; s++)
                {
                    var c = completions.AsSpan((s * chunk + i) * dx, dx);
                    sharp += Roughness(c, h) / draws;
                    Compose(task, y.AsSpan((start + i) * dy, dy), c, images.AsSpan((s * m + i) * Pixels, Pixels));
                }
            }
            if (classifier is not null && x.HasLabels)
            {
                classifier.Predict(new ReadOnlySpan2D<float>(images, 0, draws * m, Pixels, 0), predicted.AsSpan(0, draws * m));
                for (int s = 0; s < draws; s++)
                    for (int i = 0; i < m; i++)
                    {
                        judged++;
                        if (predicted[s * m + i] == x.Labels[start + i]) correct++;
                    }
            }
        }
        return new CompletionScores(task, model.Kind, n, draws,
            squared / ((double)n * dx),
            model.IsStochastic ? variance / ((double)n * dx) : 0,
            judged == 0 ? double.NaN : (double)correct / judged,
            sharp / sharpTruth);
    }

    /// <summary>The class share of whole test images and of the conditions drawn as images (<see cref="ShowCondition"/>): the classifier's ceiling and a floor for the completions.</summary>
    public static (double Truth, double ConditionOnly) ClassifierBounds(ImageTask task, Dataset images, FashionClassifier classifier, int rows = int.MaxValue)
    {
        int n = Math.Min(rows, images.Rows), dy = ConditionSize(task), dx = TargetSize(task);
        var shown = new float[n * Pixels];
        var y = new float[dy];
        var x = new float[dx];
        for (int i = 0; i < n; i++)
        {
            Split(task, images.Row(i), y, x);
            ShowCondition(task, y, shown.AsSpan(i * Pixels, Pixels));
        }
        var predicted = new int[n];
        classifier.Predict(images.GetRows(0, n), predicted);
        int truth = 0, floor = 0;
        for (int i = 0; i < n; i++) if (predicted[i] == images.Labels[i]) truth++;
        classifier.Predict(new ReadOnlySpan2D<float>(shown, n, Pixels), predicted);
        for (int i = 0; i < n; i++) if (predicted[i] == images.Labels[i]) floor++;
        return ((double)truth / n, (double)floor / n);
    }

    /// <summary>
    /// The side-by-side picture, one row per chosen test image: the condition (drawn as an image), the truth, then for each
    /// model its completions (1 for the regressor, <paramref name="draws"/> for the others). Returns the 784-pixel images in
    /// reading order and the number of columns; a NaN-first image is an empty cell.
    /// </summary>
    public static (float[] Images, int Columns, string Header) Panel(ImageTask task, IReadOnlyList<Completer> models, Dataset x, float[] y, ReadOnlySpan<int> testRows, int draws = 4, ulong seed = 11)
    {
        int dx = TargetSize(task), dy = ConditionSize(task);
        int columns = 2 + models.Sum(m => m.IsStochastic ? draws : 1);
        var images = new float[testRows.Length * columns * Pixels];
        var rng = new Rng(seed, stream: 31);
        var one = new float[dx];
        var header = new List<string> { "condition", "truth" };
        header.AddRange(models.Select(m => m.IsStochastic ? $"{m.Name} ×{draws}" : m.Name));
        for (int i = 0; i < testRows.Length; i++)
        {
            int r = testRows[i];
            var yRow = y.AsSpan(r * dy, dy);
            int cell = i * columns;
            ShowCondition(task, yRow, images.AsSpan(cell++ * Pixels, Pixels));
            Compose(task, yRow, x.Row(r), images.AsSpan(cell++ * Pixels, Pixels));
            foreach (var m in models)
                for (int s = 0; s < (m.IsStochastic ? draws : 1); s++)
                {
                    m.Draw(new ReadOnlySpan2D<float>(y, r * dy, 1, dy, 0), new Span2D<float>(one, 1, dx), rng);
                    Compose(task, yRow, one, images.AsSpan(cell++ * Pixels, Pixels));
                }
        }
        return (images, columns, string.Join(" | ", header));
    }

    /// <summary>Mean squared difference of horizontally and vertically neighbouring pixels of an image <paramref name="height"/> × 28.</summary>
    public static double Roughness(ReadOnlySpan<float> image, int height)
    {
        double sum = 0;
        for (int r = 0; r < height; r++)
            for (int c = 0; c < Side; c++)
            {
                float v = image[r * Side + c];
                if (c + 1 < Side) { double d = image[r * Side + c + 1] - v; sum += d * d; }
                if (r + 1 < height) { double d = image[(r + 1) * Side + c] - v; sum += d * d; }
            }
        return sum / (2.0 * height * Side - height - Side);
    }

    private static void CheckImage(ReadOnlySpan<float> image, string name)
    {
        if (image.Length != Pixels)
            throw new ArgumentException($"An image here is 28×28 = 784 pixels but {name} has {image.Length}.", name);
    }
}
