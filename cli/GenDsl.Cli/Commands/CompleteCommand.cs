using System.Globalization;
using System.Text;
using GenDsl.Cli.Data;
using GenDsl.Cli.Output;
using GenDsl.Data;
using GenDsl.IO;
using GenDsl.Metrics;
using GenDsl.Models;

namespace GenDsl.Cli.Commands;

/// <summary>
/// <c>gendsl complete MODEL --task superres|inpaint --data NAME|FILE</c>: the course's image-to-image comparison
/// (<see cref="ImageToImage"/>). Trains the chosen models (or loads them with <c>--checkpoint</c>), scores them on the
/// held-out images — MSE, per-pixel sample variance, the share the classifier assigns to the true class, sharpness —
/// and writes the side-by-side picture, the metrics and the checkpoints to <c>--out</c>.
/// </summary>
internal sealed class CompleteCommand : Command
{
    public const int DefaultSteps = 2000;
    private const ulong SplitSeed = 20_240_607;   // the DataCatalog's: files are split 80/20 as the named sets are

    public override string Name => "complete";
    public override string Summary =>
        "Image-to-image on 28×28 images: super-resolution (7×7 → 28×28) or inpainting (upper half → lower half) by a regressor, a CVAE, a cGAN and a conditional flow of the same body; writes the side-by-side picture and the metrics.";
    public override string Usage => "gendsl complete regressor|cvae|cgan|flow|all --task superres|inpaint [--data NAME|FILE] [--steps N] [--seed S] [--out DIR] [--checkpoint DIR]";

    public override IReadOnlyList<OptionSpec> Options { get; } =
    [
        OptionSpec.Value("--task", "T", "superres (7×7 average-pooled → 28×28) or inpaint (upper half → lower half)"),
        OptionSpec.Value("--data", "NAME|FILE", "mnist (default), fashion, or a file of 28×28 images (IDX with its labels file beside it, CSV/NPY of 784 columns + an optional label column); a file is split 80/20"),
        OptionSpec.Value("--steps", "N", $"training steps of batch 64 per model (default {DefaultSteps})"),
        OptionSpec.Value("--seed", "S", "seed of the models, their batches and their draws (default 1)"),
        OptionSpec.Value("--out", "DIR", "folder of the picture, metrics and checkpoints (default runs/complete-TASK)"),
        OptionSpec.Value("--checkpoint", "DIR", "load the models saved by an earlier run in DIR instead of training"),
        OptionSpec.Value("--rows", "N", "held-out images scored (default: all)"),
        OptionSpec.Value("--draws", "K", "completions per held-out image for the variance and the picture (default 4)"),
        OptionSpec.Value("--classifier-epochs", "E", "epochs of the classifier that judges the completions' class (default 3; 0: no class score)"),
        Shared.Threads,
    ];

