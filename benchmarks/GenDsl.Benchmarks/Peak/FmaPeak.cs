using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using GenDsl.Numerics;

namespace GenDsl.Benchmarks.Peak;

/// <summary>
/// Measures the machine's float32 fused-multiply-add peak: the GFLOP/s a core reaches when it does
/// nothing but independent FMAs on registers (no memory traffic). That is the ceiling a GEMM kernel
/// is judged against ("% of peak").
/// </summary>
/// <remarks>
/// An FMA has a latency of ~4 cycles and modern cores issue 1–2 per cycle, so a single dependency
/// chain (acc = acc * a + b, repeated) would measure latency, not throughput. The kernel keeps 12
/// independent accumulators (more than latency × issue rate on current x64 cores), so the FMA units
/// are never starved. Each FMA counts as 2 FLOPs per lane. The accumulators converge to b / (1 - a),
/// so they stay finite and normal (no denormal slow-down).
/// </remarks>
public static class FmaPeak
{
    /// <summary>One measurement.</summary>
    /// <param name="Width">The vector width used.</param>
    /// <param name="Threads">Number of dedicated threads, each running the kernel.</param>
    /// <param name="Gflops">Total GFLOP/s over all threads (best of several runs).</param>
    public readonly record struct Result(SimdWidth Width, int Threads, double Gflops);

    private const int Chains = 12;

    /// <summary>Iterations of the 12-FMA loop body per timed run.</summary>
    private const long Iterations = 4_000_000;

    /// <summary>Peak GFLOP/s with <paramref name="threads"/> dedicated threads at the given width
    /// (default: the widest the hardware accelerates). Best of <paramref name="runs"/> runs.</summary>
    public static Result Measure(int threads, SimdWidth? width = null, int runs = 5)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        var w = width ?? Simd.Hardware;
        if (w > Simd.Hardware)
            throw new ArgumentOutOfRangeException(nameof(width), w, $"This machine accelerates up to {Simd.Hardware}.");

        int lanes = w switch { SimdWidth.V512 => 16, SimdWidth.V256 => 8, SimdWidth.V128 => 4, _ => 1 };
        double flopsPerThread = 2.0 * Chains * lanes * Iterations;

        // Persistent threads, released together by a barrier for each run. Each thread stamps its
        // own start and end (the main thread would be a third thread on a 2-core machine, woken
        // late); a run lasts from the earliest start to the latest end.
        using var barrier = new Barrier(threads);
        var starts = new long[runs, threads];
        var ends = new long[runs, threads];
        var sink = new float[threads];
        var workers = new Thread[threads];
        for (int t = 0; t < threads; t++)
        {
            int id = t;
            workers[t] = new Thread(() =>
            {
                sink[id] += Kernel(w, Iterations / 8); // warm-up: JIT and clock ramp-up
                for (int r = 0; r < runs; r++)
                {
                    barrier.SignalAndWait();
                    starts[r, id] = Stopwatch.GetTimestamp();
                    sink[id] += Kernel(w, Iterations);
                    ends[r, id] = Stopwatch.GetTimestamp();
                }
            }) { IsBackground = true, Name = $"fma-peak-{t}" };
            workers[t].Start();
        }
        foreach (var t in workers) t.Join();
        GC.KeepAlive(sink);

