using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;
using GenDsl.Benchmarks.Compare;
using GenDsl.Benchmarks.Peak;
using GenDsl.Benchmarks.Torch;
using GenDsl.Numerics;

namespace GenDsl.Benchmarks;

/// <summary>Entry point: dispatches the benchmark commands (run without arguments for usage).</summary>
public static class Program
{
    /// <summary>The help text.</summary>
    public static string UsageText => Usage.Replace("{compare}", CompareCommand.Usage.TrimEnd())
        .Replace("{plot}", Models.PlotCommand.Usage.TrimEnd()).Replace("{reference}", Models.ReferenceCommand.Usage.TrimEnd() + "\n" + Models.MoonsFlowReference.Usage.TrimEnd() + "\n" + Models.ToyKlCommand.Usage.TrimEnd() + "\n" + Models.QualityCommand.Usage.TrimEnd() + "\n" + Models.ConvLayersCommand.Usage.TrimEnd());

    private const string Usage = """
        GenDsl benchmarks

        Usage: dotnet run -c Release --project benchmarks/GenDsl.Benchmarks -- <command> [options]

        Commands:
        {compare}
          bdn [BenchmarkDotNet args]
                          BenchmarkDotNet suites (GemmBenchmarks, TorchMatmulBenchmarks,
                          ModelBenchmarks) with the memory diagnoser, e.g.: bdn --filter '*GemmBenchmarks*'
        {plot}
        {reference}
          peak            Measure the float32 FMA peak (GFLOP/s) per core and on all cores, for
                          each vector width the hardware accelerates.
          profile <workload> [seconds] [threads]
                          Run only our side of one model workload (e.g. train-flow2d) in a loop,
                          for a profiler: perf record -g, with DOTNET_PerfMapEnabled=1.
          torch-check     Load TorchSharp (patching its native library for an old libstdc++ if
                          needed) and check torch.matmul on 2 threads.
        """;

    public static int Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            Console.WriteLine(UsageText);
            return args.Length == 0 ? 2 : 0;
        }
        switch (args[0])
        {
            case "compare":
                return CompareCommand.Run(args.AsSpan(1), Console.Error);
            case "bdn":
                // Results go under the build output (not into the current directory) unless
                // --artifacts says otherwise.
                var config = DefaultConfig.Instance.WithArtifactsPath(
                    Path.Combine(AppContext.BaseDirectory, "BenchmarkDotNet.Artifacts"));
                BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args[1..], config);
                return 0;
            case "peak":
                return RunPeak();
            case "torch-check":
                return TorchCheck.Run();
            case "profile":
                return RunProfile(args.AsSpan(1));
            case "plot":
                return Models.PlotCommand.Run(args.AsSpan(1));
            case "reference":
                return Models.ReferenceCommand.Run(args.AsSpan(1));
            case "quality": return Models.QualityCommand.Run(args.AsSpan(1));
            case "conv-layers": return Models.ConvLayersCommand.Run(args.AsSpan(1));
            default:
                Console.Error.WriteLine($"Unknown command '{args[0]}'.");
                Console.Error.WriteLine(UsageText);
                return 2;
        }
    }

    private static int RunProfile(ReadOnlySpan<string> args)
    {
        if (args.Length == 0 || !Models.ModelSuite.Names.Contains(args[0]))
        {
            Console.Error.WriteLine($"profile: name one workload: {string.Join(", ", Models.ModelSuite.Names)}.");
            return 2;
        }
        double seconds = args.Length > 1 ? double.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 10;
        int threads = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : Environment.ProcessorCount;
        TorchNativeLoader.EnsureLoaded(Console.Out);
        TorchSharp.torch.set_num_threads(threads);
        using var pool = new GenDsl.Threading.WorkerPool(threads);
        using var c = Models.ModelSuite.Create(args[0], pool);
        Models.ModelSuite.WarmUp(c, quick: true);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        long calls = 0;
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true); // every thread's, the pool's workers included
        while (sw.Elapsed.TotalSeconds < seconds)
        {
            c.RunOurs();
            calls++;
        }
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        Console.WriteLine($"{args[0]}: {calls} calls, {sw.Elapsed.TotalMilliseconds / calls:F4} ms per call (ours, {threads} threads); " +
                          $"{allocated} bytes allocated by all threads in the loop ({(double)allocated / calls:F1} per call)");
        return 0;
    }

    private static int RunPeak()
    {
        int cores = Environment.ProcessorCount;
        Console.WriteLine($"FMA peak, float32, 12 independent accumulator chains ({cores} logical cores):");
        Console.WriteLine($"{"width",-8}{"1 thread",14}{$"{cores} threads",14}");
        foreach (var w in new[] { SimdWidth.V512, SimdWidth.V256, SimdWidth.V128, SimdWidth.Scalar })
        {
            if (w > Simd.Hardware) continue;
            var one = FmaPeak.Measure(1, w);
            var all = FmaPeak.Measure(cores, w);
            Console.WriteLine($"{w,-8}{one.Gflops,9:F1} GF/s{all.Gflops,9:F1} GF/s");
        }
        return 0;
    }
}
