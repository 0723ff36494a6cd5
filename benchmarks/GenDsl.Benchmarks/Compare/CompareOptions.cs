namespace GenDsl.Benchmarks.Compare;

/// <summary>Options of the <c>compare</c> command.</summary>
/// <param name="Quick">Fewer workloads and samples (whole run under a minute).</param>
/// <param name="Threads">Threads for both implementations (ours: a WorkerPool; torch: set_num_threads).</param>
/// <param name="JsonPath">Where to write the JSON report, or null.</param>
/// <param name="Filter">Only workloads whose name contains this text (null: all).</param>
public sealed record CompareOptions(bool Quick, int Threads, string? JsonPath, string? Filter = null)
{
    /// <summary>Whether the workload <paramref name="name"/> passes <see cref="Filter"/>.</summary>
    public bool Selects(string name) => Filter is null || name.Contains(Filter, StringComparison.OrdinalIgnoreCase);

    /// <summary>Number of interleaved (ours, torch) sample pairs per workload.</summary>
    public int Samples => Quick ? 5 : 15;

    /// <summary>Minimum duration of one timed sample; short calls are repeated to reach it.</summary>
    public TimeSpan SampleTarget => TimeSpan.FromMilliseconds(Quick ? 10 : 25);

    /// <summary>Warm-up time per implementation and workload (JIT tiering, caches, thread wake-up).</summary>
    public TimeSpan WarmUp => TimeSpan.FromMilliseconds(Quick ? 100 : 400);
}
