using CommunityToolkit.HighPerformance;
using GenDsl.Numerics;

namespace GenDsl.Runtime.Tests;

/// <summary>
/// The whole-batch coupling kernels against naive double-precision loops, on awkward row counts and
/// transformed widths, pitched views (with guard cells), every SIMD width (bit-identical), plus
/// allocation and argument checks.
/// </summary>
public class CouplingKernelsTests
{
    private static readonly int[] RowCounts = { 1, 3, 17, 63, 65, 257 };
    private static readonly int[] TransformedWidths = { 1, 2, 3, 17 };

    /// <summary>A transformed-column table for d features out of D = 2d + 1 (every other feature, so it is not contiguous).</summary>
    private static int[] Columns(int d) => Enumerable.Range(0, d).Select(j => 2 * j + 1).ToArray();

    private static float[] RandomVector(int n, Random rnd, float lo, float hi) =>
        Enumerable.Range(0, n).Select(_ => (float)(lo + (hi - lo) * rnd.NextDouble())).ToArray();

    /// <summary>The inputs of one coupling: u (rows × D, pitched), raw and m (rows × d, pitched), scale.</summary>
    private sealed class Case
    {
        public int Rows, D, Dt;
        public int[] Cols = null!;
        public float[,] U = null!, Raw = null!, M = null!, Gv = null!;
        public float[] Scale = null!, LogDet0 = null!;

        public static Case Make(int rows, int d, int seed)
        {
            var rnd = new Random(seed);
            var c = new Case { Rows = rows, Dt = d, D = 2 * d + 1, Cols = Columns(d) };
            c.U = GemmTestUtil.Padded(rows, c.D, rnd);
            c.Gv = GemmTestUtil.Padded(rows, c.D, rnd);
            c.Raw = GemmTestUtil.Padded(rows, d, rnd);
            c.M = GemmTestUtil.Padded(rows, d, rnd);
            // Make raw span a wide range so tanh saturates for some elements.
            var raw = GemmTestUtil.View(c.Raw);
            for (int r = 0; r < rows; r++)
                for (int j = 0; j < d; j++)
                    raw[r, j] *= 3f;
            c.Scale = RandomVector(d, rnd, 0.2f, 1.5f);
            c.LogDet0 = RandomVector(rows, rnd, -1f, 1f);
            return c;
        }
    }

    private static double Tol(double expected, double mag = 0) => 1e-5 * (1 + Math.Abs(expected) + mag);

    private static void Near(double expected, float got, string what, double mag = 0)
    {
        if (!(Math.Abs(got - expected) <= Tol(expected, mag)))
            Assert.Fail($"{what}: got {got:R}, expected {expected:R}.");
    }

    // ----------------------------------------------------------------------------- affine forward / inverse

    private static (float[,] V, float[] LogDet) RunForward(Case c)
    {
        var vStore = GemmTestUtil.Padded(c.Rows, c.D, new Random(99));
        var logDet = (float[])c.LogDet0.Clone();
        CouplingKernels.AffineForward(GemmTestUtil.View(c.U), c.Cols, GemmTestUtil.View(c.Raw), GemmTestUtil.View(c.M), c.Scale, GemmTestUtil.View(vStore), logDet);
        return (vStore, logDet);
    }

