using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using GenDsl.Benchmarks.Peak;
using GenDsl.Benchmarks.Torch;
using GenDsl.Numerics;
using GenDsl.Threading;
using TorchSharp;

namespace GenDsl.Benchmarks.Compare;

/// <summary>
/// The <c>compare</c> command: <c>compare &lt;suite&gt; [--quick] [--threads T] [--json FILE]</c>.
/// Runs a suite of <see cref="IComparison"/>s, prints a table and optionally writes JSON.
/// </summary>
public static class CompareCommand
{
    /// <summary>A named family of workloads. <see cref="Create"/> null = not yet available.</summary>
    private sealed record Suite(string Name, string Description, Func<CompareOptions, WorkerPool, IEnumerable<Func<IComparison>>>? Create);

    private static readonly Suite[] s_suites =
    [
        new("gemm", "GEMM: Gemm.Multiply vs torch.matmul", GemmCases),
        new("models", "reference model workloads: training steps and sampling vs TorchSharp twins", Models.ModelSuite.Cases),
        new("conv", "the Fashion models' convolutions: Conv2d / ConvTranspose2d vs torch conv2d / conv_transpose2d and their autograd backward", ConvCases),
    ];

    /// <summary>Usage lines for the help text.</summary>
    public const string Usage = """
          compare <suite> [--quick] [--threads T] [--json FILE] [--filter TEXT]
                          Time GenDsl against TorchSharp, interleaved, same thread count.
                          Suites: gemm, models, conv, all (= gemm + models + conv).
                          conv: each convolution of the Fashion models, forward (fwd), input
                          gradient (dx) and weight gradient (dw); ~85 s.
                          --quick      fewer workloads and samples (gemm under a minute, models ~30 s,
                                       conv ~15 s: the layers with >= 32 channels on both sides)
                          --threads T  threads for both (default: Environment.ProcessorCount)
                          --json FILE  also write the results as JSON
                          --filter TEXT  only the workloads whose name contains TEXT
        """;

    /// <summary>Parses the arguments after "compare" and runs; returns the process exit code.</summary>
    public static int Run(ReadOnlySpan<string> args, TextWriter usageOut)
    {
        if (args.Length == 0)
            return UsageError(usageOut, "compare: missing suite name.");
        string suiteName = args[0];
        bool quick = false;
        int threads = Environment.ProcessorCount;
        string? json = null, filter = null;
        for (int i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick":
                    quick = true;
                    break;
                case "--threads" when i + 1 < args.Length && int.TryParse(args[i + 1], out threads) && threads >= 1:
                    i++;
                    break;
                case "--json" when i + 1 < args.Length:
                    json = args[++i];
                    break;
                case "--filter" when i + 1 < args.Length:
                    filter = args[++i];
                    break;
                default:
                    return UsageError(usageOut, $"compare: bad option '{args[i]}'.");
            }
        }

        Suite[] selected;
        if (suiteName == "all")
            selected = s_suites;
        else if (s_suites.FirstOrDefault(s => s.Name == suiteName) is { } one)
            selected = [one];
        else
            return UsageError(usageOut, $"compare: unknown suite '{suiteName}'.");

        if (selected.Length == 1 && selected[0].Create is null)
        {
            Console.WriteLine($"compare {suiteName}: not yet available ({selected[0].Description}).");
            return 2;
        }

