using CommunityToolkit.HighPerformance;
using GenDsl.Numerics;
using GenDsl.Threading;

namespace GenDsl.Runtime.Tests;

/// <summary>
/// Batch-norm kernels against double-precision formulas (PyTorch semantics), finite differences, bit-identity over
/// widths and thread counts, in-place use, allocations and argument checks.
/// </summary>
public class BatchNormKernelsTests : IDisposable
{
    private readonly WorkerPool _pool1 = new(1);
    private readonly WorkerPool _pool2 = new(2);

    public void Dispose()
    {
        _pool1.Dispose();
        _pool2.Dispose();
    }

    // (rows, channels, pixels)
    public static TheoryData<int, int, int> Cases() => new()
    {
        { 3, 1, 1 }, { 2, 3, 1 }, { 17, 64, 1 }, { 1, 5, 49 }, { 3, 3, 15 }, { 17, 5, 9 }, { 4, 7, 784 }, { 17, 33, 49 },
    };

    private sealed record Stats(double[] Mean, double[] Var, int N);

    private static Stats RefStats(ReadOnlySpan2D<float> x, int channels)
    {
        int rows = x.Height, pixels = x.Width / channels, n = rows * pixels;
        var mean = new double[channels];
        var var = new double[channels];
        for (int c = 0; c < channels; c++)
        {
            double s = 0;
            for (int r = 0; r < rows; r++)
                for (int p = 0; p < pixels; p++)
                    s += x[r, c * pixels + p];
            mean[c] = s / n;
            double q = 0;
            for (int r = 0; r < rows; r++)
                for (int p = 0; p < pixels; p++)
                {
                    double d = x[r, c * pixels + p] - mean[c];
                    q += d * d;
                }
            var[c] = q / n;
        }
        return new Stats(mean, var, n);
    }

    private static void Near(double expected, float got, double tol, string what)
    {
        if (!(Math.Abs(got - expected) <= tol * (1 + Math.Abs(expected))))
            Assert.Fail($"{what}: got {got:R}, expected {expected:R}.");
    }

    private sealed record Out(float[,] Y, float[] Mean, float[] InvStd, float[] Rm, float[] Rv, float[,] Yi, float[,] Gx, float[] Gg, float[] Gb);

