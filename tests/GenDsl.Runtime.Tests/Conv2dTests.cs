using CommunityToolkit.HighPerformance;
using GenDsl.Numerics;
using GenDsl.Threading;

namespace GenDsl.Runtime.Tests;

/// <summary>Naive double-precision convolution loops (NCHW, PyTorch semantics) for the tests.</summary>
internal static class ConvRef
{
    public const double U = 1.0 / (1 << 23);

    /// <summary>The input pixel (iy, ix) that kernel tap (ky, kx) of output pixel (oy, ox) reads, or false in the padding.</summary>
    public static bool Tap(in ConvShape s, int oy, int ox, int ky, int kx, out int iy, out int ix)
    {
        iy = oy * s.Stride - s.Padding + ky;
        ix = ox * s.Stride - s.Padding + kx;
        return iy >= 0 && iy < s.InHeight && ix >= 0 && ix < s.InWidth;
    }

    /// <summary>Pre-activation conv(x) + b and Σ|terms| per output element.</summary>
    public static (double[,] Pre, double[,] Mag) Forward(ReadOnlySpan2D<float> x, float[] w, float[]? b, in ConvShape s)
    {
        int rows = x.Height, k = s.Kernel;
        var pre = new double[rows, s.OutFeatures];
        var mag = new double[rows, s.OutFeatures];
        for (int n = 0; n < rows; n++)
            for (int o = 0; o < s.OutChannels; o++)
                for (int oy = 0; oy < s.OutHeight; oy++)
                    for (int ox = 0; ox < s.OutWidth; ox++)
                    {
                        double acc = b is null ? 0 : b[o], m = b is null ? 0 : Math.Abs(b[o]);
                        for (int c = 0; c < s.InChannels; c++)
                            for (int ky = 0; ky < k; ky++)
                                for (int kx = 0; kx < k; kx++)
                                    if (Tap(s, oy, ox, ky, kx, out int iy, out int ix))
                                    {
                                        double t = (double)x[n, (c * s.InHeight + iy) * s.InWidth + ix] * w[((o * s.InChannels + c) * k + ky) * k + kx];
                                        acc += t;
                                        m += Math.Abs(t);
                                    }
                        int j = (o * s.OutHeight + oy) * s.OutWidth + ox;
                        pre[n, j] = acc;
                        mag[n, j] = m;
                    }
        return (pre, mag);
    }

    /// <summary>∂L/∂x = the adjoint of the convolution applied to gy, with Σ|terms|.</summary>
    public static (double[,] Gx, double[,] Mag) BackwardData(ReadOnlySpan2D<float> gy, float[] w, in ConvShape s)
    {
        int rows = gy.Height, k = s.Kernel;
        var gx = new double[rows, s.InFeatures];
        var mag = new double[rows, s.InFeatures];
        for (int n = 0; n < rows; n++)
            for (int o = 0; o < s.OutChannels; o++)
                for (int oy = 0; oy < s.OutHeight; oy++)
                    for (int ox = 0; ox < s.OutWidth; ox++)
                    {
                        double g = gy[n, (o * s.OutHeight + oy) * s.OutWidth + ox];
                        for (int c = 0; c < s.InChannels; c++)
                            for (int ky = 0; ky < k; ky++)
                                for (int kx = 0; kx < k; kx++)
                                    if (Tap(s, oy, ox, ky, kx, out int iy, out int ix))
                                    {
                                        double t = g * w[((o * s.InChannels + c) * k + ky) * k + kx];
                                        int j = (c * s.InHeight + iy) * s.InWidth + ix;
                                        gx[n, j] += t;
                                        mag[n, j] += Math.Abs(t);
                                    }
                    }
        return (gx, mag);
    }

    /// <summary>∂L/∂W and ∂L/∂b (with Σ|terms|) from gy and x.</summary>
    public static (double[] Gw, double[] MagW, double[] Gb, double[] MagB) BackwardWeight(ReadOnlySpan2D<float> gy, ReadOnlySpan2D<float> x, in ConvShape s)
    {
        int rows = gy.Height, k = s.Kernel;
        var gw = new double[s.WeightLength];
        var mw = new double[s.WeightLength];
        var gb = new double[s.OutChannels];
        var mb = new double[s.OutChannels];
        for (int n = 0; n < rows; n++)
            for (int o = 0; o < s.OutChannels; o++)
                for (int oy = 0; oy < s.OutHeight; oy++)
                    for (int ox = 0; ox < s.OutWidth; ox++)
                    {
                        double g = gy[n, (o * s.OutHeight + oy) * s.OutWidth + ox];
                        gb[o] += g;
                        mb[o] += Math.Abs(g);
                        for (int c = 0; c < s.InChannels; c++)
                            for (int ky = 0; ky < k; ky++)
                                for (int kx = 0; kx < k; kx++)
                                    if (Tap(s, oy, ox, ky, kx, out int iy, out int ix))
                                    {
                                        double t = g * x[n, (c * s.InHeight + iy) * s.InWidth + ix];
                                        int q = ((o * s.InChannels + c) * k + ky) * k + kx;
                                        gw[q] += t;
                                        mw[q] += Math.Abs(t);
                                    }
                    }
        return (gw, mw, gb, mb);
    }

