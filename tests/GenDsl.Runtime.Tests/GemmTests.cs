using CommunityToolkit.HighPerformance;
using GenDsl.Numerics;
using GenDsl.Threading;

namespace GenDsl.Runtime.Tests;

/// <summary>Shared helpers for the GEMM tests: padded views, double-precision references, tolerances.</summary>
internal static class GemmTestUtil
{
    /// <summary>Every width this machine can run, narrowest first.</summary>
    public static SimdWidth[] Widths =>
        new[] { SimdWidth.Scalar, SimdWidth.V128, SimdWidth.V256, SimdWidth.V512 }.Where(w => w <= Simd.Hardware).ToArray();

    /// <summary>
    /// A rows×cols view at offset (1, 2) inside a larger array (pitch = cols + 5), so the view is not contiguous;
    /// the surrounding "guard" cells hold a sentinel that must survive every kernel call.
    /// </summary>
    public static float[,] Padded(int rows, int cols, Random rnd, float sentinel = 12345f)
    {
        var storage = new float[rows + 3, cols + 5];
        for (int i = 0; i < storage.GetLength(0); i++)
            for (int j = 0; j < storage.GetLength(1); j++)
                storage[i, j] = sentinel;
        var view = View(storage);
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
                view[i, j] = (float)(rnd.NextDouble() * 2 - 1);
        return storage;
    }

    /// <summary>The view inside storage made by <see cref="Padded"/>.</summary>
    public static Span2D<float> View(float[,] storage) =>
        new(storage, 1, 2, storage.GetLength(0) - 3, storage.GetLength(1) - 5);

    public static void AssertGuardsIntact(float[,] storage, float sentinel = 12345f) =>
        AssertGuardsIntact(storage, storage.GetLength(0) - 3, storage.GetLength(1) - 5, sentinel);

    public static void AssertGuardsIntact(float[,] storage, int rows, int cols, float sentinel = 12345f)
    {
        for (int i = 0; i < storage.GetLength(0); i++)
            for (int j = 0; j < storage.GetLength(1); j++)
            {
                bool inside = i >= 1 && i < 1 + rows && j >= 2 && j < 2 + cols;
                if (!inside && storage[i, j] != sentinel)
                    Assert.Fail($"Guard cell ({i}, {j}) outside the {rows}×{cols} view was overwritten with {storage[i, j]}.");
            }
    }

    public static double ActivationRef(Activation act, double x, double slope) => act switch
    {
        Activation.Identity => x,
        Activation.Relu => x > 0 ? x : 0,
        Activation.LeakyRelu => x > 0 ? x : slope * x,
        Activation.Tanh => Math.Tanh(x),
        Activation.Sigmoid => 1 / (1 + Math.Exp(-x)),
        Activation.Softplus => Math.Max(x, 0) + Math.Log(1 + Math.Exp(-Math.Abs(x))),
        _ => throw new ArgumentOutOfRangeException(nameof(act)),
    };

