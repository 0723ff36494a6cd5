using ScottPlot;
using SkiaSharp;

namespace GenDsl.Cli.Output;

/// <summary>A set of 2-D points to draw: x and y coordinates, legend text, colour, marker size.</summary>
internal sealed record PointSeries(double[] X, double[] Y, string Legend, Color Color, float Size = 3);

/// <summary>
/// The pictures the CLI writes (PNG, with ScottPlot on SkiaSharp): scatter plots of 2-D data and
/// samples, loss curves, density heat maps and grids of images. Every method writes one file.
/// </summary>
internal static class Plots
{
    public const int Width = 640, Height = 560;

    /// <summary>The category colours (ScottPlot's default palette, Category 10).</summary>
    public static Color ClassColor(int k) => new ScottPlot.Palettes.Category10().GetColor(k);

    /// <summary>A sans-serif font that exists on the machine (DejaVu Sans on most Linux systems).</summary>
    private static readonly string s_font = SKFontManager.Default.MatchFamily("DejaVu Sans") is { } f && f.FamilyName == "DejaVu Sans" ? "DejaVu Sans" : Fonts.Sans;

    public static readonly Color DataColor = new Color(120, 120, 120).WithAlpha(0.35);

    /// <summary>Column <paramref name="column"/> of a row-major table as doubles (at most <paramref name="limit"/> rows).</summary>
    public static double[] Column(ReadOnlySpan<float> rows, int columns, int column, int limit = int.MaxValue)
    {
        int n = Math.Min(rows.Length / columns, limit);
        var values = new double[n];
        for (int i = 0; i < n; i++) values[i] = rows[i * columns + column];
        return values;
    }

    /// <summary>A scatter plot: each series in its colour, with a legend.</summary>
    public static Plot Scatter(string title, IEnumerable<PointSeries> series, (double X0, double X1, double Y0, double Y1)? limits = null, bool squareUnits = true)
    {
        var plot = new Plot();
        foreach (var s in series)
        {
            var points = plot.Add.ScatterPoints(s.X, s.Y, s.Color);
            points.MarkerSize = s.Size;
            points.LegendText = s.Legend;
        }
        Finish(plot, title, "x₁", "x₂");
        if (limits is { } l) plot.Axes.SetLimits(l.X0, l.X1, l.Y0, l.Y1);
        if (squareUnits) plot.Axes.SquareUnits(); // one unit is as long on both axes: shapes are not distorted
        plot.ShowLegend(Alignment.UpperRight);
        return plot;
    }

    /// <summary>The most points a loss curve draws (the log's rows are merged down to this many).</summary>
    public const int MaxLossPoints = 1000;

    /// <summary>
    /// Loss curves from the rows of a loss log: each term's mean per row (faint) and its moving average
    /// over ~1% of the points. Rows are first merged (<see cref="ThinLossRows"/>) to at most
    /// <see cref="MaxLossPoints"/>, so drawing costs the same for a run of any length.
    /// </summary>
    public static Plot LossCurve(string title, IReadOnlyList<string> names, IReadOnlyList<Training.LossRow> rows)
    {
        var points = ThinLossRows(rows, MaxLossPoints);
        var plot = new Plot();
        int n = points.Count;
        var xs = new double[n];
        for (int i = 0; i < n; i++) xs[i] = points[i].Step;
        int window = Math.Max(1, n / 100);
        long stepsPerPoint = n == 0 ? 1 : Math.Max(1, (points[^1].Step - points[0].Step + points[0].Span) / n);
        for (int t = 0; t < names.Count; t++)
        {
            var raw = new double[n];
            for (int i = 0; i < n; i++) raw[i] = points[i].Mean[t];
            var color = ClassColor(t);
            if (window > 1)
            {
                var faint = plot.Add.ScatterLine(xs, raw, color.WithAlpha(0.25));
                faint.LineWidth = 1;
            }
            var smooth = plot.Add.ScatterLine(xs, MovingAverage(raw, window), color);
            smooth.LineWidth = 2;
            smooth.LegendText = window * stepsPerPoint > 1 ? $"{names[t]} (mean of ~{window * stepsPerPoint} steps)" : names[t];
        }
        Finish(plot, title, "step", "loss");
        plot.ShowLegend(Alignment.UpperRight);
        return plot;
    }

