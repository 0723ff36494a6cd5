using CommunityToolkit.HighPerformance;
using GenDsl.Data;
using GenDsl.Metrics;

namespace GenDsl.Runtime.Tests;

/// <summary>Mode coverage and sample quality against a mixture with known modes.</summary>
public class MetricsModeTests
{
    private static readonly GaussianMixture2D Eight = Toy2D.EightGaussiansMixture(); // radius 2, σ = 0.02

    private static float[] AtModes(GaussianMixture2D mixture, int perMode)
    {
        var x = new float[2 * mixture.Count * perMode];
        for (int i = 0; i < mixture.Count * perMode; i++)
        {
            var (cx, cy) = mixture.Centre(i % mixture.Count);
            x[2 * i] = cx;
            x[2 * i + 1] = cy;
        }
        return x;
    }

    [Fact]
    public void SamplesExactlyAtTheModesCoverAllWithFullQuality()
    {
        var x = AtModes(Eight, perMode: 25);
        var m = ModeMetrics.Evaluate(new ReadOnlySpan2D<float>(x, 200, 2), Eight);
        Assert.Equal(8, m.Modes);
        Assert.Equal(8, m.ModesCovered);
        Assert.Equal(1.0, m.HighQualityShare);
        Assert.Equal(Enumerable.Repeat(25, 8), m.CountsPerMode);
        Assert.Equal("8/8 modes covered, 100.0 % high-quality samples", m.ToString());
    }

    [Fact]
    public void CollapsedOnOneModeCoversOne()
    {
        var (cx, cy) = Eight.Centre(3);
        var x = new float[2 * 500];
        var rng = new Rng(1);
        for (int i = 0; i < 500; i++)
        {
            x[2 * i] = cx + 0.5f * Eight.Std * rng.NextNormal();
            x[2 * i + 1] = cy + 0.5f * Eight.Std * rng.NextNormal();
        }
        var m = ModeMetrics.Evaluate(new ReadOnlySpan2D<float>(x, 500, 2), Eight);
        Assert.Equal(1, m.ModesCovered);
        Assert.True(m.CountsPerMode[3] >= 495, $"mode 3 got {m.CountsPerMode[3]} of 500");
        Assert.Equal(m.CountsPerMode[3], m.CountsPerMode.Sum());
    }

    [Fact]
    public void UniformNoiseHasLowQualityNearTheAreaRatio()
    {
        // Uniform on [−3, 3]²: the share within 3σ = 0.06 of a mode is the area ratio 8·π·0.06² / 36 ≈ 0.0025.
        const int n = 200_000;
        var x = new float[2 * n];
        new Rng(2).FillUniform(x, -3f, 3f);
        var m = ModeMetrics.Evaluate(new ReadOnlySpan2D<float>(x, n, 2), Eight);
        double expected = 8 * Math.PI * 0.06 * 0.06 / 36;
        Assert.InRange(m.HighQualityShare, expected * 0.85, expected * 1.15);
        Assert.Equal(0, m.ModesCovered); // ~60 of 200,000 per mode, far below 1 %
    }

    [Fact]
    public void TrueMixtureSamplesAreHighQualityWithTheRayleighProbability()
    {
        // ‖x − μ‖/σ of a 2-D isotropic Gaussian is Rayleigh: P(≤ 3) = 1 − e^(−4.5) = 0.98889.
        var data = Eight.Sample(40_000, seed: 3);
        var m = ModeMetrics.Evaluate(data.AsSpan2D(), Eight);
        Assert.Equal(8, m.ModesCovered);
        Assert.InRange(m.HighQualityShare, 1 - Math.Exp(-4.5) - 0.003, 1 - Math.Exp(-4.5) + 0.003);
        // And with a radius of 1σ: 1 − e^(−½) = 0.3935.
        var one = ModeMetrics.Evaluate(data.AsSpan2D(), Eight, radiusInStd: 1);
        Assert.InRange(one.HighQualityShare, 1 - Math.Exp(-0.5) - 0.01, 1 - Math.Exp(-0.5) + 0.01);
    }

