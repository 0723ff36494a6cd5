using GenDsl.Data;

namespace GenDsl.Runtime.Tests;

/// <summary>
/// The exact log-densities of the toy data sets (Toy2D.LogDensity): they integrate to 1, agree with independent
/// references (the Bessel closed form of a noisy circle, a brute-force Simpson rule for the moons), and match
/// histograms of the samplers' own draws.
/// </summary>
public class Toy2DDensityTests(Xunit.Abstractions.ITestOutputHelper output)
{
    // name, σ (the midpoint grid's spacing), and a box that holds all but e^(−32) of the mass (8σ beyond the curves)
    public static TheoryData<string, double, double, double, double, double> SmoothTargets() => new()
    {
        { "moons", 0.05, -1.4, 2.4, -0.9, 1.4 },
        { "circles", 0.05, -1.4, 1.4, -1.4, 1.4 },
        { "2spirals", 0.1, -4.0, 4.0, -4.0, 4.0 },
        { "8gaussians", 0.02, -2.2, 2.2, -2.2, 2.2 },
        { "25gaussians", 0.05, -2.45, 2.45, -2.45, 2.45 },
    };

    [Theory]
    [MemberData(nameof(SmoothTargets))]
    public void TheDensityIntegratesToOne(string name, double sigma, double x0, double x1, double y0, double y1)
    {
        // The density is a Gaussian blur of width σ, so its Fourier transform falls as exp(−σ²ω²/2): the midpoint rule
        // with spacing h = σ aliases only exp(−2π²) ≈ 3e-9 of it, far below the 1e-6 asserted.
        double h = sigma, mass = 0;
        int nx = (int)Math.Round((x1 - x0) / h), ny = (int)Math.Round((y1 - y0) / h);
        for (int i = 0; i < nx; i++)
            for (int j = 0; j < ny; j++)
                mass += Math.Exp(Toy2D.LogDensity(name, x0 + (i + 0.5) * h, y0 + (j + 0.5) * h));
        mass *= h * h;
        output.WriteLine($"{name}: ∫p = {mass:F9} on {nx}×{ny} points");
        Assert.InRange(mass, 1 - 1e-6, 1 + 1e-6);
    }

    [Fact]
    public void TheCirclesDensityMatchesTheBesselClosedForm()
    {
        // p = ½ Σ_R (1/2πσ²) exp(−(r − R)²/2σ²) I₀ₑ(rR/σ²), I₀ₑ(z) = e^(−z) Σ_k (z²/4)^k / (k!)² (the series, summed in double)
        const double sigma = 0.05;
        var random = new Random(5);
        double worst = 0;
        for (int trial = 0; trial < 200; trial++)
        {
            double r = 1.6 * random.NextDouble(), angle = 2 * Math.PI * random.NextDouble();
            double x = r * Math.Cos(angle), y = r * Math.Sin(angle);
            double p = 0;
            foreach (double radius in new[] { 1.0, 0.5 })
                p += 0.5 / (2 * Math.PI * sigma * sigma) * Math.Exp(-(r - radius) * (r - radius) / (2 * sigma * sigma)) * ScaledBesselI0(r * radius / (sigma * sigma));
            double expected = Math.Log(p), actual = Toy2D.CirclesLogDensity(x, y);
            if (p > 0)
                worst = Math.Max(worst, Math.Abs(actual - expected));
        }
        output.WriteLine($"worst |ln p − ln p_Bessel| = {worst:E2}");
        Assert.True(worst < 1e-8, $"{worst}");
    }

    [Fact]
    public void TheMoonsDensityMatchesABruteForceSimpsonRule()
    {
        // Simpson's rule with 400,000 intervals per moon: its error h⁴f⁗/180 is below 1e-12 relative for a bump of width σ in t.
        const double sigma = 0.05;
        var random = new Random(6);
        double worst = 0;
        for (int trial = 0; trial < 30; trial++)
        {
            double x = -1.2 + 3.4 * random.NextDouble(), y = -0.7 + 1.9 * random.NextDouble();
            double sum = 0;
            for (int moon = 0; moon < 2; moon++)
            {
                const int n = 400_000;
                double h = Math.PI / n, s = 0;
                for (int i = 0; i <= n; i++)
                {
                    double t = i * h;
                    double cx = moon == 0 ? Math.Cos(t) : 1 - Math.Cos(t), cy = moon == 0 ? Math.Sin(t) : 0.5 - Math.Sin(t);
                    double f = Math.Exp(-((x - cx) * (x - cx) + (y - cy) * (y - cy)) / (2 * sigma * sigma));
                    s += f * (i == 0 || i == n ? 1 : i % 2 == 1 ? 4 : 2);
                }
                sum += s * h / 3 / Math.PI;
            }
            double p = 0.5 * sum / (2 * Math.PI * sigma * sigma);
            if (p < 1e-200)
                continue; // beyond double's range for the brute force (the adaptive code shifts the exponent and still answers)
            worst = Math.Max(worst, Math.Abs(Toy2D.MoonsLogDensity(x, y) - Math.Log(p)));
        }
        output.WriteLine($"worst |ln p − ln p_Simpson| = {worst:E2}");
        Assert.True(worst < 1e-6, $"{worst}");
    }

