using CommunityToolkit.HighPerformance;
using GenDsl.Data;
using GenDsl.Numerics;

namespace GenDsl.Runtime.Tests;

/// <summary>RealNVP's dequantise-and-logit preprocessing: values, log-determinant, inverses, allocations, errors.</summary>
public class MetricsLogitTransformTests
{
    /// <summary>Random pixels on the k/(L − 1) grid, in a pitched buffer (pitch 3) so the views are not contiguous.</summary>
    private static (float[] Raw, int Pitch) Pixels(int rows, int cols, int levels, ulong seed)
    {
        const int pitch = 3;
        var raw = new float[rows * (cols + pitch)];
        var rng = new Rng(seed);
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                raw[r * (cols + pitch) + c] = rng.NextInt(levels) / (float)(levels - 1);
        return (raw, pitch);
    }

    [Fact]
    public void ForwardMatchesTheDoubleFormulaAndTheLogDetMatchesFiniteDifferences()
    {
        foreach (int levels in new[] { 2, 17, 256 })
            foreach (int cols in NumTest.Lengths)
            {
                const int rows = 5;
                var t = new LogitTransform(levels, alpha: 0.05f);
                var (raw, pitch) = Pixels(rows, cols, levels, seed: (ulong)(levels * 1000 + cols));
                var x = new ReadOnlySpan2D<float>(raw, 0, rows, cols, pitch);
                var y = new float[rows * (cols + 1)];
                var yView = new Span2D<float>(y, 0, rows, cols, 1);
                var logDet = new float[rows];
                t.Forward(x, yView, logDet, new Rng(42));

                // Replay the noise: D uniforms per row, in row order.
                var eps = new float[rows * cols];
                new Rng(42).FillUniform(eps);
                const double alpha = 0.05, h = 1e-6;
                for (int r = 0; r < rows; r++)
                {
                    double fdLogDet = 0;
                    for (int c = 0; c < cols; c++)
                    {
                        double k = Math.Round(x[r, c] * (levels - 1));
                        double v = k + eps[r * cols + c];
                        double Y(double vv) { double s = alpha + (1 - 2 * alpha) * vv / levels; return Math.Log(s) - Math.Log(1 - s); }
                        double expected = Y(v);
                        Assert.True(Math.Abs(yView[r, c] - expected) <= 2e-6 * (1 + Math.Abs(expected)),
                            $"L={levels} D={cols} y[{r},{c}] = {yView[r, c]}, expected {expected}");
                        // ∂y/∂v by central differences in double (the Jacobian of v ↦ y is diagonal).
                        fdLogDet += Math.Log((Y(v + h) - Y(v - h)) / (2 * h));
                    }
                    Assert.True(Math.Abs(logDet[r] - fdLogDet) <= 1e-4 * (1 + Math.Abs(fdLogDet)),
                        $"L={levels} D={cols} row {r}: logDet {logDet[r]}, finite differences {fdLogDet}");
                }
            }
    }

    [Fact]
    public void TheLogDetIncludesTheLevelScaling()
    {
        // One pixel at the centre of bin k of L = 17, α = 0.05: s = 0.05 + 0.9·(k + ½)/17.
        // ln|dy/dv| = ln(0.9) − ln 17 − ln s − ln(1 − s), computed here by hand for k = 8 (s = ½):
        // ln 0.9 − ln 17 + 2 ln 2 = −0.105361 − 2.833213 + 1.386294 = −1.552280.
        var t = LogitTransform.ForDigits();
        float[] x = [0.5f];
        var y = new float[1];
        var logDet = new float[1];
        t.Forward(new ReadOnlySpan2D<float>(x, 1, 1), new Span2D<float>(y, 1, 1), logDet);
        Assert.Equal(0f, y[0], 6);
        Assert.Equal(-1.552280, logDet[0], 5);
        Assert.Equal(64 * (Math.Log(0.9) - Math.Log(17)), t.LogDetConstant(64), 6); // α is the float 0.05f
    }