    /// <summary>
    /// Merges consecutive rows (means weighted by their spans, min of the mins, max of the maxes) so that
    /// each merged row covers at least 1/<paramref name="maxPoints"/> of the steps: at most
    /// <paramref name="maxPoints"/> + 1 rows, fewer steps each where the log is finer (the early steps).
    /// </summary>
    public static List<Training.LossRow> ThinLossRows(IReadOnlyList<Training.LossRow> rows, int maxPoints)
    {
        if (rows.Count <= maxPoints) return [.. rows];
        long total = rows[^1].Step - (rows[0].Step - rows[0].Span);
        long target = Math.Max(1, (total + maxPoints - 1) / maxPoints);
        int terms = rows[0].Mean.Length;
        var result = new List<Training.LossRow>(maxPoints + 1);
        for (int i = 0; i < rows.Count;)
        {
            long span = 0;
            var sum = new double[terms];
            var min = new double[terms];
            var max = new double[terms];
            Array.Fill(min, double.PositiveInfinity);
            Array.Fill(max, double.NegativeInfinity);
            long last = 0;
            for (; i < rows.Count && span < target; i++)
            {
                var row = rows[i];
                span += row.Span;
                last = row.Step;
                for (int t = 0; t < terms; t++)
                {
                    sum[t] += row.Mean[t] * row.Span;
                    if (!(row.Min[t] >= min[t])) min[t] = row.Min[t];
                    if (!(row.Max[t] <= max[t])) max[t] = row.Max[t];
                }
            }
            for (int t = 0; t < terms; t++) sum[t] /= span;
            result.Add(new Training.LossRow(last, span, sum, min, max));
        }
        return result;
    }

    /// <summary>A heat map of values on a grid (row 0 = bottom, y0) over the given extent.</summary>
    public static Plot Heatmap(string title, double[,] values, double x0, double x1, double y0, double y1, string colorbarLabel)
    {
        var plot = new Plot();
        var heat = plot.Add.Heatmap(values);
        heat.Colormap = new ScottPlot.Colormaps.Viridis();
        heat.Extent = new CoordinateRect(x0, x1, y0, y1);
        heat.FlipVertically = true; // row 0 of the array is the lowest y
        var bar = plot.Add.ColorBar(heat);
        bar.Label = colorbarLabel;
        Finish(plot, title, "x₁", "x₂");
        plot.Axes.SetLimits(x0, x1, y0, y1);
        return plot;
    }

    /// <summary>Saves one plot as PNG.</summary>
    public static void Save(Plot plot, string path, int width = Width, int height = Height)
    {
        EnsureFolder(path);
        plot.SavePng(path, width, height);
    }

    /// <summary>Saves plots side by side (one row) as one PNG.</summary>
    public static void SaveRow(string path, IReadOnlyList<Plot> plots, int width = Width, int height = Height)
    {
        EnsureFolder(path);
        using var surface = SKSurface.Create(new SKImageInfo(width * plots.Count, height));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        for (int i = 0; i < plots.Count; i++)
        {
            // Each plot is rendered on its own (a plot clears the whole canvas it is drawn on), then placed.
            byte[] png = plots[i].GetImageBytes(width, height, ImageFormat.Png);
            using var part = SKImage.FromEncodedData(png);
            canvas.DrawImage(part, i * width, 0);
        }
        using var image = surface.Snapshot();
        using var encoded = image.Encode(SKEncodedImageFormat.Png, 100);
        using var file = File.Create(path);
        encoded.SaveTo(file);
    }

    /// <summary>Width in screen pixels of the label column of <see cref="SaveImageGrid"/> (room for "Ankle boot", "T-shirt/top").</summary>
    public const int RowLabelWidth = 100;

    /// <summary>Height in screen pixels of the caption line of <see cref="SaveImageGrid"/>.</summary>
    public const int CaptionHeight = 28;

