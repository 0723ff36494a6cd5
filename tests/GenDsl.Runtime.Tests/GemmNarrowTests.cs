using CommunityToolkit.HighPerformance;
using GenDsl.Numerics;
using GenDsl.Threading;

namespace GenDsl.Runtime.Tests;

/// <summary>
/// The narrow path of <see cref="Gemm.Multiply(ReadOnlySpan2D{float}, bool, ReadOnlySpan2D{float}, bool, Span2D{float}, Epilogue, float, float, WorkerPool?)"/>
/// (C with at most four columns or rows): each form against a naive loop that performs the same float operations
/// in the same order (so bit for bit), against the double reference, across widths and thread counts, and
/// without allocating.
/// </summary>
public class GemmNarrowTests : IDisposable
{
    private readonly WorkerPool _pool1 = new(1);
    private readonly WorkerPool _pool2 = new(2);

    public void Dispose()
    {
        _pool1.Dispose();
        _pool2.Dispose();
    }

    private static float ActF(Activation act, float x, float slope) => act switch
    {
        Activation.Identity => default(IdentityOp).Forward(x),
        Activation.Relu => default(ReluOp).Forward(x),
        Activation.LeakyRelu => new LeakyReluOp(slope).Forward(x),
        Activation.Tanh => default(TanhOp).Forward(x),
        Activation.Sigmoid => default(SigmoidOp).Forward(x),
        Activation.Softplus => default(SoftplusOp).Forward(x),
        _ => throw new ArgumentOutOfRangeException(nameof(act)),
    };

    private static float Epi(float acc, float c0, float alpha, float beta, float[]? bias, int j, Activation act, float slope)
    {
        float v = acc;
        if (alpha != 1f) v *= alpha;
        if (beta != 0f) v = MathF.FusedMultiplyAdd(beta, c0, v);
        if (bias is not null) v += bias[j];
        return ActF(act, v, slope);
    }

    /// <summary>The packed kernels' chain: acc = fma(a, b, acc) for k = 0 … K−1.</summary>
    private static float Chain(ReadOnlySpan2D<float> a, bool ta, ReadOnlySpan2D<float> b, bool tb, int i, int j, int k)
    {
        float acc = 0f;
        for (int p = 0; p < k; p++)
            acc = MathF.FusedMultiplyAdd(ta ? a[p, i] : a[i, p], tb ? b[j, p] : b[p, j], acc);
        return acc;
    }

    /// <summary>The dot form: 16 partials over the full blocks, the pairwise tree, then the tail in order.</summary>
    private static float Dot16(ReadOnlySpan2D<float> a, bool ta, ReadOnlySpan2D<float> b, bool tb, int i, int j, int k)
    {
        var p = new float[16];
        int full = k & ~15;
        for (int q = 0; q < full; q++)
            p[q % 16] = MathF.FusedMultiplyAdd(ta ? a[q, i] : a[i, q], tb ? b[j, q] : b[q, j], p[q % 16]);
        for (int half = 8; half >= 1; half >>= 1)
            for (int t = 0; t < half; t++)
                p[t] += p[t + half];
        float s = p[0];
        for (int q = full; q < k; q++)
            s = MathF.FusedMultiplyAdd(ta ? a[q, i] : a[i, q], tb ? b[j, q] : b[q, j], s);
        return s;
    }

    public static TheoryData<int, int, int, bool, bool> NarrowCases()
    {
        var data = new TheoryData<int, int, int, bool, bool>();
        // Narrow columns (N ≤ 4) and narrow rows (M ≤ 4), odd sizes so every tile and tail runs, K above and below 16.
        int[][] shapes =
        {
            new[] { 300, 1, 70 }, new[] { 300, 2, 64 }, new[] { 133, 3, 17 }, new[] { 77, 4, 5 },
            new[] { 1, 300, 70 }, new[] { 2, 133, 64 }, new[] { 3, 77, 33 }, new[] { 4, 290, 7 }, new[] { 2, 2, 40 },
        };
        foreach (var s in shapes)
            foreach (bool ta in new[] { false, true })
                foreach (bool tb in new[] { false, true })
                    data.Add(s[0], s[1], s[2], ta, tb);
        return data;
    }