    [Fact]
    public void AffineForwardMatchesReferenceAndIsBitIdenticalAcrossWidths()
    {
        foreach (int rows in RowCounts)
            foreach (int d in TransformedWidths)
            {
                var c = Case.Make(rows, d, rows * 31 + d);
                (float[,] V, float[] LogDet)? first = null;
                foreach (var width in GemmTestUtil.Widths)
                {
                    (float[,] V, float[] LogDet) got;
                    using (GemmTestUtil.Width(width))
                        got = RunForward(c);
                    GemmTestUtil.AssertGuardsIntact(got.V);
                    var u = GemmTestUtil.View(c.U); var raw = GemmTestUtil.View(c.Raw); var m = GemmTestUtil.View(c.M);
                    var v = GemmTestUtil.View(got.V);
                    var vBefore = GemmTestUtil.View(GemmTestUtil.Padded(rows, c.D, new Random(99)));
                    for (int r = 0; r < rows; r++)
                    {
                        double sumS = 0;
                        for (int j = 0; j < d; j++)
                        {
                            double s = c.Scale[j] * Math.Tanh(raw[r, j]);
                            sumS += s;
                            Near((u[r, c.Cols[j]] - m[r, j]) * Math.Exp(-s), v[r, c.Cols[j]], $"v[{r},{c.Cols[j]}] rows={rows} d={d} {width}");
                        }
                        Near(c.LogDet0[r] - sumS, got.LogDet[r], $"logDet[{r}] rows={rows} d={d} {width}", d);
                        for (int k = 0; k < c.D; k++)
                            if (!c.Cols.Contains(k))
                                Assert.Equal(vBefore[r, k], v[r, k]); // kept columns are not touched
                    }
                    if (first is null)
                        first = got;
                    else
                    {
                        GemmTestUtil.AssertBitsEqual(GemmTestUtil.View(first.Value.V), v, $"v {width} rows={rows} d={d}");
                        AssertBitsEqual(first.Value.LogDet, got.LogDet, $"logDet {width} rows={rows} d={d}");
                    }
                }
            }
    }

    [Fact]
    public void AffineInverseUndoesForwardAndMatchesReference()
    {
        foreach (int rows in RowCounts)
            foreach (int d in TransformedWidths)
            {
                var c = Case.Make(rows, d, rows * 17 + d);
                var (vStore, _) = RunForward(c);
                float[,]? first = null;
                foreach (var width in GemmTestUtil.Widths)
                {
                    var uStore = GemmTestUtil.Padded(rows, c.D, new Random(5));
                    using (GemmTestUtil.Width(width))
                        CouplingKernels.AffineInverse(GemmTestUtil.View(vStore), c.Cols, GemmTestUtil.View(c.Raw), GemmTestUtil.View(c.M), c.Scale, GemmTestUtil.View(uStore));
                    GemmTestUtil.AssertGuardsIntact(uStore);
                    var u = GemmTestUtil.View(uStore); var u0 = GemmTestUtil.View(c.U); var v = GemmTestUtil.View(vStore);
                    var raw = GemmTestUtil.View(c.Raw); var m = GemmTestUtil.View(c.M);
                    for (int r = 0; r < rows; r++)
                        for (int j = 0; j < d; j++)
                        {
                            int col = c.Cols[j];
                            double expected = v[r, col] * Math.Exp(c.Scale[j] * Math.Tanh(raw[r, j])) + m[r, j];
                            Near(expected, u[r, col], $"u[{r},{col}] rows={rows} d={d} {width}");
                            Near(u0[r, col], u[r, col], $"round trip u[{r},{col}]", Math.Abs(m[r, j]));
                        }
                    if (first is null) first = uStore;
                    else GemmTestUtil.AssertBitsEqual(GemmTestUtil.View(first), u, $"u {width} rows={rows} d={d}");
                }
            }
    }

    // ----------------------------------------------------------------------------- affine backward