    private static Out Run(float[,] x, float[,] gy, int channels, float[] gamma, float[] beta, float[] rm0, float[] rv0, Activation act, WorkerPool pool)
    {
        int rows = x.GetLength(0) - 3, f = x.GetLength(1) - 5;
        var y = GemmTestUtil.Padded(rows, f, new Random(1));
        var yi = GemmTestUtil.Padded(rows, f, new Random(2));
        var gx = GemmTestUtil.Padded(rows, f, new Random(3));
        var mean = new float[channels];
        var inv = new float[channels];
        var rm = (float[])rm0.Clone();
        var rv = (float[])rv0.Clone();
        var gg = new float[channels];
        var gb = new float[channels];
        BatchNormKernels.ForwardTraining(GemmTestUtil.View(x), channels, gamma, beta, GemmTestUtil.View(y), mean, inv, rm, rv, 0.1f, 1e-5f, act, 0.2f, pool);
        BatchNormKernels.ForwardInference(GemmTestUtil.View(x), channels, gamma, beta, rm, rv, 1e-5f, GemmTestUtil.View(yi), act, 0.2f, pool);
        BatchNormKernels.Backward(GemmTestUtil.View(gy), GemmTestUtil.View(x), channels, gamma, mean, inv, GemmTestUtil.View(gx), gg, gb, false, pool);
        GemmTestUtil.AssertGuardsIntact(y);
        GemmTestUtil.AssertGuardsIntact(yi);
        GemmTestUtil.AssertGuardsIntact(gx);
        return new Out(y, mean, inv, rm, rv, yi, gx, gg, gb);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesReferenceAndIsBitIdenticalAcrossWidthsAndThreads(int rows, int channels, int pixels)
    {
        var rnd = new Random(rows * 1000 + channels * 10 + pixels);
        int f = channels * pixels;
        var x = GemmTestUtil.Padded(rows, f, rnd);
        var xv = GemmTestUtil.View(x);
        // An offset per channel, so the centred variance matters.
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < channels; c++)
                for (int p = 0; p < pixels; p++)
                    xv[r, c * pixels + p] = xv[r, c * pixels + p] * (1 + c % 3) + 3 * c;
        var gy = GemmTestUtil.Padded(rows, f, rnd);
        var gamma = ConvRef.RandomVector(channels, rnd);
        var beta = ConvRef.RandomVector(channels, rnd);
        var rm0 = ConvRef.RandomVector(channels, rnd);
        var rv0 = ConvRef.RandomVector(channels, rnd).Select(v => 1 + Math.Abs(v)).ToArray();
        var act = channels % 2 == 0 ? Activation.LeakyRelu : Activation.Identity;
        var st = RefStats(xv, channels);
        Out? first = null;
        foreach (var width in GemmTestUtil.Widths)
            foreach (var pool in new[] { _pool1, _pool2 })
            {
                Out o;
                using (GemmTestUtil.Width(width))
                    o = Run(x, gy, channels, gamma, beta, rm0, rv0, act, pool);
                string what = $"rows={rows} channels={channels} pixels={pixels} {width} threads={pool.Threads}";
                if (first is null)
                {
                    first = o;
                    var y = GemmTestUtil.View(o.Y);
                    var yi = GemmTestUtil.View(o.Yi);
                    var gx = GemmTestUtil.View(o.Gx);
                    var gyv = GemmTestUtil.View(gy);
                    for (int c = 0; c < channels; c++)
                    {
                        double inv = 1 / Math.Sqrt(st.Var[c] + 1e-5);
                        Near(st.Mean[c], o.Mean[c], 1e-6, $"mean[{c}] {what}");
                        Near(inv, o.InvStd[c], 1e-6, $"invStd[{c}] {what}");
                        double rm = 0.9 * rm0[c] + 0.1 * st.Mean[c];
                        double rv = 0.9 * rv0[c] + 0.1 * st.Var[c] * st.N / (st.N - 1);
                        Near(rm, o.Rm[c], 1e-6, $"runningMean[{c}] {what}");
                        Near(rv, o.Rv[c], 1e-6, $"runningVar[{c}] {what}");
                        double invRun = 1 / Math.Sqrt(o.Rv[c] + 1e-5);
                        // The backward pass gets the saved (float) mean and invStd: its reference uses them too.
                        double savedMean = o.Mean[c], savedInv = o.InvStd[c];
                        double sg = 0, sgx = 0;
                        for (int r = 0; r < rows; r++)
                            for (int p = 0; p < pixels; p++)
                            {
                                int j = c * pixels + p;
                                double xh = (xv[r, j] - st.Mean[c]) * inv;
                                Near(GemmTestUtil.ActivationRef(act, gamma[c] * xh + beta[c], 0.2), y[r, j], 2e-5, $"y[{r},{j}] {what}");
                                double xhi = (xv[r, j] - o.Rm[c]) * invRun;
                                Near(GemmTestUtil.ActivationRef(act, gamma[c] * xhi + beta[c], 0.2), yi[r, j], 2e-5, $"inference y[{r},{j}] {what}");
                                sg += gyv[r, j];
                                sgx += gyv[r, j] * ((xv[r, j] - savedMean) * savedInv);
                            }
                        Near(sg, o.Gb[c], 1e-5, $"gBeta[{c}] {what}");
                        Near(sgx, o.Gg[c], 1e-5, $"gGamma[{c}] {what}");
                        for (int r = 0; r < rows; r++)
                            for (int p = 0; p < pixels; p++)
                            {
                                int j = c * pixels + p;
                                double xh = (xv[r, j] - savedMean) * savedInv;
                                double expected = gamma[c] * savedInv / st.N * (st.N * gyv[r, j] - sg - xh * sgx);
                                // Cancellation in N·gy − Σgy − x̂·Σ(gy·x̂): scale the tolerance by the terms' size.
                                double scale = Math.Abs(gamma[c] * savedInv) * (Math.Abs(gyv[r, j]) + Math.Abs(sg) / st.N + Math.Abs(xh * sgx) / st.N);
                                Assert.True(Math.Abs(gx[r, j] - expected) <= 1e-5 * (scale + 1e-3),
                                    $"gx[{r},{j}] {what}: got {gx[r, j]:R}, expected {expected:R}");
                            }
                    }
                }
                else
                {
                    GemmTestUtil.AssertBitsEqual(GemmTestUtil.View(first.Y), GemmTestUtil.View(o.Y), $"y {what}");
                    GemmTestUtil.AssertBitsEqual(GemmTestUtil.View(first.Yi), GemmTestUtil.View(o.Yi), $"inference y {what}");
                    GemmTestUtil.AssertBitsEqual(GemmTestUtil.View(first.Gx), GemmTestUtil.View(o.Gx), $"gx {what}");
                    ConvRef.AssertBitsEqual(first.Mean, o.Mean, $"mean {what}");
                    ConvRef.AssertBitsEqual(first.InvStd, o.InvStd, $"invStd {what}");
                    ConvRef.AssertBitsEqual(first.Rm, o.Rm, $"runningMean {what}");
                    ConvRef.AssertBitsEqual(first.Rv, o.Rv, $"runningVar {what}");
                    ConvRef.AssertBitsEqual(first.Gg, o.Gg, $"gGamma {what}");
                    ConvRef.AssertBitsEqual(first.Gb, o.Gb, $"gBeta {what}");
                }
            }
    }