    /// <summary>
    /// Transposed convolution written directly (scatter form, PyTorch's definition): every input pixel (iy, ix) of
    /// channel ci adds x·w[ci, co, ky, kx] to output (iy·S − P + ky, ix·S − P + kx). Returns pre-activation and Σ|terms|.
    /// </summary>
    public static (double[,] Pre, double[,] Mag) TransposeForward(ReadOnlySpan2D<float> x, float[] w, float[]? b, in ConvTransposeShape s)
    {
        int rows = x.Height, k = s.Kernel, oh = s.OutHeight, ow = s.OutWidth, opx = oh * ow;
        var pre = new double[rows, s.OutFeatures];
        var mag = new double[rows, s.OutFeatures];
        for (int n = 0; n < rows; n++)
        {
            if (b is not null)
                for (int co = 0; co < s.OutChannels; co++)
                    for (int p = 0; p < opx; p++)
                    {
                        pre[n, co * opx + p] = b[co];
                        mag[n, co * opx + p] = Math.Abs(b[co]);
                    }
            for (int ci = 0; ci < s.InChannels; ci++)
                for (int iy = 0; iy < s.InHeight; iy++)
                    for (int ix = 0; ix < s.InWidth; ix++)
                    {
                        double v = x[n, (ci * s.InHeight + iy) * s.InWidth + ix];
                        for (int co = 0; co < s.OutChannels; co++)
                            for (int ky = 0; ky < k; ky++)
                                for (int kx = 0; kx < k; kx++)
                                {
                                    int y = iy * s.Stride - s.Padding + ky, xx = ix * s.Stride - s.Padding + kx;
                                    if (y < 0 || y >= oh || xx < 0 || xx >= ow)
                                        continue;
                                    double t = v * w[((ci * s.OutChannels + co) * k + ky) * k + kx];
                                    pre[n, co * opx + y * ow + xx] += t;
                                    mag[n, co * opx + y * ow + xx] += Math.Abs(t);
                                }
                    }
        }
        return (pre, mag);
    }

    /// <summary>Fails unless |got − expected| ≤ (terms + 4)·u·mag + 8u·|expected| (+ a tiny absolute slack).</summary>
    public static void Near(double expected, double mag, long terms, float got, string what)
    {
        double tol = (terms + 4) * U * mag + 8 * U * Math.Abs(expected) + 1e-30;
        if (!(Math.Abs(got - expected) <= tol))
            Assert.Fail($"{what}: got {got:R}, expected {expected:R} ± {tol:E2}.");
    }

    public static float[] RandomVector(int n, Random rnd, float scale = 1f) =>
        Enumerable.Range(0, n).Select(_ => (float)((rnd.NextDouble() * 2 - 1) * scale)).ToArray();

    public static void AssertBitsEqual(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{what}: element {i} differs: {expected[i]:R} vs {actual[i]:R}.");
    }

    /// <summary>Sets the chunk targets of <see cref="Conv2d"/> until disposed (tiny targets force one image per chunk).</summary>
    public readonly struct ChunkScope : IDisposable
    {
        private readonly int _fwd, _w;
        public ChunkScope(int target)
        {
            _fwd = Conv2d.ChunkTargetFloats;
            _w = Conv2d.WeightChunkTargetFloats;
            if (target > 0)
            {
                Conv2d.ChunkTargetFloats = target;
                Conv2d.WeightChunkTargetFloats = target;
            }
        }
        public void Dispose()
        {
            Conv2d.ChunkTargetFloats = _fwd;
            Conv2d.WeightChunkTargetFloats = _w;
        }
    }
}

/// <summary>
/// Conv2d and ConvTranspose2d against naive double loops on awkward shapes, bit-identity over widths, thread counts
/// (and, for the chunk-independent results, chunkings), finite differences, the adjoint identity, allocations and
/// argument checks.
/// </summary>
public class Conv2dTests : IDisposable
{
    private readonly WorkerPool _pool1 = new(1);
    private readonly WorkerPool _pool2 = new(2);