        var options = new CompareOptions(quick, threads, json, filter);
        return RunSuites(selected, options);
    }

    private static int RunSuites(Suite[] suites, CompareOptions options)
    {
        TorchNativeLoader.EnsureLoaded(Console.Out);
        torch.set_num_threads(options.Threads);
        using var pool = new WorkerPool(options.Threads);

        PrintMachine(options);
        var perCore = FmaPeak.Measure(1, runs: options.Quick ? 3 : 7);
        var allCores = FmaPeak.Measure(options.Threads, runs: options.Quick ? 3 : 7);
        double peak = perCore.Gflops * options.Threads;
        Console.WriteLine($"FMA peak ({perCore.Width}): {perCore.Gflops:F1} GFLOP/s per core; measured on {options.Threads} threads: " +
                          $"{allCores.Gflops:F1}; % of peak below is relative to {options.Threads} x per-core = {peak:F1} GFLOP/s");
        Console.WriteLine($"Interleaved samples: {options.Samples} per side, >= {options.SampleTarget.TotalMilliseconds} ms each; medians.");
        Console.WriteLine();

        var usageStart = CpuUsage.Sample();
        var results = new List<CompareResult>();
        bool mismatch = false;
        PrintHeader();
        foreach (var suite in suites)
        {
            if (suite.Create is null)
            {
                Console.WriteLine($"({suite.Name}: not yet available)");
                continue;
            }
            foreach (var factory in suite.Create(options, pool))
            {
                using var c = factory();
                var r = CompareRunner.Run(c, options, peak);
                results.Add(r);
                PrintRow(r);
                if (!(r.MaxRelDiff < 1e-3)) mismatch = true;
            }
        }

        if (usageStart is { } u0 && CpuUsage.Sample() is { } u1)
        {
            double others = CpuUsage.OthersPercent(u0, u1);
            Console.WriteLine();
            Console.WriteLine($"Other processes used {others:F1}% of the machine's CPU during the measurements" +
                              (others > 5 ? ": WARNING, the numbers above are unreliable; rerun on an idle machine." : "."));
        }

        if (options.JsonPath is { } path)
        {
            WriteJson(path, options.Threads, peak, results);
            Console.WriteLine($"\nJSON written to {Path.GetFullPath(path)}");
        }
        if (mismatch)
        {
            Console.Error.WriteLine("ERROR: some results differ from torch by more than 1e-3 (relative): see the 'check' column.");
            return 1;
        }
        return 0;
    }

    private static IEnumerable<Func<IComparison>> GemmCases(CompareOptions options, WorkerPool pool)
    {
        // Warm the JIT on small problems of every layout first, so that tiered compilation has
        // produced optimized code before anything is timed.
        foreach (var layout in new[] { (false, false), (false, true), (true, false) })
        {
            using var warm = new GemmComparison(new GemmShape(96, 96, 96, layout.Item1, layout.Item2), pool);
            for (int i = 0; i < (options.Quick ? 60 : 200); i++) warm.RunOurs();
        }
        Thread.Sleep(200); // let the background tier-1 compilations finish

        foreach (var shape in GemmSuite.Shapes(options.Quick))
            if (options.Selects(shape.Name))
                yield return () => new GemmComparison(shape, pool);
    }

    private static IEnumerable<Func<IComparison>> ConvCases(CompareOptions options, WorkerPool pool)
    {
        // Warm the JIT up on every selected workload of ours, at its real size, before anything is timed: the
        // kernels take size-dependent paths (K blocks, chunk counts, parallel packing), and a path first met
        // during a workload's own 400 ms warm-up can still be at tier 0 when its samples are taken (measured:
        // the first weight-gradient workload ran 1.4–1.9× slower than the same product later in the suite).
        var cases = ConvSuite.Cases(options.Quick).Where(c => options.Selects(c.Layer.Name(c.Pass))).ToList();
        var perCase = TimeSpan.FromMilliseconds(options.Quick ? 60 : 150);
        for (int round = 0; round < 2; round++)
            foreach (var (layer, pass) in cases)
            {
                using var warm = new ConvComparison(layer, pass, pool);
                long start = System.Diagnostics.Stopwatch.GetTimestamp();
                do warm.RunOurs();
                while (System.Diagnostics.Stopwatch.GetElapsedTime(start) < perCase);
            }
        Thread.Sleep(500); // let the background tier-1 compilations finish

        foreach (var (layer, pass) in cases)
            yield return () => new ConvComparison(layer, pass, pool);
    }

    private static void PrintMachine(CompareOptions options)
    {
        Console.WriteLine($"CPU    : {CpuModel()} ({Environment.ProcessorCount} logical cores), SIMD {Simd.Hardware}");
        Console.WriteLine($".NET   : {RuntimeInformation.FrameworkDescription}; TorchSharp libtorch {torch.__version__}");
        Console.WriteLine($"Threads: {options.Threads} (ours: WorkerPool, torch: set_num_threads); mode: {(options.Quick ? "quick" : "full")}");
        Console.WriteLine($"Load   : {LoadAverage()}");
        if (CpuUsage.Sample() is { } a)
        {
            Thread.Sleep(500);
            if (CpuUsage.Sample() is { } b && CpuUsage.OthersPercent(a, b) is var others && others > 10)
                Console.WriteLine($"WARNING: other processes are using {others:F0}% of the CPU: timings and the peak will be unreliable " +
                                  "(libtorch's OpenMP threads suffer most from sharing cores).");
        }
    }

    private const string RowFormat = "{0,-32} {1,10} {2,10} {3,8} {4,9} {5,7} {6,9} {7,9}";

    private static void PrintHeader()
    {
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture, RowFormat,
            "name", "ours ms", "torch ms", "speedup", "ours GF/s", "% peak", "alloc B", "check"));
        Console.WriteLine(new string('-', 102));
    }

    private static void PrintRow(CompareResult r) =>
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture, RowFormat,
            r.Name, r.OursMs.ToString("F4", CultureInfo.InvariantCulture), r.TorchMs.ToString("F4", CultureInfo.InvariantCulture),
            r.Speedup.ToString("F2", CultureInfo.InvariantCulture) + "x", r.OursGflops.ToString("F1", CultureInfo.InvariantCulture),
            r.PercentOfPeak.ToString("F1", CultureInfo.InvariantCulture), r.OursAllocBytes,
            r.MaxRelDiff.ToString("0.0E+0", CultureInfo.InvariantCulture)));

    /// <summary>Writes exactly: {"threads": T, "peak_gflops": …, "results": [{"name", "ours_ms",
    /// "torch_ms", "speedup", "ours_gflops", "ours_alloc_bytes"}, …]}.</summary>
    private static void WriteJson(string path, int threads, double peak, List<CompareResult> results)
    {
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        using var stream = File.Create(path);
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteNumber("threads", threads);
        w.WriteNumber("peak_gflops", Math.Round(peak, 2));
        w.WriteStartArray("results");
        foreach (var r in results)
        {
            w.WriteStartObject();
            w.WriteString("name", r.Name);
            w.WriteNumber("ours_ms", Math.Round(r.OursMs, 5));
            w.WriteNumber("torch_ms", Math.Round(r.TorchMs, 5));
            w.WriteNumber("speedup", Math.Round(r.Speedup, 4));
            w.WriteNumber("ours_gflops", Math.Round(r.OursGflops, 2));
            w.WriteNumber("ours_alloc_bytes", r.OursAllocBytes);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    internal static string CpuModel()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/cpuinfo"))
                if (line.StartsWith("model name", StringComparison.Ordinal))
                    return line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return RuntimeInformation.ProcessArchitecture.ToString();
    }

    private static string LoadAverage()
    {
        try { return "loadavg " + File.ReadAllText("/proc/loadavg").Trim(); }
        catch (IOException) { return "unknown"; }
        catch (UnauthorizedAccessException) { return "unknown"; }
    }

    private static int UsageError(TextWriter usageOut, string message)
    {
        Console.Error.WriteLine(message);
        usageOut.WriteLine(Program.UsageText);
        return 2;
    }
}
