using GenDsl.Data;

namespace GenDsl.Runtime.Tests;

public class DataToy2DTests
{
    public static TheoryData<string> AllNames()
    {
        var data = new TheoryData<string>();
        foreach (var name in Toy2D.Names)
            data.Add(name);
        return data;
    }

    [Theory]
    [MemberData(nameof(AllNames))]
    public void EveryGeneratorIsDeterministicPerSeedAndLabelled(string name)
    {
        var a = Toy2D.Create(name, 501, 11);
        var b = Toy2D.Create(name, 501, 11);
        var c = Toy2D.Create(name, 501, 12);
        Assert.Equal(501, a.Rows);
        Assert.Equal(2, a.Columns);
        Assert.Equal(a.Data, b.Data);
        Assert.Equal(a.Labels.ToArray(), b.Labels.ToArray());
        Assert.NotEqual(a.Data, c.Data);
        Assert.True(a.HasLabels);
        Assert.All(a.Data, v => Assert.True(float.IsFinite(v)));
        Assert.Equal(name, a.Name);
    }

    [Fact]
    public void UnknownNameListsTheValidOnes()
    {
        var ex = Assert.Throws<ArgumentException>(() => Toy2D.Create("swissroll", 10, 1));
        Assert.Equal("name", ex.ParamName);
        Assert.Contains("swissroll", ex.Message);
        foreach (var name in Toy2D.Names)
            Assert.Contains(name, ex.Message);
        Assert.Equal(7, Toy2D.Names.Count);
        Assert.Equal(500, Toy2D.Create("MOONS", 500, 1).Rows); // case-insensitive
    }

    [Fact]
    public void MoonsWithoutNoiseLieExactlyOnTheirArcs()
    {
        var d = Toy2D.TwoMoons(101, 3, noise: 0);
        int outer = 0;
        bool sawOuterStart = false, sawOuterEnd = false;
        for (int i = 0; i < d.Rows; i++)
        {
            double x = d.Row(i)[0], y = d.Row(i)[1];
            if (d.Labels[i] == 0)
            {
                outer++;
                Assert.Equal(1.0, Math.Sqrt(x * x + y * y), 5); // unit circle…
                Assert.True(y >= -1e-6);                         // …upper half
                sawOuterStart |= Math.Abs(x - 1) < 1e-6;
                sawOuterEnd |= Math.Abs(x + 1) < 1e-6;
            }
            else
            {
                double dx = x - 1, dy = y - 0.5;
                Assert.Equal(1.0, Math.Sqrt(dx * dx + dy * dy), 5); // circle about (1, 0.5)…
                Assert.True(y <= 0.5 + 1e-6);                        // …lower half
            }
        }
        Assert.Equal(50, outer); // ⌊101/2⌋ outer, 51 inner
        Assert.True(sawOuterStart && sawOuterEnd, "t runs over [0, π] with both ends");
    }

    [Fact]
    public void NoisyMoonsStayNearTheArcsWithTheRightSpread()
    {
        const double noise = 0.05;
        var d = Toy2D.TwoMoons(4000, 5, noise);
        double sum = 0, sumSq = 0;
        for (int i = 0; i < d.Rows; i++)
        {
            double x = d.Row(i)[0], y = d.Row(i)[1];
            double r = d.Labels[i] == 0 ? Math.Sqrt(x * x + y * y) : Math.Sqrt((x - 1) * (x - 1) + (y - 0.5) * (y - 0.5));
            double e = r - 1; // the radial part of the noise, ≈ N(0, σ²)
            Assert.True(Math.Abs(e) < 6 * noise, $"row {i} is {e} from its arc");
            sum += e;
            sumSq += e * e;
        }
        double mean = sum / d.Rows, std = Math.Sqrt(sumSq / d.Rows - mean * mean);
        Assert.InRange(mean, -0.01, 0.01);
        Assert.InRange(std, 0.045, 0.055);
    }

    [Fact]
    public void CirclesHaveTheirRadii()
    {
        var d = Toy2D.Circles(400, 2, noise: 0, factor: 0.3);
        int inner = 0;
        for (int i = 0; i < d.Rows; i++)
        {
            double r = Math.Sqrt(d.Row(i)[0] * d.Row(i)[0] + d.Row(i)[1] * d.Row(i)[1]);
            Assert.Equal(d.Labels[i] == 0 ? 1.0 : 0.3, r, 5);
            inner += d.Labels[i];
        }
        Assert.Equal(200, inner);
    }

    [Fact]
    public void EightGaussiansSitWithinFiveSigmaOfTheirModeAndShareEvenly()
    {
        const int n = 8000;
        var mixture = Toy2D.EightGaussiansMixture();
        Assert.Equal(8, mixture.Count);
        Assert.Equal(0.02f, mixture.Std);
        for (int k = 0; k < 8; k++)
        {
            var (cx, cy) = mixture.Centre(k);
            Assert.Equal(2.0, Math.Sqrt(cx * cx + cy * cy), 5);
            Assert.Equal(k * 45.0, (Math.Atan2(cy, cx) * 180 / Math.PI + 360) % 360, 3);
        }
        var d = Toy2D.EightGaussians(n, 99);
        var counts = new int[8];
        double sumSq = 0;
        for (int i = 0; i < n; i++)
        {
            float x = d.Row(i)[0], y = d.Row(i)[1];
            int k = d.Labels[i];
            var (cx, cy) = mixture.Centre(k);
            // Each coordinate within 5σ of its mode (P(|z| > 5) ≈ 6·10⁻⁷ per coordinate).
            Assert.True(Math.Abs(x - cx) < 5 * 0.02 && Math.Abs(y - cy) < 5 * 0.02, $"row {i} ({x}, {y}) is not within 5σ of mode {k}");
            Assert.Equal(k, mixture.NearestMode(x, y));
            counts[k]++;
            sumSq += (x - cx) * (x - cx);
        }
        // Binomial(8000, 1/8): mean 1000, σ ≈ 29.6; allow 5σ.
        Assert.All(counts, c => Assert.InRange(c, 1000 - 148, 1000 + 148));
        Assert.InRange(Math.Sqrt(sumSq / n), 0.019, 0.021);
    }

