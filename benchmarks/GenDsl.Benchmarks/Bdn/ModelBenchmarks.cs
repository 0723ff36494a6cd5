using BenchmarkDotNet.Attributes;
using GenDsl.Benchmarks.Compare;
using GenDsl.Benchmarks.Models;
using GenDsl.Benchmarks.Torch;
using GenDsl.Threading;
using TorchSharp;

namespace GenDsl.Benchmarks.Bdn;

/// <summary>
/// The <c>compare models</c> workloads under BenchmarkDotNet: for each workload, <see cref="Ours"/>
/// (GenDsl) and <see cref="Torch"/> (the TorchSharp twin, the baseline) on all logical cores. The
/// memory diagnoser must report 0 B allocated per call for <see cref="Ours"/>; for <see cref="Torch"/>
/// it shows TorchSharp's managed wrappers (libtorch's native allocations are not counted).
/// Run with: <c>bdn --filter '*ModelBenchmarks*'</c> (add e.g. <c>--job short</c> for a quicker pass).
/// </summary>
[MemoryDiagnoser]
public class ModelBenchmarks
{
    private WorkerPool? _pool;
    private IComparison? _workload;

    /// <summary>The workload (see <see cref="ModelSuite.Names"/>).</summary>
    [ParamsSource(nameof(WorkloadValues))]
    public string Workload { get; set; } = "";

    /// <summary>Source of <see cref="Workload"/>.</summary>
    public static IEnumerable<string> WorkloadValues() => ModelSuite.Names;

    /// <summary>Loads libtorch (this runs in BenchmarkDotNet's child process), sets both thread counts,
    /// builds the workload and checks that both sides agree before anything is timed.</summary>
    [GlobalSetup]
    public void Setup()
    {
        TorchNativeLoader.EnsureLoaded(Console.Out);
        int threads = Environment.ProcessorCount;
        torch.set_num_threads(threads);
        _pool = new WorkerPool(threads);
        _workload = ModelSuite.Create(Workload, _pool);
        double check = _workload.Verify();
        if (!(check < 1e-3))
            throw new InvalidOperationException($"{Workload}: GenDsl and TorchSharp disagree (relative difference {check:E1}).");
    }

    /// <summary>Frees the workload and the worker pool.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _workload?.Dispose();
        _pool?.Dispose();
    }

    /// <summary>One GenDsl call (training step or sampling call).</summary>
    [Benchmark]
    public void Ours() => _workload!.RunOurs();

    /// <summary>The same call in TorchSharp.</summary>
    [Benchmark(Baseline = true)]
    public void Torch() => _workload!.RunTorch();
}