    [Fact]
    public void InverseOfCentredForwardIsTheIdentity()
    {
        var t = LogitTransform.ForDigits();
        var (raw, pitch) = Pixels(9, 64, 17, seed: 1);
        var x = new ReadOnlySpan2D<float>(raw, 0, 9, 64, pitch);
        var y = new float[9 * 64];
        var back = new float[9 * 64];
        t.Forward(x, new Span2D<float>(y, 9, 64), default);
        t.Inverse(new ReadOnlySpan2D<float>(y, 9, 64), new Span2D<float>(back, 9, 64));
        for (int r = 0; r < 9; r++)
            for (int c = 0; c < 64; c++)
                Assert.True(Math.Abs(back[r * 64 + c] - x[r, c]) <= 1e-5f, $"[{r},{c}]: {back[r * 64 + c]} vs {x[r, c]}");
    }

    [Fact]
    public void InversesOfRandomForwardRecoverThePixels()
    {
        foreach (int levels in new[] { 2, 17, 256 })
        {
            var t = new LogitTransform(levels);
            const int rows = 50, cols = 65;
            var (raw, pitch) = Pixels(rows, cols, levels, seed: 2);
            var x = new ReadOnlySpan2D<float>(raw, 0, rows, cols, pitch);
            var y = new float[rows * cols];
            var cont = new float[rows * cols];
            var levelsBack = new float[rows * cols];
            t.Forward(x, new Span2D<float>(y, rows, cols), default, new Rng(9));
            t.Inverse(new ReadOnlySpan2D<float>(y, rows, cols), new Span2D<float>(cont, rows, cols));
            // In place (same memory for y and x) is allowed for the inverses.
            y.CopyTo(levelsBack, 0);
            t.InverseToLevels(new ReadOnlySpan2D<float>(levelsBack, rows, cols), new Span2D<float>(levelsBack, rows, cols));
            var eps = new float[rows * cols];
            new Rng(9).FillUniform(eps);
            float half = 0.5f / (levels - 1);
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < cols; c++)
                {
                    int i = r * cols + c;
                    // Continuous inverse: within half a level of the pixel (the noise moved it at most that far).
                    Assert.True(Math.Abs(cont[i] - x[r, c]) <= half * 1.0001f + 1e-6f, $"L={levels} [{r},{c}] {cont[i]} vs {x[r, c]}");
                    // Quantised inverse: exact, except (by float rounding) when ε lies right at a bin edge.
                    if (eps[i] > 1e-3f && eps[i] < 1 - 1e-3f)
                        Assert.Equal(x[r, c], levelsBack[i]);
                }
        }
    }

    [Fact]
    public void InverseClampsAndMapsNaNToZero()
    {
        var t = LogitTransform.ForDigits();
        float[] y = [-50f, 50f, float.NaN, float.NegativeInfinity, float.PositiveInfinity];
        var x = new float[5];
        t.Inverse(new ReadOnlySpan2D<float>(y, 1, 5), new Span2D<float>(x, 1, 5));
        Assert.Equal([0f, 1f, 0f, 0f, 1f], x);
        t.InverseToLevels(new ReadOnlySpan2D<float>(y, 1, 5), new Span2D<float>(x, 1, 5));
        Assert.Equal([0f, 1f, 0f, 0f, 1f], x);
    }

    [Fact]
    public void SameSeedGivesBitIdenticalOutputAtEveryWidth()
    {
        var t = LogitTransform.ForDigits();
        foreach (int cols in NumTest.Lengths)
        {
            var (raw, pitch) = Pixels(17, cols, 17, seed: (ulong)cols);
            float[]? reference = null, referenceInverse = null, referenceLevels = null;
            foreach (SimdWidth w in NumTest.Widths())
                NumTest.WithWidth(w, () =>
                {
                    var y = new float[17 * cols + 17];
                    var yView = new Span2D<float>(y, 17, cols);
                    t.Forward(new ReadOnlySpan2D<float>(raw, 0, 17, cols, pitch), yView, y.AsSpan(17 * cols), new Rng(5, 2));
                    // Spread the logits beyond the squeezed range too, so the clamps are exercised.
                    for (int i = 0; i < 17 * cols; i += 3)
                        y[i] *= 3f;
                    var inverse = new float[17 * cols];
                    var levels = new float[17 * cols];
                    t.Inverse(yView, new Span2D<float>(inverse, 17, cols));
                    t.InverseToLevels(yView, new Span2D<float>(levels, 17, cols));
                    if (reference is null)
                    {
                        reference = y;
                        referenceInverse = inverse;
                        referenceLevels = levels;
                    }
                    else
                    {
                        Assert.Equal(reference, y);
                        Assert.Equal(referenceInverse, inverse);
                        Assert.Equal(referenceLevels, levels);
                    }
                });
        }
    }

    [Fact]
    public void ABadValueInsideAVectorIsReportedAtItsPosition()
    {
        var t = LogitTransform.ForDigits();
        foreach (SimdWidth w in NumTest.Widths())
            NumTest.WithWidth(w, () =>
            {
                var x = new float[3 * 64];
                x[64 + 40] = float.NaN;
                var y = new float[3 * 64];
                var ex = Assert.Throws<ArgumentException>(() =>
                    t.Forward(new ReadOnlySpan2D<float>(x, 3, 64), new Span2D<float>(y, 3, 64), default, new Rng(1)));
                Assert.Contains("x[1, 40] = NaN", ex.Message);
                x[64 + 40] = 0.5f + 0.01f; // between levels 8 and 9
                ex = Assert.Throws<ArgumentException>(() =>
                    t.Forward(new ReadOnlySpan2D<float>(x, 3, 64), new Span2D<float>(y, 3, 64), default));
                Assert.Contains("x[1, 40] = 0.51", ex.Message);
            });
    }

    [Fact]
    public void ForwardAndInversesAllocateNothing()
    {
        var t = LogitTransform.ForDigits();
        var (raw, pitch) = Pixels(128, 64, 17, seed: 4);
        var x = new ReadOnlySpan2D<float>(raw, 0, 128, 64, pitch);
        var y = new float[128 * 64];
        var back = new float[128 * 64];
        var logDet = new float[128];
        var rng = new Rng(1);
        for (int i = 0; i < 2; i++) // warm up
        {
            t.Forward(x, new Span2D<float>(y, 128, 64), logDet, rng);
            t.Inverse(new ReadOnlySpan2D<float>(y, 128, 64), new Span2D<float>(back, 128, 64));
            t.InverseToLevels(new ReadOnlySpan2D<float>(y, 128, 64), new Span2D<float>(back, 128, 64));
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        t.Forward(x, new Span2D<float>(y, 128, 64), logDet, rng);
        t.Forward(x, new Span2D<float>(y, 128, 64), default);
        t.Inverse(new ReadOnlySpan2D<float>(y, 128, 64), new Span2D<float>(back, 128, 64));
        t.InverseToLevels(new ReadOnlySpan2D<float>(y, 128, 64), new Span2D<float>(back, 128, 64));
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void BadInputIsRejectedWithTheFix()
    {
        var t = LogitTransform.ForDigits();
        var y = new float[6];
        // Standardised data instead of raw pixels / 16.
        float[] notLevels = [0f, 0.03f, 0.5f];
        var ex = Assert.Throws<ArgumentException>(() =>
            t.Forward(new ReadOnlySpan2D<float>(notLevels, 1, 3), new Span2D<float>(y, 1, 3), default, new Rng(1)));
        Assert.Equal("x", ex.ParamName);
        Assert.Contains("x[0, 1] = 0.03", ex.Message);
        Assert.Contains("17 levels", ex.Message);
        float[] outside = [1.0625f]; // level 17 of 0 … 16
        Assert.Throws<ArgumentException>(() => t.Forward(new ReadOnlySpan2D<float>(outside, 1, 1), new Span2D<float>(y, 1, 1), default));

        float[] ok = [0f, 0.5f, 1f, 0f, 0.5f, 1f];
        ex = Assert.Throws<ArgumentException>(() => t.Forward(new ReadOnlySpan2D<float>(ok, 2, 3), new Span2D<float>(y, 3, 2), default));
        Assert.Equal("y", ex.ParamName);
        Assert.Contains("3 × 2", ex.Message);
        Assert.Contains("2 × 3", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => t.Forward(new ReadOnlySpan2D<float>(ok, 2, 3), new Span2D<float>(y, 2, 3), new float[3]));
        Assert.Equal("logDet", ex.ParamName);
        Assert.Contains("3 entries", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => t.Inverse(new ReadOnlySpan2D<float>(ok, 2, 3), new Span2D<float>(y, 1, 6)));
        Assert.Equal("x", ex.ParamName);

        Assert.Throws<ArgumentOutOfRangeException>(() => new LogitTransform(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LogitTransform(17, alpha: 0.5f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LogitTransform(17, alpha: 0f));
    }
}