    [Fact]
    public void AffineBackwardMatchesReferenceAndIsBitIdenticalAcrossWidths()
    {
        foreach (int rows in RowCounts)
            foreach (int d in TransformedWidths)
            {
                var c = Case.Make(rows, d, rows * 13 + d);
                var (vStore, _) = RunForward(c);
                float invRows = 1f / rows;
                float[,]? firstGu = null, firstGRaw = null, firstGM = null;
                float[]? firstGScale = null;
                foreach (var width in GemmTestUtil.Widths)
                {
                    var guStore = GemmTestUtil.Padded(rows, c.D, new Random(1));
                    var gRawStore = GemmTestUtil.Padded(rows, d, new Random(2));
                    var gMStore = GemmTestUtil.Padded(rows, d, new Random(3));
                    var gScale = Enumerable.Repeat(777f, d).ToArray(); // overwritten, not accumulated
                    using (GemmTestUtil.Width(width))
                        CouplingKernels.AffineBackward(GemmTestUtil.View(c.Gv), GemmTestUtil.View(vStore), c.Cols, GemmTestUtil.View(c.Raw), c.Scale, invRows,
                            GemmTestUtil.View(guStore), GemmTestUtil.View(gRawStore), GemmTestUtil.View(gMStore), gScale);
                    GemmTestUtil.AssertGuardsIntact(guStore);
                    GemmTestUtil.AssertGuardsIntact(gRawStore);
                    GemmTestUtil.AssertGuardsIntact(gMStore);

                    var gv = GemmTestUtil.View(c.Gv); var v = GemmTestUtil.View(vStore); var raw = GemmTestUtil.View(c.Raw);
                    var gu = GemmTestUtil.View(guStore); var gRaw = GemmTestUtil.View(gRawStore); var gM = GemmTestUtil.View(gMStore);
                    for (int j = 0; j < d; j++)
                    {
                        int col = c.Cols[j];
                        double sumScale = 0, mag = 0;
                        for (int r = 0; r < rows; r++)
                        {
                            double t = Math.Tanh(raw[r, j]);
                            double e = Math.Exp(-c.Scale[j] * t);
                            double g = gv[r, col];
                            double gs = invRows - g * v[r, col];
                            Near(g * e, gu[r, col], $"gu[{r},{col}] {width}");
                            Near(-g * e, gM[r, j], $"gM[{r},{j}] {width}");
                            Near(gs * c.Scale[j] * (1 - t * t), gRaw[r, j], $"gRaw[{r},{j}] {width}");
                            sumScale += gs * t;
                            mag += Math.Abs(gs * t);
                        }
                        Near(sumScale, gScale[j], $"gScale[{j}] rows={rows} d={d} {width}", mag);
                    }
                    if (firstGu is null)
                    {
                        firstGu = guStore; firstGRaw = gRawStore; firstGM = gMStore; firstGScale = gScale;
                    }
                    else
                    {
                        GemmTestUtil.AssertBitsEqual(GemmTestUtil.View(firstGu), gu, $"gu {width}");
                        GemmTestUtil.AssertBitsEqual(GemmTestUtil.View(firstGRaw!), gRaw, $"gRaw {width}");
                        GemmTestUtil.AssertBitsEqual(GemmTestUtil.View(firstGM!), gM, $"gM {width}");
                        AssertBitsEqual(firstGScale!, gScale, $"gScale {width} rows={rows} d={d}");
                    }
                }
            }
    }