    public void Dispose()
    {
        _pool1.Dispose();
        _pool2.Dispose();
    }

    private WorkerPool[] Pools => new[] { _pool1, _pool2 };

    // (inChannels, h, w, outChannels, kernel, stride, padding)
    private static readonly int[][] Shapes =
    {
        new[] { 1, 1, 1, 1, 1, 1, 0 }, new[] { 3, 3, 5, 5, 3, 1, 1 }, new[] { 5, 7, 7, 3, 5, 2, 2 }, new[] { 1, 28, 28, 5, 4, 2, 1 },
        new[] { 3, 7, 7, 1, 2, 1, 0 }, new[] { 2, 5, 3, 3, 3, 2, 0 }, new[] { 1, 3, 5, 2, 4, 1, 2 }, new[] { 33, 7, 7, 35, 3, 1, 1 },
        new[] { 4, 6, 6, 17, 4, 2, 1 }, new[] { 5, 28, 28, 3, 1, 1, 0 }, new[] { 3, 1, 1, 4, 3, 2, 1 },
        new[] { 2, 1, 2, 3, 1, 1, 2 }, new[] { 1, 2, 2, 2, 2, 2, 3 },   // padding ≥ kernel: windows wholly in the padding
    };

    private static readonly int[] RowCounts = { 1, 3, 17 };

    public static TheoryData<int> ShapeIndices()
    {
        var d = new TheoryData<int>();
        for (int i = 0; i < Shapes.Length; i++) d.Add(i);
        return d;
    }

    private static ConvShape MakeShape(int[] a) => new(a[0], a[1], a[2], a[3], a[4], a[5], a[6]);

    private sealed record ConvOut(float[,] Y, float[,] Gx, float[] Gw, float[] Gb);

    private static ConvOut RunConv(ConvShape s, float[,] x, float[] w, float[] b, float[,] gy, Activation act, WorkerPool pool)
    {
        int rows = x.GetLength(0) - 3;
        var scratch = new float[Conv2d.ScratchFloats(s, rows, pool.Threads)];
        var y = GemmTestUtil.Padded(rows, s.OutFeatures, new Random(1));
        var gx = GemmTestUtil.Padded(rows, s.InFeatures, new Random(2));
        var gw = new float[s.WeightLength];
        var gb = new float[s.OutChannels];
        scratch.AsSpan().Fill(float.NaN);   // kernels must not read scratch they did not write
        Conv2d.Forward(GemmTestUtil.View(x), w, b, GemmTestUtil.View(y), s, act, 0.1f, scratch, pool);
        Conv2d.BackwardData(GemmTestUtil.View(gy), w, GemmTestUtil.View(gx), s, scratch, pool);
        Conv2d.BackwardWeight(GemmTestUtil.View(gy), GemmTestUtil.View(x), gw, gb, s, scratch, pool);
        GemmTestUtil.AssertGuardsIntact(y);
        GemmTestUtil.AssertGuardsIntact(gx);
        return new ConvOut(y, gx, gw, gb);
    }

