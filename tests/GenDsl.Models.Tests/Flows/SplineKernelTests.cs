using CommunityToolkit.HighPerformance;
using GenDsl.Models.Tests.Reference;
using GenDsl.Numerics;

namespace GenDsl.Models.Tests.Flows;

/// <summary>
/// <see cref="SplineKernels"/> (float in and out, double inside) against the double-precision dual-number
/// reference <see cref="RefSpline"/>: values, log-derivatives, the inverse, and the gradients with respect
/// to the input and all 3K − 1 raw parameters; then the guard cases the issue names, each on its own.
/// </summary>
public class SplineKernelTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static float[] RandomTheta(Random rng, int bins, double sigma)
    {
        var theta = new float[3 * bins - 1];
        for (int i = 0; i < theta.Length; i++) theta[i] = (float)(sigma * Normal(rng));
        return theta;
    }

    private static double Normal(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    private static double[] D(float[] a) => a.Select(v => (double)v).ToArray();

    [Theory]
    [InlineData(2, 1f)]
    [InlineData(3, 3f)]
    [InlineData(8, 3f)]
    [InlineData(16, 0.5f)]
    [InlineData(64, 5f)]
    public void MatchesTheDoubleReference(int bins, float tailBound)
    {
        var rng = new Random(bins * 31 + (int)tailBound);
        double maxY = 0, maxLd = 0, maxX = 0, maxGrad = 0, maxRoundTrip = 0;
        var gTheta = new float[3 * bins - 1];
        for (int trial = 0; trial < 400; trial++)
        {
            var theta = RandomTheta(rng, bins, 1.5);
            float x = (float)((2 * rng.NextDouble() - 1) * 1.2 * tailBound); // about 1 in 6 in the tails
            float y = SplineKernels.Forward(x, theta, bins, tailBound, out float ld);
            var (yRef, ldRef) = RefSpline.Evaluate(x, D(theta), bins, tailBound);
            maxY = Math.Max(maxY, Math.Abs(y - yRef.V) / tailBound);
            maxLd = Math.Max(maxLd, Math.Abs(ld - ldRef.V));

            // the inverse of a float y, against the reference's bisection
            float xBack = SplineKernels.Inverse(y, theta, bins, tailBound);
            maxX = Math.Max(maxX, Math.Abs(xBack - RefSpline.Inverse(y, D(theta), bins, tailBound)) / tailBound);
            // inverse ∘ forward, in units of the float y's spacing divided by the slope (the best any float inverse can do)
            double slope = Math.Exp(ldRef.V);
            maxRoundTrip = Math.Max(maxRoundTrip, Math.Abs(xBack - x) * Math.Min(slope, 1) / tailBound);

            // gradients: ∂/∂x and ∂/∂θ of gy·y + gl·ln g′
            float gy = (float)Normal(rng), gl = (float)Normal(rng);
            float gx = SplineKernels.Backward(x, theta, bins, tailBound, gy, gl, gTheta);
            double scale = 1 + Math.Abs(gy * yRef.G[0]) + Math.Abs(gl * ldRef.G[0]);
            maxGrad = Math.Max(maxGrad, Math.Abs(gx - (gy * yRef.G[0] + gl * ldRef.G[0])) / scale);
            for (int q = 0; q < gTheta.Length; q++)
            {
                double expected = gy * yRef.G[q + 1] + gl * ldRef.G[q + 1];
                maxGrad = Math.Max(maxGrad, Math.Abs(gTheta[q] - expected) / (1 + Math.Abs(expected)));
            }
        }
        output.WriteLine($"K={bins} B={tailBound}: max |y − ref|/B {maxY:g3}, |ln g′ − ref| {maxLd:g3}, |g⁻¹(y) − ref|/B {maxX:g3}, slope-scaled round trip {maxRoundTrip:g3}, gradient rel. {maxGrad:g3}");
        Assert.True(maxY < 1e-6, $"y: {maxY}");
        Assert.True(maxLd < 1e-5, $"ln g′: {maxLd}");
        Assert.True(maxX < 1e-5, $"inverse: {maxX}");
        Assert.True(maxRoundTrip < 1e-6, $"round trip: {maxRoundTrip}");
        Assert.True(maxGrad < 1e-5, $"gradient: {maxGrad}");
    }

    [Fact]
    public void LogDerivativeMatchesTheNumericalDerivative()
    {
        var rng = new Random(2);
        const int bins = 8;
        const float b = 3;
        double worst = 0;
        for (int trial = 0; trial < 300; trial++)
        {
            var theta = D(RandomTheta(rng, bins, 1.0));
            double x = (2 * rng.NextDouble() - 1) * 2.9, h = 1e-6;
            double numeric = (RefSpline.Forward(x + h, theta, bins, b, out _) - RefSpline.Forward(x - h, theta, bins, b, out _)) / (2 * h);
            SplineKernels.Forward((float)x, theta.Select(v => (float)v).ToArray(), bins, b, out float ld);
            // the kernel at the float x; compare with the numeric slope there
            worst = Math.Max(worst, Math.Abs(ld - Math.Log(numeric)));
        }
        output.WriteLine($"max |ln g′ − ln(numeric slope)| = {worst:g3}");
        Assert.True(worst < 1e-4, $"{worst}");
    }

    [Fact]
    public void InverseOfForwardIsWithin1e4OnTypicalSplines()
    {
        // The float y = g(x) is within half a float spacing of the true value, so no inverse can return x closer than
        // that spacing divided by the slope: θ ~ N(0, 0.5), the size a trained network gives, keeps slopes above ~0.01;
        // θ ~ N(0, 1) reaches slopes near 1e-3 (worst absolute error measured 2.4e-4, 7e-8 in slope-scaled units,
        // see MatchesTheDoubleReference).
        var rng = new Random(3);
        double worst = 0;
        foreach (int bins in new[] { 2, 8, 32 })
            for (int trial = 0; trial < 2000; trial++)
            {
                var theta = RandomTheta(rng, bins, 0.5);
                float x = (float)((2 * rng.NextDouble() - 1) * 3.3);
                float y = SplineKernels.Forward(x, theta, bins, 3f, out _);
                worst = Math.Max(worst, Math.Abs(SplineKernels.Inverse(y, theta, bins, 3f) - x));
            }
        output.WriteLine($"max |g⁻¹(g(x)) − x| over 6000 random splines (θ ~ N(0, 0.5)) = {worst:g3}");
        Assert.True(worst < 1e-4, $"{worst}");
    }

    // ------------------------------------------------------------------------------------------ guards

    /// <summary>Every knot (as float), the values just beside it, and ±B: finite, continuous, in the bin, invertible.</summary>
    [Fact]
    public void InputsExactlyOnBinEdgesAndAtTheTailBound()
    {
        var rng = new Random(4);
        const int bins = 8;
        const float b = 3;
        var g = new float[3 * bins - 1];
        for (int trial = 0; trial < 50; trial++)
        {
            var theta = RandomTheta(rng, bins, 2.0);
            var points = new List<float> { -b, b, MathF.BitIncrement(-b), MathF.BitDecrement(b), MathF.BitDecrement(-b), MathF.BitIncrement(b) };
            // knots x_k: where the reference's y crosses into the next bin; find them from the reference's knot formula
            var knots = Knots(D(theta), bins, b);
            foreach (double k in knots)
            {
                float f = (float)k;
                points.Add(f);
                points.Add(MathF.BitIncrement(f));
                points.Add(MathF.BitDecrement(f));
            }
            foreach (float x in points)
            {
                float y = SplineKernels.Forward(x, theta, bins, b, out float ld);
                float gx = SplineKernels.Backward(x, theta, bins, b, 1f, 1f, g);
                Assert.True(float.IsFinite(y) && float.IsFinite(ld) && float.IsFinite(gx) && g.All(float.IsFinite), $"x = {x:R}: y {y}, ln g′ {ld}, ∂x {gx}");
                var (yRef, ldRef) = RefSpline.Evaluate(x, D(theta), bins, b);
                Assert.True(Math.Abs(y - yRef.V) < 1e-6, $"x = {x:R}: y {y:R} vs {yRef.V:R}");
                Assert.True(Math.Abs(ld - ldRef.V) < 1e-5, $"x = {x:R}: ln g′ {ld:R} vs {ldRef.V:R}");
                float back = SplineKernels.Inverse(y, theta, bins, b);
                Assert.True(Math.Abs(back - x) * Math.Min(1, Math.Exp(ld)) < 1e-6, $"x = {x:R}: g⁻¹(g(x)) = {back:R}");
            }
            // at ±B the spline meets the identity tails: value ±B and slope 1 (δ_0 = δ_K = 1)
            Assert.Equal(-b, SplineKernels.Forward(-b, theta, bins, b, out float ldLow));
            Assert.Equal(b, SplineKernels.Forward(b, theta, bins, b, out float ldHigh));
            Assert.True(Math.Abs(ldLow) < 1e-6 && Math.Abs(ldHigh) < 1e-6, $"ln g′(±B) = {ldLow}, {ldHigh}");
        }
    }

    /// <summary>The reference's knots x_1 … x_{K−1}.</summary>
    private static double[] Knots(double[] theta, int bins, double b)
    {
        double max = theta.Take(bins).Max(), sum = theta.Take(bins).Sum(t => Math.Exp(t - max)), cum = 0;
        var knots = new double[bins - 1];
        for (int i = 1; i < bins; i++)
        {
            cum += RefSpline.MinWidth + (1 - RefSpline.MinWidth * bins) * Math.Exp(theta[i - 1] - max) / sum;
            knots[i - 1] = -b + 2 * b * cum;
        }
        return knots;
    }

    [Theory]
    [InlineData(3.0000002f)]
    [InlineData(-3.0000002f)]
    [InlineData(10f)]
    [InlineData(-1e6f)]
    [InlineData(3e38f)]
    [InlineData(-3e38f)]
    public void FarInTheTailsIsTheIdentity(float x)
    {
        var theta = RandomTheta(new Random(5), 8, 3.0);
        var g = new float[theta.Length];
        Assert.Equal(x, SplineKernels.Forward(x, theta, 8, 3f, out float ld));
        Assert.Equal(0f, ld);
        Assert.Equal(x, SplineKernels.Inverse(x, theta, 8, 3f));
        Assert.Equal(0.75f, SplineKernels.Backward(x, theta, 8, 3f, 0.75f, -2f, g));
        Assert.All(g, v => Assert.Equal(0f, v));
    }

    public static TheoryData<string, float> Extremes() => new()
    {
        { "huge", 1e30f }, { "largest float", float.MaxValue }, { "huge negative", -1e30f }, { "lowest float", float.MinValue },
        { "tiny", 1e-30f }, { "tiny negative", -1e-30f }, { "denormal", 1e-45f }, { "zero", 0f },
    };

    /// <summary>
    /// Network outputs of extreme size: all of one value, and one entry of each group extreme while the others are
    /// moderate (one bin takes all the width, one derivative explodes or hits the minimum). Never NaN or ∞; the
    /// spline stays increasing and maps [−B, B] onto itself; g(g⁻¹(y)) = y.
    /// </summary>
    [Theory]
    [MemberData(nameof(Extremes))]
    public void HugeAndTinyNetworkOutputs(string what, float value)
    {
        const int bins = 8;
        const float b = 3;
        var rng = new Random(6);
        var g = new float[3 * bins - 1];
        var cases = new List<float[]> { Enumerable.Repeat(value, 3 * bins - 1).ToArray() };
        for (int i = 0; i < 3 * bins - 1; i += 3)
        {
            var theta = RandomTheta(rng, bins, 1.0);
            theta[i] = value;
            cases.Add(theta);
            var signs = RandomTheta(rng, bins, 1.0);
            for (int q = 0; q < signs.Length; q++) signs[q] = q % 2 == 0 ? value : -value; // alternating ±value
            cases.Add(signs);
        }
        foreach (var theta in cases)
        {
            float previous = float.NegativeInfinity;
            for (int i = 0; i <= 600; i++)
            {
                float x = -3.3f + 6.6f * i / 600;
                float y = SplineKernels.Forward(x, theta, bins, b, out float ld);
                float gx = SplineKernels.Backward(x, theta, bins, b, 1f, -1f, g);
                Assert.True(float.IsFinite(y) && float.IsFinite(ld) && float.IsFinite(gx) && g.All(float.IsFinite),
                    $"{what}: x = {x}: y {y}, ln g′ {ld}, ∂x {gx}, ∂θ [{string.Join(", ", g)}]");
                Assert.True(y >= previous, $"{what}: not increasing at x = {x}");
                previous = y;
                if (Math.Abs(x) <= b)
                    Assert.InRange(y, -b, b);
                float back = SplineKernels.Inverse(y, theta, bins, b);
                Assert.True(float.IsFinite(back), $"{what}: g⁻¹({y}) = {back}");
                AssertRootWithin(theta, bins, b, y, back, what);
            }
        }
    }

    /// <summary>
    /// The inverse on every float of dense grids near each y-knot and near ±B (the round-off cases where
    /// b² − 4ac comes out slightly negative or the root lands just outside [0, 1]): never NaN, always in the
    /// bin's x range, and g(g⁻¹(y)) = y to float precision.
    /// </summary>
    [Fact]
    public void FloatRoundOffInTheInverseNeverGivesNaN()
    {
        var rng = new Random(7);
        int checkedValues = 0;
        double worst = 0;
        foreach (int bins in new[] { 2, 5, 8, 128 })
            for (int trial = 0; trial < 20; trial++)
            {
                var theta = RandomTheta(rng, bins, trial % 2 == 0 ? 1.0 : 6.0); // steep splines too: slopes near 1e-3 and 1e3
                // y-knots: the spline's values at its x-knots
                var yKnots = Knots(D(theta), bins, 3).Select(k => SplineKernels.Forward((float)k, theta, bins, 3f, out _)).Append(-3f).Append(3f);
                foreach (float knot in yKnots)
                {
                    float y = knot;
                    for (int i = 0; i < 40; i++) y = MathF.BitDecrement(y);
                    for (int i = 0; i < 80; i++, y = MathF.BitIncrement(y))
                    {
                        float x = SplineKernels.Inverse(y, theta, bins, 3f);
                        Assert.False(float.IsNaN(x), $"K={bins}: g⁻¹({y:R}) is NaN");
                        if (Math.Abs(y) <= 3) Assert.InRange(x, -3f, 3f);
                        AssertRootWithin(theta, bins, 3f, y, x, $"K={bins}");
                        float again = SplineKernels.Forward(x, theta, bins, 3f, out float ld);
                        // the float x nearest the true root is half a float spacing away: g moves by slope·spacing
                        double allowed = 1e-6 + 2 * Math.Exp(ld) * (MathF.BitIncrement(Math.Abs(x)) - Math.Abs(x));
                        worst = Math.Max(worst, Math.Abs(again - y) / allowed);
                        Assert.True(Math.Abs(again - y) <= allowed, $"K={bins}: g(g⁻¹({y:R})) = {again:R}");
                        checkedValues++;
                    }
                }
            }
        output.WriteLine($"{checkedValues} values next to knots and ±B: no NaN; worst |g(g⁻¹(y)) − y| / allowed = {worst:g3}");
    }

    /// <summary>
    /// x is within ε = 1e-6 of the exact root of g(x) = y′ for some y′ that rounds to the float y: g(x − ε) ≤ y′ ≤ g(x + ε)
    /// (g increases). This is the
    /// inverse's accuracy in x, whatever the slope; with derivatives near 1e30 g jumps by a whole bin over less
    /// than one double spacing of x, and g(g⁻¹(y)) = y cannot hold for any representable x.
    /// </summary>
    private static void AssertRootWithin(float[] theta, int bins, float b, float y, float x, string what)
    {
        const double eps = 1e-6;
        var th = D(theta);
        double below = RefSpline.Value(x - eps, th, bins, b), above = RefSpline.Value(x + eps, th, bins, b);
        // y stands for every real that rounds to it (± half its float spacing), and the knots carry their own double
        // round-off (y_k = −B + 2B·Σ…): where g is flat to 1e-30, all of a wide x range maps onto the one float y
        double roundOff = Math.Max(1e-12, MathF.BitIncrement(Math.Abs(y)) - Math.Abs(y));
        Assert.True(below <= y + roundOff && y <= above + roundOff, $"{what}: g⁻¹({y:R}) = {x:R}, but g(x − 1e-6) = {below:R}, g(x + 1e-6) = {above:R}");
    }

    /// <summary>The whole-batch kernels equal the one-value functions bit for bit, column order and log-det sum included.</summary>
    [Fact]
    public void BatchKernelsEqualTheOneValueFunctions()
    {
        var rng = new Random(8);
        const int rows = 37, d = 5, bins = 6, p = 3 * bins - 1;
        int[] columns = [4, 1, 3];
        var u = new float[rows * d];
        var theta = new float[rows * columns.Length * p];
        var gv = new float[rows * d];
        for (int i = 0; i < u.Length; i++) { u[i] = (float)(2.2 * Normal(rng)); gv[i] = (float)Normal(rng); }
        for (int i = 0; i < theta.Length; i++) theta[i] = (float)Normal(rng);
        var v = new float[rows * d];
        var logDet = Enumerable.Range(0, rows).Select(r => 0.25f * r).ToArray();
        SplineKernels.Forward(new ReadOnlySpan2D<float>(u, rows, d), columns, new ReadOnlySpan2D<float>(theta, rows, columns.Length * p), bins, 2f,
            new Span2D<float>(v, rows, d), logDet);
        var back = new float[rows * d];
        SplineKernels.Inverse(new ReadOnlySpan2D<float>(v, rows, d), columns, new ReadOnlySpan2D<float>(theta, rows, columns.Length * p), bins, 2f, new Span2D<float>(back, rows, d));
        var gu = new float[rows * d];
        var gTheta = new float[theta.Length];
        SplineKernels.Backward(new ReadOnlySpan2D<float>(gv, rows, d), new ReadOnlySpan2D<float>(u, rows, d), columns, new ReadOnlySpan2D<float>(theta, rows, columns.Length * p),
            bins, 2f, 0.125f, new Span2D<float>(gu, rows, d), new Span2D<float>(gTheta, rows, columns.Length * p));
        var g = new float[p];
        for (int r = 0; r < rows; r++)
        {
            float ld = 0.25f * r;
            for (int j = 0; j < columns.Length; j++)
            {
                int c = columns[j];
                var th = theta.AsSpan((r * columns.Length + j) * p, p);
                Assert.Equal(SplineKernels.Forward(u[r * d + c], th, bins, 2f, out float l), v[r * d + c]);
                ld += l;
                Assert.Equal(SplineKernels.Inverse(v[r * d + c], th, bins, 2f), back[r * d + c]);
                Assert.Equal(SplineKernels.Backward(u[r * d + c], th, bins, 2f, gv[r * d + c], -0.125f, g), gu[r * d + c]);
                Assert.Equal(g, gTheta.AsSpan((r * columns.Length + j) * p, p).ToArray());
            }
            Assert.Equal(ld, logDet[r]);
        }
    }

    [Fact]
    public void BadArgumentsAreRejected()
    {
        var theta = new float[23];
        Assert.Throws<ArgumentOutOfRangeException>(() => SplineKernels.Forward(0f, theta, 1, 3f, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => SplineKernels.Forward(0f, theta, 8, 0f, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => SplineKernels.Forward(0f, theta, 8, float.NaN, out _));
        var ex = Assert.Throws<ArgumentException>(() => SplineKernels.Forward(0f, new float[22], 8, 3f, out _));
        Assert.Contains("3K − 1 = 23", ex.Message);
    }

    [Fact]
    public void KernelsAllocateNothing()
    {
        const int rows = 64, d = 2, bins = 8, p = 23;
        int[] columns = [1];
        var u = new float[rows * d];
        var theta = new float[rows * p];
        var v = new float[rows * d];
        var ld = new float[rows];
        var gTheta = new float[rows * p];
        for (int i = 0; i < 2; i++)
            Run();
        long before = GC.GetAllocatedBytesForCurrentThread();
        Run();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);

        void Run()
        {
            SplineKernels.Forward(new ReadOnlySpan2D<float>(u, rows, d), columns, new ReadOnlySpan2D<float>(theta, rows, p), bins, 3f, new Span2D<float>(v, rows, d), ld);
            SplineKernels.Inverse(new ReadOnlySpan2D<float>(v, rows, d), columns, new ReadOnlySpan2D<float>(theta, rows, p), bins, 3f, new Span2D<float>(u, rows, d));
            SplineKernels.Backward(new ReadOnlySpan2D<float>(v, rows, d), new ReadOnlySpan2D<float>(u, rows, d), columns, new ReadOnlySpan2D<float>(theta, rows, p), bins, 3f, 0.5f,
                new Span2D<float>(v, rows, d), new Span2D<float>(gTheta, rows, p));
        }
    }
}