    [Theory]
    [MemberData(nameof(NarrowCases))]
    public void MatchesTheNaiveLoopBitForBitAtEveryWidthAndThreadCount(int m, int n, int k, bool ta, bool tb)
    {
        var rnd = new Random(m * 7 + n * 13 + k);
        var aStore = GemmTestUtil.Padded(ta ? k : m, ta ? m : k, rnd);
        var bStore = GemmTestUtil.Padded(tb ? n : k, tb ? k : n, rnd);
        var a = GemmTestUtil.View(aStore);
        var b = GemmTestUtil.View(bStore);
        var c0 = GemmTestUtil.Padded(m, n, rnd);
        var bias = new float[n];
        for (int j = 0; j < n; j++)
            bias[j] = (float)rnd.NextDouble() - 0.5f;

        // Which form the product takes: the axpy form (the packed kernels' chain) when the long operand runs
        // contiguously along the long side of C, the dot form when it runs along K (and K ≥ 16), else the packed path.
        bool narrowCols = n <= Gemm.NarrowMax;
        int wide = narrowCols ? m : n;
        bool alongW = narrowCols ? ta : !tb;
        bool dot = !alongW && wide > 1 && k >= Gemm.DotMinK;

        foreach (var (act, alpha, beta, withBias) in new[]
                 {
                     (Activation.Identity, 1f, 0f, false), (Activation.Relu, 1f, 0f, true),
                     (Activation.Tanh, 0.5f, -0.75f, true), (Activation.Sigmoid, 2f, 1f, false),
                     (Activation.LeakyRelu, 1f, 0.25f, true), (Activation.Softplus, 1f, 0f, true),
                 })
        {
            var expected = new float[m, n];
            var view0 = GemmTestUtil.View(c0);
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    float raw = dot ? Dot16(a, ta, b, tb, i, j, k) : Chain(a, ta, b, tb, i, j, k);
                    expected[i, j] = Epi(raw, view0[i, j], alpha, beta, withBias ? bias : null, j, act, 0.2f);
                }
            bool checkedReference = false;
            foreach (var pool in new[] { _pool1, _pool2 })
                foreach (var width in GemmTestUtil.Widths)
                {
                    var cStore = (float[,])c0.Clone();
                    var c = GemmTestUtil.View(cStore);
                    using (GemmTestUtil.Width(width))
                        Gemm.Multiply(a, ta, b, tb, c, new Epilogue(withBias ? bias : default, act, 0.2f), alpha, beta, pool);
                    GemmTestUtil.AssertGuardsIntact(cStore);
                    string what = $"{act} {(dot ? "dot" : "chain")} form, {pool.Threads} threads, {width}";
                    if (!checkedReference)
                    {
                        GemmTestUtil.AssertMatchesReference(a, ta, b, tb, view0, c, alpha, beta, withBias ? bias : default, act, 0.2f, what);
                        checkedReference = true;
                    }
                    GemmTestUtil.AssertBitsEqual(expected, c, what);
                }
        }
    }

    /// <summary>One-row sampling through a 400 → 784 layer (W stored out × in): big enough to split over two threads.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void GemvSplitsOverThreadsWithIdenticalResults(int rows)
    {
        const int n = 784, k = 400;
        Assert.True((long)rows * n * k >= Gemm.NarrowParallelMinWork, "the shape must be big enough to run in parallel");
        var rnd = new Random(5);
        var x = GemmTestUtil.View(GemmTestUtil.Padded(rows, k, rnd));
        var w = GemmTestUtil.View(GemmTestUtil.Padded(n, k, rnd));
        var bias = new float[n];
        for (int j = 0; j < n; j++)
            bias[j] = (float)rnd.NextDouble() - 0.5f;
        var one = new float[rows, n];
        var two = new float[rows, n];
        Gemm.Multiply(x, false, w, true, one, new Epilogue(bias, Activation.Sigmoid), pool: _pool1);
        Gemm.Multiply(x, false, w, true, two, new Epilogue(bias, Activation.Sigmoid), pool: _pool2);
        GemmTestUtil.AssertMatchesReference(x, false, w, true, one, one, 1f, 0f, bias, Activation.Sigmoid, 0, "1 thread");
        GemmTestUtil.AssertBitsEqual(one, two, "2 threads vs 1");
    }

    /// <summary>Steady-state narrow calls allocate nothing: the chain form, the dot form with a copied operand,
    /// and a GEMV split over the pool.</summary>
    [Fact]
    public void NarrowCallsAllocateNothing()
    {
        var rnd = new Random(3);
        var h = new float[512, 64];
        var w2 = new float[2, 64];
        var gy = new float[512, 2];
        var w0 = new float[64, 1];
        var y = new float[512, 2];
        var gw = new float[2, 64];
        var gx = new float[512, 1];
        var z = new float[1, 400];
        var wd = new float[784, 400];
        var o = new float[1, 784];
        foreach (var arr in new[] { h, w2, gy, w0, z, wd })
            for (int i = 0; i < arr.GetLength(0); i++)
                for (int j = 0; j < arr.GetLength(1); j++)
                    arr[i, j] = (float)rnd.NextDouble() - 0.5f;
        void Run()
        {
            Gemm.Multiply(h, false, w2, true, y, pool: _pool2);          // dot form (Y = H·Wᵀ into 2 columns)
            Gemm.Multiply(gy, true, h, false, gw, pool: _pool2);         // chain form (dW = dYᵀ·H, 2 rows)
            Gemm.Multiply(h, false, w0, false, gx, pool: _pool2);        // dot form, column operand copied
            Gemm.Multiply(z, false, wd, true, o, new Epilogue(default, Activation.Sigmoid), pool: _pool2); // parallel GEMV
        }
        for (int i = 0; i < 300; i++)
            Run();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20; i++)
            Run();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
