using CommunityToolkit.HighPerformance;
using GenDsl.Numerics;
using GenDsl.Threading;
using TorchSharp;

namespace GenDsl.Benchmarks.Compare;

/// <summary>A GEMM shape: C[M×N] = op(A)·op(B) with inner dimension K, op = transpose or not.</summary>
/// <param name="M">Rows of C.</param>
/// <param name="N">Columns of C.</param>
/// <param name="K">Inner dimension.</param>
/// <param name="TransposeA">A is stored K×M and used transposed.</param>
/// <param name="TransposeB">B is stored N×K and used transposed.</param>
public readonly record struct GemmShape(int M, int N, int K, bool TransposeA = false, bool TransposeB = false)
{
    /// <summary>"nn", "nt", "tn" or "tt": the layouts of A and B.</summary>
    public string Layout => $"{(TransposeA ? 't' : 'n')}{(TransposeB ? 't' : 'n')}";

    /// <summary>Name such as "gemm-nn-1024x1024x1024" (M x N x K).</summary>
    public string Name => $"gemm-{Layout}-{M}x{N}x{K}";

    /// <summary>Short form for BenchmarkDotNet's parameter column, e.g. "nn 1024x1024x1024"
    /// (BenchmarkDotNet shortens values over 20 characters).</summary>
    public override string ToString() => $"{Layout} {M}x{N}x{K}";

    /// <summary>2·M·N·K: one multiply and one add per inner-product term.</summary>
    public double Flops => 2.0 * M * N * K;

    /// <summary>Stored shape of A (rows, columns).</summary>
    public (int Rows, int Cols) AStorage => TransposeA ? (K, M) : (M, K);

    /// <summary>Stored shape of B (rows, columns).</summary>
    public (int Rows, int Cols) BStorage => TransposeB ? (N, K) : (K, N);
}

/// <summary>
/// Times <see cref="Gemm.Multiply"/> against <c>torch.matmul</c> on the same float32 data.
/// Transposed operands are passed to torch as transposed views (<c>.t()</c>, no copy), which
/// libtorch hands to its BLAS as a transpose flag — the same work our kernel does.
/// </summary>
public sealed class GemmComparison : IComparison
{
    private readonly GemmShape _shape;
    private readonly WorkerPool _pool;
    private readonly float[] _a, _b, _c;
    private readonly torch.Tensor _ta, _tb, _taStored, _tbStored;

    /// <summary>Allocates and fills the operands (deterministic pseudo-random values in [-1, 1)).</summary>
    public GemmComparison(GemmShape shape, WorkerPool pool)
    {
        _shape = shape;
        _pool = pool;
        var rng = new Random(shape.M * 31 + shape.N * 17 + shape.K);
        _a = Random(rng, shape.AStorage.Rows * shape.AStorage.Cols);
        _b = Random(rng, shape.BStorage.Rows * shape.BStorage.Cols);
        _c = new float[shape.M * shape.N];
        _taStored = torch.tensor(_a, [shape.AStorage.Rows, shape.AStorage.Cols]);
        _tbStored = torch.tensor(_b, [shape.BStorage.Rows, shape.BStorage.Cols]);
        _ta = shape.TransposeA ? _taStored.t() : _taStored.alias();
        _tb = shape.TransposeB ? _tbStored.t() : _tbStored.alias();
    }

    /// <inheritdoc/>
    public string Name => _shape.Name;

    /// <inheritdoc/>
    public double Flops => _shape.Flops;

    /// <inheritdoc/>
    public void RunOurs()
    {
        var s = _shape;
        Gemm.Multiply(
            new ReadOnlySpan2D<float>(_a, s.AStorage.Rows, s.AStorage.Cols), s.TransposeA,
            new ReadOnlySpan2D<float>(_b, s.BStorage.Rows, s.BStorage.Cols), s.TransposeB,
            new Span2D<float>(_c, s.M, s.N), 1f, 0f, _pool);
    }

    /// <inheritdoc/>
    public void RunTorch()
    {
        using var c = torch.matmul(_ta, _tb);
    }

    /// <inheritdoc/>
    public double Verify()
    {
        RunOurs();
        using var c = torch.matmul(_ta, _tb);
        var expected = c.data<float>();
        double maxDiff = 0, maxAbs = 0;
        for (int i = 0; i < _c.Length; i++)
        {
            float t = expected[i];
            maxDiff = Math.Max(maxDiff, Math.Abs(_c[i] - t));
            maxAbs = Math.Max(maxAbs, Math.Abs(t));
        }
        return maxAbs > 0 ? maxDiff / maxAbs : maxDiff;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _ta.Dispose();
        _tb.Dispose();
        _taStored.Dispose();
        _tbStored.Dispose();
    }

    private static float[] Random(Random rng, int count)
    {
        var x = new float[count];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        return x;
    }
}