    /// <summary>The backward pass is the derivative of the forward pass: a finite-difference check of
    /// L = Σ w·v_T − (1/B)·Σ logDet against the kernel's gradients, in double, on a few elements.</summary>
    [Fact]
    public void AffineBackwardIsTheDerivativeOfForward()
    {
        const int rows = 5, d = 2;
        var c = Case.Make(rows, d, 4242);
        var (vStore, _) = RunForward(c);
        float invRows = 1f / rows;
        var gu = new float[rows, c.D]; var gRaw = new float[rows, d]; var gM = new float[rows, d]; var gScale = new float[d];
        CouplingKernels.AffineBackward(GemmTestUtil.View(c.Gv), GemmTestUtil.View(vStore), c.Cols, GemmTestUtil.View(c.Raw), c.Scale, invRows,
            gu, gRaw, gM, gScale);
        var gv = ToArray(GemmTestUtil.View(c.Gv));
        double Loss(Func<int, int, double> uT, Func<int, int, double> rawF, Func<int, int, double> mF, Func<int, double> scF)
        {
            double l = 0;
            for (int r = 0; r < rows; r++)
                for (int j = 0; j < d; j++)
                {
                    double s = scF(j) * Math.Tanh(rawF(r, j));
                    l += gv[r, c.Cols[j]] * (uT(r, j) - mF(r, j)) * Math.Exp(-s) + invRows * s; // −(1/B)·logDet, logDet = −Σ s
                }
            return l;
        }
        var u = ToArray(GemmTestUtil.View(c.U)); var raw = ToArray(GemmTestUtil.View(c.Raw)); var m = ToArray(GemmTestUtil.View(c.M));
        const double h = 1e-6;
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < d; j++)
            {
                int rr = r, jj = j;
                double Fd(Func<double, double> f) => (f(h) - f(-h)) / (2 * h);
                double dU = Fd(e => Loss((a, b) => u[a, c.Cols[b]] + (a == rr && b == jj ? e : 0), (a, b) => raw[a, b], (a, b) => m[a, b], b => c.Scale[b]));
                double dRaw = Fd(e => Loss((a, b) => u[a, c.Cols[b]], (a, b) => raw[a, b] + (a == rr && b == jj ? e : 0), (a, b) => m[a, b], b => c.Scale[b]));
                double dM = Fd(e => Loss((a, b) => u[a, c.Cols[b]], (a, b) => raw[a, b], (a, b) => m[a, b] + (a == rr && b == jj ? e : 0), b => c.Scale[b]));
                Assert.InRange(gu[r, c.Cols[j]] - dU, -1e-4, 1e-4);
                Assert.InRange(gRaw[r, j] - dRaw, -1e-4, 1e-4);
                Assert.InRange(gM[r, j] - dM, -1e-4, 1e-4);
            }
        for (int j = 0; j < d; j++)
        {
            int jj = j;
            double dS = (Loss((a, b) => u[a, c.Cols[b]], (a, b) => raw[a, b], (a, b) => m[a, b], b => c.Scale[b] + (b == jj ? h : 0))
                       - Loss((a, b) => u[a, c.Cols[b]], (a, b) => raw[a, b], (a, b) => m[a, b], b => c.Scale[b] - (b == jj ? h : 0))) / (2 * h);
            Assert.InRange(gScale[j] - dS, -1e-4, 1e-4);
        }
    }

    // ----------------------------------------------------------------------------- additive, gather, add

    [Fact]
    public void AdditiveKernelsGatherAndAddMatchNaiveLoops()
    {
        foreach (int rows in RowCounts)
            foreach (int d in TransformedWidths)
            {
                var c = Case.Make(rows, d, rows + 7 * d);
                var u = GemmTestUtil.View(c.U); var m = GemmTestUtil.View(c.M); var gvV = GemmTestUtil.View(c.Gv);

                var vStore = GemmTestUtil.Padded(rows, c.D, new Random(8));
                var vInit = (float[,])vStore.Clone();
                CouplingKernels.AdditiveForward(u, c.Cols, m, GemmTestUtil.View(vStore));
                var uBack = GemmTestUtil.Padded(rows, c.D, new Random(9));
                var uInit = (float[,])uBack.Clone();
                CouplingKernels.AdditiveInverse(GemmTestUtil.View(vStore), c.Cols, m, GemmTestUtil.View(uBack));
                var gMStore = GemmTestUtil.Padded(rows, d, new Random(10));
                CouplingKernels.AdditiveBackward(gvV, c.Cols, GemmTestUtil.View(gMStore));
                var gathered = GemmTestUtil.Padded(rows, d, new Random(11));
                CouplingKernels.GatherColumns(u, c.Cols, GemmTestUtil.View(gathered));
                var added = (float[,])c.Gv.Clone();
                CouplingKernels.AddToColumns(m, GemmTestUtil.View(added), c.Cols);

                foreach (var s in new[] { vStore, uBack, gMStore, gathered, added })
                    GemmTestUtil.AssertGuardsIntact(s);
                var v = GemmTestUtil.View(vStore); var ub = GemmTestUtil.View(uBack); var gM = GemmTestUtil.View(gMStore);
                var ga = GemmTestUtil.View(gathered); var ad = GemmTestUtil.View(added);
                var v0 = GemmTestUtil.View(vInit); var ub0 = GemmTestUtil.View(uInit);
                for (int r = 0; r < rows; r++)
                {
                    for (int j = 0; j < d; j++)
                    {
                        int col = c.Cols[j];
                        Assert.Equal((float)((double)u[r, col] - m[r, j]), v[r, col]);
                        Near(u[r, col], ub[r, col], "additive round trip", Math.Abs(m[r, j]));
                        Assert.Equal(-gvV[r, col], gM[r, j]);
                        Assert.Equal(u[r, col], ga[r, j]);
                        Assert.Equal((float)((double)gvV[r, col] + m[r, j]), ad[r, col]);
                    }
                    for (int k = 0; k < c.D; k++)
                        if (!c.Cols.Contains(k))
                        {
                            Assert.Equal(v0[r, k], v[r, k]);
                            Assert.Equal(ub0[r, k], ub[r, k]);
                            Assert.Equal(gvV[r, k], ad[r, k]);
                        }
                }
            }
    }

    // ----------------------------------------------------------------------------- small-input dense

    public static IEnumerable<object[]> Activations() =>
        Enum.GetValues<Activation>().Select(a => new object[] { a });

    [Theory]
    [MemberData(nameof(Activations))]
    public void DenseSmallInputMatchesReferenceAndIsBitIdenticalAcrossWidths(Activation act)
    {
        foreach (int rows in new[] { 1, 3, 17, 65 })
            foreach (int k in new[] { 1, 2, 3, 4 })
                foreach (int outs in new[] { 1, 3, 17, 64, 65, 257 })
                {
                    var rnd = new Random(rows * 1000 + k * 100 + outs);
                    var x = GemmTestUtil.Padded(rows, k, rnd);
                    var w = RandomVector(outs * k, rnd, -2f, 2f);
                    var b = RandomVector(outs, rnd, -1f, 1f);
                    float[,]? first = null;
                    foreach (var width in GemmTestUtil.Widths)
                    {
                        var y = GemmTestUtil.Padded(rows, outs, new Random(3));
                        using (GemmTestUtil.Width(width))
                            CouplingKernels.DenseSmallInput(GemmTestUtil.View(x), w, b, act, GemmTestUtil.View(y));
                        GemmTestUtil.AssertGuardsIntact(y);
                        var xv = GemmTestUtil.View(x); var yv = GemmTestUtil.View(y);
                        for (int r = 0; r < rows; r++)
                            for (int j = 0; j < outs; j++)
                            {
                                double pre = b[j], mag = Math.Abs(b[j]);
                                for (int i = 0; i < k; i++) { pre += (double)w[j * k + i] * xv[r, i]; mag += Math.Abs((double)w[j * k + i] * xv[r, i]); }
                                double expected = GemmTestUtil.ActivationRef(act, pre, 0.2);
                                Near(expected, yv[r, j], $"{act} y[{r},{j}] rows={rows} k={k} out={outs} {width}", mag);
                            }
                        if (first is null) first = y;
                        else GemmTestUtil.AssertBitsEqual(GemmTestUtil.View(first), yv, $"{act} {width} rows={rows} k={k} out={outs}");
                    }
                }
    }

    // ----------------------------------------------------------------------------- allocation, arguments

    [Fact]
    public void KernelsAllocateNothing()
    {
        const int rows = 512, d = 1, D = 2;
        var u = new float[rows, D]; var v = new float[rows, D]; var gv = new float[rows, D]; var gu = new float[rows, D];
        var o = new float[rows, 2 * d]; var go = new float[rows, 2 * d];
        var h = new float[rows, 64]; var w = new float[64]; var b = new float[64];
        var logDet = new float[rows]; var scale = new float[] { 1f }; var gScale = new float[d];
        int[] cols = { 1 }, kept = { 0 };
        void Run()
        {
            var u2 = new Span2D<float>(u); var v2 = new Span2D<float>(v); var o2 = new Span2D<float>(o); var go2 = new Span2D<float>(go);
            CouplingKernels.AffineForward(u2, cols, o2.Slice(0, 0, rows, d), o2.Slice(0, d, rows, d), scale, v2, logDet);
            CouplingKernels.AffineInverse(v2, cols, o2.Slice(0, 0, rows, d), o2.Slice(0, d, rows, d), scale, u2);
            CouplingKernels.AffineBackward(gv, v2, cols, o2.Slice(0, 0, rows, d), scale, 1f / rows, gu, go2.Slice(0, 0, rows, d), go2.Slice(0, d, rows, d), gScale);
            CouplingKernels.AdditiveForward(u2, cols, o2.Slice(0, 0, rows, d), v2);
            CouplingKernels.AdditiveInverse(v2, cols, o2.Slice(0, 0, rows, d), u2);
            CouplingKernels.AdditiveBackward(gv, cols, go2.Slice(0, 0, rows, d));
            CouplingKernels.GatherColumns(u2, kept, o2.Slice(0, 0, rows, 1));
            CouplingKernels.AddToColumns(o2.Slice(0, 0, rows, 1), gu, kept);
            CouplingKernels.DenseSmallInput(o2.Slice(0, 0, rows, 1), w, b, Activation.Relu, h);
        }
        for (int i = 0; i < 3; i++) Run(); // warm up (and past tiered compilation's first tier)
        long before = GC.GetAllocatedBytesForCurrentThread();
        Run();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void BadShapesThrowArgumentExceptionsNamingTheParameter()
    {
        var u = new float[4, 3]; var v = new float[4, 3]; var vShort = new float[3, 3];
        var raw = new float[4, 1]; var rawWide = new float[4, 2]; var logDet = new float[4];
        float[] scale = { 1f };
        int[] cols = { 1 }, badCols = { 3 };

        var e = Assert.Throws<ArgumentException>(() => CouplingKernels.AffineForward(u, cols, raw, raw, scale, vShort, logDet));
        Assert.Equal("v", e.ParamName); Assert.Contains("3×3", e.Message); Assert.Contains("4×3", e.Message);
        e = Assert.Throws<ArgumentException>(() => CouplingKernels.AffineForward(u, badCols, raw, raw, scale, v, logDet));
        Assert.Equal("columns", e.ParamName); Assert.Contains("0…2", e.Message);
        e = Assert.Throws<ArgumentException>(() => CouplingKernels.AffineForward(u, cols, rawWide, raw, scale, v, logDet));
        Assert.Equal("raw", e.ParamName); Assert.Contains("4×2", e.Message); Assert.Contains("4×1", e.Message);
        e = Assert.Throws<ArgumentException>(() => CouplingKernels.AffineForward(u, cols, raw, raw, new float[2], v, logDet));
        Assert.Equal("scale", e.ParamName); Assert.Contains("2", e.Message);
        e = Assert.Throws<ArgumentException>(() => CouplingKernels.AffineForward(u, cols, raw, raw, scale, v, new float[5]));
        Assert.Equal("logDet", e.ParamName); Assert.Contains("5", e.Message); Assert.Contains("4", e.Message);
        e = Assert.Throws<ArgumentException>(() => CouplingKernels.AffineInverse(v, cols, raw, rawWide, scale, u));
        Assert.Equal("m", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => CouplingKernels.AffineBackward(u, vShort, cols, raw, scale, 0.25f, v, raw, raw, new float[1]));
        Assert.Equal("v", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => CouplingKernels.AffineBackward(u, v, cols, raw, scale, 0.25f, v, raw, raw, new float[3]));
        Assert.Equal("gScale", e.ParamName); Assert.Contains("3", e.Message);
        e = Assert.Throws<ArgumentException>(() => CouplingKernels.AdditiveBackward(u, cols, rawWide));
        Assert.Equal("gM", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => CouplingKernels.GatherColumns(u, badCols, raw));
        Assert.Equal("columns", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => CouplingKernels.AddToColumns(rawWide, v, cols));
        Assert.Equal("source", e.ParamName);

        var x5 = new float[4, 5]; var h = new float[4, 8];
        e = Assert.Throws<ArgumentException>(() => CouplingKernels.DenseSmallInput(x5, new float[40], new float[8], Activation.Relu, h));
        Assert.Equal("x", e.ParamName); Assert.Contains("5", e.Message); Assert.Contains("Gemm", e.Message);
        var x2 = new float[4, 2];
        e = Assert.Throws<ArgumentException>(() => CouplingKernels.DenseSmallInput(x2, new float[15], new float[8], Activation.Relu, h));
        Assert.Equal("weights", e.ParamName); Assert.Contains("15", e.Message); Assert.Contains("16", e.Message);
        e = Assert.Throws<ArgumentException>(() => CouplingKernels.DenseSmallInput(x2, new float[16], new float[7], Activation.Relu, h));
        Assert.Equal("bias", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => CouplingKernels.DenseSmallInput(x2, new float[16], new float[8], Activation.Relu, new float[3, 8]));
        Assert.Equal("y", e.ParamName);
    }

    private static double[,] ToArray(Span2D<float> x)
    {
        var a = new double[x.Height, x.Width];
        for (int i = 0; i < x.Height; i++)
            for (int j = 0; j < x.Width; j++)
                a[i, j] = x[i, j];
        return a;
    }

    private static void AssertBitsEqual(float[] expected, float[] actual, string what)
    {
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{what}: element {i} differs: {expected[i]:R} vs {actual[i]:R}.");
    }
}
