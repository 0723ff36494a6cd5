using GenDsl.Numerics;

namespace GenDsl.Runtime.Tests;

/// <summary>The models' vectorised elementwise passes against naive double loops, identical at every width, allocation-free.</summary>
public class ModelKernelsTests
{
    private static IEnumerable<SimdWidth> Widths() =>
        new[] { SimdWidth.Scalar, SimdWidth.V128, SimdWidth.V256, SimdWidth.V512 }.Where(w => w <= Simd.Hardware);

    private static float[] Random(int n, ulong seed, float std = 1f)
    {
        var a = new float[n];
        new Rng(seed).FillNormal(a, 0f, std);
        return a;
    }

    private static T AtEveryWidth<T>(Func<T> run, Action<T, T> same)
    {
        var saved = Simd.Width;
        try
        {
            Simd.Width = SimdWidth.Scalar;
            var reference = run();
            foreach (var w in Widths())
            {
                Simd.Width = w;
                same(reference, run());
            }
            return reference;
        }
        finally
        {
            Simd.Width = saved;
        }
    }

    private static void SameBits(float[] a, float[] b)
    {
        for (int i = 0; i < a.Length; i++)
            Assert.Equal(BitConverter.SingleToInt32Bits(a[i]), BitConverter.SingleToInt32Bits(b[i]));
    }

    [Theory]
    [InlineData(1)] [InlineData(3)] [InlineData(17)] [InlineData(63)] [InlineData(65)] [InlineData(257)]
    public void AffineForwardInverseAndBackwardMatchDouble(int n)
    {
        var u = Random(n, 1); var raw = Random(n, 2); var m = Random(n, 3); var scale = Random(n, 4, 0.5f);
        var gv = Random(n, 5);
        const float invRows = 0.125f;

        var result = AtEveryWidth(() =>
        {
            var v = new float[n]; var s = new float[n];
            float sum = ModelKernels.AffineForward(u, raw, m, scale, v, s);
            var back = new float[n];
            ModelKernels.AffineInverse(v, raw, m, scale, back);
            var gu = new float[n]; var gRaw = new float[n]; var gM = new float[n]; var gScale = Enumerable.Repeat(0.5f, n).ToArray();
            ModelKernels.AffineBackward(gv, v, raw, scale, invRows, gu, gRaw, gM, gScale);
            return (v, s, sum, back, gu, gRaw, gM, gScale);
        }, (a, b) =>
        {
            SameBits(a.v, b.v); SameBits(a.back, b.back); SameBits(a.gu, b.gu); SameBits(a.gRaw, b.gRaw);
            SameBits(a.gM, b.gM); SameBits(a.gScale, b.gScale);
            Assert.Equal(BitConverter.SingleToInt32Bits(a.sum), BitConverter.SingleToInt32Bits(b.sum));
        });

        double sumRef = 0;
        for (int i = 0; i < n; i++)
        {
            double t = Math.Tanh(raw[i]), s = scale[i] * t, e = Math.Exp(-s);
            double v = (u[i] - m[i]) * e;
            sumRef += s;
            Assert.Equal(v, result.v[i], 1e-5 * Math.Max(1, Math.Abs(v)));
            Assert.Equal(u[i], result.back[i], 1e-5 * Math.Max(1, Math.Abs(u[i])));
            double g = gv[i], gs = invRows - g * v;
            Assert.Equal(g * e, result.gu[i], 1e-5 * Math.Max(1, Math.Abs(g * e)));
            Assert.Equal(-g * e, result.gM[i], 1e-5 * Math.Max(1, Math.Abs(g * e)));
            Assert.Equal(0.5 + gs * t, result.gScale[i], 1e-5 * Math.Max(1, Math.Abs(gs)));
            Assert.Equal(gs * scale[i] * (1 - t * t), result.gRaw[i], 1e-5 * Math.Max(1, Math.Abs(gs)));
        }
        Assert.Equal(sumRef, result.sum, 1e-4 * Math.Max(1, Math.Abs(sumRef)));
    }

    [Theory]
    [InlineData(1)] [InlineData(17)] [InlineData(65)] [InlineData(784)]
    public void BernoulliAndGaussianLossesMatchDouble(int n)
    {
        var l = Random(n, 6, 4f); var x = Random(n, 7).Select(v => v > 0 ? 1f : 0f).ToArray();
        var mean = Random(n, 8); var logVar = Random(n, 9, 0.5f); var xg = Random(n, 10);
        const float scale = 0.25f;
        var r = AtEveryWidth(() =>
        {
            var scratch = new float[n + 3];
            var g = new float[n];
            float bern = ModelKernels.BernoulliLogits(l, x, g, scale, scratch);
            var gm = new float[n]; var gv = new float[n];
            float gauss = ModelKernels.GaussianLearned(mean, logVar, xg, gm, gv, scale, scratch);
            float noGrad = ModelKernels.BernoulliLogits(l, x, Span<float>.Empty, scale, scratch);
            return (bern, g, gauss, gm, gv, noGrad);
        }, (a, b) =>
        {
            Assert.Equal(BitConverter.SingleToInt32Bits(a.bern), BitConverter.SingleToInt32Bits(b.bern));
            Assert.Equal(BitConverter.SingleToInt32Bits(a.gauss), BitConverter.SingleToInt32Bits(b.gauss));
            SameBits(a.g, b.g); SameBits(a.gm, b.gm); SameBits(a.gv, b.gv);
        });
        Assert.Equal(r.bern, r.noGrad);

        double bernRef = 0, gaussRef = 0;
        for (int i = 0; i < n; i++)
        {
            double li = l[i];
            bernRef += Math.Max(li, 0) + Math.Log(1 + Math.Exp(-Math.Abs(li))) - x[i] * li;
            Assert.Equal((1 / (1 + Math.Exp(-li)) - x[i]) * scale, r.g[i], 1e-6);
            double d = xg[i] - mean[i], iv = Math.Exp(-logVar[i]);
            gaussRef += 0.5 * (d * d * iv + logVar[i]);
            Assert.Equal(-d * iv * scale, r.gm[i], 1e-5 * Math.Max(1, Math.Abs(d * iv)));
            Assert.Equal(0.5 * (1 - d * d * iv) * scale, r.gv[i], 1e-5 * Math.Max(1, Math.Abs(d * d * iv)));
        }
        Assert.Equal(bernRef, r.bern, 1e-5 * Math.Max(1, Math.Abs(bernRef)));
        Assert.Equal(gaussRef, r.gauss, 1e-5 * Math.Max(1, Math.Abs(gaussRef)));
    }

    [Fact]
    public void MismatchedLengthsAreRejectedAndSteadyStateAllocatesNothing()
    {
        var a = new float[8];
        Assert.Throws<ArgumentException>(() => ModelKernels.AffineForward(a, a, a, a, a, new float[7]));
        Assert.Throws<ArgumentException>(() => ModelKernels.BernoulliLogits(a, a, a, 1f, new float[4]));
        var b = new float[64]; var c = new float[64]; var d = new float[64]; var e = new float[64];
        ModelKernels.AffineForward(b, c, d, e, b, c);
        ModelKernels.BernoulliLogits(b, c, d, 1f, e);
        long before = GC.GetAllocatedBytesForCurrentThread();
        ModelKernels.AffineForward(b, c, d, e, b, c);
        ModelKernels.AffineBackward(b, c, d, e, 0.1f, b, c, d, e);
        ModelKernels.BernoulliLogits(b, c, d, 1f, e);
        ModelKernels.GaussianLearned(b, c, d, e, b, 1f, c);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