    public override int Execute(CommandLine line, CliContext context)
    {
        line.ExpectPositionals(1, 1, Usage);
        string which = line.Positionals[0].ToLowerInvariant();
        var kinds = which == "all"
            ? Enum.GetValues<CompletionModel>().ToList()
            : ImageToImage.ModelNames.Contains(which)
                ? [(CompletionModel)ImageToImage.ModelNames.ToList().IndexOf(which)]
                : throw CliException.Usage($"Unknown model '{line.Positionals[0]}': use regressor, cvae, cgan, flow or all.");
        string taskName = (line.GetString("--task") ?? throw CliException.Usage("Give the task: --task superres or --task inpaint.")).ToLowerInvariant();
        var task = taskName switch
        {
            "superres" => ImageTask.SuperResolution,
            "inpaint" => ImageTask.Inpainting,
            _ => throw CliException.Usage($"Unknown task '{taskName}': use --task superres (7×7 → 28×28) or --task inpaint (upper half → lower half)."),
        };
        int steps = line.GetInt("--steps", DefaultSteps, min: 1, max: 10_000_000);
        ulong seed = line.GetULong("--seed", 1);
        int draws = line.GetInt("--draws", 4, min: 2, max: 64);
        int rows = line.GetInt("--rows", int.MaxValue, min: 1);
        int classifierEpochs = line.GetInt("--classifier-epochs", 3, min: 0, max: 100);
        string outDir = line.GetString("--out") ?? Path.Combine("runs", $"complete-{taskName}");
        string? checkpointDir = line.GetString("--checkpoint");
        if (checkpointDir is not null && !Directory.Exists(checkpointDir))
            throw CliException.BadFile($"--checkpoint {checkpointDir}: no such folder; give the --out folder of an earlier gendsl complete run.");

        var (source, train, test) = LoadImages(line.GetString("--data") ?? "mnist");
        if (kinds.Contains(CompletionModel.Flow))
            CheckEightBit(train, source);
        var (trainX, trainY) = ImageToImage.Make(task, train);
        var (testX, testY) = ImageToImage.Make(task, test);

        string CheckpointPath(string folder, CompletionModel kind) => Path.Combine(folder, $"{taskName}-{ImageToImage.Name(kind)}.safetensors");
        if (checkpointDir is null)
            foreach (var kind in kinds)
                if (File.Exists(CheckpointPath(outDir, kind)))
                    throw CliException.Usage($"{CheckpointPath(outDir, kind)} already holds a checkpoint; choose another --out, delete it, or pass --checkpoint {outDir} to evaluate it.");
        Directory.CreateDirectory(outDir);

        using var pool = Shared.CreatePool(line);
        context.Out.WriteLine($"{taskName} on {source}: {train.Rows:N0} training and {test.Rows:N0} held-out images; " +
            (checkpointDir is null ? $"{steps:N0} steps of batch {ImageToImage.Batch} per model, seed {seed}" : $"models from {checkpointDir}") +
            $", {pool.Threads} thread{(pool.Threads == 1 ? "" : "s")} → {outDir}");

        var models = new List<Completer>();
        var seconds = new Dictionary<CompletionModel, double>();
        foreach (var kind in kinds)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            var model = ImageToImage.Create(task, kind, seed, pool: pool);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            if (checkpointDir is not null)
            {
                string path = CheckpointPath(checkpointDir, kind);
                if (!File.Exists(path))
                    throw CliException.BadFile($"{path} not found: --checkpoint takes the --out folder of a gendsl complete run that trained {ImageToImage.Name(kind)} on {taskName}.");
                try { model.Model.Load(path); }
                catch (InvalidDataException e)
                {
                    throw CliException.Mismatch($"{path}: {e.Message}");
                }
            }
            else
            {
                float loss = ImageToImage.Train(model, trainX, trainY, steps, seed, (step, l) =>
                {
                    context.CancellationToken.ThrowIfCancellationRequested();
                    if (step % 500 == 0)
                        context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {model.Name} step {step}: loss {l:G5}"));
                });
                model.Model.Save(CheckpointPath(outDir, kind), steps);
            }
            seconds[kind] = clock.Elapsed.TotalSeconds;
            models.Add(model);
        }

        FashionClassifier? classifier = null;
        (double Truth, double ConditionOnly) bounds = (double.NaN, double.NaN);
        if (classifierEpochs > 0 && train.HasLabels && test.HasLabels && train.ClassCount <= FashionClassifier.Classes && test.ClassCount <= FashionClassifier.Classes)
        {
            classifier = FashionClassifier.Train(train, classifierEpochs, FashionClassifier.DefaultSeed, pool);
            bounds = ImageToImage.ClassifierBounds(task, test, classifier, rows);
            context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Classifier ({classifierEpochs} epochs on the training images): {100 * bounds.Truth:F1} % of the held-out images, {100 * bounds.ConditionOnly:F1} % of their conditions alone."));
        }
        else if (classifierEpochs > 0)
            context.Out.WriteLine($"{source} has no labels 0 … 9 in both parts: no class score.");