    [Theory]
    [MemberData(nameof(ShapeIndices))]
    public void ConvMatchesReferenceAndIsBitIdenticalAcrossWidthsThreadsAndChunks(int shapeIndex)
    {
        var s = MakeShape(Shapes[shapeIndex]);
        var act = shapeIndex % 3 == 0 ? Activation.Tanh : shapeIndex % 3 == 1 ? Activation.LeakyRelu : Activation.Identity;
        foreach (int rows in RowCounts)
        {
            var rnd = new Random(shapeIndex * 100 + rows);
            var x = GemmTestUtil.Padded(rows, s.InFeatures, rnd);
            var gy = GemmTestUtil.Padded(rows, s.OutFeatures, rnd);
            var w = ConvRef.RandomVector(s.WeightLength, rnd);
            var b = ConvRef.RandomVector(s.OutChannels, rnd);
            var (pre, magY) = ConvRef.Forward(GemmTestUtil.View(x), w, b, s);
            var (gxRef, magGx) = ConvRef.BackwardData(GemmTestUtil.View(gy), w, s);
            var (gwRef, magGw, gbRef, magGb) = ConvRef.BackwardWeight(GemmTestUtil.View(gy), GemmTestUtil.View(x), s);
            ConvOut? fwdBase = null;
            foreach (int target in new[] { 0, 1 })          // default chunks, then one image per chunk
            {
                ConvOut? first = null;
                using var chunks = new ConvRef.ChunkScope(target);
                foreach (var width in GemmTestUtil.Widths)
                    foreach (var pool in Pools)
                    {
                        ConvOut got;
                        using (GemmTestUtil.Width(width))
                            got = RunConv(s, x, w, b, gy, act, pool);
                        string what = $"{s} rows={rows} chunkTarget={target} {width} threads={pool.Threads}";
                        if (first is null)
                        {
                            first = got;
                            var y = GemmTestUtil.View(got.Y);
                            var gx = GemmTestUtil.View(got.Gx);
                            for (int n = 0; n < rows; n++)
                            {
                                for (int j = 0; j < s.OutFeatures; j++)
                                    ConvRef.Near(GemmTestUtil.ActivationRef(act, pre[n, j], 0.1), magY[n, j], s.PatchLength, y[n, j], $"y[{n},{j}] {what}");
                                for (int j = 0; j < s.InFeatures; j++)
                                    ConvRef.Near(gxRef[n, j], magGx[n, j], s.WeightLength, gx[n, j], $"gx[{n},{j}] {what}");
                            }
                            for (int q = 0; q < s.WeightLength; q++)
                                ConvRef.Near(gwRef[q], magGw[q], (long)rows * s.OutPixels, got.Gw[q], $"gW[{q}] {what}");
                            for (int o = 0; o < s.OutChannels; o++)
                                ConvRef.Near(gbRef[o], magGb[o], (long)rows * s.OutPixels, got.Gb[o], $"gb[{o}] {what}");
                        }
                        else
                        {
                            GemmTestUtil.AssertBitsEqual(GemmTestUtil.View(first.Y), GemmTestUtil.View(got.Y), $"y {what}");
                            GemmTestUtil.AssertBitsEqual(GemmTestUtil.View(first.Gx), GemmTestUtil.View(got.Gx), $"gx {what}");
                            ConvRef.AssertBitsEqual(first.Gw, got.Gw, $"gW {what}");
                            ConvRef.AssertBitsEqual(first.Gb, got.Gb, $"gb {what}");
                        }
                    }
                // The bias gradient's order does not depend on the chunking at all; the forward pass and the data
                // gradient neither, unless a chunk is narrow enough (≤ 4 GEMM rows) for the GEMM's dot-product form.
                if (fwdBase is null)
                    fwdBase = first;
                else
                {
                    ConvRef.AssertBitsEqual(fwdBase.Gb, first!.Gb, $"gb across chunkings {s} rows={rows}");
                    if (s.OutPixels > 4)
                    {
                        GemmTestUtil.AssertBitsEqual(GemmTestUtil.View(fwdBase.Y), GemmTestUtil.View(first.Y), $"y across chunkings {s} rows={rows}");
                        GemmTestUtil.AssertBitsEqual(GemmTestUtil.View(fwdBase.Gx), GemmTestUtil.View(first.Gx), $"gx across chunkings {s} rows={rows}");
                    }
                }
            }
        }
    }

    [Fact]
    public void AccumulateAddsToTheWeightGradients()
    {
        var s = new ConvShape(3, 5, 5, 4, 3, 1, 1);
        var rnd = new Random(7);
        int rows = 3;
        var x = GemmTestUtil.View(GemmTestUtil.Padded(rows, s.InFeatures, rnd));
        var gy = GemmTestUtil.View(GemmTestUtil.Padded(rows, s.OutFeatures, rnd));
        var scratch = new float[Conv2d.ScratchFloats(s, rows, 2)];
        var gw = new float[s.WeightLength];
        var gb = new float[s.OutChannels];
        Conv2d.BackwardWeight(gy, x, gw, gb, s, scratch, _pool2);
        var gw2 = Enumerable.Repeat(0.5f, s.WeightLength).ToArray();
        var gb2 = Enumerable.Repeat(0.25f, s.OutChannels).ToArray();
        Conv2d.BackwardWeight(gy, x, gw2, gb2, s, scratch, _pool2, accumulate: true);
        for (int q = 0; q < gw.Length; q++)
            Assert.Equal(0.5f + gw[q], gw2[q], 5e-6f);
        for (int o = 0; o < gb.Length; o++)
            Assert.Equal(0.25f + gb[o], gb2[o], 5e-6f);
    }

    // ------------------------------------------------------------------------------------ finite differences

