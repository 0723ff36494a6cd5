namespace GenDsl.Data;

/// <summary>
/// The classic two-dimensional toy distributions used to test density models (normalizing flows,
/// GANs): moons, circles, rings of Gaussians, checkerboard, spirals, pinwheel. Every generator is
/// deterministic from its seed and labels each sample with the component (class) it came from.
/// </summary>
/// <remarks>
/// The formulas follow scikit-learn (<c>make_moons</c>, <c>make_circles</c>) and the FFJORD /
/// structured-VAE toy sets (Grathwohl et al. 2019; Johnson et al. 2016); each method documents its
/// own. Random draws come from a seeded xoshiro256** generator, so the numbers differ from NumPy's
/// for the same seed, but the distributions are the same.
/// </remarks>
public static partial class Toy2D
{
    private static readonly string[] s_names =
        ["moons", "circles", "8gaussians", "25gaussians", "checkerboard", "2spirals", "pinwheel"];

    /// <summary>The names <see cref="Create"/> accepts: moons, circles, 8gaussians, 25gaussians, checkerboard, 2spirals, pinwheel.</summary>
    public static IReadOnlyList<string> Names => s_names;

    /// <summary>Creates the named data set with its default parameters (the name is case-insensitive).</summary>
    /// <exception cref="ArgumentException">The name is not one of <see cref="Names"/>; the message lists them.</exception>
    public static Dataset Create(string name, int n, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.ToLowerInvariant() switch
        {
            "moons" => TwoMoons(n, seed),
            "circles" => Circles(n, seed),
            "8gaussians" => EightGaussians(n, seed),
            "25gaussians" => TwentyFiveGaussians(n, seed),
            "checkerboard" => Checkerboard(n, seed),
            "2spirals" => TwoSpirals(n, seed),
            "pinwheel" => Pinwheel(n, seed),
            _ => throw new ArgumentException(
                $"Unknown toy data set '{name}'; choose one of: {string.Join(", ", s_names)}.", nameof(name)),
        };
    }

    /// <summary>
    /// Two interleaving half circles (scikit-learn's <c>make_moons</c>). The first ⌊n/2⌋ points are the
    /// outer moon (cos t, sin t), the others the inner moon (1 − cos t, 1 − sin t − 0.5), with t evenly
    /// spaced on [0, π] (numpy.linspace, both ends included); then Gaussian noise of standard deviation
    /// <paramref name="noise"/> is added to each coordinate and the rows are shuffled.
    /// Label 0 = outer moon, 1 = inner moon.
    /// </summary>
    public static Dataset TwoMoons(int n, ulong seed, double noise = 0.05)
    {
        CheckCount(n);
        CheckNoise(noise);
        int outer = n / 2, inner = n - outer;
        var points = new double[2 * n];
        var labels = new int[n];
        for (int i = 0; i < outer; i++)
        {
            double t = Linspace(0, Math.PI, outer, i, endpoint: true);
            points[2 * i] = Math.Cos(t);
            points[2 * i + 1] = Math.Sin(t);
        }
        for (int i = 0; i < inner; i++)
        {
            double t = Linspace(0, Math.PI, inner, i, endpoint: true);
            int row = outer + i;
            points[2 * row] = 1 - Math.Cos(t);
            points[2 * row + 1] = 1 - Math.Sin(t) - 0.5;
            labels[row] = 1;
        }
        return NoisyShuffled(points, labels, n, seed, noise, "moons");
    }

    /// <summary>
    /// Two concentric circles (scikit-learn's <c>make_circles</c>): ⌊n/2⌋ points (cos t, sin t) on the
    /// unit circle and the others <paramref name="factor"/> · (cos t, sin t), t evenly spaced on [0, 2π)
    /// (the end excluded), plus Gaussian noise, rows shuffled. Label 0 = outer, 1 = inner circle.
    /// </summary>
    /// <param name="n">Number of samples.</param>
    /// <param name="seed">Seed.</param>
    /// <param name="noise">Standard deviation of the Gaussian noise added to each coordinate.</param>
    /// <param name="factor">Radius of the inner circle, in [0, 1).</param>
    public static Dataset Circles(int n, ulong seed, double noise = 0.05, double factor = 0.5)
    {
        CheckCount(n);
        CheckNoise(noise);
        if (!(factor >= 0 && factor < 1))
            throw new ArgumentOutOfRangeException(nameof(factor), factor, "The inner circle's radius factor must be in [0, 1).");
        int outer = n / 2, inner = n - outer;
        var points = new double[2 * n];
        var labels = new int[n];
        for (int i = 0; i < outer; i++)
        {
            double t = Linspace(0, 2 * Math.PI, outer, i, endpoint: false);
            points[2 * i] = Math.Cos(t);
            points[2 * i + 1] = Math.Sin(t);
        }
        for (int i = 0; i < inner; i++)
        {
            double t = Linspace(0, 2 * Math.PI, inner, i, endpoint: false);
            int row = outer + i;
            points[2 * row] = factor * Math.Cos(t);
            points[2 * row + 1] = factor * Math.Sin(t);
            labels[row] = 1;
        }
        return NoisyShuffled(points, labels, n, seed, noise, "circles");
    }

