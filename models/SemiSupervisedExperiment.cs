using CommunityToolkit.HighPerformance;
using GenDsl.Data;

namespace GenDsl.Models;

/// <summary>The settings of one M2 run on the shipped MNIST (see <see cref="SemiSupervisedExperiment"/>).</summary>
public sealed record M2Settings
{
    /// <summary>Labelled images per class, drawn from the training split with <see cref="LabelSeed"/>.</summary>
    public int LabelsPerClass { get; init; } = 10;

    /// <summary>Seed of the draw of the labelled images (one draw per seed).</summary>
    public ulong LabelSeed { get; init; } = 1;

    /// <summary>Training steps of M2 (each: a labelled batch and an unlabelled batch).</summary>
    public int Steps { get; init; } = 3000;

    /// <summary>Labelled rows per step, sampled from the labelled set (without replacement within an epoch of it).</summary>
    public int LabelledBatch { get; init; } = 50;

    /// <summary>Unlabelled rows per step (each is decoded once per class).</summary>
    public int UnlabelledBatch { get; init; } = 50;

    /// <summary>Adam's learning rate.</summary>
    public float LearningRate { get; init; } = 1e-3f;

    /// <summary>Model seed (initialisation and ε).</summary>
    public ulong ModelSeed { get; init; } = 1;

    /// <summary>α of the labelled classification term (null: the model's declared Alpha, 10).</summary>
    public float? Alpha { get; init; }

    /// <summary>σ of the Gaussian noise on the classifier's input in training passes (null: the model's declared ClassifierNoise); the baseline uses it too.</summary>
    public float? ClassifierNoise { get; init; }

    /// <summary>Steps of the supervised baseline (the classifier alone, trained on the labelled images only).</summary>
    public int BaselineSteps { get; init; } = 1000;

    /// <summary>
    /// Dynamic binarisation: every training row (labelled and unlabelled) is redrawn each step as x' ~ Bernoulli(x)
    /// per pixel (seeded by <see cref="LabelSeed"/>, stream 19), so the Bernoulli decoder sees binary targets and
    /// the classifier a fresh noisy copy of each digit every pass. Test images are scored as they are (grey levels).
    /// </summary>
    public bool Binarize { get; init; }

    /// <summary>The learning rate at the last step as a fraction of <see cref="LearningRate"/> (geometric decay per step; 1: constant).</summary>
    public float FinalLearningRateFactor { get; init; } = 1f;
}

/// <summary>What one run measured: test errors in [0, 1] of M2's classifier and of the same network trained on the labels only.</summary>
public sealed record M2Result(ulong LabelSeed, int Labelled, int Unlabelled, int Test, double M2Error, double BaselineError, double Seconds, float LastLoss);

/// <summary>
/// Issue #17's measurement: the shipped 10,000 MNIST digits split 80/20 with seed 1 (<c>Mnist.Load().Split(0.2, 1)</c>;
/// the 2,000 test images are held out), <see cref="M2Settings.LabelsPerClass"/> labelled training images per class
/// drawn with <see cref="M2Settings.LabelSeed"/>, every other training image unlabelled. M2 (<see cref="MnistM2"/>)
/// trains on both; the baseline is the same classifier network trained on the labelled images alone
/// (<see cref="MnistM2.TrainClassifier"/>, Adam, full labelled batches).
/// </summary>
public static class SemiSupervisedExperiment
{
    /// <summary>The held-out split: (training, test).</summary>
    public static (Dataset Train, Dataset Test) Split() => Mnist.Load().Split(0.2, 1);

    /// <summary>The indices of the labelled training rows: the first <paramref name="perClass"/> of each class in a seeded shuffle.</summary>
    public static int[] DrawLabelled(Dataset train, int perClass, ulong seed)
    {
        var order = new int[train.Rows];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        new Rng(seed, stream: 17).Shuffle(order);
        var taken = new int[train.ClassCount];
        var chosen = new List<int>();
        foreach (int r in order)
        {
            int y = train.Labels[r];
            if (taken[y] < perClass)
            {
                taken[y]++;
                chosen.Add(r);
            }
        }
        chosen.Sort();
        return chosen.ToArray();
    }

