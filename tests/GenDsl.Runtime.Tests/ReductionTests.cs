using CommunityToolkit.HighPerformance;
using GenDsl.Numerics;

namespace GenDsl.Runtime.Tests;

public class ReductionTests
{
    private static readonly int[] Lengths = [0, .. NumTest.Lengths, 1000];

    /// <summary>Error bound for a float sum of n terms with 16 chains and a 4-level tree:
    /// (n/16 + 5)·2^−24·Σ|terms| (first-order, generous).</summary>
    private static double SumTolerance(int n, double sumAbs) => (n / 16.0 + 5) * Math.Pow(2, -24) * sumAbs + 1e-30;

    /// <summary>The order documented on <see cref="Reductions"/>, written independently.</summary>
    private static float DocumentedOrderSum(ReadOnlySpan<float> x, Func<float, float, float> step)
    {
        var p = new float[16];
        for (int i = 0; i < x.Length; i++) p[i % 16] = step(p[i % 16], x[i]);
        for (int j = 0; j < 8; j++) p[j] += p[j + 8];
        for (int j = 0; j < 4; j++) p[j] += p[j + 4];
        for (int j = 0; j < 2; j++) p[j] += p[j + 2];
        return p[0] + p[1];
    }

    private static int Bits(float f) => BitConverter.SingleToInt32Bits(f);

    [Fact]
    public void SumAndSumOfSquaresMatchDoubleAndTheDocumentedOrderAtEveryWidth()
    {
        foreach (int n in Lengths)
        {
            float[] x = NumTest.Random(n, n + 1, -3f, 5f);
            double s = 0, sa = 0, q = 0;
            foreach (float v in x) { s += v; sa += Math.Abs(v); q += (double)v * v; }
            float docSum = DocumentedOrderSum(x, (a, v) => a + v);
            float docSq = DocumentedOrderSum(x, (a, v) => MathF.FusedMultiplyAdd(v, v, a));
            foreach (SimdWidth w in NumTest.Widths())
                NumTest.WithWidth(w, () =>
                {
                    float sum = Reductions.Sum(x), sq = Reductions.SumOfSquares(x);
                    Assert.True(Math.Abs(sum - s) <= SumTolerance(n, sa), $"Sum n={n} {w}: {sum:R} vs {s:R}");
                    Assert.True(Math.Abs(sq - q) <= SumTolerance(n, q), $"SumOfSquares n={n} {w}: {sq:R} vs {q:R}");
                    Assert.Equal(Bits(docSum), Bits(sum));
                    Assert.Equal(Bits(docSq), Bits(sq));
                });
        }
    }

    [Fact]
    public void SumPropagatesNaNAndInfinity()
    {
        foreach (SimdWidth w in NumTest.Widths())
            NumTest.WithWidth(w, () =>
            {
                var x = new float[65];
                x[40] = float.PositiveInfinity;
                Assert.Equal(float.PositiveInfinity, Reductions.Sum(x));
                x[7] = float.NaN;
                Assert.True(float.IsNaN(Reductions.Sum(x)));
                Assert.True(float.IsNaN(Reductions.SumOfSquares(x)));
            });
    }

    /// <summary>A height×width view into a larger buffer, with pitch extra elements after each row (filled with garbage).</summary>
    private static float[] PitchedBuffer(int height, int width, int pitch, int seed, float lo, float hi)
    {
        float[] buffer = NumTest.Random(3 + height * (width + pitch), seed, lo, hi);
        for (int r = 0; r < height; r++)
            for (int c = 0; c < pitch; c++)
                buffer[3 + r * (width + pitch) + width + c] = float.NaN;   // must never be read
        return buffer;
    }

    private static ReadOnlySpan2D<float> View(float[] buffer, int height, int width, int pitch) =>
        new(buffer, 3, height, width, pitch);

    [Fact]
    public void RowSumsOnPitchedViews()
    {
        foreach (int width in NumTest.Lengths)
        {
            float[] buf = PitchedBuffer(5, width, 3, width, -2f, 2f);
            var view = View(buf, 5, width, 3);
            var expected = new float[5];
            for (int r = 0; r < 5; r++)
                expected[r] = DocumentedOrderSum(view.GetRowSpan(r), (a, v) => a + v);
            foreach (SimdWidth w in NumTest.Widths())
            {
                var sums = new float[5];
                NumTest.WithWidth(w, () => Reductions.RowSums(View(buf, 5, width, 3), sums));
                NumTest.AssertBitsEqual(expected, sums, $"RowSums width={width} at {w}");
                for (int r = 0; r < 5; r++)
                {
                    double s = 0, sa = 0;
                    foreach (float v in view.GetRowSpan(r)) { s += v; sa += Math.Abs(v); }
                    Assert.True(Math.Abs(sums[r] - s) <= SumTolerance(width, sa), $"row {r}: {sums[r]:R} vs {s:R}");
                }
            }
        }
    }

    private static double LogSumExpReference(ReadOnlySpan<float> x)
    {
        double m = double.NegativeInfinity;
        foreach (float v in x) m = Math.Max(m, v);
        double s = 0;
        foreach (float v in x) s += Math.Exp(v - m);
        return m + Math.Log(s);
    }

