using GenDsl.Cli.Models;
using GenDsl.Data;
using GenDsl.IO;

namespace GenDsl.Cli.Data;

/// <summary>A named data set that ships with GenDsl (or is generated): its training and held-out parts.</summary>
/// <param name="Name">The name on the command line.</param>
/// <param name="Description">One line for <c>gendsl data</c>.</param>
/// <param name="Features">Columns per row.</param>
/// <param name="Classes">Number of labels (one-hot condition size), 0 if unlabelled.</param>
/// <param name="Load">Builds the (train, test) pair; deterministic, independent of the training seed.</param>
/// <param name="ClassNames">What each label means (null: the labels are their own names, as digits).</param>
internal sealed record DataSetInfo(string Name, string Description, int Features, int Classes, Func<(Dataset Train, Dataset Test)> Load,
    IReadOnlyList<string>? ClassNames = null);

/// <summary>Training and held-out data, and where it came from (a name or a file).</summary>
internal sealed record LoadedData(string Source, Dataset Train, Dataset Test);

/// <summary>
/// The data sets the CLI offers by name, and loading the user's files (<c>--data FILE</c>). Named
/// sets come split into training and held-out rows with a fixed seed, so <c>eval</c> always scores
/// the same rows whatever <c>train</c>'s <c>--seed</c>; a file is used whole for both.
/// </summary>
internal static class DataCatalog
{
    /// <summary>Rows generated for training on a 2-D toy set (a new epoch reshuffles them).</summary>
    public const int ToyTrainRows = 50_000;

    /// <summary>Held-out rows of a 2-D toy set (drawn with another seed).</summary>
    public const int ToyTestRows = 10_000;

    private const ulong SplitSeed = 20_240_607;

    private static readonly Dictionary<string, string> s_toyDescriptions = new()
    {
        ["moons"] = "two interleaving half circles, labels 0 (outer), 1 (inner)",
        ["circles"] = "two concentric circles, labels 0 (outer), 1 (inner)",
        ["8gaussians"] = "8 Gaussians on a circle of radius 2 (std 0.02), label = mode",
        ["25gaussians"] = "5 × 5 grid of Gaussians (std 0.05), label = mode",
        ["checkerboard"] = "uniform on the black squares of a 4 × 4 checkerboard",
        ["2spirals"] = "two interleaved spirals, label = spiral",
        ["pinwheel"] = "5 curved arms, label = arm",
    };

    /// <summary>Every named data set, in the order <c>gendsl data</c> lists them.</summary>
    public static IReadOnlyList<DataSetInfo> All { get; } = BuildAll();

    public static string NameList => string.Join(", ", All.Select(d => d.Name));

    private static List<DataSetInfo> BuildAll()
    {
        var list = new List<DataSetInfo>();
        foreach (string name in Toy2D.Names)
        {
            var sample = Toy2D.Create(name, 4096, seed: 1);
            list.Add(new DataSetInfo(name, $"2-D toy: {s_toyDescriptions.GetValueOrDefault(name, name)}", 2, sample.HasLabels ? sample.ClassCount : 0,
                () => (Toy2D.Create(name, ToyTrainRows, seed: 1), Toy2D.Create(name, ToyTestRows, seed: 2))));
        }
        list.Add(new DataSetInfo("digits", $"{Digits.Count} 8×8 handwritten digits (UCI/scikit-learn), pixels in [0, 1], labels 0-9; 20% held out",
            Digits.ImageSize * Digits.ImageSize, 10, () => Digits.Load().Split(0.2, SplitSeed)));
        list.Add(new DataSetInfo("mnist", $"{Mnist.Count:N0} 28×28 MNIST digits, pixels in [0, 1], labels 0-9; 20% held out",
            Mnist.ImageSize * Mnist.ImageSize, 10, () => Mnist.Load().Split(0.2, SplitSeed)));
        list.Add(new DataSetInfo("fashion",
            $"{FashionMnist.TrainCount:N0} + {FashionMnist.TestCount:N0} 28×28 Fashion-MNIST clothing photos (Zalando), pixels in [0, 1], labels 0-9; held out: the official test images",
            FashionMnist.ImageSize * FashionMnist.ImageSize, 10, () => (FashionMnist.LoadTrain(), FashionMnist.LoadTest()), FashionMnist.ClassNames));
        return list;
    }