    /// <summary>
    /// The generative classifier's test error: argmax_y ELBO(x, y) (one z sample per class). Near chance when the
    /// decoder ignores y (z then carries the class), low when y carries it: the signal the unlabelled term gives q(y|x).
    /// The first <paramref name="rows"/> test rows are scored; the split keeps MNIST's grouping by digit, so score them all.
    /// </summary>
    public static double GenerativeError(ISemiSupervisedModel model, Dataset test, int rows = int.MaxValue)
    {
        int k = model.ClassCount, d = model.Features, n = Math.Min(rows, test.Rows);
        if (model.MaxBatch < k)
            throw new ArgumentException($"The model's MaxBatch ({model.MaxBatch}) must hold one row per class ({k}).", nameof(model));
        var x = new float[k * d];
        var labels = new int[k];
        var elbo = new float[k];
        for (int y = 0; y < k; y++) labels[y] = y;
        int wrong = 0;
        for (int i = 0; i < n; i++)
        {
            for (int y = 0; y < k; y++) test.Row(i).CopyTo(x.AsSpan(y * d, d));
            model.Elbo(new ReadOnlySpan2D<float>(x, k, d), labels, elbo);
            int best = 0;
            for (int y = 1; y < k; y++) if (elbo[y] > elbo[best]) best = y;
            if (best != test.Labels[i]) wrong++;
        }
        return (double)wrong / n;
    }

    /// <summary>Test error of a classifier given by <paramref name="predict"/>, in batches of <paramref name="batch"/>.</summary>
    public static double Error(Dataset test, int batch, Action<ReadOnlySpan2D<float>, Span<int>> predict)
    {
        var predicted = new int[batch];
        int wrong = 0;
        for (int start = 0; start < test.Rows; start += batch)
        {
            int n = Math.Min(batch, test.Rows - start);
            predict(test.GetRows(start, n), predicted.AsSpan(0, n));
            for (int i = 0; i < n; i++)
                if (predicted[i] != test.Labels[start + i]) wrong++;
        }
        return (double)wrong / test.Rows;
    }