    [Theory]
    [InlineData(3, 2, 5)]
    [InlineData(5, 3, 1)]
    public void BackwardMatchesFiniteDifferences(int rows, int channels, int pixels)
    {
        var rnd = new Random(rows + channels);
        int f = channels * pixels;
        var x = GemmTestUtil.View(GemmTestUtil.Padded(rows, f, rnd));
        var rwStore = GemmTestUtil.Padded(rows, f, rnd);
        var rw = GemmTestUtil.View(rwStore);
        var gamma = ConvRef.RandomVector(channels, rnd);
        var beta = ConvRef.RandomVector(channels, rnd);
        var mean = new float[channels];
        var inv = new float[channels];
        var y = new float[rows, f];
        BatchNormKernels.ForwardTraining(x, channels, gamma, beta, y, mean, inv, default, default, pool: _pool2);
        var gx = new float[rows, f];
        var gg = new float[channels];
        var gb = new float[channels];
        BatchNormKernels.Backward(rw, x, channels, gamma, mean, inv, gx, gg, gb, pool: _pool2);

        var xs = new double[rows, f];
        for (int r = 0; r < rows; r++) for (int j = 0; j < f; j++) xs[r, j] = x[r, j];
        var gd = gamma.Select(v => (double)v).ToArray();
        var bd = beta.Select(v => (double)v).ToArray();
        double Loss()
        {
            double loss = 0;
            for (int c = 0; c < channels; c++)
            {
                double s = 0, q = 0;
                for (int r = 0; r < rows; r++) for (int p = 0; p < pixels; p++) s += xs[r, c * pixels + p];
                double m = s / (rows * pixels);
                for (int r = 0; r < rows; r++) for (int p = 0; p < pixels; p++) q += Math.Pow(xs[r, c * pixels + p] - m, 2);
                double iv = 1 / Math.Sqrt(q / (rows * pixels) + 1e-5);
                for (int r = 0; r < rows; r++)
                    for (int p = 0; p < pixels; p++)
                        loss += rwStore[r + 1, c * pixels + p + 2] * (gd[c] * (xs[r, c * pixels + p] - m) * iv + bd[c]);
            }
            return loss;
        }
        const double h = 1e-5;
        double Fd(Func<double> get, Action<double> set)
        {
            double keep = get();
            set(keep + h); double lp = Loss();
            set(keep - h); double lm = Loss();
            set(keep);
            return (lp - lm) / (2 * h);
        }
        for (int t = 0; t < 8; t++)
        {
            int r = rnd.Next(rows), j = rnd.Next(f);
            double fd = Fd(() => xs[r, j], v => xs[r, j] = v);
            Assert.True(Math.Abs(fd - gx[r, j]) <= 1e-4 * (1 + Math.Abs(fd)), $"gx[{r},{j}]: {gx[r, j]:R} vs {fd:R}");
        }
        for (int c = 0; c < channels; c++)
        {
            double fg = Fd(() => gd[c], v => gd[c] = v);
            double fb = Fd(() => bd[c], v => bd[c] = v);
            Assert.True(Math.Abs(fg - gg[c]) <= 1e-4 * (1 + Math.Abs(fg)), $"gGamma[{c}]: {gg[c]:R} vs {fg:R}");
            Assert.True(Math.Abs(fb - gb[c]) <= 1e-4 * (1 + Math.Abs(fb)), $"gBeta[{c}]: {gb[c]:R} vs {fb:R}");
        }
    }

