using BenchmarkDotNet.Attributes;
using CommunityToolkit.HighPerformance;
using GenDsl.Data;
using GenDsl.Models;
using GenDsl.Threading;

namespace GenDsl.Benchmarks.Bdn;

/// <summary>
/// What issue #15's safety checks cost (GenDsl alone, no TorchSharp): the one-thread-per-instance guard
/// every public method of a generated model enters (<see cref="ModelCall"/>), measured on its own, and the
/// NaN/∞ check of input batches (<see cref="ModelOptions.CheckFinite"/> on and off) on the smallest call
/// there is (the log-density of one 2-D row) and on a training step (<c>train-flow2d</c>: RealNVP 2-D, batch 512).
/// Run with: <c>bdn --filter '*GuardBenchmarks*'</c>.
/// </summary>
[MemoryDiagnoser]
public class GuardBenchmarks
{
    private int _word;
    private WorkerPool? _pool;
    private MoonsFlow? _flow;
    private Adam? _adam;
    private float[] _one = [];
    private float[] _batch = [];
    private readonly float[] _logp = new float[1];

    /// <summary>ModelOptions.CheckFinite of the model under test.</summary>
    [Params(true, false)]
    public bool CheckFinite { get; set; }

    /// <summary>A moons flow on all cores, one row and a batch of 512 rows of two moons.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _pool = new WorkerPool(Environment.ProcessorCount);
        _flow = new MoonsFlow(new ModelOptions { MaxBatch = 512, Seed = 1, Pool = _pool, CheckFinite = CheckFinite });
        _adam = new Adam(_flow, 1e-4f);
        _batch = Toy2D.TwoMoons(512, seed: 2).Data;
        _one = _batch.AsSpan(0, 2).ToArray();
    }

    /// <summary>Frees the worker pool.</summary>
    [GlobalCleanup]
    public void Cleanup() => _pool?.Dispose();

    /// <summary>Entering and leaving the guard, alone: one compare-and-swap and one write.</summary>
    [Benchmark]
    public void Guard()
    {
        using var call = new ModelCall(ref _word, "MoonsFlow");
    }

    /// <summary>The smallest call: log p(x) of one row (guard + shape and finiteness checks + 8 couplings).</summary>
    [Benchmark]
    public void LogProbOneRow() => _flow!.LogProb(new ReadOnlySpan2D<float>(_one, 1, 2), _logp);

    /// <summary>One training step of batch 512 (guard + checks + forward, backward, Adam).</summary>
    [Benchmark]
    public float TrainStep512() => _flow!.TrainStep(new ReadOnlySpan2D<float>(_batch, 512, 2), _adam!);
}