    /// <summary>
    /// Checks C against act(alpha·op(A)·op(B) + beta·C0 + bias) computed in double. The allowed error per element
    /// is the classical dot-product bound, (K + 4)·2⁻²³·(|alpha|·Σ|a·b| + |beta·c0| + |bias|), which grows with K,
    /// plus a few ulps of the result for the activation itself.
    /// </summary>
    public static void AssertMatchesReference(ReadOnlySpan2D<float> a, bool ta, ReadOnlySpan2D<float> b, bool tb,
                                              ReadOnlySpan2D<float> c0, ReadOnlySpan2D<float> c, float alpha, float beta,
                                              ReadOnlySpan<float> bias, Activation act, float slope, string what)
    {
        int m = c.Height, n = c.Width, k = ta ? a.Height : a.Width;
        const double u = 1.0 / (1 << 23);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0, mag = 0;
                for (int p = 0; p < k; p++)
                {
                    double t = (double)(ta ? a[p, i] : a[i, p]) * (tb ? b[j, p] : b[p, j]);
                    s += t;
                    mag += Math.Abs(t);
                }
                double pre = alpha * s, preMag = Math.Abs(alpha) * mag;
                if (beta != 0) { pre += beta * (double)c0[i, j]; preMag += Math.Abs(beta * (double)c0[i, j]); }
                if (!bias.IsEmpty) { pre += bias[j]; preMag += Math.Abs(bias[j]); }
                double expected = ActivationRef(act, pre, slope);
                double tol = (k + 4) * u * preMag + 8 * u * Math.Abs(expected) + 1e-30;
                double got = c[i, j];
                if (!(Math.Abs(got - expected) <= tol))
                    Assert.Fail($"{what}: C[{i},{j}] = {got:R}, expected {expected:R} ± {tol:E2} (M={m}, N={n}, K={k}).");
            }
    }

    public static void AssertBitsEqual(ReadOnlySpan2D<float> expected, ReadOnlySpan2D<float> actual, string what)
    {
        for (int i = 0; i < expected.Height; i++)
            for (int j = 0; j < expected.Width; j++)
            {
                int e = BitConverter.SingleToInt32Bits(expected[i, j]), g = BitConverter.SingleToInt32Bits(actual[i, j]);
                if (e != g)
                    Assert.Fail($"{what}: element [{i},{j}] differs: {expected[i, j]:R} (0x{e:X8}) vs {actual[i, j]:R} (0x{g:X8}).");
            }
    }

    /// <summary>Sets <see cref="Simd.Width"/> until disposed (then restores the previous width).</summary>
    public static WidthScope Width(SimdWidth width) => new(width);

    public readonly struct WidthScope : IDisposable
    {
        private readonly SimdWidth _saved;

        public WidthScope(SimdWidth width)
        {
            _saved = Simd.Width;
            Simd.Width = width;
        }

        public void Dispose() => Simd.Width = _saved;
    }
}

public class GemmTests : IDisposable
{
    private readonly WorkerPool _pool2 = new(2);

    public void Dispose() => _pool2.Dispose();

    private static readonly int[][] Shapes =
    {
        new[] { 1, 1, 1 }, new[] { 3, 17, 63 }, new[] { 17, 3, 65 }, new[] { 63, 65, 17 }, new[] { 65, 63, 257 },
        new[] { 257, 17, 3 }, new[] { 1, 257, 65 }, new[] { 257, 1, 63 }, new[] { 65, 65, 65 }, new[] { 3, 3, 257 },
        new[] { 257, 65, 17 }, new[] { 63, 257, 1 }, new[] { 17, 63, 3 }, new[] { 65, 257, 63 },
    };