        var scores = models.Select(m => ImageToImage.Evaluate(m, testX, testY, classifier, draws, rows, seed + 7)).ToList();
        context.Out.WriteLine($"{"model",-10} {"MSE",9} {"variance",9} {"true class",10} {"sharpness",9}");
        foreach (var s in scores)
            context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{ImageToImage.Name(s.Kind),-10} {s.MeanSquaredError,9:F4} {s.SampleVariance,9:F4} {(double.IsNaN(s.TrueClass) ? "—" : $"{100 * s.TrueClass:F1} %"),10} {s.Sharpness,9:F3}"));

        string png = Path.Combine(outDir, $"{taskName}.png");
        var shown = PictureRows(test, 8);
        var (images, columns, header) = ImageToImage.Panel(task, models, testX, testY, shown, Math.Min(draws, 4), seed + 11);
        Plots.SaveImageGrid(png, images, ImageToImage.Side, columns, 2, header);
        string json = Path.Combine(outDir, $"{taskName}-metrics.json");
        File.WriteAllText(json, Json(taskName, source, steps, seed, checkpointDir, test.Rows, scores, seconds, bounds));
        context.Out.WriteLine($"Picture: {png}   metrics: {json}");
        return ExitCodes.Ok;
    }

    /// <summary>The test rows of the picture: the first of each class (of the first <paramref name="count"/> classes), or the first rows without labels.</summary>
    private static int[] PictureRows(Dataset test, int count)
    {
        if (!test.HasLabels)
            return Enumerable.Range(0, Math.Min(count, test.Rows)).ToArray();
        var chosen = new List<int>();
        for (int c = 0; c < test.ClassCount && chosen.Count < count; c++)
            for (int r = 0; r < test.Rows; r++)
                if (test.Labels[r] == c) { chosen.Add(r); break; }
        return chosen.ToArray();
    }

    private static (string Source, Dataset Train, Dataset Test) LoadImages(string nameOrFile)
    {
        if (!DataCatalog.LooksLikeFile(nameOrFile))
        {
            var info = DataCatalog.All.FirstOrDefault(d => string.Equals(d.Name, nameOrFile, StringComparison.OrdinalIgnoreCase))
                ?? throw CliException.Usage($"Unknown data set '{nameOrFile}': complete takes mnist, fashion or a file of 28×28 images.");
            if (info.Features != ImageToImage.Pixels)
                throw CliException.Usage($"The data set {info.Name} has rows of {info.Features} values; complete takes 28×28 images (784): mnist, fashion or a file.");
            var (train, test) = info.Load();
            return (info.Name, train, test);
        }
        if (!File.Exists(nameOrFile))
            throw CliException.BadFile($"Data file not found: {Path.GetFullPath(nameOrFile)}");
        string lower = nameOrFile.ToLowerInvariant();
        if (lower.EndsWith(".gz", StringComparison.Ordinal)) lower = lower[..^3];
        Dataset all;
        {
            if (lower.EndsWith(".csv", StringComparison.Ordinal) || lower.EndsWith(".txt", StringComparison.Ordinal))
            {
                all = CsvReader.Read(nameOrFile);
                if (all.Columns == ImageToImage.Pixels + 1)
                    all = CsvReader.Read(nameOrFile, labelColumn: -1);
            }
            else if (lower.EndsWith(".npy", StringComparison.Ordinal))
                all = NpyReader.Read(nameOrFile);
            else if (lower.Contains("idx") || lower.EndsWith("ubyte", StringComparison.Ordinal))
            {
                string name = Path.GetFileName(nameOrFile);
                string labels = Path.Combine(Path.GetDirectoryName(nameOrFile) ?? "", name.Replace("images", "labels").Replace("idx3", "idx1"));
                all = labels != nameOrFile && File.Exists(labels) ? IdxReader.Read(nameOrFile, labels) : IdxReader.ReadImages(nameOrFile);
            }
            else
                throw CliException.Usage($"Cannot tell the format of '{nameOrFile}': use a .csv, .npy or IDX (…-idx3-ubyte) file, optionally gzipped (.gz).");
        }
        if (all.Columns != ImageToImage.Pixels)
            throw CliException.Usage($"{Path.GetFileName(nameOrFile)} has rows of {all.Columns} values; complete takes 28×28 grey images, 784 values per row (plus an optional label column in a CSV).");
        if (all.Rows < 10)
            throw CliException.Usage($"{Path.GetFileName(nameOrFile)} has {all.Rows} images; complete needs at least 10 (80 % to train on, 20 % to score).");
        var data = all.Data;
        for (int i = 0; i < data.Length; i++)
            if (!(data[i] >= 0f && data[i] <= 1f))
                throw CliException.Usage($"{Path.GetFileName(nameOrFile)}: pixel {i % ImageToImage.Pixels} of image {i / ImageToImage.Pixels} is {data[i].ToString(CultureInfo.InvariantCulture)}; complete takes pixels in [0, 1] (divide 8-bit values by 255).");
        var (tr, te) = all.Split(0.2, SplitSeed);
        return (nameOrFile, tr, te);
    }

    /// <summary>The flow dequantises 8-bit levels: every pixel must be k/255.</summary>
    private static void CheckEightBit(Dataset train, string source)
    {
        var data = train.Data;
        for (int i = 0; i < data.Length; i++)
        {
            float k = data[i] * 255f;
            if (MathF.Abs(k - MathF.Round(k)) > 1e-3f)
                throw CliException.Usage(string.Create(CultureInfo.InvariantCulture,
                    $"{source}: pixel {i % ImageToImage.Pixels} of training image {i / ImageToImage.Pixels} is {data[i]}, not an 8-bit level k/255; the flow models dequantised 8-bit images, so run the other models (regressor, cvae, cgan) on this data."));
        }
    }

    private static string Json(string task, string source, int steps, ulong seed, string? checkpoint, int testRows, List<CompletionScores> scores,
        Dictionary<CompletionModel, double> seconds, (double Truth, double ConditionOnly) bounds)
    {
        static string Num(double v) => double.IsFinite(v) ? v.ToString("R", CultureInfo.InvariantCulture) : "null";
        static string Str(string s) => System.Text.Json.JsonSerializer.Serialize(s);
        var b = new StringBuilder();
        b.Append("{\n");
        b.Append($"  \"task\": {Str(task)},\n  \"data\": {Str(source)},\n  \"steps\": {(checkpoint is null ? steps.ToString(CultureInfo.InvariantCulture) : "null")},\n");
        b.Append($"  \"seed\": {seed},\n  \"checkpoint\": {(checkpoint is null ? "null" : Str(Path.GetFullPath(checkpoint)))},\n  \"test_rows\": {testRows},\n");
        b.Append($"  \"classifier_on_truth\": {Num(bounds.Truth)},\n  \"classifier_on_condition\": {Num(bounds.ConditionOnly)},\n  \"models\": {{\n");
        for (int i = 0; i < scores.Count; i++)
        {
            var s = scores[i];
            b.Append($"    {Str(ImageToImage.Name(s.Kind))}: {{ \"mse\": {Num(s.MeanSquaredError)}, \"sample_variance\": {Num(s.SampleVariance)}, \"true_class\": {Num(s.TrueClass)}, \"sharpness\": {Num(s.Sharpness)}, \"draws\": {s.Draws}, \"rows\": {s.TestRows}, \"seconds\": {Num(Math.Round(seconds[s.Kind], 2))} }}{(i + 1 < scores.Count ? "," : "")}\n");
        }
        b.Append("  }\n}\n");
        return b.ToString();
    }
}