    /// <summary>
    /// The name of each of <paramref name="classes"/> labels of the data set <paramref name="name"/> (Fashion-MNIST: "T-shirt/top", …);
    /// the label itself ("0", "1", …) for other sets and for files.
    /// </summary>
    public static IReadOnlyList<string> ClassNames(string name, int classes)
    {
        var known = All.FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase))?.ClassNames;
        return [.. Enumerable.Range(0, classes).Select(k => known is not null && k < known.Count ? known[k] : k.ToString(System.Globalization.CultureInfo.InvariantCulture))];
    }

    /// <summary>The Gaussian mixture a named toy set is drawn from (its modes are known), or null.</summary>
    public static GaussianMixture2D? KnownMixture(string name) => name.ToLowerInvariant() switch
    {
        "8gaussians" => Toy2D.EightGaussiansMixture(),
        "25gaussians" => Toy2D.TwentyFiveGaussiansMixture(),
        _ => null,
    };

    /// <summary>True when <paramref name="value"/> names a file rather than a data set: it has a folder, an extension, or exists.</summary>
    public static bool LooksLikeFile(string value) =>
        value.Contains('/') || value.Contains('\\') || Path.HasExtension(value) || File.Exists(value);

    /// <summary>
    /// Loads <paramref name="nameOrFile"/> for <paramref name="model"/>: a named set, or a CSV, NPY or
    /// IDX file (optionally gzipped) whose rows have the model's feature count — plus one integer label
    /// column (the last) for a conditional model. Checks the sizes against the model.
    /// </summary>
    public static LoadedData Load(string nameOrFile, ModelEntry model)
    {
        LoadedData data;
        if (LooksLikeFile(nameOrFile))
        {
            var all = ReadFile(nameOrFile, model);
            data = new LoadedData(nameOrFile, all, all);
        }
        else
        {
            var info = All.FirstOrDefault(d => string.Equals(d.Name, nameOrFile, StringComparison.OrdinalIgnoreCase))
                ?? throw CliException.Usage($"Unknown data set '{nameOrFile}'. Available: {NameList}; or give a .csv, .npy or IDX file (gendsl data lists them).");
            if (info.Features != model.Features)
                throw CliException.Usage(
                    $"{model.Name} models rows of {model.Features} features but the data set {info.Name} has {info.Features}; " +
                    $"use a data set with {model.Features} columns (the default for {model.Name} is {model.DefaultData}).");
            var (train, test) = info.Load();
            data = new LoadedData(info.Name, train, test);
        }
        CheckLabels(data, model);
        model.Transform.Validate(data.Train, data.Source, model.Name);
        if (!ReferenceEquals(data.Train, data.Test))
            model.Transform.Validate(data.Test, data.Source, model.Name);
        return data;
    }

    private static void CheckLabels(LoadedData data, ModelEntry model)
    {
        if (!model.IsConditional)
            return;
        if (!data.Train.HasLabels)
            throw CliException.Usage(
                $"{model.Name} is conditional (one-hot labels of {model.ConditionSize} classes) but {data.Source} has no labels; " +
                $"give labelled data (for a file: {model.Features} feature columns then an integer label column).");
        int classes = Math.Max(data.Train.ClassCount, data.Test.ClassCount);
        if (classes > model.ConditionSize)
            throw CliException.Usage(
                $"{data.Source} has labels 0 … {classes - 1} but {model.Name} is conditioned on {model.ConditionSize} classes (labels 0 … {model.ConditionSize - 1}).");
    }

    private static Dataset ReadFile(string path, ModelEntry model)
    {
        if (!File.Exists(path))
            throw CliException.BadFile($"Data file not found: {Path.GetFullPath(path)}");
        string lower = path.ToLowerInvariant();
        if (lower.EndsWith(".gz", StringComparison.Ordinal)) lower = lower[..^3];
        Dataset raw;
        if (lower.EndsWith(".csv", StringComparison.Ordinal) || lower.EndsWith(".txt", StringComparison.Ordinal))
        {
            raw = CsvReader.Read(path);
            if (raw.Columns == model.Features + 1 && model.IsConditional)
                raw = CsvReader.Read(path, labelColumn: -1);
        }
        else if (lower.EndsWith(".npy", StringComparison.Ordinal))
        {
            raw = NpyReader.Read(path);
            if (raw.Columns == model.Features + 1 && model.IsConditional)
                raw = SplitLastColumnAsLabels(raw, Path.GetFileName(path));
        }
        else if (lower.Contains("idx") || lower.EndsWith("ubyte", StringComparison.Ordinal))
        {
            raw = IdxReader.ReadImages(path);
            // MNIST naming: train-images-idx3-ubyte goes with train-labels-idx1-ubyte in the same folder.
            string name = Path.GetFileName(path);
            string labels = Path.Combine(Path.GetDirectoryName(path) ?? "", name.Replace("images", "labels").Replace("idx3", "idx1"));
            if (model.IsConditional && labels != path && File.Exists(labels))
                raw = IdxReader.Read(path, labels);
        }
        else
            throw CliException.Usage($"Cannot tell the format of '{path}': use a .csv, .npy or IDX (…-idx3-ubyte) file, optionally gzipped (.gz).");

        if (raw.Columns != model.Features)
            throw CliException.Usage(
                $"{Path.GetFileName(path)} has {raw.Columns} columns but {model.Name} models rows of {model.Features} features" +
                (model.IsConditional ? $" (a file for it has {model.Features} feature columns, optionally followed by an integer label column)." : "."));
        return raw;
    }

    private static Dataset SplitLastColumnAsLabels(Dataset raw, string fileName)
    {
        int features = raw.Columns - 1;
        var data = new float[raw.Rows * features];
        var labels = new int[raw.Rows];
        for (int r = 0; r < raw.Rows; r++)
        {
            var row = raw.Row(r);
            row[..features].CopyTo(data.AsSpan(r * features, features));
            float label = row[features];
            if (label < 0 || label != MathF.Floor(label) || label > 1_000_000)
                throw CliException.BadFile($"{fileName}, row {r}: the last column is taken as the label, but {label} is not an integer ≥ 0.");
            labels[r] = (int)label;
        }
        return new Dataset(data, raw.Rows, features, labels, raw.Name);
    }
}
