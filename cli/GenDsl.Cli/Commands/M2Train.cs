using System.Globalization;
using GenDsl.Cli.Output;
using GenDsl.Data;
using GenDsl.Models;
using CommunityToolkit.HighPerformance;

namespace GenDsl.Cli.Commands;

/// <summary>
/// <c>gendsl train mnist-m2 --labels 100</c>: Kingma et al.'s M2 (<see cref="MnistM2"/>) on the shipped MNIST
/// with <c>--labels</c> labelled training images (an equal number per class, drawn with <c>--seed</c>) and the
/// rest of the training split unlabelled (<see cref="SemiSupervisedExperiment"/>). Writes
/// <c>DIR/model.safetensors</c>, <c>DIR/metrics.json</c> (M2's held-out test error and that of the same
/// classifier trained on the labels alone) and <c>DIR/style-transfer.png</c> (one row per test digit: the digit,
/// then its z decoded with each of the 10 classes). It honours --steps or --epochs (passes over the unlabelled
/// images), --batch (labelled and unlabelled rows per step), --lr, --seed, --threads and --out, and refuses the
/// other general train options (<see cref="Refused"/>) with what to use instead. No --resume: a run is a few minutes.
/// </summary>
internal static class M2Train
{
    public const string Name = "mnist-m2";

    public const string Description = "semi-supervised VAE (Kingma et al. M2) on MNIST: q(z|x,y) 794 → 256 → z(32), p(x|y,z) 42 → 256 → 784, q(y|x) 784 → 256 → 256 → 10; train with --labels N";

    /// <summary>The largest --batch (labelled and unlabelled rows per step each; the encoder and decoder see 11 times the unlabelled ones).</summary>
    public const int MaxBatch = 1000;

    /// <summary>
    /// The general <c>train</c> options this path does not use, each with what to do instead: they are refused rather than
    /// silently ignored (a run that looks as if it early-stopped or clipped, but did not, misleads).
    /// </summary>
    internal static readonly (string Option, string Instead)[] Refused =
    [
        ("--resume", "mnist-m2 runs are short and are not resumed: run again without --resume."),
        ("--checkpoint-every", "mnist-m2 writes its checkpoint once, at the end (DIR/model.safetensors): drop --checkpoint-every."),
        ("--clip", "mnist-m2 trains with plain Adam, without gradient clipping: drop --clip (use a lower --lr if the loss diverges)."),
        ("--lr-drop", "mnist-m2 trains at the constant --lr: drop --lr-drop."),
        ("--validation", "mnist-m2 always scores its fixed 2,000 held-out images (m2_test_error in DIR/metrics.json) and does not stop early: drop --validation and choose --steps."),
        ("--validate-every", "mnist-m2 has no early stopping (--validation): drop --validate-every."),
        ("--patience", "mnist-m2 has no early stopping (--validation): drop --patience."),
    ];