    /// <summary>L = Σ r ⊙ tanh(conv(x) + b), in double.</summary>
    private static double Loss(ConvShape s, float[,] xStore, double[] xs, double[] w, double[] b, double[] r, int rows)
    {
        double loss = 0;
        int k = s.Kernel;
        for (int n = 0; n < rows; n++)
            for (int o = 0; o < s.OutChannels; o++)
                for (int oy = 0; oy < s.OutHeight; oy++)
                    for (int ox = 0; ox < s.OutWidth; ox++)
                    {
                        double acc = b[o];
                        for (int c = 0; c < s.InChannels; c++)
                            for (int ky = 0; ky < k; ky++)
                                for (int kx = 0; kx < k; kx++)
                                    if (ConvRef.Tap(s, oy, ox, ky, kx, out int iy, out int ix))
                                        acc += xs[n * s.InFeatures + (c * s.InHeight + iy) * s.InWidth + ix] * w[((o * s.InChannels + c) * k + ky) * k + kx];
                        loss += r[n * s.OutFeatures + (o * s.OutHeight + oy) * s.OutWidth + ox] * Math.Tanh(acc);
                    }
        return loss;
    }

    [Theory]
    [InlineData(3, 5, 5, 4, 3, 1, 1, 2)]
    [InlineData(2, 7, 6, 3, 4, 2, 1, 3)]
    [InlineData(1, 4, 4, 2, 2, 2, 0, 1)]
    public void GradientsMatchFiniteDifferences(int cin, int h, int wd, int cout, int k, int stride, int pad, int rows)
    {
        var s = new ConvShape(cin, h, wd, cout, k, stride, pad);
        var rnd = new Random(cin * 7 + h);
        var xStore = GemmTestUtil.Padded(rows, s.InFeatures, rnd);
        var x = GemmTestUtil.View(xStore);
        var w = ConvRef.RandomVector(s.WeightLength, rnd, 0.5f);
        var b = ConvRef.RandomVector(s.OutChannels, rnd, 0.5f);
        var r = ConvRef.RandomVector(rows * s.OutFeatures, rnd);
        var scratch = new float[Conv2d.ScratchFloats(s, rows, 2)];
        var yStore = GemmTestUtil.Padded(rows, s.OutFeatures, rnd);
        var gStore = GemmTestUtil.Padded(rows, s.OutFeatures, rnd);
        var gxStore = GemmTestUtil.Padded(rows, s.InFeatures, rnd);
        Conv2d.Forward(x, w, b, GemmTestUtil.View(yStore), s, Activation.Tanh, 0.2f, scratch, _pool2);
        var g = GemmTestUtil.View(gStore);
        for (int n = 0; n < rows; n++)
            for (int j = 0; j < s.OutFeatures; j++)
                g[n, j] = r[n * s.OutFeatures + j];
        var gw = new float[s.WeightLength];
        var gb = new float[s.OutChannels];
        var gbAct = new float[s.OutChannels];
        Conv2d.ActivationBackward(g, GemmTestUtil.View(yStore), Activation.Tanh, 0.2f, s.OutChannels, gbAct, false, _pool2);
        Conv2d.BackwardData(g, w, GemmTestUtil.View(gxStore), s, scratch, _pool2);
        Conv2d.BackwardWeight(g, x, gw, gb, s, scratch, _pool2);
        ConvRef.AssertBitsEqual(gb, gbAct, "bias gradient from ActivationBackward vs BackwardWeight");

        var xs = new double[rows * s.InFeatures];
        for (int n = 0; n < rows; n++)
            for (int j = 0; j < s.InFeatures; j++)
                xs[n * s.InFeatures + j] = x[n, j];
        var wd64 = w.Select(v => (double)v).ToArray();
        var bd64 = b.Select(v => (double)v).ToArray();
        var rd = r.Select(v => (double)v).ToArray();
        const double eps = 1e-5;
        double Fd(double[] arr, int i)
        {
            double keep = arr[i];
            arr[i] = keep + eps;
            double lp = Loss(s, xStore, xs, wd64, bd64, rd, rows);
            arr[i] = keep - eps;
            double lm = Loss(s, xStore, xs, wd64, bd64, rd, rows);
            arr[i] = keep;
            return (lp - lm) / (2 * eps);
        }
        void Check(double fd, float got, string what) =>
            Assert.True(Math.Abs(fd - got) <= 2e-4 * (1 + Math.Abs(fd)), $"{what}: kernel {got:R} vs finite difference {fd:R}");
        var gx = GemmTestUtil.View(gxStore);
        for (int t = 0; t < 6; t++)
        {
            int i = rnd.Next(xs.Length);
            Check(Fd(xs, i), gx[i / s.InFeatures, i % s.InFeatures], $"gx[{i}]");
            int q = rnd.Next(w.Length);
            Check(Fd(wd64, q), gw[q], $"gW[{q}]");
        }
        for (int o = 0; o < s.OutChannels; o++)
            Check(Fd(bd64, o), gb[o], $"gb[{o}]");
    }

    // ------------------------------------------------------------------------------------ transposed convolution