    [Fact]
    public void AModeNeedsOnePercentOfTheSamples()
    {
        // 1,000 samples: mode 0 gets exactly 10 (1 %), mode 1 gets 9, the rest sit on mode 2.
        var x = new float[2 * 1000];
        for (int i = 0; i < 1000; i++)
        {
            var (cx, cy) = Eight.Centre(i < 10 ? 0 : i < 19 ? 1 : 2);
            x[2 * i] = cx;
            x[2 * i + 1] = cy;
        }
        var m = ModeMetrics.Evaluate(new ReadOnlySpan2D<float>(x, 1000, 2), Eight);
        Assert.Equal(2, m.ModesCovered); // modes 0 and 2
        Assert.Equal(10, m.CountsPerMode[0]);
        Assert.Equal(9, m.CountsPerMode[1]);
        // VEEGAN's rule (one sample suffices) counts mode 1 too.
        Assert.Equal(3, ModeMetrics.Evaluate(new ReadOnlySpan2D<float>(x, 1000, 2), Eight, minShare: 0).ModesCovered);
    }

    [Fact]
    public void TheRadiusIsInclusiveAtThreeSigma()
    {
        var (cx, cy) = Eight.Centre(0); // (2, 0)
        float s = Eight.Std;
        float[] x = [cx + 2.99f * s, cy, cx, cy - 3.01f * s, float.NaN, 0f, cx, float.PositiveInfinity];
        var m = ModeMetrics.Evaluate(new ReadOnlySpan2D<float>(x, 4, 2), Eight, minShare: 0);
        Assert.Equal(0.25, m.HighQualityShare); // only the first point
        Assert.Equal(1, m.CountsPerMode[0]);
    }

    [Fact]
    public void PitchedViewsAreRead()
    {
        // Rows of 3 floats, the third a junk column: a 2-wide view with pitch 1.
        var raw = new float[3 * 16];
        for (int i = 0; i < 16; i++)
        {
            var (cx, cy) = Eight.Centre(i % 8);
            raw[3 * i] = cx;
            raw[3 * i + 1] = cy;
            raw[3 * i + 2] = 1e6f;
        }
        var m = ModeMetrics.Evaluate(new ReadOnlySpan2D<float>(raw, 0, 16, 2, 1), Eight);
        Assert.Equal(8, m.ModesCovered);
        Assert.Equal(1.0, m.HighQualityShare);
    }

    [Fact]
    public void WorksOnTwentyFiveGaussians()
    {
        var grid = Toy2D.TwentyFiveGaussiansMixture();
        var x = AtModes(grid, perMode: 4);
        var m = ModeMetrics.Evaluate(new ReadOnlySpan2D<float>(x, 100, 2), grid);
        Assert.Equal(25, m.ModesCovered);
        Assert.Equal(25, m.Modes);
    }

    [Fact]
    public void BadInputsAreRejectedWithSizes()
    {
        var three = new float[12];
        var ex = Assert.Throws<ArgumentException>(() => ModeMetrics.Evaluate(new ReadOnlySpan2D<float>(three, 4, 3), Eight));
        Assert.Equal("samples", ex.ParamName);
        Assert.Contains("4 × 3", ex.Message);
        Assert.Throws<ArgumentException>(() => ModeMetrics.Evaluate(ReadOnlySpan2D<float>.Empty, Eight));
        var two = new float[4];
        Assert.Throws<ArgumentOutOfRangeException>(() => ModeMetrics.Evaluate(new ReadOnlySpan2D<float>(two, 2, 2), Eight, radiusInStd: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => ModeMetrics.Evaluate(new ReadOnlySpan2D<float>(two, 2, 2), Eight, minShare: 1.5));
    }
}