    /// <summary>
    /// Trains M2 for one label draw and returns it with the measurement. <paramref name="progress"/> (may be null)
    /// is called every 100 steps with (step, loss, model).
    /// </summary>
    public static (ISemiSupervisedModel Model, M2Result Result) Run(M2Settings settings, Action<int, SemiSupervisedLoss, ISemiSupervisedModel>? progress = null, Dataset? trainSplit = null, Dataset? testSplit = null, Func<ModelOptions, ISemiSupervisedModel>? create = null)
    {
        var (train, test) = trainSplit is not null && testSplit is not null ? (trainSplit, testSplit) : Split();
        var labelledRows = DrawLabelled(train, settings.LabelsPerClass, settings.LabelSeed);
        var isLabelled = new bool[train.Rows];
        foreach (int r in labelledRows) isLabelled[r] = true;
        var unlabelledRows = Enumerable.Range(0, train.Rows).Where(r => !isLabelled[r]).ToArray();
        var labelled = train.Subset(labelledRows, "labelled");
        var unlabelled = train.Subset(unlabelledRows, "unlabelled");

        int lb = Math.Min(settings.LabelledBatch, labelled.Rows), ub = settings.UnlabelledBatch;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        create ??= options => new MnistM2(options);
        var model = create(new ModelOptions { MaxBatch = Math.Max(Math.Max(lb, ub), Math.Max(labelled.Rows, 200)), Seed = settings.ModelSeed });
        if (settings.Alpha is { } alpha) model.Alpha = alpha;
        if (settings.ClassifierNoise is { } noise) model.ClassifierNoise = noise;
        var adam = new Adam(model, settings.LearningRate);
        var unlabelledSampler = new BatchSampler(unlabelled, ub, seed: settings.LabelSeed + 200);
        var labelBuffer = new int[lb];
        var labelledBatch = new float[lb * model.Features];
        var indices = new int[lb];
        var labelOrder = new int[labelled.Rows];
        for (int i = 0; i < labelOrder.Length; i++) labelOrder[i] = i;
        var shuffle = new Rng(settings.LabelSeed, stream: 18);
        var binarizer = new Rng(settings.LabelSeed, stream: 19);
        var unlabelledBatch = new float[ub * model.Features];
        var uniforms = new float[Math.Max(lb, ub) * model.Features];
        float decay = settings.FinalLearningRateFactor == 1f || settings.Steps < 2 ? 1f
            : MathF.Pow(settings.FinalLearningRateFactor, 1f / (settings.Steps - 1));
        int cursor = labelled.Rows;
        SemiSupervisedLoss loss = default;
        for (int step = 1; step <= settings.Steps; step++)
        {
            // Labelled batch with its labels (BatchSampler gives rows only): a reshuffle of the labelled set per pass.
            for (int i = 0; i < lb; i++)
            {
                if (cursor == labelled.Rows) { shuffle.Shuffle(labelOrder); cursor = 0; }
                indices[i] = labelOrder[cursor++];
                labelBuffer[i] = labelled.Labels[indices[i]];
            }
            labelled.CopyBatch(indices, new Span2D<float>(labelledBatch, lb, model.Features));
            var unlabelledRowsOfStep = unlabelledSampler.Next();
            if (settings.Binarize)
            {
                Binarise(labelledBatch.AsSpan(0, lb * model.Features), binarizer, uniforms);
                unlabelledRowsOfStep.CopyTo(unlabelledBatch);
                Binarise(unlabelledBatch.AsSpan(0, unlabelledRowsOfStep.Height * model.Features), binarizer, uniforms);
                unlabelledRowsOfStep = new ReadOnlySpan2D<float>(unlabelledBatch, unlabelledRowsOfStep.Height, model.Features);
            }
            loss = model.TrainStep(new ReadOnlySpan2D<float>(labelledBatch, lb, model.Features), labelBuffer, unlabelledRowsOfStep, adam);
            if (decay != 1f) adam.LearningRate *= decay;
            if (progress is not null && step % 100 == 0) progress(step, loss, model);
        }
        double m2Error = Error(test, 200, model.Predict);
        double seconds = clock.Elapsed.TotalSeconds;

        double baselineError = settings.BaselineSteps > 0 ? Baseline(labelled, test, settings, create) : double.NaN;
        return (model, new M2Result(settings.LabelSeed, labelled.Rows, unlabelled.Rows, test.Rows, m2Error, baselineError, seconds, loss.Loss));
    }

    /// <summary>x ← 1 where u &lt; x, else 0, u ~ U(0, 1) from <paramref name="rng"/> (one draw per value).</summary>
    private static void Binarise(Span<float> x, Rng rng, float[] uniforms)
    {
        var u = uniforms.AsSpan(0, x.Length);
        rng.FillUniform(u);
        for (int i = 0; i < x.Length; i++) x[i] = u[i] < x[i] ? 1f : 0f;
    }

    /// <summary>The same classifier network (an <see cref="MnistM2"/>'s C1, C2 and head, same initialisation) trained on the labelled rows alone.</summary>
    public static double Baseline(Dataset labelled, Dataset test, M2Settings settings, Func<ModelOptions, ISemiSupervisedModel>? create = null)
    {
        create ??= options => new MnistM2(options);
        var model = create(new ModelOptions { MaxBatch = Math.Max(labelled.Rows, 200), Seed = settings.ModelSeed });
        if (settings.ClassifierNoise is { } noise) model.ClassifierNoise = noise;
        var adam = new Adam(model.ClassifierPart, settings.LearningRate);
        var x = labelled.AsSpan2D();
        for (int step = 0; step < settings.BaselineSteps; step++)
            model.TrainClassifier(x, labelled.Labels, adam);
        return Error(test, 200, model.Predict);
    }
}