    [Fact]
    public void InPlaceAndAffineFreeCallsMatchTheOutOfPlaceOnes()
    {
        const int rows = 5, channels = 3, pixels = 7;
        var rnd = new Random(11);
        var x = new float[rows, channels * pixels];
        for (int r = 0; r < rows; r++) for (int j = 0; j < channels * pixels; j++) x[r, j] = (float)rnd.NextDouble();
        var ones = Enumerable.Repeat(1f, channels).ToArray();
        var zeros = new float[channels];
        var mean = new float[channels];
        var inv = new float[channels];
        var y = new float[rows, channels * pixels];
        BatchNormKernels.ForwardTraining(x, channels, ones, zeros, y, mean, inv, default, default, pool: _pool2);
        var inPlace = (float[,])x.Clone();
        BatchNormKernels.ForwardTraining(inPlace, channels, default, default, inPlace, mean, inv, default, default, pool: _pool2);
        GemmTestUtil.AssertBitsEqual(y, inPlace, "in place, no affine");
        var gy = (float[,])x.Clone();
        var gx = new float[rows, channels * pixels];
        BatchNormKernels.Backward(gy, x, channels, ones, mean, inv, gx, default, default, pool: _pool2);
        BatchNormKernels.Backward(gy, x, channels, default, mean, inv, gy, default, default, pool: _pool2);
        GemmTestUtil.AssertBitsEqual(gx, gy, "backward in place, no affine");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void SteadyStateCallsAllocateNothing(int threads)
    {
        using var pool = new WorkerPool(threads);
        const int rows = 16, channels = 32, pixels = 49;
        var x = new float[rows, channels * pixels];
        var y = new float[rows, channels * pixels];
        var v = new float[8][];
        for (int i = 0; i < v.Length; i++) v[i] = Enumerable.Repeat(1f, channels).ToArray();
        x[0, 0] = 1f;
        void Run()
        {
            BatchNormKernels.ForwardTraining(x, channels, v[0], v[1], y, v[2], v[3], v[4], v[5], 0.1f, 1e-5f, Activation.Relu, 0.2f, pool);
            BatchNormKernels.ForwardInference(x, channels, v[0], v[1], v[4], v[5], 1e-5f, y, Activation.Tanh, 0.2f, pool);
            BatchNormKernels.Backward(x, x, channels, v[0], v[2], v[3], y, v[6], v[7], true, pool);
        }
        for (int round = 0; round < 2; round++)
        {
            for (int i = 0; i < 35; i++) Run();
            Thread.Sleep(200);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 3; i++) Run();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void BadArgumentsThrowArgumentExceptionsNamingTheNumbers()
    {
        var x = new float[4, 12];
        var y = new float[4, 12];
        var c3 = new float[3];
        var e = Assert.Throws<ArgumentException>(() => BatchNormKernels.ForwardTraining(x, 5, c3, c3, y, c3, c3, c3, c3));
        Assert.Contains("12", e.Message);
        Assert.Contains("5 channels", e.Message);
        e = Assert.Throws<ArgumentException>(() => BatchNormKernels.ForwardTraining(x, 3, new float[2], c3, y, c3, c3, c3, c3));
        Assert.Equal("gamma", e.ParamName);
        Assert.Contains("2 floats", e.Message);
        e = Assert.Throws<ArgumentException>(() => BatchNormKernels.ForwardTraining(x, 3, c3, c3, new float[4, 11], c3, c3, c3, c3));
        Assert.Contains("4×11", e.Message);
        e = Assert.Throws<ArgumentException>(() => BatchNormKernels.ForwardTraining(x, 3, c3, c3, y, c3, c3, c3, default));
        Assert.Equal("runningVar", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => BatchNormKernels.ForwardTraining(new float[1, 3], 3, c3, c3, new float[1, 3], c3, c3, c3, c3));
        Assert.Contains("= 1", e.Message);
        e = Assert.Throws<ArgumentException>(() => BatchNormKernels.ForwardInference(x, 3, c3, c3, new float[4], c3, 1e-5f, y));
        Assert.Equal("runningMean", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => BatchNormKernels.Backward(x, x, 3, c3, c3, c3, y, new float[2], c3));
        Assert.Equal("gGamma", e.ParamName);
    }
}