    public static TheoryData<int, int, int, bool, bool> Cases()
    {
        var data = new TheoryData<int, int, int, bool, bool>();
        foreach (var s in Shapes)
            foreach (bool ta in new[] { false, true })
                foreach (bool tb in new[] { false, true })
                    data.Add(s[0], s[1], s[2], ta, tb);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesDoublePrecisionReferenceAtEveryWidth(int m, int n, int k, bool ta, bool tb)
    {
        var rnd = new Random(m * 1000003 + n * 1009 + k * 7 + (ta ? 1 : 0) + (tb ? 2 : 0));
        var aStore = GemmTestUtil.Padded(ta ? k : m, ta ? m : k, rnd);
        var bStore = GemmTestUtil.Padded(tb ? n : k, tb ? k : n, rnd);
        var c0Store = GemmTestUtil.Padded(m, n, rnd);
        var a = GemmTestUtil.View(aStore);
        var b = GemmTestUtil.View(bStore);
        var c0 = GemmTestUtil.View(c0Store);
        float alpha = 1.25f, beta = -0.5f;
        float[,]? firstResult = null;
        foreach (var width in GemmTestUtil.Widths)
        {
            var cStore = GemmTestUtil.Padded(m, n, rnd);
            var c = GemmTestUtil.View(cStore);
            c0.CopyTo(c);
            using (GemmTestUtil.Width(width))
                Gemm.Multiply(a, ta, b, tb, c, alpha, beta, _pool2);
            GemmTestUtil.AssertGuardsIntact(cStore);
            GemmTestUtil.AssertMatchesReference(a, ta, b, tb, c0, c, alpha, beta, default, Activation.Identity, 0, $"{width}");
            var result = c.ToArray();
            if (firstResult is null)
                firstResult = result;
            else
                GemmTestUtil.AssertBitsEqual(firstResult, result, $"{width} vs {GemmTestUtil.Widths[0]}");
        }
        GemmTestUtil.AssertGuardsIntact(aStore);
        GemmTestUtil.AssertGuardsIntact(bStore);
    }

    [Fact]
    public void DefaultAlphaBetaOverwritesC()
    {
        var rnd = new Random(5);
        var a = GemmTestUtil.View(GemmTestUtil.Padded(17, 65, rnd));
        var b = GemmTestUtil.View(GemmTestUtil.Padded(65, 63, rnd));
        var c = GemmTestUtil.View(GemmTestUtil.Padded(17, 63, rnd));
        var c0 = c.ToArray();
        Gemm.Multiply(a, false, b, false, c, pool: _pool2);
        GemmTestUtil.AssertMatchesReference(a, false, b, false, c0, c, 1f, 0f, default, Activation.Identity, 0, "defaults");
    }

    public static TheoryData<Activation> Activations()
    {
        var data = new TheoryData<Activation>();
        foreach (var act in Enum.GetValues<Activation>())
            data.Add(act);
        return data;
    }

    [Theory]
    [MemberData(nameof(Activations))]
    public void EveryEpilogueActivationWithBiasMatchesReference(Activation act)
    {
        foreach (var (m, n, k, ta, tb) in new[] { (63, 65, 257, false, false), (17, 3, 65, true, true), (65, 257, 300, false, true) })
        {
            var rnd = new Random(17 + (int)act);
            var a = GemmTestUtil.View(GemmTestUtil.Padded(ta ? k : m, ta ? m : k, rnd));
            var b = GemmTestUtil.View(GemmTestUtil.Padded(tb ? n : k, tb ? k : n, rnd));
            var c0 = GemmTestUtil.View(GemmTestUtil.Padded(m, n, rnd));
            var biasStore = new float[n + 2];
            for (int j = 0; j < biasStore.Length; j++)
                biasStore[j] = (float)(rnd.NextDouble() * 4 - 2);
            var bias = biasStore.AsSpan(1, n);
            const float slope = 0.1f;
            float[,]? first = null;
            foreach (var width in GemmTestUtil.Widths)
            {
                var cStore = GemmTestUtil.Padded(m, n, rnd);
                var c = GemmTestUtil.View(cStore);
                c0.CopyTo(c);
                using (GemmTestUtil.Width(width))
                    Gemm.Multiply(a, ta, b, tb, c, new Epilogue(bias, act, slope), 0.75f, 0.5f, _pool2);
                GemmTestUtil.AssertGuardsIntact(cStore);
                GemmTestUtil.AssertMatchesReference(a, ta, b, tb, c0, c, 0.75f, 0.5f, bias, act, slope, $"{act} at {width}");
                var result = c.ToArray();
                if (first is null)
                    first = result;
                else
                    GemmTestUtil.AssertBitsEqual(first, result, $"{act}: {width} vs scalar");
            }
        }
    }

    [Fact]
    public void ActivationOnlyEpilogueMatchesReference()
    {
        var rnd = new Random(8);
        var a = GemmTestUtil.View(GemmTestUtil.Padded(65, 63, rnd));
        var b = GemmTestUtil.View(GemmTestUtil.Padded(63, 65, rnd));
        var c = GemmTestUtil.View(GemmTestUtil.Padded(65, 65, rnd));
        Gemm.Multiply(a, false, b, false, c, new Epilogue(Activation.Relu), pool: _pool2);
        GemmTestUtil.AssertMatchesReference(a, false, b, false, c, c, 1f, 0f, default, Activation.Relu, 0, "relu, no bias");
        bool anyZero = false, anyPositive = false;
        foreach (var v in c.ToArray())
        {
            anyZero |= v == 0f;
            anyPositive |= v > 0f;
        }
        Assert.True(anyZero && anyPositive, "ReLU should clamp some outputs and pass others.");
    }

    /// <summary>Large enough to run in parallel and to span several K blocks (K &gt; KC), with every epilogue feature on.</summary>
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void BitIdenticalAcrossWidthsAndThreadCounts(bool ta, bool tb)
    {
        int m = 257, n = 300, k = 2 * Gemm.KC + 17;
        Assert.True(Gemm.ChooseThreads(m, n, k, 3) > 1, "the test shape must be big enough to run in parallel");
        var rnd = new Random(99);
        var a = GemmTestUtil.View(GemmTestUtil.Padded(ta ? k : m, ta ? m : k, rnd));
        var b = GemmTestUtil.View(GemmTestUtil.Padded(tb ? n : k, tb ? k : n, rnd));
        var c0 = GemmTestUtil.View(GemmTestUtil.Padded(m, n, rnd));
        var bias = new float[n];
        for (int j = 0; j < n; j++)
            bias[j] = (float)rnd.NextDouble() - 0.5f;
        float[,]? baseline = null;
        foreach (int threads in new[] { 1, 2, 3 })
        {
            using var pool = new WorkerPool(threads);
            foreach (var width in GemmTestUtil.Widths)
            {
                var c = c0.ToArray();
                using (GemmTestUtil.Width(width))
                    Gemm.Multiply(a, ta, b, tb, c, new Epilogue(bias, Activation.Relu), 1.5f, -0.25f, pool);
                if (baseline is null)
                {
                    GemmTestUtil.AssertMatchesReference(a, ta, b, tb, c0, c, 1.5f, -0.25f, bias, Activation.Relu, 0, "baseline");
                    baseline = c;
                }
                else
                {
                    GemmTestUtil.AssertBitsEqual(baseline, c, $"{threads} threads at {width}");
                }
            }
        }
    }

    /// <summary>Reading an untransposed B in place gives the bits of packing it (full panels in place, the partial
    /// last panel packed), at every width, on 1 and 2 threads, across several K blocks.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void BInPlaceMatchesPackedBBitForBit(bool ta)
    {
        int m = 77, n = 2 * 32 + 19, k = Gemm.KC + 45;
        var rnd = new Random(17);
        var a = GemmTestUtil.View(GemmTestUtil.Padded(ta ? k : m, ta ? m : k, rnd));
        var b = GemmTestUtil.View(GemmTestUtil.Padded(k, n, rnd));
        var bias = new float[n];
        for (int j = 0; j < n; j++)
            bias[j] = (float)rnd.NextDouble() - 0.5f;
        bool saved = Gemm.DirectB;
        try
        {
            foreach (int threads in new[] { 1, 2 })
            {
                using var pool = new WorkerPool(threads);
                foreach (var width in GemmTestUtil.Widths)
                {
                    var packed = new float[m, n];
                    var inPlace = new float[m, n];
                    using (GemmTestUtil.Width(width))
                    {
                        Gemm.DirectB = false;
                        Gemm.Multiply(a, ta, b, false, packed, new Epilogue(bias, Activation.Relu), pool: pool);
                        Gemm.DirectB = true;
                        Gemm.Multiply(a, ta, b, false, inPlace, new Epilogue(bias, Activation.Relu), pool: pool);
                    }
                    GemmTestUtil.AssertMatchesReference(a, ta, b, false, packed, inPlace, 1f, 0f, bias, Activation.Relu, 0, $"{width}, {threads} threads");
                    GemmTestUtil.AssertBitsEqual(packed, inPlace, $"in place vs packed, {width}, {threads} threads");
                }
            }
        }
        finally
        {
            Gemm.DirectB = saved;
        }
    }

    /// <summary>
    /// Shapes that take the less common paths: more columns than one task holds (A packed once and shared by the
    /// column blocks, even on one thread), and more rows than one task holds (B packed per row block).
    /// </summary>
    [Theory]
    [InlineData(65, 2 * Gemm.NC + 77, 300, false, true)]
    [InlineData(Gemm.MS + 65, 40, 20, true, false)]
    public void LargeOutputsMatchReferenceOnOneAndTwoThreads(int m, int n, int k, bool ta, bool tb)
    {
        var rnd = new Random(m + n + k);
        var a = GemmTestUtil.View(GemmTestUtil.Padded(ta ? k : m, ta ? m : k, rnd));
        var b = GemmTestUtil.View(GemmTestUtil.Padded(tb ? n : k, tb ? k : n, rnd));
        var bias = new float[n];
        for (int j = 0; j < n; j++)
            bias[j] = (float)rnd.NextDouble() - 0.5f;
        float[,]? first = null;
        foreach (int threads in new[] { 1, 2 })
        {
            using var pool = new WorkerPool(threads);
            var cStore = GemmTestUtil.Padded(m, n, rnd);
            var c = GemmTestUtil.View(cStore);
            Gemm.Multiply(a, ta, b, tb, c, new Epilogue(bias, Activation.Tanh), 1f, 0f, pool);
            GemmTestUtil.AssertGuardsIntact(cStore);
            if (first is null)
            {
                GemmTestUtil.AssertMatchesReference(a, ta, b, tb, c, c, 1f, 0f, bias, Activation.Tanh, 0, "1 thread");
                first = c.ToArray();
            }
            else
            {
                GemmTestUtil.AssertBitsEqual(first, c, $"{threads} threads");
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void SteadyStateMultiplyAllocatesNothing(int threads)
    {
        using var pool = new WorkerPool(threads);
        int m = 130, n = 200, k = 300;   // parallel on 2 threads, two K blocks
        var a = new float[m, k];
        var b = new float[n, k];
        var c = new float[m, n];
        var bias = new float[n];
        a[3, 4] = 1f;
        b[5, 4] = 2f;
        Assert.True(Gemm.ChooseThreads(m, n, k, 2) == 2);
        for (int i = 0; i < 2; i++)
            Gemm.Multiply(a, false, b, true, c, new Epilogue(bias, Activation.Relu), 1f, 0.5f, pool);
        // Three windows of 5 calls; a per-call allocation shows in every window. One CI run under load measured
        // 7,376 bytes once in the 2-thread case, which we could not reproduce (not the per-thread Monitor.Wait
        // waiter: WorkerPoolTests.ACallerThatBlocksForTheFirstTimeAfterWarmUpAllocatesNothing measures 0 there),
        // so a single one-off runtime allocation is tolerated, and every window's bytes are in the message.
        var windows = new long[3];
        int calls = 2;
        for (int w = 0; w < windows.Length; w++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 5; i++)
                Gemm.Multiply(a, false, b, true, c, new Epilogue(bias, Activation.Relu), 1f, 0.5f, pool);
            windows[w] = GC.GetAllocatedBytesForCurrentThread() - before;
            calls += 5;
            if (windows[w] == 0)
                break;
        }
        Assert.True(windows.Contains(0), $"every window of 5 calls allocated: {string.Join(", ", windows)} bytes");
        Assert.True(windows.Count(x => x != 0) <= 1, $"more than one window allocated: {string.Join(", ", windows)} bytes");
        Assert.Equal(4f * (1f - MathF.Pow(2f, -calls)), c[3, 5]);   // c = 2 + c/2, once per call, from 0
    }

    [Fact]
    public void BetaZeroNeverReadsC()
    {
        var rnd = new Random(3);
        var a = GemmTestUtil.View(GemmTestUtil.Padded(9, 7, rnd));
        var b = GemmTestUtil.View(GemmTestUtil.Padded(7, 40, rnd));
        var c = new float[9, 40];
        foreach (var width in GemmTestUtil.Widths)
        {
            c.AsSpan().Fill(float.NaN);
            using (GemmTestUtil.Width(width))
                Gemm.Multiply(a, false, b, false, c, 2f, 0f, _pool2);
            GemmTestUtil.AssertMatchesReference(a, false, b, false, new float[9, 40], c, 2f, 0f, default, Activation.Identity, 0, $"{width}");
        }
    }

    [Fact]
    public void EmptyInnerDimensionAppliesOnlyTheEpilogue()
    {
        var a = new float[4, 0];
        var b = new float[0, 5];
        var c = new float[4, 5];
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 5; j++)
                c[i, j] = i - j;
        var bias = new float[] { 1, 2, 3, 4, 5 };
        Gemm.Multiply(a, false, b, false, c, new Epilogue(bias, Activation.Relu), 1f, 2f, _pool2);
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 5; j++)
                Assert.Equal(Math.Max(0f, 2f * (i - j) + bias[j]), c[i, j]);
    }

    [Fact]
    public void EmptyOutputIsANoOp()
    {
        Gemm.Multiply(new float[0, 3], false, new float[3, 4], false, new float[0, 4], pool: _pool2);
        Gemm.Multiply(new float[2, 3], false, new float[3, 0], false, new float[2, 0], pool: _pool2);
    }

    [Fact]
    public void InnerDimensionMismatchNamesBothShapes()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            Gemm.Multiply(new float[3, 4], false, new float[5, 2], false, new float[3, 2], pool: _pool2));
        Assert.Contains("3×4", ex.Message);
        Assert.Contains("5×2", ex.Message);
        Assert.Contains("inner dimensions", ex.Message);
        Assert.Equal("b", ex.ParamName);

