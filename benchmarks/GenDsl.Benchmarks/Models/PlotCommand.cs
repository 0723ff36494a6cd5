using System.Globalization;
using System.Text.Json;
using ScottPlot;

namespace GenDsl.Benchmarks.Models;

/// <summary>
/// The <c>plot</c> command: <c>plot FILE.json [--out FILE.png] [--title TEXT]</c>. Draws the speedups
/// (torch time / our time) of a <c>compare</c> JSON report as horizontal bars on a log scale around
/// 1× (bars to the right: we are faster), with the goals as markers.
/// </summary>
public static class PlotCommand
{
    /// <summary>Usage lines for the help text.</summary>
    public const string Usage = """
          plot FILE.json [--out FILE.png] [--title TEXT]
                          Bar chart (PNG, ScottPlot) of the speedups in a 'compare --json' report,
                          log scale, a line at 1x, the goals of issues #6, #12, #13 as markers.
        """;

    /// <summary>Speedup goals of GenDsl issue #6 (sampling: latency at batch 1 at least 20× lower), issue #12's conv workloads (1.5×) and issue #13's Glow (1.5×).</summary>
    public static IReadOnlyDictionary<string, double> Goals { get; } = new Dictionary<string, double>
    {
        ["train-flow2d"] = 10,
        ["train-vae"] = 2,
        ["train-gan"] = 2,
        ["train-flow784"] = 1.3,
        ["sample-flow2d-b1"] = 20,
        ["sample-vae-b1"] = 20,
        ["train-dcgan"] = 1.5,
        ["train-convvae"] = 1.5,
        ["train-glow"] = 1.5,
    };

    /// <summary>Parses the arguments after "plot" and draws; returns the exit code.</summary>
    public static int Run(ReadOnlySpan<string> args)
    {
        string? input = null, output = null, title = null;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--out" when i + 1 < args.Length:
                    output = args[++i];
                    break;
                case "--title" when i + 1 < args.Length:
                    title = args[++i];
                    break;
                default:
                    if (input is null && !args[i].StartsWith("--", StringComparison.Ordinal)) { input = args[i]; break; }
                    Console.Error.WriteLine($"plot: bad argument '{args[i]}'.");
                    Console.Error.WriteLine(Usage);
                    return 2;
            }
        }
        if (input is null)
        {
            Console.Error.WriteLine("plot: missing the JSON file (written by 'compare … --json FILE').");
            Console.Error.WriteLine(Usage);
            return 2;
        }
        output ??= Path.ChangeExtension(input, ".png");

        var (threads, rows) = Read(input);
        if (rows.Count == 0)
        {
            Console.Error.WriteLine($"plot: {input} has no results.");
            return 1;
        }
        Draw(rows, output, title ?? $"GenDsl vs TorchSharp (libtorch), {threads} threads: speedup = torch time / our time");
        Console.WriteLine($"Wrote {Path.GetFullPath(output)} ({rows.Count} workloads).");
        return 0;
    }

    /// <summary>Reads {"threads", "results": [{"name", "speedup", …}]}.</summary>
    private static (int Threads, List<(string Name, double Speedup)> Rows) Read(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        int threads = doc.RootElement.TryGetProperty("threads", out var t) ? t.GetInt32() : 0;
        var rows = new List<(string, double)>();
        foreach (var r in doc.RootElement.GetProperty("results").EnumerateArray())
            rows.Add((r.GetProperty("name").GetString() ?? "?", r.GetProperty("speedup").GetDouble()));
        return (threads, rows);
    }

    private static void Draw(List<(string Name, double Speedup)> rows, string output, string title)
    {
        var plot = new Plot();
        var win = Color.FromHex("#2e7d32");
        var loss = Color.FromHex("#c62828");
        var bars = new List<Bar>();
        var ticks = new List<Tick>();
        // First row at the top: positions count down.
        for (int i = 0; i < rows.Count; i++)
        {
            var (name, speedup) = rows[i];
            double position = rows.Count - 1 - i;
            bars.Add(new Bar
            {
                Position = position,
                Value = Math.Log10(speedup),
                ValueBase = 0,
                FillColor = speedup >= 1 ? win : loss,
                Label = speedup.ToString(speedup >= 10 ? "F0" : "F2", CultureInfo.InvariantCulture) + "×",
                Orientation = Orientation.Horizontal,
            });
            ticks.Add(new Tick(position, name, isMajor: true));
        }
        var barPlot = plot.Add.Bars(bars);
        barPlot.ValueLabelStyle.FontSize = 12;

        // Goals: a triangle at the goal's position, just under the workload's bar.
        bool anyGoal = false;
        for (int i = 0; i < rows.Count; i++)
        {
            if (!Goals.TryGetValue(rows[i].Name, out double goal)) continue;
            var m = plot.Add.Marker(Math.Log10(goal), rows.Count - 1 - i - 0.3, MarkerShape.FilledTriangleUp, 9, Colors.Black); // under the bar: clear of its label
            if (!anyGoal) m.LegendText = "goal (issues #6, #12, #13)";
            anyGoal = true;
        }
        if (anyGoal) plot.ShowLegend(Alignment.LowerRight);

        var one = plot.Add.VerticalLine(0, 1.5f, Colors.Black);
        one.LinePattern = LinePattern.Dashed;

        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks.ToArray());
        double lo = Math.Min(Math.Log10(0.25), rows.Min(r => Math.Log10(r.Speedup)) - 0.15);
        double hi = Math.Max(Math.Log10(30), rows.Max(r => Math.Log10(r.Speedup)) + 0.35);
        var xTicks = new List<Tick>();
        foreach (double v in new[] { 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500 })
            if (Math.Log10(v) >= lo && Math.Log10(v) <= hi)
                xTicks.Add(new Tick(Math.Log10(v), v.ToString(CultureInfo.InvariantCulture) + "×", isMajor: true));
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(xTicks.ToArray());
        plot.Axes.SetLimits(lo, hi, -0.7, rows.Count - 0.3);
        plot.Title(title, size: 14);
        plot.XLabel("speedup (log scale; right of the dashed line: GenDsl is faster)");
        plot.SavePng(output, 1100, 140 + 34 * rows.Count);
    }
}
