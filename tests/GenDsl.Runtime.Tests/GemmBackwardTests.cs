using CommunityToolkit.HighPerformance;
using GenDsl.Numerics;
using GenDsl.Threading;

namespace GenDsl.Runtime.Tests;

public class GemmBackwardTests : IDisposable
{
    private readonly WorkerPool _pool2 = new(2);

    public void Dispose() => _pool2.Dispose();

    private static double DerivativeRef(Activation act, double y, double slope) => act switch
    {
        Activation.Identity => 1,
        Activation.Relu => y > 0 ? 1 : 0,
        Activation.LeakyRelu => y > 0 ? 1 : slope,
        Activation.Tanh => 1 - y * y,
        Activation.Sigmoid => y * (1 - y),
        Activation.Softplus => 1 - Math.Exp(-y),
        _ => throw new ArgumentOutOfRangeException(nameof(act)),
    };

    /// <summary>Forward outputs y = f(x) for random x (so they lie in f's range).</summary>
    private static float[,] Outputs(int m, int n, Activation act, float slope, Random rnd)
    {
        var y = GemmTestUtil.Padded(m, n, rnd);
        var v = GemmTestUtil.View(y);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
                v[i, j] = ActivationFunctions.Apply(act, (float)(rnd.NextDouble() * 6 - 3), act == Activation.LeakyRelu ? slope : 0.2f);
        return y;
    }