    [Fact]
    public void LogSumExpMatchesDoubleAndIsBitIdenticalAcrossWidths()
    {
        foreach (int n in NumTest.Lengths.Append(1000))
            foreach (float shift in new[] { 0f, 1000f, -1000f })
            {
                float[] x = NumTest.Random(n, n, -30f, 30f);
                for (int i = 0; i < n; i++) x[i] += shift;
                double exact = LogSumExpReference(x);
                float scalar = 0;
                NumTest.WithWidth(SimdWidth.Scalar, () => scalar = Reductions.LogSumExp(x));
                // m + log(s): a few ulp of |m| and of log(s).
                double tol = 4 * Math.Pow(2, -24) * (Math.Abs(exact) + Math.Log(n) + 1);
                Assert.True(Math.Abs(scalar - exact) <= tol, $"LSE n={n} shift={shift}: {scalar:R} vs {exact:R}");
                foreach (SimdWidth w in NumTest.Widths())
                {
                    float r = 0;
                    NumTest.WithWidth(w, () => r = Reductions.LogSumExp(x));
                    Assert.Equal(Bits(scalar), Bits(r));
                }
            }
        Assert.Equal(7.5f, Reductions.LogSumExp([7.5f]));                   // one term: exactly itself
        Assert.Equal(MathF.Log(2f) + 100f, Reductions.LogSumExp([100f, 100f]), 5);
    }

    [Fact]
    public void LogSumExpSpecialCases()
    {
        float inf = float.PositiveInfinity, ninf = float.NegativeInfinity;
        foreach (SimdWidth w in NumTest.Widths())
            NumTest.WithWidth(w, () =>
            {
                Assert.Equal(ninf, Reductions.LogSumExp(ReadOnlySpan<float>.Empty));
                Assert.Equal(ninf, Reductions.LogSumExp(Enumerable.Repeat(ninf, 33).ToArray()));
                float[] withInf = NumTest.Random(33, 2, -5f, 5f);
                withInf[20] = inf;
                Assert.Equal(inf, Reductions.LogSumExp(withInf));
                withInf[20] = ninf;                                        // −∞ terms contribute 0
                float[] without = withInf.Where(v => v != ninf).ToArray();
                Assert.Equal(Reductions.LogSumExp(without), Reductions.LogSumExp(withInf), 5);
                foreach (int at in new[] { 0, 16, 32 })
                {
                    float[] withNaN = NumTest.Random(33, 3, -5f, 5f);
                    withNaN[at] = float.NaN;
                    Assert.True(float.IsNaN(Reductions.LogSumExp(withNaN)), $"NaN at {at} ({w})");
                    withNaN[(at + 5) % 33] = inf;
                    Assert.True(float.IsNaN(Reductions.LogSumExp(withNaN)), $"NaN and +inf ({w})");
                }
                float[] nanAndNegInf = Enumerable.Repeat(ninf, 20).ToArray();
                nanAndNegInf[17] = float.NaN;
                Assert.True(float.IsNaN(Reductions.LogSumExp(nanAndNegInf)));
                float[] big = [88f, 89f, 200f, 200f];                      // e^x overflows, LSE does not
                Assert.Equal(200f + MathF.Log(2f), Reductions.LogSumExp(big), 4);
            });
    }

    [Fact]
    public void RowLogSumExpOnPitchedViews()
    {
        foreach (int width in NumTest.Lengths)
        {
            float[] buf = PitchedBuffer(4, width, 5, 100 + width, -50f, 50f);
            var view = View(buf, 4, width, 5);
            var expected = new float[4];
            NumTest.WithWidth(SimdWidth.Scalar, () =>
            {
                for (int r = 0; r < 4; r++) expected[r] = Reductions.LogSumExp(View(buf, 4, width, 5).GetRowSpan(r));
            });
            foreach (SimdWidth w in NumTest.Widths())
            {
                var lse = new float[4];
                NumTest.WithWidth(w, () => Reductions.RowLogSumExp(View(buf, 4, width, 5), lse));
                NumTest.AssertBitsEqual(expected, lse, $"RowLogSumExp width={width} at {w}");
                for (int r = 0; r < 4; r++)
                {
                    double exact = LogSumExpReference(view.GetRowSpan(r));
                    Assert.True(Math.Abs(lse[r] - exact) <= 4 * Math.Pow(2, -24) * (Math.Abs(exact) + 7), $"row {r}: {lse[r]:R} vs {exact:R}");
                }
            }
        }
    }

    [Fact]
    public void RowOutputLengthMismatchNamesBothSizes()
    {
        var x = new float[6, 4];
        var ex = Assert.Throws<ArgumentException>(() => Reductions.RowSums(new ReadOnlySpan2D<float>(x), new float[5]));
        Assert.Equal("sums", ex.ParamName);
        Assert.Contains("5", ex.Message);
        Assert.Contains("6", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => Reductions.RowLogSumExp(new ReadOnlySpan2D<float>(x), new float[7]));
        Assert.Equal("lse", ex.ParamName);
    }

    [Fact]
    public void SteadyStateAllocatesNothing()
    {
        float[] buf = NumTest.Random(6 * 70, 4, -3f, 3f);
        var out6 = new float[6];
        foreach (SimdWidth w in NumTest.Widths())
        {
            SimdWidth old = Simd.Width;
            try
            {
                Simd.Width = w;
                var view = new ReadOnlySpan2D<float>(buf, 0, 6, 65, 5);
                float sink = 0;
                for (int rep = 0; rep < 2; rep++)                          // first pass warms up the JIT
                {
                    long before = GC.GetAllocatedBytesForCurrentThread();
                    sink += Reductions.Sum(buf);
                    sink += Reductions.SumOfSquares(buf);
                    sink += Reductions.LogSumExp(buf);
                    Reductions.RowSums(view, out6);
                    Reductions.RowLogSumExp(view, out6);
                    long after = GC.GetAllocatedBytesForCurrentThread();
                    if (rep == 1) Assert.Equal(0, after - before);
                }
                Assert.True(float.IsFinite(sink));
            }
            finally { Simd.Width = old; }
        }
    }
}