    /// <summary>The eight modes of <see cref="EightGaussians"/>: centres <paramref name="radius"/> · (cos kπ/4, sin kπ/4), k = 0 … 7.</summary>
    public static GaussianMixture2D EightGaussiansMixture(double radius = 2, double std = 0.02)
    {
        if (!(radius > 0) || double.IsInfinity(radius))
            throw new ArgumentOutOfRangeException(nameof(radius), radius, "The radius must be positive and finite.");
        Span<float> centres = stackalloc float[16];
        for (int k = 0; k < 8; k++)
        {
            (double sin, double cos) = Math.SinCos(k * Math.PI / 4);
            centres[2 * k] = (float)(radius * cos);
            centres[2 * k + 1] = (float)(radius * sin);
        }
        return new GaussianMixture2D(centres, (float)std);
    }

    /// <summary>
    /// Eight Gaussians on a ring: each sample picks one of the modes of
    /// <see cref="EightGaussiansMixture"/> uniformly and adds isotropic noise of standard deviation
    /// <paramref name="std"/>. Label = mode index.
    /// </summary>
    public static Dataset EightGaussians(int n, ulong seed, double radius = 2, double std = 0.02) =>
        EightGaussiansMixture(radius, std).Sample(n, seed, "8gaussians");

    /// <summary>The 25 modes of <see cref="TwentyFiveGaussians"/>: the grid {−2, −1, 0, 1, 2}², mode 5(i + 2) + (j + 2) at (i, j).</summary>
    public static GaussianMixture2D TwentyFiveGaussiansMixture(double std = 0.05)
    {
        Span<float> centres = stackalloc float[50];
        for (int i = -2; i <= 2; i++)
            for (int j = -2; j <= 2; j++)
            {
                int k = 5 * (i + 2) + (j + 2);
                centres[2 * k] = i;
                centres[2 * k + 1] = j;
            }
        return new GaussianMixture2D(centres, (float)std);
    }

    /// <summary>
    /// Twenty-five Gaussians on the grid {−2, −1, 0, 1, 2}²: a mode of
    /// <see cref="TwentyFiveGaussiansMixture"/> chosen uniformly plus isotropic noise. Label = mode index.
    /// </summary>
    public static Dataset TwentyFiveGaussians(int n, ulong seed, double std = 0.05) =>
        TwentyFiveGaussiansMixture(std).Sample(n, seed, "25gaussians");