    [Theory]
    [InlineData("moons", 0.05, 2.5)]
    [InlineData("circles", 0.05, 1.5)]
    [InlineData("2spirals", 0.1, 4.0)]
    public void HistogramsOfTheSamplerMatchTheDensity(string name, double sigma, double extent)
    {
        // 200,000 draws binned in 0.25 × 0.25 cells of [−extent, extent]²; each cell's expected count from the density (a midpoint rule);
        // every cell within 5 binomial standard deviations (+2 for the rule's error on nearly empty cells).
        const int n = 200_000;
        const double side = 0.25;
        var data = Toy2D.Create(name, n, seed: 21);
        var counts = new Dictionary<(int, int), int>();
        for (int r = 0; r < n; r++)
        {
            var key = ((int)Math.Floor(data.Row(r)[0] / side), (int)Math.Floor(data.Row(r)[1] / side));
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }
        int checkedCells = 0;
        double expectedTotal = 0;
        int range = (int)Math.Ceiling(extent / side);
        int sub = (int)Math.Ceiling(side / sigma); // a midpoint rule of spacing ≤ σ
        for (int cx = -range; cx < range; cx++)
            for (int cy = -range; cy < range; cy++)
            {
                double mass = 0, h = side / sub;
                for (int i = 0; i < sub; i++)
                    for (int j = 0; j < sub; j++)
                        mass += Math.Exp(Toy2D.LogDensity(name, (cx + (i + 0.5) / sub) * side, (cy + (j + 0.5) / sub) * side));
                double expected = n * mass * h * h;
                expectedTotal += expected;
                int observed = counts.GetValueOrDefault((cx, cy));
                if (expected < 1e-3 && observed == 0)
                    continue;
                checkedCells++;
                Assert.True(Math.Abs(observed - expected) <= 5 * Math.Sqrt(expected) + 2,
                    $"{name}: cell ({cx}, {cy}) has {observed} draws, the density expects {expected:F1}");
            }
        output.WriteLine($"{name}: {checkedCells} cells checked, expected total {expectedTotal:F0} of {n}");
        Assert.InRange(expectedTotal, 0.999 * n, 1.001 * n);
        Assert.True(checkedCells > 20);
    }

    [Fact]
    public void FarFromTheDataTheLogDensityStaysFiniteAndBadInputsAreNamed()
    {
        Assert.True(double.IsFinite(Toy2D.MoonsLogDensity(40, -30)));          // exp(−d²/2σ²) underflows; the shifted integral does not
        Assert.True(Toy2D.MoonsLogDensity(40, -30) < Toy2D.MoonsLogDensity(3, 3));
        Assert.True(double.IsFinite(Toy2D.TwoSpiralsLogDensity(100, 100)));
        Assert.True(double.IsFinite(Toy2D.CirclesLogDensity(0, 0)));
        Assert.Equal(Toy2D.CheckerboardLogDensity(1, 1), Toy2D.LogDensity("Checkerboard", 1, 1));
        Assert.Equal(Toy2D.EightGaussiansMixture().LogDensity(2, 0), Toy2D.LogDensity("8gaussians", 2, 0));
        var e = Assert.Throws<ArgumentException>(() => Toy2D.LogDensity("pinwheel", 0, 0));
        Assert.Contains("moons", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Toy2D.MoonsLogDensity(0, 0, noise: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Toy2D.CirclesLogDensity(0, 0, factor: 1));
    }

    private static double ScaledBesselI0(double z)
    {
        // Σ_k (z²/4)^k/(k!)² summed with terms kept relative to e^z so nothing overflows for z ≤ 700
        double term = Math.Exp(-z), sum = term, q = z * z / 4;
        for (int k = 1; k < 10_000; k++)
        {
            term *= q / ((double)k * k);
            sum += term;
            if (term < 1e-18 * sum && k > q)
                break;
        }
        return sum;
    }
}