    /// <summary>
    /// A grid of grey-scale images (white ink on black, as MNIST), written as one PNG. Its size:
    /// width max(L + columns·(side·scale + 2) + 2, 200), height rows·(side·scale + 2) + 2 (+ <see cref="CaptionHeight"/>
    /// with a caption, + 4·scale with a separator), where L is <see cref="RowLabelWidth"/> with row labels and 0 without.
    /// </summary>
    /// <param name="path">The PNG file.</param>
    /// <param name="images">Images one after the other, each <paramref name="side"/>² pixels in [0, 1], row-major; an image whose first pixel is NaN is left empty.</param>
    /// <param name="side">The side of an image in pixels.</param>
    /// <param name="columns">Images per row of the grid.</param>
    /// <param name="scale">Each pixel is drawn as a square of this many screen pixels.</param>
    /// <param name="caption">An optional line of text above the grid.</param>
    /// <param name="separateFirstRows">Draw a wider gap after this many rows (0: none), to set them apart.</param>
    /// <param name="rowLabels">Text left of each row of the grid (a class name; null or empty entries: none), or null for no label column.</param>
    public static void SaveImageGrid(string path, ReadOnlySpan<float> images, int side, int columns, int scale, string? caption = null, int separateFirstRows = 0,
        IReadOnlyList<string?>? rowLabels = null)
    {
        EnsureFolder(path);
        int pixels = side * side;
        int count = images.Length / pixels;
        int rows = (count + columns - 1) / columns;
        const int gap = 2;
        int captionHeight = caption is null ? 0 : CaptionHeight;
        int labelWidth = rowLabels is null ? 0 : RowLabelWidth;
        int cell = side * scale + gap;
        int separator = separateFirstRows > 0 && separateFirstRows < rows ? 4 * scale : 0;
        int width = Math.Max(labelWidth + columns * cell + gap, 200), height = rows * cell + gap + captionHeight + separator;
        using var bitmap = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(new SKColor(40, 40, 40));
            using var paint = new SKPaint { IsAntialias = false };
            for (int i = 0; i < count; i++)
            {
                if (float.IsNaN(images[i * pixels])) continue;
                int ox = labelWidth + gap + (i % columns) * cell, oy = captionHeight + gap + (i / columns) * cell + (i / columns >= separateFirstRows ? separator : 0);
                for (int p = 0; p < pixels; p++)
                {
                    byte v = (byte)Math.Clamp((int)MathF.Round(images[i * pixels + p] * 255f), 0, 255);
                    paint.Color = new SKColor(v, v, v);
                    canvas.DrawRect(ox + (p % side) * scale, oy + (p / side) * scale, scale, scale, paint);
                }
            }
            using var font = new SKFont(SKTypeface.Default, 16);
            using var text = new SKPaint { Color = SKColors.White, IsAntialias = true };
            if (caption is not null)
                canvas.DrawText(caption, 6, 20, font, text);
            if (rowLabels is not null)
            {
                using var small = new SKFont(SKTypeface.Default, 13);
                for (int r = 0; r < Math.Min(rows, rowLabels.Count); r++)
                    if (!string.IsNullOrEmpty(rowLabels[r]))
                    {
                        int top = captionHeight + gap + r * cell + (r >= separateFirstRows ? separator : 0);
                        canvas.DrawText(rowLabels[r], 6, top + side * scale / 2f + 5, small, text);
                    }
            }
        }
        using var image = SKImage.FromBitmap(bitmap);
        using var png = image.Encode(SKEncodedImageFormat.Png, 100);
        using var file = File.Create(path);
        png.SaveTo(file);
    }

    private static void Finish(Plot plot, string title, string xLabel, string yLabel)
    {
        plot.Title(title, 16);
        plot.XLabel(xLabel, 14);
        plot.YLabel(yLabel, 14);
        plot.Font.Set(s_font); // after the labels exist: Set restyles every text of the plot
    }

    private static double[] MovingAverage(double[] values, int window)
    {
        var result = new double[values.Length];
        double sum = 0;
        for (int i = 0; i < values.Length; i++)
        {
            sum += values[i];
            if (i >= window) sum -= values[i - window];
            result[i] = sum / Math.Min(i + 1, window);
        }
        return result;
    }

    private static void EnsureFolder(string path)
    {
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
    }
}
