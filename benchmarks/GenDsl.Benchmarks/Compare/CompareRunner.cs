using System.Diagnostics;

namespace GenDsl.Benchmarks.Compare;

/// <summary>
/// Times one <see cref="IComparison"/>: warm-up, then interleaved samples (ours, torch, ours,
/// torch, …) so that both see the same machine state (clock, other processes' load), then medians.
/// </summary>
public static class CompareRunner
{
    /// <summary>Measures <paramref name="c"/>.</summary>
    /// <param name="c">The workload.</param>
    /// <param name="options">Sample counts and durations.</param>
    /// <param name="peakGflops">Machine FMA peak on the threads used (for % of peak).</param>
    public static CompareResult Run(IComparison c, CompareOptions options, double peakGflops)
    {
        double maxRelDiff = c.Verify(); // also the first call of each: JIT, page faults, buffers

        // Warm-up, alternating, until each side has run for the warm-up time; the last calls
        // estimate the time per call, which sizes the repetitions of a sample.
        double oursCall = WarmUp(c.RunOurs, options.WarmUp);
        double torchCall = WarmUp(c.RunTorch, options.WarmUp);
        int oursReps = Reps(oursCall, options.SampleTarget);
        int torchReps = Reps(torchCall, options.SampleTarget);

        var ours = new double[options.Samples];
        var torch = new double[options.Samples];
        for (int s = 0; s < options.Samples; s++)
        {
            ours[s] = TimePerCall(c.RunOurs, oursReps);
            torch[s] = TimePerCall(c.RunTorch, torchReps);
        }
        double oursMs = Median(ours) * 1e3, torchMs = Median(torch) * 1e3;

        // Allocation per call, in steady state (after all the calls above).
        const int allocCalls = 5;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < allocCalls; i++) c.RunOurs();
        long alloc = (GC.GetAllocatedBytesForCurrentThread() - before + allocCalls - 1) / allocCalls;

        double gflops = c.Flops > 0 ? c.Flops / (oursMs * 1e-3) / 1e9 : 0;
        double percent = peakGflops > 0 ? 100 * gflops / peakGflops : 0;
        return new CompareResult(c.Name, oursMs, torchMs, gflops, percent, alloc, maxRelDiff);
    }

    /// <summary>Runs <paramref name="run"/> for at least <paramref name="duration"/> (and at least
    /// 3 times); returns the median of the last few calls, in seconds.</summary>
    private static double WarmUp(Action run, TimeSpan duration)
    {
        var recent = new double[5];
        int calls = 0;
        long start = Stopwatch.GetTimestamp();
        while (calls < 3 || Stopwatch.GetElapsedTime(start) < duration)
        {
            long t0 = Stopwatch.GetTimestamp();
            run();
            recent[calls % recent.Length] = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            calls++;
        }
        return Median(recent.AsSpan(0, Math.Min(calls, recent.Length)).ToArray());
    }

    private static int Reps(double secondsPerCall, TimeSpan target) =>
        (int)Math.Clamp(Math.Ceiling(target.TotalSeconds / Math.Max(secondsPerCall, 1e-9)), 1, 100_000);

    private static double TimePerCall(Action run, int reps)
    {
        long t0 = Stopwatch.GetTimestamp();
        for (int i = 0; i < reps; i++) run();
        return Stopwatch.GetElapsedTime(t0).TotalSeconds / reps;
    }

    private static double Median(double[] values)
    {
        Array.Sort(values);
        int n = values.Length;
        return n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
    }
}
