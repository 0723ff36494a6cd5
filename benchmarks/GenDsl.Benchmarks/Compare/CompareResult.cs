namespace GenDsl.Benchmarks.Compare;

/// <summary>Measured outcome of one <see cref="IComparison"/>.</summary>
/// <param name="Name">Workload name.</param>
/// <param name="OursMs">Median time per call of our implementation, milliseconds.</param>
/// <param name="TorchMs">Median time per call of the TorchSharp baseline, milliseconds.</param>
/// <param name="OursGflops">Our GFLOP/s at the median time (0 when the workload has no FLOP count).</param>
/// <param name="PercentOfPeak">Our GFLOP/s as a percentage of the machine's FMA peak on the same threads.</param>
/// <param name="OursAllocBytes">Managed bytes our implementation allocates per call on the calling thread.</param>
/// <param name="MaxRelDiff">Sanity check: max |ours - torch| / max |torch|.</param>
public sealed record CompareResult(string Name, double OursMs, double TorchMs, double OursGflops,
    double PercentOfPeak, long OursAllocBytes, double MaxRelDiff)
{
    /// <summary>How many times faster ours is: torch time / our time (&gt; 1 means we win).</summary>
    public double Speedup => TorchMs / OursMs;
}