        double best = 0;
        for (int r = 0; r < runs; r++)
        {
            long start = long.MaxValue, end = long.MinValue;
            for (int t = 0; t < threads; t++)
            {
                start = Math.Min(start, starts[r, t]);
                end = Math.Max(end, ends[r, t]);
            }
            double seconds = (double)(end - start) / Stopwatch.Frequency;
            best = Math.Max(best, flopsPerThread * threads / seconds / 1e9);
        }
        return new Result(w, threads, best);
    }

    private static float Kernel(SimdWidth width, long iterations) => width switch
    {
        SimdWidth.V512 => Kernel512(iterations),
        SimdWidth.V256 => Kernel256(iterations),
        SimdWidth.V128 => Kernel128(iterations),
        _ => KernelScalar(iterations),
    };

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Kernel512(long iterations)
    {
        var a = Vector512.Create(0.999f);
        var b = Vector512.Create(0.001f);
        Vector512<float> c0 = Vector512.Create(0.0f), c1 = Vector512.Create(0.1f), c2 = Vector512.Create(0.2f),
            c3 = Vector512.Create(0.3f), c4 = Vector512.Create(0.4f), c5 = Vector512.Create(0.5f),
            c6 = Vector512.Create(0.6f), c7 = Vector512.Create(0.7f), c8 = Vector512.Create(0.8f),
            c9 = Vector512.Create(0.9f), c10 = Vector512.Create(1.0f), c11 = Vector512.Create(1.1f);
        for (long i = 0; i < iterations; i++)
        {
            c0 = Vector512.FusedMultiplyAdd(c0, a, b); c1 = Vector512.FusedMultiplyAdd(c1, a, b);
            c2 = Vector512.FusedMultiplyAdd(c2, a, b); c3 = Vector512.FusedMultiplyAdd(c3, a, b);
            c4 = Vector512.FusedMultiplyAdd(c4, a, b); c5 = Vector512.FusedMultiplyAdd(c5, a, b);
            c6 = Vector512.FusedMultiplyAdd(c6, a, b); c7 = Vector512.FusedMultiplyAdd(c7, a, b);
            c8 = Vector512.FusedMultiplyAdd(c8, a, b); c9 = Vector512.FusedMultiplyAdd(c9, a, b);
            c10 = Vector512.FusedMultiplyAdd(c10, a, b); c11 = Vector512.FusedMultiplyAdd(c11, a, b);
        }
        var s = c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11;
        return Vector512.Sum(s);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Kernel256(long iterations)
    {
        var a = Vector256.Create(0.999f);
        var b = Vector256.Create(0.001f);
        Vector256<float> c0 = Vector256.Create(0.0f), c1 = Vector256.Create(0.1f), c2 = Vector256.Create(0.2f),
            c3 = Vector256.Create(0.3f), c4 = Vector256.Create(0.4f), c5 = Vector256.Create(0.5f),
            c6 = Vector256.Create(0.6f), c7 = Vector256.Create(0.7f), c8 = Vector256.Create(0.8f),
            c9 = Vector256.Create(0.9f), c10 = Vector256.Create(1.0f), c11 = Vector256.Create(1.1f);
        for (long i = 0; i < iterations; i++)
        {
            c0 = Vector256.FusedMultiplyAdd(c0, a, b); c1 = Vector256.FusedMultiplyAdd(c1, a, b);
            c2 = Vector256.FusedMultiplyAdd(c2, a, b); c3 = Vector256.FusedMultiplyAdd(c3, a, b);
            c4 = Vector256.FusedMultiplyAdd(c4, a, b); c5 = Vector256.FusedMultiplyAdd(c5, a, b);
            c6 = Vector256.FusedMultiplyAdd(c6, a, b); c7 = Vector256.FusedMultiplyAdd(c7, a, b);
            c8 = Vector256.FusedMultiplyAdd(c8, a, b); c9 = Vector256.FusedMultiplyAdd(c9, a, b);
            c10 = Vector256.FusedMultiplyAdd(c10, a, b); c11 = Vector256.FusedMultiplyAdd(c11, a, b);
        }
        var s = c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11;
        return Vector256.Sum(s);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Kernel128(long iterations)
    {
        var a = Vector128.Create(0.999f);
        var b = Vector128.Create(0.001f);
        Vector128<float> c0 = Vector128.Create(0.0f), c1 = Vector128.Create(0.1f), c2 = Vector128.Create(0.2f),
            c3 = Vector128.Create(0.3f), c4 = Vector128.Create(0.4f), c5 = Vector128.Create(0.5f),
            c6 = Vector128.Create(0.6f), c7 = Vector128.Create(0.7f), c8 = Vector128.Create(0.8f),
            c9 = Vector128.Create(0.9f), c10 = Vector128.Create(1.0f), c11 = Vector128.Create(1.1f);
        for (long i = 0; i < iterations; i++)
        {
            c0 = Vector128.FusedMultiplyAdd(c0, a, b); c1 = Vector128.FusedMultiplyAdd(c1, a, b);
            c2 = Vector128.FusedMultiplyAdd(c2, a, b); c3 = Vector128.FusedMultiplyAdd(c3, a, b);
            c4 = Vector128.FusedMultiplyAdd(c4, a, b); c5 = Vector128.FusedMultiplyAdd(c5, a, b);
            c6 = Vector128.FusedMultiplyAdd(c6, a, b); c7 = Vector128.FusedMultiplyAdd(c7, a, b);
            c8 = Vector128.FusedMultiplyAdd(c8, a, b); c9 = Vector128.FusedMultiplyAdd(c9, a, b);
            c10 = Vector128.FusedMultiplyAdd(c10, a, b); c11 = Vector128.FusedMultiplyAdd(c11, a, b);
        }
        var s = c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11;
        return Vector128.Sum(s);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float KernelScalar(long iterations)
    {
        const float a = 0.999f, b = 0.001f;
        float c0 = 0.0f, c1 = 0.1f, c2 = 0.2f, c3 = 0.3f, c4 = 0.4f, c5 = 0.5f,
            c6 = 0.6f, c7 = 0.7f, c8 = 0.8f, c9 = 0.9f, c10 = 1.0f, c11 = 1.1f;
        for (long i = 0; i < iterations; i++)
        {
            c0 = MathF.FusedMultiplyAdd(c0, a, b); c1 = MathF.FusedMultiplyAdd(c1, a, b);
            c2 = MathF.FusedMultiplyAdd(c2, a, b); c3 = MathF.FusedMultiplyAdd(c3, a, b);
            c4 = MathF.FusedMultiplyAdd(c4, a, b); c5 = MathF.FusedMultiplyAdd(c5, a, b);
            c6 = MathF.FusedMultiplyAdd(c6, a, b); c7 = MathF.FusedMultiplyAdd(c7, a, b);
            c8 = MathF.FusedMultiplyAdd(c8, a, b); c9 = MathF.FusedMultiplyAdd(c9, a, b);
            c10 = MathF.FusedMultiplyAdd(c10, a, b); c11 = MathF.FusedMultiplyAdd(c11, a, b);
        }
        return c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11;
    }
}