    public static TheoryData<Activation, int, int> Cases()
    {
        var data = new TheoryData<Activation, int, int>();
        foreach (var act in Enum.GetValues<Activation>())
            foreach (var (m, n) in new[] { (1, 1), (3, 17), (63, 65), (257, 3), (65, 257), (300, 600) })
                data.Add(act, m, n);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ActivationAndBiasMatchesReferenceAtEveryWidth(Activation act, int m, int n)
    {
        const float slope = 0.1f;
        var rnd = new Random(m * 31 + n * 7 + (int)act);
        var y = GemmTestUtil.View(Outputs(m, n, act, slope, rnd));
        var g0 = GemmTestUtil.View(GemmTestUtil.Padded(m, n, rnd));
        var existing = new float[n];
        for (int j = 0; j < n; j++)
            existing[j] = (float)rnd.NextDouble();
        float[,]? firstG = null;
        float[]? firstSums = null;
        foreach (var width in GemmTestUtil.Widths)
        {
            foreach (bool accumulate in new[] { false, true })
            {
                var gStore = GemmTestUtil.Padded(m, n, rnd);
                var g = GemmTestUtil.View(gStore);
                g0.CopyTo(g);
                var sums = (float[])existing.Clone();
                using (GemmTestUtil.Width(width))
                    GemmBackward.ActivationAndBias(g, y, act, slope, sums, accumulate, _pool2);
                GemmTestUtil.AssertGuardsIntact(gStore);

                for (int j = 0; j < n; j++)
                {
                    double s = 0, mag = 0;
                    for (int i = 0; i < m; i++)
                    {
                        double d = DerivativeRef(act, y[i, j], slope);
                        double expected = g0[i, j] * d;
                        // f′ from the output is itself computed in float: allow a few ulps of the product.
                        double tol = 4e-7 * Math.Abs(expected) + 4e-7 * Math.Abs(g0[i, j]) * (act == Activation.Softplus ? 1 : 0) + 1e-30;
                        Assert.True(Math.Abs(g[i, j] - expected) <= tol,
                            $"{act} {width}: g[{i},{j}] = {g[i, j]:R}, expected {expected:R}");
                        s += g[i, j];
                        mag += Math.Abs(g[i, j]);
                    }
                    double expectedSum = (accumulate ? existing[j] : 0) + s;
                    double sumTol = (m + 2) * 1.2e-7 * (mag + Math.Abs(existing[j])) + 1e-30;
                    Assert.True(Math.Abs(sums[j] - expectedSum) <= sumTol,
                        $"{act} {width} accumulate={accumulate}: sum[{j}] = {sums[j]:R}, expected {expectedSum:R}");
                }

                if (!accumulate)
                {
                    var gArr = g.ToArray();
                    if (firstG is null)
                    {
                        firstG = gArr;
                        firstSums = sums;
                    }
                    else
                    {
                        GemmTestUtil.AssertBitsEqual(firstG, gArr, $"{act} gradient at {width}");
                        for (int j = 0; j < n; j++)
                            Assert.Equal(BitConverter.SingleToInt32Bits(firstSums![j]), BitConverter.SingleToInt32Bits(sums[j]));
                    }
                }
            }
        }
    }

    [Fact]
    public void WithoutBiasGradientOnlyTheGradientChanges()
    {
        var rnd = new Random(4);
        var y = GemmTestUtil.View(Outputs(40, 50, Activation.Relu, 0, rnd));
        var g = GemmTestUtil.View(GemmTestUtil.Padded(40, 50, rnd));
        var g0 = g.ToArray();
        GemmBackward.ActivationAndBias(g, y, Activation.Relu, 0f, Span<float>.Empty, false, _pool2);
        for (int i = 0; i < 40; i++)
            for (int j = 0; j < 50; j++)
                Assert.Equal(y[i, j] > 0 ? g0[i, j] : 0f * g0[i, j], g[i, j]);
    }

    [Fact]
    public void IdentityLeavesTheGradientAndSumsIt()
    {
        var rnd = new Random(6);
        var g = GemmTestUtil.View(GemmTestUtil.Padded(33, 20, rnd));
        var g0 = g.ToArray();
        var sums = new float[20];
        GemmBackward.ActivationAndBias(g, default, Activation.Identity, 0f, sums, false, _pool2);
        GemmTestUtil.AssertBitsEqual(g0, g, "identity must not touch the gradient");
        var expected = new float[20];
        GemmBackward.ColumnSums(g0, expected, false, _pool2);
        Assert.Equal(expected, sums);
    }

    [Fact]
    public void BitIdenticalAcrossThreadCounts()
    {
        var rnd = new Random(12);
        int m = 700, n = 900;   // big enough to run in parallel
        var y = Outputs(m, n, Activation.Tanh, 0, rnd);
        var g0 = GemmTestUtil.Padded(m, n, rnd);
        float[,]? baseG = null;
        float[]? baseSums = null;
        foreach (int threads in new[] { 1, 2, 3 })
        {
            using var pool = new WorkerPool(threads);
            var g = (float[,])g0.Clone();
            var sums = new float[n];
            GemmBackward.ActivationAndBias(GemmTestUtil.View(g), GemmTestUtil.View(y), Activation.Tanh, 0f, sums, false, pool);
            var colSums = new float[n];
            GemmBackward.ColumnSums(GemmTestUtil.View(g0), colSums, false, pool);
            if (baseG is null)
            {
                baseG = g;
                baseSums = sums;
                var sums2 = new float[n];
                GemmBackward.ColumnSums(GemmTestUtil.View(g), sums2, false, pool);
                Assert.Equal(sums, sums2);   // the fused sums are the sums of the updated gradient
            }
            else
            {
                GemmTestUtil.AssertBitsEqual(baseG, g, $"{threads} threads");
                Assert.Equal(baseSums, sums);
            }
        }
    }

    [Theory]
    [InlineData(1, 3)]
    [InlineData(17, 65)]
    [InlineData(257, 63)]
    [InlineData(600, 700)]
    public void ColumnSumsMatchReference(int m, int n)
    {
        var rnd = new Random(m + n);
        var x = GemmTestUtil.View(GemmTestUtil.Padded(m, n, rnd));
        foreach (var width in GemmTestUtil.Widths)
        {
            var sums = new float[n];
            sums.AsSpan().Fill(1f);
            using (GemmTestUtil.Width(width))
                GemmBackward.ColumnSums(x, sums, accumulate: true, _pool2);
            for (int j = 0; j < n; j++)
            {
                double s = 1, mag = 1;
                for (int i = 0; i < m; i++)
                {
                    s += x[i, j];
                    mag += Math.Abs(x[i, j]);
                }
                Assert.True(Math.Abs(sums[j] - s) <= (m + 2) * 1.2e-7 * mag, $"{width}: column {j}: {sums[j]} vs {s}");
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void SteadyStateCallsAllocateNothing(int threads)
    {
        using var pool = new WorkerPool(threads);
        var g = new float[400, 300];
        var y = new float[400, 300];
        var sums = new float[300];
        // Steady state: warm up every call measured below past the JIT's tier-up (30 calls, then a
        // background recompilation), so that no one-time runtime work lands inside the measurement.
        for (int round = 0; round < 2; round++)
        {
            for (int i = 0; i < 40; i++)
            {
                GemmBackward.ActivationAndBias(g, y, Activation.Sigmoid, 0f, sums, true, pool);
                GemmBackward.ActivationAndBias(g, y, Activation.LeakyRelu, 0.2f, Span<float>.Empty, false, pool);
                GemmBackward.ColumnSums(g, sums, false, pool);
            }
            Thread.Sleep(250);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 5; i++)
        {
            GemmBackward.ActivationAndBias(g, y, Activation.Sigmoid, 0f, sums, true, pool);
            GemmBackward.ActivationAndBias(g, y, Activation.LeakyRelu, 0.2f, Span<float>.Empty, false, pool);
            GemmBackward.ColumnSums(g, sums, false, pool);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void BadShapesAreRejectedWithTheSizes()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            GemmBackward.ActivationAndBias(new float[3, 4], new float[4, 3], Activation.Relu, 0f, new float[4], false, _pool2));
        Assert.Contains("4×3", ex.Message);
        Assert.Contains("3×4", ex.Message);
        Assert.Equal("output", ex.ParamName);

        ex = Assert.Throws<ArgumentException>(() =>
            GemmBackward.ActivationAndBias(new float[3, 4], new float[3, 4], Activation.Relu, 0f, new float[5], false, _pool2));
        Assert.Contains("length 5", ex.Message);
        Assert.Contains("4 columns", ex.Message);

        ex = Assert.Throws<ArgumentException>(() => GemmBackward.ColumnSums(new float[3, 4], new float[3], false, _pool2));
        Assert.Contains("length 3", ex.Message);
        Assert.Contains("4 columns", ex.Message);
    }

    [Fact]
    public void ZeroRowsGiveZeroSums()
    {
        var sums = new[] { 5f, 6f };
        GemmBackward.ColumnSums(new float[0, 2], sums, accumulate: false, _pool2);
        Assert.Equal(new[] { 0f, 0f }, sums);
        sums = new[] { 5f, 6f };
        GemmBackward.ColumnSums(new float[0, 2], sums, accumulate: true, _pool2);
        Assert.Equal(new[] { 5f, 6f }, sums);
    }
}