    [Fact]
    public void TwentyFiveGaussiansCoverTheGrid()
    {
        var d = Toy2D.TwentyFiveGaussians(10000, 4);
        var mixture = Toy2D.TwentyFiveGaussiansMixture();
        var counts = new int[25];
        for (int i = 0; i < d.Rows; i++)
        {
            float x = d.Row(i)[0], y = d.Row(i)[1];
            int k = d.Labels[i];
            Assert.Equal(MathF.Round(x), mixture.Centre(k).X);
            Assert.Equal(MathF.Round(y), mixture.Centre(k).Y);
            Assert.InRange(mixture.Centre(k).X, -2, 2);
            counts[k]++;
        }
        Assert.All(counts, c => Assert.InRange(c, 400 - 98, 400 + 98)); // 5σ of binomial(10000, 1/25)
    }

    [Fact]
    public void CheckerboardFillsOnlyDarkCellsEvenly()
    {
        var d = Toy2D.Checkerboard(8000, 8);
        var counts = new int[8];
        for (int i = 0; i < d.Rows; i++)
        {
            float x = d.Row(i)[0], y = d.Row(i)[1];
            Assert.InRange(x, -4f, 4f);
            Assert.InRange(y, -4f, 4f);
            int column = (int)Math.Floor(x / 2) + 2, row = (int)Math.Floor(y / 2) + 2;
            Assert.True((column + row) % 2 == 0, $"({x}, {y}) is on a light cell");
            int k = 2 * column + (row >= 2 ? 1 : 0);
            Assert.Equal(k, d.Labels[i]);
            counts[k]++;
        }
        Assert.All(counts, c => Assert.InRange(c, 1000 - 148, 1000 + 148));
    }

    [Fact]
    public void SpiralsWithoutNoiseFollowTheirCurve()
    {
        var d = Toy2D.TwoSpirals(2000, 6, noise: 0);
        int first = 0;
        for (int i = 0; i < d.Rows; i++)
        {
            double sign = d.Labels[i] == 0 ? 1 : -1;
            double x = sign * d.Row(i)[0] * 3, y = sign * d.Row(i)[1] * 3; // = (−t cos t, t sin t)
            double t = Math.Sqrt(x * x + y * y);
            Assert.InRange(t, 0, 3 * Math.PI + 1e-4);
            if (t > 0.1)
            {
                Assert.Equal(-Math.Cos(t), x / t, 3);
                Assert.Equal(Math.Sin(t), y / t, 3);
            }
            first += d.Labels[i] == 0 ? 1 : 0;
        }
        Assert.InRange(first, 1000 - 112, 1000 + 112);
    }

    [Fact]
    public void PinwheelWithoutSpreadPutsEachArmOnItsAngle()
    {
        var d = Toy2D.Pinwheel(500, 7, arms: 3, radialStd: 0, tangentialStd: 0, rate: 0.25);
        double expectedTurn = 0.25 * Math.E;
        for (int i = 0; i < d.Rows; i++)
        {
            double angle = 2 * Math.PI * d.Labels[i] / 3 + expectedTurn;
            Assert.Equal(2 * Math.Cos(angle), d.Row(i)[0], 5);
            Assert.Equal(2 * Math.Sin(angle), d.Row(i)[1], 5);
        }
        var labels = Toy2D.Pinwheel(3000, 7).Labels;
        var counts = new int[5];
        foreach (int l in labels)
            counts[l]++;
        Assert.All(counts, c => Assert.InRange(c, 600 - 110, 600 + 110));
    }

    [Fact]
    public void MixtureLogDensityIntegratesToOne()
    {
        var mixture = Toy2D.EightGaussiansMixture(radius: 2, std: 0.3);
        // Midpoint rule on [−4, 4]², step 0.02 (≈ σ/15): the density is smooth at that scale.
        const double h = 0.02;
        double total = 0;
        for (double x = -4 + h / 2; x < 4; x += h)
            for (double y = -4 + h / 2; y < 4; y += h)
                total += Math.Exp(mixture.LogDensity((float)x, (float)y)) * h * h;
        Assert.InRange(total, 0.999, 1.001);
        // At a mode, far from the others: ≈ (1/8) / (2πσ²).
        double atMode = mixture.LogDensity(2, 0);
        Assert.Equal(Math.Log(1.0 / 8 / (2 * Math.PI * 0.09)), atMode, 3);
    }

    [Fact]
    public void BadParametersAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Toy2D.TwoMoons(0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Toy2D.TwoMoons(10, 1, noise: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Toy2D.Circles(10, 1, factor: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Toy2D.Pinwheel(10, 1, arms: 0));
        Assert.Throws<ArgumentException>(() => new GaussianMixture2D([1f, 2f, 3f], 1));
    }
}