    /// <summary>
    /// Uniform on the dark squares of a 4 × 4 checkerboard of side-<paramref name="cellSize"/> cells
    /// centred on the origin (with the default 2: the square [−4, 4]², as in FFJORD). Cell (column c,
    /// row r), counted from the lower left, is dark when c + r is even; there are 8, and each sample
    /// picks one uniformly. Label = the dark cell's index 2c + (r ≥ 2 ? 1 : 0), 0 … 7.
    /// </summary>
    public static Dataset Checkerboard(int n, ulong seed, double cellSize = 2)
    {
        CheckCount(n);
        if (!(cellSize > 0) || double.IsInfinity(cellSize))
            throw new ArgumentOutOfRangeException(nameof(cellSize), cellSize, "The cell size must be positive and finite.");
        var random = new DataRandom(seed);
        var data = new float[2 * n];
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            int k = random.NextInt(8);
            int column = k >> 1;
            int row = (column & 1) + 2 * (k & 1); // the two dark rows of this column
            labels[i] = k;
            data[2 * i] = (float)(cellSize * (column - 2 + random.NextDouble()));
            data[2 * i + 1] = (float)(cellSize * (row - 2 + random.NextDouble()));
        }
        return new Dataset(data, n, 2, labels, "checkerboard");
    }

    /// <summary>
    /// The exact log-density of <see cref="Checkerboard"/> at (x, y), in nats: ln(1 / (8·cellSize²)) on the 8 dark
    /// cells (half-open, [c₀, c₀ + cellSize) × [r₀, r₀ + cellSize), as the sampler draws them), −∞ elsewhere.
    /// </summary>
    public static double CheckerboardLogDensity(double x, double y, double cellSize = 2)
    {
        if (!(cellSize > 0) || double.IsInfinity(cellSize))
            throw new ArgumentOutOfRangeException(nameof(cellSize), cellSize, "The cell size must be positive and finite.");
        double cx = Math.Floor(x / cellSize) + 2, cy = Math.Floor(y / cellSize) + 2; // column and row, 0 … 3 on the board
        if (!(cx >= 0 && cx <= 3 && cy >= 0 && cy <= 3) || ((int)cx + (int)cy) % 2 != 0)
            return double.NegativeInfinity;
        return -Math.Log(8 * cellSize * cellSize);
    }

    /// <summary>
    /// Two interleaved spirals (after FFJORD's <c>2spirals</c>, without its uniform jitter): each
    /// sample picks a spiral uniformly, draws t = 3π√u with u uniform on [0, 1) (so points are uniform
    /// along the arc length, roughly), and takes (−t cos t, t sin t) / 3 for spiral 0 or its negation
    /// for spiral 1, plus Gaussian noise of standard deviation <paramref name="noise"/>. Label = spiral.
    /// </summary>
    public static Dataset TwoSpirals(int n, ulong seed, double noise = 0.1)
    {
        CheckCount(n);
        CheckNoise(noise);
        var random = new DataRandom(seed);
        var data = new float[2 * n];
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            int k = random.NextInt(2);
            double t = 3 * Math.PI * Math.Sqrt(random.NextDouble());
            (double sin, double cos) = Math.SinCos(t);
            double sign = k == 0 ? 1 : -1;
            labels[i] = k;
            data[2 * i] = (float)(sign * -t * cos / 3 + noise * random.NextGaussian());
            data[2 * i + 1] = (float)(sign * t * sin / 3 + noise * random.NextGaussian());
        }
        return new Dataset(data, n, 2, labels, "2spirals");
    }

    /// <summary>
    /// The pinwheel of Johnson et al. (2016), as in FFJORD: each sample picks an arm k uniformly, draws
    /// a radial coordinate ρ = 1 + <paramref name="radialStd"/>·z₁ and a tangential one
    /// τ = <paramref name="tangentialStd"/>·z₂ (z standard normal), and rotates (ρ, τ) by the angle
    /// 2πk/arms + <paramref name="rate"/>·e^ρ, then scales by 2 — so each arm bends outwards.
    /// Label = arm.
    /// </summary>
    public static Dataset Pinwheel(int n, ulong seed, int arms = 5, double radialStd = 0.3, double tangentialStd = 0.1, double rate = 0.25)
    {
        CheckCount(n);
        if (arms < 1)
            throw new ArgumentOutOfRangeException(nameof(arms), arms, "The pinwheel needs at least one arm.");
        CheckNoise(radialStd, nameof(radialStd));
        CheckNoise(tangentialStd, nameof(tangentialStd));
        var random = new DataRandom(seed);
        var data = new float[2 * n];
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            int k = random.NextInt(arms);
            double radial = 1 + radialStd * random.NextGaussian();
            double tangential = tangentialStd * random.NextGaussian();
            double angle = 2 * Math.PI * k / arms + rate * Math.Exp(radial);
            (double sin, double cos) = Math.SinCos(angle);
            labels[i] = k;
            data[2 * i] = (float)(2 * (radial * cos - tangential * sin));
            data[2 * i + 1] = (float)(2 * (radial * sin + tangential * cos));
        }
        return new Dataset(data, n, 2, labels, "pinwheel");
    }

    internal static void CheckCount(int n)
    {
        if (n < 1)
            throw new ArgumentOutOfRangeException(nameof(n), n, "The number of samples must be at least 1.");
    }

    private static void CheckNoise(double noise, string name = "noise")
    {
        if (!(noise >= 0) || double.IsInfinity(noise))
            throw new ArgumentOutOfRangeException(name, noise, "A standard deviation must be 0 or more, and finite.");
    }

    /// <summary>numpy.linspace(start, stop, count, endpoint)[i].</summary>
    private static double Linspace(double start, double stop, int count, int i, bool endpoint)
    {
        int divisions = endpoint ? count - 1 : count;
        return divisions <= 0 ? start : start + i * ((stop - start) / divisions);
    }

    /// <summary>Adds N(0, noise²) to every coordinate, then shuffles rows (with their labels).</summary>
    private static Dataset NoisyShuffled(double[] points, int[] labels, int n, ulong seed, double noise, string name)
    {
        var random = new DataRandom(seed);
        var order = new int[n];
        for (int i = 0; i < n; i++)
            order[i] = i;
        random.Shuffle(order);
        var data = new float[2 * n];
        var shuffledLabels = new int[n];
        for (int i = 0; i < n; i++)
        {
            int source = order[i];
            shuffledLabels[i] = labels[source];
            data[2 * i] = (float)(points[2 * source] + noise * random.NextGaussian());
            data[2 * i + 1] = (float)(points[2 * source + 1] + noise * random.NextGaussian());
        }
        return new Dataset(data, n, 2, shuffledLabels, name);
    }
}