    public static int Run(CommandLine line, CliContext context)
    {
        foreach (var (option, instead) in Refused)
            if (line.Has(option))
                throw CliException.Usage($"{option} is not supported by {Name}: {instead}");
        if (line.Has("--data") && line.GetString("--data") != "mnist")
            throw CliException.Usage("mnist-m2 trains on the shipped MNIST only (--data mnist).");
        int labels = line.GetInt("--labels", 100, min: 10, max: 8000);
        if (labels % 10 != 0)
            throw CliException.Usage($"--labels {labels}: use a multiple of 10 (the same number of labelled images per class).");
        var defaults = new M2Settings();
        int batch = line.GetInt("--batch", defaults.UnlabelledBatch, min: 1, max: MaxBatch);
        float lr = line.GetFloat("--lr", 1e-3f, 0f, 10f);
        ulong seed = line.GetULong("--seed", 1);
        string outDir = line.GetString("--out") ?? Path.Combine("runs", Name);
        var (train, test) = SemiSupervisedExperiment.Split();
        int unlabelled = train.Rows - labels;
        if (unlabelled < batch)
            throw CliException.Usage($"--batch {batch} is larger than the {unlabelled:N0} unlabelled images left by --labels {labels}; use --batch {unlabelled} or less.");
        // --epochs: passes over the unlabelled images (the labelled ones are cycled as often as needed).
        int steps = line.Has("--epochs")
            ? line.GetInt("--epochs", 1, min: 1, max: 10_000) * (unlabelled / batch)
            : line.GetInt("--steps", defaults.Steps, min: 1);
        string modelPath = Path.Combine(outDir, "model.safetensors");
        if (File.Exists(modelPath))
            throw CliException.Usage($"{modelPath} already holds a checkpoint; choose another --out (or delete the folder).");
        Directory.CreateDirectory(outDir);

        // --batch sets both batches: labelled rows per step (at most the labelled set) and unlabelled rows per step.
        var settings = defaults with
        {
            LabelsPerClass = labels / 10, LabelSeed = seed, Steps = steps, LearningRate = lr,
            LabelledBatch = Math.Min(batch, labels), UnlabelledBatch = batch,
        };
        using var pool = Shared.CreatePool(line);
        Func<ModelOptions, ISemiSupervisedModel> create = o => new MnistM2(new ModelOptions { MaxBatch = o.MaxBatch, Seed = o.Seed, Pool = pool });
        context.Out.WriteLine($"Training {Name} on the shipped MNIST: {labels} labelled and {unlabelled:N0} unlabelled training images, {test.Rows:N0} held out; {steps:N0} steps of {settings.LabelledBatch} labelled + {settings.UnlabelledBatch} unlabelled rows, Adam lr {lr.ToString("G3", CultureInfo.InvariantCulture)}, seed {seed}, {pool.Threads} thread{(pool.Threads == 1 ? "" : "s")} → {outDir}");
        var (model, result) = SemiSupervisedExperiment.Run(settings, (step, loss, _) =>
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            if (step % 500 == 0)
                context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  step {step}: loss {loss.Loss:F2} (labelled −ELBO {loss.Labelled:F2}, −ln q(y|x) {loss.Classification:F3}, unlabelled U {loss.Unlabelled:F2})"));
        }, train, test, create);
        model.Save(modelPath, steps);
        double generative = SemiSupervisedExperiment.GenerativeError(model, test, test.Rows);

        string png = Path.Combine(outDir, "style-transfer.png");
        StyleTransfer(model, test, png);
        string json = Path.Combine(outDir, "metrics.json");
        File.WriteAllText(json, string.Create(CultureInfo.InvariantCulture,
            $"{{\n  \"model\": \"{Name}\",\n  \"labelled\": {result.Labelled},\n  \"unlabelled\": {result.Unlabelled},\n  \"test_rows\": {result.Test},\n  \"steps\": {steps},\n  \"seed\": {seed},\n  \"m2_test_error\": {result.M2Error:R},\n  \"labels_only_test_error\": {result.BaselineError:R},\n  \"generative_test_error\": {generative:R},\n  \"seconds\": {result.Seconds:F1}\n}}\n"));
        context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Held-out test error: M2's q(y|x) {100 * result.M2Error:F2} %, the same classifier on the {labels} labels alone {100 * result.BaselineError:F2} % ({result.Seconds:F0} s); M2's generative classifier argmax_y ELBO(x, y) {100 * generative:F2} %."));
        context.Out.WriteLine($"Checkpoint: {modelPath}   metrics: {json}   style transfer: {png}");
        return ExitCodes.Ok;
    }

    /// <summary>One row per test digit (the first of each class): the digit, then its style z decoded with each of the 10 classes.</summary>
    public static void StyleTransfer(ISemiSupervisedModel model, Dataset test, string path)
    {
        const int classes = 10, side = 28, d = side * side;
        var rows = new List<int>();
        for (int c = 0; c < classes; c++)
            for (int r = 0; r < test.Rows; r++)
                if (test.Labels[r] == c) { rows.Add(r); break; }
        var images = new float[rows.Count * (classes + 1) * d];
        var x = new float[classes * d];
        var ys = new int[classes];
        var output = new float[classes * d];
        for (int i = 0; i < rows.Count; i++)
        {
            var row = test.Row(rows[i]);
            row.CopyTo(images.AsSpan(i * (classes + 1) * d, d));
            for (int c = 0; c < classes; c++) { row.CopyTo(x.AsSpan(c * d, d)); ys[c] = c; }
            model.Transfer(new ReadOnlySpan2D<float>(x, classes, d), ys, new Span2D<float>(output, classes, d));
            output.CopyTo(images.AsSpan(i * (classes + 1) * d + d, classes * d));
        }
        Plots.SaveImageGrid(path, images, side, classes + 1, 2, "test digit | its z with y = 0 … 9 (M2 style transfer)",
            rowLabels: rows.Select(r => (string?)$"digit {test.Labels[r]}").ToList());
    }
}