        // With transposes the message speaks about op(A) and op(B).
        ex = Assert.Throws<ArgumentException>(() =>
            Gemm.Multiply(new float[4, 3], true, new float[2, 5], true, new float[3, 2], pool: _pool2));
        Assert.Contains("3×4", ex.Message);
        Assert.Contains("5×2", ex.Message);
    }

    [Fact]
    public void OutputShapeMismatchNamesBothShapes()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            Gemm.Multiply(new float[3, 4], false, new float[4, 2], false, new float[2, 3], pool: _pool2));
        Assert.Contains("2×3", ex.Message);
        Assert.Contains("3×2", ex.Message);
        Assert.Equal("c", ex.ParamName);
    }

    [Fact]
    public void BiasLengthMismatchIsRejected()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            Gemm.Multiply(new float[3, 4], false, new float[4, 2], false, new float[3, 2], new Epilogue(new float[3]), pool: _pool2));
        Assert.Contains("length 3", ex.Message);
        Assert.Contains("2 columns", ex.Message);
    }

    [Fact]
    public void OutputOverlappingAnInputIsRejected()
    {
        var storage = new float[8, 8];
        var ex = Assert.Throws<ArgumentException>(() =>
            Gemm.Multiply(new ReadOnlySpan2D<float>(storage, 0, 0, 4, 4), false, new float[4, 4], false,
                          new Span2D<float>(storage, 2, 2, 4, 4), pool: _pool2));
        Assert.Contains("overlaps A", ex.Message);

        // Disjoint column ranges of one array are fine: A = columns 0..3, C = columns 4..7.
        storage[1, 1] = 3f;
        var b = new float[4, 4];
        b[1, 2] = 2f;
        Gemm.Multiply(new ReadOnlySpan2D<float>(storage, 0, 0, 8, 4), false, b, false, new Span2D<float>(storage, 0, 4, 8, 4), pool: _pool2);
        Assert.Equal(6f, storage[1, 6]);
        Assert.Equal(3f, storage[1, 1]);
    }

    [Fact]
    public void ConcurrentCallsOnOnePoolGiveCorrectResults()
    {
        // Two threads share one pool: one gets the pool's scratch, the other runs alone with its own.
        var rnd = new Random(11);
        var a = GemmTestUtil.View(GemmTestUtil.Padded(120, 130, rnd));
        var b = GemmTestUtil.View(GemmTestUtil.Padded(130, 140, rnd));
        var aArr = a.ToArray();
        var bArr = b.ToArray();
        var expected = new float[120, 140];
        Gemm.Multiply(aArr, false, bArr, false, expected, pool: _pool2);
        var failures = 0;
        var threads = new Thread[2];
        for (int t = 0; t < threads.Length; t++)
        {
            threads[t] = new Thread(() =>
            {
                var c = new float[120, 140];
                for (int rep = 0; rep < 30; rep++)
                {
                    Gemm.Multiply(aArr, false, bArr, false, c, pool: _pool2);
                    for (int i = 0; i < 120; i++)
                        for (int j = 0; j < 140; j++)
                            if (BitConverter.SingleToInt32Bits(c[i, j]) != BitConverter.SingleToInt32Bits(expected[i, j]))
                                Interlocked.Increment(ref failures);
                }
            });
            threads[t].Start();
        }
        foreach (var t in threads)
            t.Join();
        Assert.Equal(0, failures);
    }
}
