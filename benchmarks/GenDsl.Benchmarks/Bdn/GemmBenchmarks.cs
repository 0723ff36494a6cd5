using BenchmarkDotNet.Attributes;
using CommunityToolkit.HighPerformance;
using GenDsl.Benchmarks.Compare;
using GenDsl.Benchmarks.Torch;
using GenDsl.Numerics;
using GenDsl.Threading;
using TorchSharp;

namespace GenDsl.Benchmarks.Bdn;

/// <summary>Shapes and thread counts shared by the BenchmarkDotNet GEMM suites (the same shapes as
/// <c>compare gemm</c>).</summary>
public static class BdnGemmParams
{
    /// <summary>Every shape of the full <c>compare gemm</c> suite.</summary>
    public static IEnumerable<GemmShape> Shapes() => GemmSuite.Shapes(quick: false);

    /// <summary>Thread count: all logical cores.</summary>
    public static IEnumerable<int> Threads() => [Environment.ProcessorCount];

    internal static float[] Random(int count, int seed)
    {
        var rng = new Random(seed);
        var x = new float[count];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        return x;
    }
}

/// <summary>Our GEMM (<see cref="Gemm.Multiply"/>) on a <see cref="WorkerPool"/>. The memory
/// diagnoser must report 0 B allocated per call.</summary>
[MemoryDiagnoser]
public class GemmBenchmarks
{
    private float[] _a = [], _b = [], _c = [];
    private WorkerPool? _pool;

    /// <summary>The GEMM shape (M×N×K and layout).</summary>
    [ParamsSource(nameof(ShapeValues))]
    public GemmShape Shape { get; set; }

    /// <summary>Worker threads.</summary>
    [ParamsSource(nameof(ThreadValues))]
    public int Threads { get; set; }

    /// <summary>Source of <see cref="Shape"/>.</summary>
    public static IEnumerable<GemmShape> ShapeValues() => BdnGemmParams.Shapes();

    /// <summary>Source of <see cref="Threads"/>.</summary>
    public static IEnumerable<int> ThreadValues() => BdnGemmParams.Threads();

    /// <summary>Allocates operands and the worker pool.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _a = BdnGemmParams.Random(Shape.AStorage.Rows * Shape.AStorage.Cols, 1);
        _b = BdnGemmParams.Random(Shape.BStorage.Rows * Shape.BStorage.Cols, 2);
        _c = new float[Shape.M * Shape.N];
        _pool = new WorkerPool(Threads);
    }

    /// <summary>Disposes the worker pool.</summary>
    [GlobalCleanup]
    public void Cleanup() => _pool?.Dispose();

    /// <summary>C = op(A)·op(B).</summary>
    [Benchmark]
    public void Multiply()
    {
        var s = Shape;
        Gemm.Multiply(
            new ReadOnlySpan2D<float>(_a, s.AStorage.Rows, s.AStorage.Cols), s.TransposeA,
            new ReadOnlySpan2D<float>(_b, s.BStorage.Rows, s.BStorage.Cols), s.TransposeB,
            new Span2D<float>(_c, s.M, s.N), 1f, 0f, _pool);
    }
}

/// <summary>The baseline: TorchSharp's <c>torch.matmul</c> (libtorch) on the same shapes, with
/// <c>torch.set_num_threads(Threads)</c>. Transposed operands are transposed views (no copy).</summary>
[MemoryDiagnoser]
public class TorchMatmulBenchmarks
{
    private torch.Tensor? _aStored, _bStored, _a, _b;

    /// <summary>The GEMM shape (M×N×K and layout).</summary>
    [ParamsSource(nameof(ShapeValues))]
    public GemmShape Shape { get; set; }

    /// <summary>libtorch intra-op threads.</summary>
    [ParamsSource(nameof(ThreadValues))]
    public int Threads { get; set; }

    /// <summary>Source of <see cref="Shape"/>.</summary>
    public static IEnumerable<GemmShape> ShapeValues() => BdnGemmParams.Shapes();

    /// <summary>Source of <see cref="Threads"/>.</summary>
    public static IEnumerable<int> ThreadValues() => BdnGemmParams.Threads();

    /// <summary>Loads libtorch (patching it if needed: this runs in BenchmarkDotNet's child
    /// process, where Program.Main does not) and creates the operands.</summary>
    [GlobalSetup]
    public void Setup()
    {
        TorchNativeLoader.EnsureLoaded(Console.Out);
        torch.set_num_threads(Threads);
        _aStored = torch.tensor(BdnGemmParams.Random(Shape.AStorage.Rows * Shape.AStorage.Cols, 1),
            [Shape.AStorage.Rows, Shape.AStorage.Cols]);
        _bStored = torch.tensor(BdnGemmParams.Random(Shape.BStorage.Rows * Shape.BStorage.Cols, 2),
            [Shape.BStorage.Rows, Shape.BStorage.Cols]);
        _a = Shape.TransposeA ? _aStored.t() : _aStored.alias();
        _b = Shape.TransposeB ? _bStored.t() : _bStored.alias();
    }

    /// <summary>Frees the tensors.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _a?.Dispose();
        _b?.Dispose();
        _aStored?.Dispose();
        _bStored?.Dispose();
    }

    /// <summary>torch.matmul(A, B); the result is disposed at once.</summary>
    [Benchmark]
    public void Matmul()
    {
        using var c = torch.matmul(_a!, _b!);
    }
}
