using System.Globalization;
using System.Text;
using CommunityToolkit.HighPerformance;
using GenDsl.Cli.Data;
using GenDsl.Cli.Models;
using GenDsl.Cli.Output;
using GenDsl.IO;

namespace GenDsl.Cli.Commands;

/// <summary><c>gendsl sample &lt;checkpoint&gt;</c>: draws samples and writes them as PNG, CSV or NPY.</summary>
internal sealed class SampleCommand : Command
{
    /// <summary>Rows drawn per call (the model's MaxBatch when sampling).</summary>
    internal const int Chunk = 1024;

    public override string Name => "sample";
    public override string Summary => "Draw samples from a checkpoint and write them as a picture (.png) or a table (.csv, .npy).";
    public override string Usage => "gendsl sample <checkpoint> --n N --out FILE.(png|csv|npy) [--condition K] [--seed S] [--threads T]";

    public override IReadOnlyList<OptionSpec> Options { get; } =
    [
        OptionSpec.Value("--n", "N", "number of samples (default 1000)"),
        OptionSpec.Value("--out", "FILE", "output file: .png (scatter for 2-D; image grid for square images, a row per class when conditional), .csv or .npy"),
        OptionSpec.Value("--condition", "K", "class to condition on (conditional models; default: all classes in turn)"),
        OptionSpec.Value("--seed", "S", "seed of the sampling noise (default 1)"),
        Shared.Threads,
    ];

    public override int Execute(CommandLine line, CliContext context)
    {
        line.ExpectPositionals(1, 1, Usage);
        string outPath = line.GetString("--out") ?? throw CliException.Usage($"--out FILE is required. Usage: {Usage}");
        string extension = Path.GetExtension(outPath).ToLowerInvariant();
        if (extension is not (".png" or ".csv" or ".npy"))
            throw CliException.Usage($"--out {outPath}: the file must end in .png, .csv or .npy.");
        int n = line.GetInt("--n", 1000, min: 1, max: 10_000_000);
        ulong seed = line.GetULong("--seed", 1);

        using var pool = Shared.CreatePool(line);
        var (session, step) = Shared.OpenCheckpoint(line.Positionals[0], Math.Min(n, Chunk), pool);
        var entry = session.Entry;
        int? condition = null;
        if (line.Has("--condition"))
        {
            if (!entry.IsConditional)
                throw CliException.Usage($"{entry.Name} is unconditional: it takes no --condition.");
            condition = line.GetInt("--condition", 0, min: 0, max: entry.ConditionSize - 1);
        }
        if (extension == ".png" && entry.Features != 2 && ImageSide(entry.Features) == 0)
            throw CliException.Usage($"A .png shows 2-D points or square images, but {entry.Name} has {entry.Features} features; write .csv or .npy.");

        var labels = Labels(entry, n, condition);
        var samples = Draw(session, n, labels, new Rng(seed));
        Write(outPath, entry, samples, n, labels);
        context.Out.WriteLine($"Wrote {Shared.Count(n)} samples of {entry.Name} (checkpoint step {step}{(condition is int k ? $", condition {k}" : "")}) to {outPath}");
        return ExitCodes.Ok;
    }

    /// <summary>The class of each sample: <paramref name="condition"/>, or 0, 1, …, C − 1, 0, 1, … (empty when unconditional).</summary>
    internal static int[] Labels(ModelEntry entry, int n, int? condition)
    {
        if (!entry.IsConditional) return [];
        var labels = new int[n];
        for (int i = 0; i < n; i++) labels[i] = condition ?? i % entry.ConditionSize;
        return labels;
    }

    /// <summary>Draws <paramref name="n"/> samples in chunks of the session's MaxBatch, with one generator (deterministic for a seed).</summary>
    internal static float[] Draw(ModelSession session, int n, int[] labels, Rng rng)
    {
        int d = session.Entry.Features, classes = session.Entry.ConditionSize, chunk = session.MaxBatch;
        var samples = new float[(long)n * d];
        var y = new float[chunk * Math.Max(classes, 1)];
        for (int start = 0; start < n; start += chunk)
        {
            int rows = Math.Min(chunk, n - start);
            var cond = ReadOnlySpan2D<float>.Empty;
            if (classes > 0)
            {
                Array.Clear(y);
                for (int i = 0; i < rows; i++) y[i * classes + labels[start + i]] = 1f;
                cond = new ReadOnlySpan2D<float>(y, rows, classes);
            }
            session.Sample(new Span2D<float>(samples, start * d, rows, d, 0), cond, rng);
        }
        return samples;
    }

    /// <summary>The side of a square image of <paramref name="features"/> pixels (8 for 64, 28 for 784), or 0.</summary>
    internal static int ImageSide(int features)
    {
        int side = (int)Math.Round(Math.Sqrt(features));
        return side >= 4 && side * side == features ? side : 0;
    }