    // (inChannels, h, w, outChannels, kernel, stride, padding, outputPadding)
    private static readonly int[][] TShapes =
    {
        new[] { 1, 1, 1, 1, 1, 1, 0, 0 }, new[] { 3, 3, 5, 5, 3, 1, 1, 0 }, new[] { 5, 4, 4, 3, 4, 2, 1, 0 }, new[] { 4, 7, 7, 1, 4, 2, 1, 0 },
        new[] { 2, 3, 5, 3, 3, 2, 0, 1 }, new[] { 3, 5, 3, 2, 5, 3, 2, 2 }, new[] { 33, 3, 3, 17, 4, 2, 1, 1 }, new[] { 1, 2, 2, 4, 2, 2, 0, 0 },
    };

    public static TheoryData<int> TShapeIndices()
    {
        var d = new TheoryData<int>();
        for (int i = 0; i < TShapes.Length; i++) d.Add(i);
        return d;
    }

    private static ConvTransposeShape MakeTShape(int[] a) => new(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]);

    [Theory]
    [MemberData(nameof(TShapeIndices))]
    public void ConvTransposeMatchesReferenceAndIsBitIdentical(int shapeIndex)
    {
        var s = MakeTShape(TShapes[shapeIndex]);
        var a = s.Adjoint;
        Assert.Equal(s.InHeight, a.OutHeight);
        Assert.Equal(s.InWidth, a.OutWidth);
        var act = shapeIndex % 2 == 0 ? Activation.Sigmoid : Activation.Relu;
        foreach (int rows in RowCounts)
        {
            var rnd = new Random(shapeIndex * 31 + rows);
            var x = GemmTestUtil.Padded(rows, s.InFeatures, rnd);
            var gy = GemmTestUtil.Padded(rows, s.OutFeatures, rnd);
            var w = ConvRef.RandomVector(s.WeightLength, rnd);
            var b = ConvRef.RandomVector(s.OutChannels, rnd);
            var (pre, mag) = ConvRef.TransposeForward(GemmTestUtil.View(x), w, b, s);
            // Its backward passes are the adjoint convolution's forward pass and weight gradient (with roles swapped).
            var (gxRef, gxMag) = ConvRef.Forward(GemmTestUtil.View(gy), w, null, a);
            var (gwRef, gwMag, _, _) = ConvRef.BackwardWeight(GemmTestUtil.View(x), GemmTestUtil.View(gy), a);
            foreach (int target in new[] { 0, 1 })
            {
                using var chunks = new ConvRef.ChunkScope(target);
                ConvOut? first = null;
                foreach (var width in GemmTestUtil.Widths)
                    foreach (var pool in Pools)
                    {
                        var scratch = new float[ConvTranspose2d.ScratchFloats(s, rows, pool.Threads)];
                        var y = GemmTestUtil.Padded(rows, s.OutFeatures, new Random(3));
                        var gx = GemmTestUtil.Padded(rows, s.InFeatures, new Random(4));
                        var gw = new float[s.WeightLength];
                        var gb = new float[s.OutChannels];
                        using (GemmTestUtil.Width(width))
                        {
                            ConvTranspose2d.Forward(GemmTestUtil.View(x), w, b, GemmTestUtil.View(y), s, act, 0.2f, scratch, pool);
                            ConvTranspose2d.BackwardData(GemmTestUtil.View(gy), w, GemmTestUtil.View(gx), s, scratch, pool);
                            ConvTranspose2d.BackwardWeight(GemmTestUtil.View(gy), GemmTestUtil.View(x), gw, gb, s, scratch, pool);
                        }
                        GemmTestUtil.AssertGuardsIntact(y);
                        GemmTestUtil.AssertGuardsIntact(gx);
                        var got = new ConvOut(y, gx, gw, gb);
                        string what = $"{s} rows={rows} chunkTarget={target} {width} threads={pool.Threads}";
                        if (first is null)
                        {
                            first = got;
                            var yv = GemmTestUtil.View(y);
                            var gxv = GemmTestUtil.View(gx);
                            for (int n = 0; n < rows; n++)
                            {
                                for (int j = 0; j < s.OutFeatures; j++)
                                    ConvRef.Near(GemmTestUtil.ActivationRef(act, pre[n, j], 0.2), mag[n, j], s.WeightLength, yv[n, j], $"y[{n},{j}] {what}");
                                for (int j = 0; j < s.InFeatures; j++)
                                    ConvRef.Near(gxRef[n, j], gxMag[n, j], a.PatchLength, gxv[n, j], $"gx[{n},{j}] {what}");
                            }
                            for (int q = 0; q < s.WeightLength; q++)
                                ConvRef.Near(gwRef[q], gwMag[q], (long)rows * a.OutPixels, gw[q], $"gW[{q}] {what}");
                            var gyv = GemmTestUtil.View(gy);
                            int opx = s.OutHeight * s.OutWidth;
                            for (int co = 0; co < s.OutChannels; co++)
                            {
                                double sum = 0, m = 0;
                                for (int n = 0; n < rows; n++)
                                    for (int p = 0; p < opx; p++)
                                    {
                                        sum += gyv[n, co * opx + p];
                                        m += Math.Abs(gyv[n, co * opx + p]);
                                    }
                                ConvRef.Near(sum, m, (long)rows * opx, gb[co], $"gb[{co}] {what}");
                            }
                        }
                        else
                        {
                            GemmTestUtil.AssertBitsEqual(GemmTestUtil.View(first.Y), GemmTestUtil.View(y), $"y {what}");
                            GemmTestUtil.AssertBitsEqual(GemmTestUtil.View(first.Gx), GemmTestUtil.View(gx), $"gx {what}");
                            ConvRef.AssertBitsEqual(first.Gw, gw, $"gW {what}");
                            ConvRef.AssertBitsEqual(first.Gb, gb, $"gb {what}");
                        }
                    }
            }
        }
    }

    [Theory]
    [MemberData(nameof(TShapeIndices))]
    public void ConvTransposeIsTheAdjointOfConv(int shapeIndex)
    {
        // ⟨conv(u), v⟩ = ⟨u, convT(v)⟩ for the convolution and the transposed convolution sharing one weight tensor.
        var t = MakeTShape(TShapes[shapeIndex]);
        var c = t.Adjoint;
        const int rows = 3;
        var rnd = new Random(shapeIndex + 1000);
        var u = GemmTestUtil.View(GemmTestUtil.Padded(rows, c.InFeatures, rnd));
        var v = GemmTestUtil.View(GemmTestUtil.Padded(rows, c.OutFeatures, rnd));
        var w = ConvRef.RandomVector(c.WeightLength, rnd);
        var scratch = new float[Conv2d.ScratchFloats(c, rows, 2)];
        var cu = new float[rows, c.OutFeatures];
        var tv = new float[rows, c.InFeatures];
        Conv2d.Forward(u, w, ReadOnlySpan<float>.Empty, cu, c, Activation.Identity, 0.2f, scratch, _pool2);
        ConvTranspose2d.Forward(v, w, ReadOnlySpan<float>.Empty, tv, t, Activation.Identity, 0.2f, scratch, _pool2);
        double lhs = 0, rhs = 0, mag = 0;
        for (int n = 0; n < rows; n++)
        {
            for (int j = 0; j < c.OutFeatures; j++) { lhs += (double)cu[n, j] * v[n, j]; mag += Math.Abs((double)cu[n, j] * v[n, j]); }
            for (int j = 0; j < c.InFeatures; j++) rhs += (double)u[n, j] * tv[n, j];
        }
        Assert.True(Math.Abs(lhs - rhs) <= 1e-5 * (1 + mag), $"⟨conv(u), v⟩ = {lhs:R} but ⟨u, convT(v)⟩ = {rhs:R} for {t}");
    }

    // ------------------------------------------------------------------------------------ allocations and arguments

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void SteadyStateCallsAllocateNothing(int threads)
    {
        using var pool = new WorkerPool(threads);
        var s = new ConvShape(8, 14, 14, 16, 4, 2, 1);
        var t = new ConvTransposeShape(16, 7, 7, 8, 4, 2, 1);
        const int rows = 9;
        var rnd = new Random(5);
        var x = new float[rows, s.InFeatures];
        var y = new float[rows, s.OutFeatures];
        var gx = new float[rows, s.InFeatures];
        var w = ConvRef.RandomVector(s.WeightLength, rnd);
        var b = ConvRef.RandomVector(s.OutChannels, rnd);
        var tb = ConvRef.RandomVector(t.OutChannels, rnd);
        var gw = new float[s.WeightLength];
        var gb = new float[s.OutChannels];
        var tgb = new float[t.OutChannels];
        var scratch = new float[Math.Max(Conv2d.ScratchFloats(s, rows, threads), ConvTranspose2d.ScratchFloats(t, rows, threads))];
        void Run()
        {
            Conv2d.Forward(x, w, b, y, s, Activation.Relu, 0.2f, scratch, pool);
            Conv2d.ActivationBackward(y, y, Activation.Relu, 0.2f, s.OutChannels, gb, false, pool);
            Conv2d.BackwardData(y, w, gx, s, scratch, pool);
            Conv2d.BackwardWeight(y, x, gw, gb, s, scratch, pool);
            ConvTranspose2d.Forward(y, w, tb, gx, t, Activation.Tanh, 0.2f, scratch, pool);
            ConvTranspose2d.BackwardData(gx, w, y, t, scratch, pool);
            ConvTranspose2d.BackwardWeight(gx, y, gw, tgb, t, scratch, pool, accumulate: true);
        }
        for (int round = 0; round < 2; round++)
        {
            for (int i = 0; i < 35; i++) Run();
            Thread.Sleep(200);   // past tiered compilation's background recompiles
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 3; i++) Run();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void BadShapesAndSmallScratchThrowArgumentExceptionsNamingTheNumbers()
    {
        var e = Assert.Throws<ArgumentException>(() => new ConvShape(3, 2, 2, 4, 5, 1, 1));
        Assert.Contains("5", e.Message);
        Assert.Contains("2×2", e.Message);
        e = Assert.Throws<ArgumentException>(() => new ConvShape(0, 5, 5, 4, 3));
        Assert.Contains("0×5×5", e.Message);
        e = Assert.Throws<ArgumentException>(() => new ConvShape(1, 5, 5, 4, 3, 0));
        Assert.Contains("stride 0", e.Message);
        e = Assert.Throws<ArgumentException>(() => new ConvTransposeShape(2, 3, 3, 2, 3, 2, 0, 2));
        Assert.Contains("output padding 2", e.Message);
        e = Assert.Throws<ArgumentException>(() => new ConvTransposeShape(2, 1, 1, 2, 1, 1, 1));
        Assert.Contains("-1×-1", e.Message);

        var s = new ConvShape(2, 5, 5, 3, 3, 1, 1);   // 50 → 75 features per row, 54 weights
        var x = new float[4, s.InFeatures];
        var y = new float[4, s.OutFeatures];
        var w = new float[s.WeightLength];
        int need = Conv2d.ScratchFloats(s, 4, 2);
        var scratch = new float[need];
        e = Assert.Throws<ArgumentException>(() => Conv2d.Forward(x, w, default, new float[4, 74], s, Activation.Identity, 0.2f, scratch, _pool2));
        Assert.Contains("74", e.Message);
        Assert.Contains("75", e.Message);
        e = Assert.Throws<ArgumentException>(() => Conv2d.Forward(x, new float[53], default, y, s, Activation.Identity, 0.2f, scratch, _pool2));
        Assert.Contains("53", e.Message);
        Assert.Contains("54", e.Message);
        e = Assert.Throws<ArgumentException>(() => Conv2d.Forward(x, w, new float[2], y, s, Activation.Identity, 0.2f, scratch, _pool2));
        Assert.Equal("bias", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => Conv2d.Forward(x, w, default, new float[3, s.OutFeatures], s, Activation.Identity, 0.2f, scratch, _pool2));
        Assert.Contains("4 rows", e.Message);
        e = Assert.Throws<ArgumentException>(() => Conv2d.Forward(x, w, default, y, s, Activation.Identity, 0.2f, new float[need - 1], _pool2));
        Assert.Contains($"{need - 1}", e.Message);
        Assert.Contains($"{need}", e.Message);
        Assert.Equal("scratch", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => Conv2d.BackwardData(y, w, new float[4, 49], s, scratch, _pool2));
        Assert.Contains("49", e.Message);
        e = Assert.Throws<ArgumentException>(() => Conv2d.BackwardWeight(y, x, new float[54], new float[4], s, scratch, _pool2));
        Assert.Equal("gBias", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => Conv2d.Forward(x, w, default, y, default, Activation.Identity, 0.2f, scratch, _pool2));
        Assert.Contains("default", e.Message);
        e = Assert.Throws<ArgumentException>(() => Conv2d.ChannelSums(y, 4, new float[4], false, _pool2));
        Assert.Contains("75", e.Message);
        var t = new ConvTransposeShape(3, 5, 5, 2, 3, 1, 1);
        e = Assert.Throws<ArgumentException>(() => ConvTranspose2d.Forward(y, w, default, new float[4, 51], t, Activation.Identity, 0.2f, scratch, _pool2));
        Assert.Contains("51", e.Message);
        Assert.Contains("ConvT 3×5×5 → 2×5×5", e.Message);
        e = Assert.Throws<ArgumentException>(() => ConvTranspose2d.BackwardWeight(new float[4, 50], new float[4, 75], new float[54], new float[3], t, scratch, _pool2));
        Assert.Equal("gBias", e.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => Conv2d.Forward(x, w, default, y, s, Activation.LeakyRelu, -1f, scratch, _pool2));
    }
}