    /// <summary>Screen pixels per image pixel in a sample grid: 6 for 8×8 digits, 2 for 28×28 images.</summary>
    internal static int ImageScale(int side) => side <= 8 ? 6 : 2;

    /// <summary>At most this many images per row of a grid of one class (more samples wrap onto further rows of that class).</summary>
    internal const int MaxClassColumns = 32;

    /// <summary>The layout of a PNG of image samples: the cells in order (NaN-led cells stay empty), images per row, labels, caption.</summary>
    internal sealed record Grid(float[] Images, int Columns, IReadOnlyList<string?>? RowLabels, string? Caption);

    /// <summary>
    /// The samples laid out for <see cref="Plots.SaveImageGrid"/>. Samples of several classes: one row per class, in class order,
    /// labelled with the class's name (the model's data set's names: "Ankle boot" for Fashion-MNIST), wrapping onto further rows
    /// past <see cref="MaxClassColumns"/> images. Otherwise a square-ish grid (with the class's name as caption under --condition).
    /// </summary>
    internal static Grid ImageGrid(ModelEntry entry, float[] samples, int n, int[] labels)
    {
        int d = entry.Features;
        var names = entry.IsConditional ? DataCatalog.ClassNames(entry.DefaultData, entry.ConditionSize) : [];
        if (labels.Length == 0 || labels.Distinct().Count() == 1)
        {
            // The class's name ("Ankle boot"), or "class 3" where the labels are their own names.
            string? caption = labels.Length == 0 ? null
                : names[labels[0]] == labels[0].ToString(CultureInfo.InvariantCulture) ? $"class {labels[0]}" : names[labels[0]];
            return new Grid(samples, (int)Math.Ceiling(Math.Sqrt(n)), null, caption);
        }
        var perClass = new int[entry.ConditionSize];
        foreach (int k in labels) perClass[k]++;
        int most = perClass.Max();
        int rowsPerClass = (most + MaxClassColumns - 1) / MaxClassColumns;
        int columns = (most + rowsPerClass - 1) / rowsPerClass; // balanced rows: 100 samples a class → 4 rows of 25
        var present = Enumerable.Range(0, entry.ConditionSize).Where(k => perClass[k] > 0).ToArray();
        var images = new float[(long)present.Length * rowsPerClass * columns * d];
        Array.Fill(images, float.NaN);
        var rowLabels = new List<string?>();
        var next = new int[entry.ConditionSize];
        for (int b = 0; b < present.Length; b++)
        {
            int k = present[b];
            for (int r = 0; r < rowsPerClass; r++) rowLabels.Add(r == 0 ? names[k] : null);
            next[k] = b * rowsPerClass * columns; // the class's first cell
        }
        for (int i = 0; i < n; i++)
            samples.AsSpan(i * d, d).CopyTo(images.AsSpan(next[labels[i]]++ * d, d));
        return new Grid(images, columns, rowLabels, null);
    }

    private static void Write(string path, ModelEntry entry, float[] samples, int n, int[] labels)
    {
        int d = entry.Features;
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null) Directory.CreateDirectory(folder);
        switch (Path.GetExtension(path).ToLowerInvariant())
        {
            case ".npy":
                NpyWriter.Write(path, new ReadOnlySpan2D<float>(samples, n, d));
                break;
            case ".csv":
                var text = new StringBuilder();
                text.Append(string.Join(",", Enumerable.Range(1, d).Select(i => $"x{i}")));
                text.AppendLine(labels.Length > 0 ? ",label" : "");
                for (int r = 0; r < n; r++)
                {
                    for (int c = 0; c < d; c++)
                    {
                        if (c > 0) text.Append(',');
                        text.Append(samples[r * d + c].ToString("R", CultureInfo.InvariantCulture));
                    }
                    if (labels.Length > 0) text.Append(',').Append(labels[r]);
                    text.AppendLine();
                }
                File.WriteAllText(path, text.ToString());
                break;
            default:
                if (d == 2)
                {
                    var series = new List<PointSeries>();
                    int groups = Math.Max(entry.ConditionSize, 1);
                    for (int k = 0; k < groups; k++)
                    {
                        var xs = new List<double>();
                        var ys = new List<double>();
                        for (int r = 0; r < n; r++)
                            if (labels.Length == 0 || labels[r] == k) { xs.Add(samples[2 * r]); ys.Add(samples[2 * r + 1]); }
                        if (xs.Count > 0)
                            series.Add(new PointSeries(xs.ToArray(), ys.ToArray(), labels.Length == 0 ? "samples" : $"samples | class {k}", Plots.ClassColor(k)));
                    }
                    Plots.Save(Plots.Scatter($"{n} samples of {entry.Name}", series), path);
                }
                else
                {
                    int side = ImageSide(d);
                    var grid = ImageGrid(entry, samples, n, labels);
                    Plots.SaveImageGrid(path, grid.Images, side, grid.Columns, ImageScale(side), grid.Caption, rowLabels: grid.RowLabels);
                }
                break;
        }
    }
}
