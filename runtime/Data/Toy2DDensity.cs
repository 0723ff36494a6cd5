namespace GenDsl.Data;

public static partial class Toy2D
{
    /// <summary>The names of the toy data sets that have an exact <see cref="LogDensity(string, double, double)"/>: moons, circles, 8gaussians, 25gaussians, checkerboard, 2spirals.</summary>
    public static IReadOnlyList<string> NamesWithDensity { get; } = ["moons", "circles", "8gaussians", "25gaussians", "checkerboard", "2spirals"];

    /// <summary>
    /// The exact log-density at (x, y), in nats, of the named data set with its default parameters (the
    /// distribution <see cref="Create"/> samples from). Used by KL(p‖q) = E_p[ln p − ln q], the distance of a
    /// model q to the truth (<see cref="Metrics.FlowMetrics.KlDivergence"/>).
    /// </summary>
    /// <exception cref="ArgumentException">The name has no exact density (pinwheel) or is unknown; the message lists those that do.</exception>
    public static double LogDensity(string name, double x, double y)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.ToLowerInvariant() switch
        {
            "moons" => MoonsLogDensity(x, y),
            "circles" => CirclesLogDensity(x, y),
            "8gaussians" => s_eight.LogDensity((float)x, (float)y),
            "25gaussians" => s_twentyFive.LogDensity((float)x, (float)y),
            "checkerboard" => CheckerboardLogDensity(x, y),
            "2spirals" => TwoSpiralsLogDensity(x, y),
            _ => throw new ArgumentException(
                $"The toy data set '{name}' has no exact log-density here; those that have one: {string.Join(", ", NamesWithDensity)}.", nameof(name)),
        };
    }

    private static readonly GaussianMixture2D s_eight = EightGaussiansMixture();
    private static readonly GaussianMixture2D s_twentyFive = TwentyFiveGaussiansMixture();

    /// <summary>
    /// The exact log-density of <see cref="TwoMoons"/> (in the limit of many samples, where the evenly spaced t of
    /// each moon becomes uniform on [0, π]) at (x, y), in nats:
    /// p(x) = ½ Σ_moon (1/π) ∫₀^π N(x; c_moon(t), σ²I) dt, c_outer(t) = (cos t, sin t), c_inner(t) = (1 − cos t, ½ − sin t).
    /// The integrals are computed by adaptive Gauss–Kronrod quadrature to a relative accuracy of about 1e-10
    /// (so ln p to about 1e-10 absolute; the tests check 1e-6).
    /// </summary>
    /// <param name="x">The first coordinate.</param>
    /// <param name="y">The second coordinate.</param>
    /// <param name="noise">σ, the standard deviation of the noise (&gt; 0: without noise the density is singular).</param>
    public static double MoonsLogDensity(double x, double y, double noise = 0.05)
    {
        CheckDensityNoise(noise);
        double outer = CurveLogIntegral(x, y, noise, 0, Math.PI, 1, static t => (Math.Cos(t), Math.Sin(t)), static _ => 1 / Math.PI);
        double inner = CurveLogIntegral(x, y, noise, 0, Math.PI, 1, static t => (1 - Math.Cos(t), 0.5 - Math.Sin(t)), static _ => 1 / Math.PI);
        return LogSumExp(outer, inner) - Math.Log(2);
    }

    /// <summary>
    /// The exact log-density of <see cref="Circles"/> (many samples: t uniform on [0, 2π)) at (x, y), in nats:
    /// p(x) = ½ Σ_{R ∈ {1, factor}} (1/2π) ∫₀^{2π} N(x; R(cos t, sin t), σ²I) dt. The closed form is
    /// (1/2πσ²) e^{−(r−R)²/2σ²} I₀ₑ(rR/σ²) with r = ‖x‖ and I₀ₑ the scaled Bessel function; the code
    /// integrates numerically as for the moons, and the tests check it against that closed form.
    /// With factor = 0 the inner "circle" is the point 0 (a Gaussian).
    /// </summary>
    public static double CirclesLogDensity(double x, double y, double noise = 0.05, double factor = 0.5)
    {
        CheckDensityNoise(noise);
        if (!(factor >= 0 && factor < 1))
            throw new ArgumentOutOfRangeException(nameof(factor), factor, "The inner circle's radius factor must be in [0, 1).");
        double outer = CurveLogIntegral(x, y, noise, 0, 2 * Math.PI, 1, static t => (Math.Cos(t), Math.Sin(t)), static _ => 0.5 / Math.PI);
        double inner = factor == 0
            ? -(x * x + y * y) / (2 * noise * noise) - Math.Log(2 * Math.PI * noise * noise)
            : CurveLogIntegral(x, y, noise, 0, 2 * Math.PI, factor, t => (factor * Math.Cos(t), factor * Math.Sin(t)), static _ => 0.5 / Math.PI);
        return LogSumExp(outer, inner) - Math.Log(2);
    }

    /// <summary>
    /// The exact log-density of <see cref="TwoSpirals"/> at (x, y), in nats. t = 3π√u with u uniform has the density
    /// 2t/(3π)² on [0, 3π]; so p(x) = ½ Σ_{s = ±1} ∫₀^{3π} (2t/9π²) N(x; s·(−t cos t, t sin t)/3, σ²I) dt, by
    /// adaptive Gauss–Kronrod quadrature as for <see cref="MoonsLogDensity"/>.
    /// </summary>
    public static double TwoSpiralsLogDensity(double x, double y, double noise = 0.1)
    {
        CheckDensityNoise(noise);
        const double end = 3 * Math.PI;
        double speed = Math.Sqrt(1 + end * end) / 3; // |c'(t)| = √(1 + t²)/3, largest at the end
        double a = CurveLogIntegral(x, y, noise, 0, end, speed, static t => (-t * Math.Cos(t) / 3, t * Math.Sin(t) / 3), static t => 2 * t / (end * end));
        double b = CurveLogIntegral(x, y, noise, 0, end, speed, static t => (t * Math.Cos(t) / 3, -t * Math.Sin(t) / 3), static t => 2 * t / (end * end));
        return LogSumExp(a, b) - Math.Log(2);
    }

    private static void CheckDensityNoise(double noise)
    {
        if (!(noise > 0) || double.IsInfinity(noise))
            throw new ArgumentOutOfRangeException(nameof(noise), noise,
                "The exact density needs a positive, finite noise standard deviation (with 0 the points lie on a curve and have no density).");
    }

    private static double LogSumExp(double a, double b)
    {
        double max = Math.Max(a, b);
        return double.IsNegativeInfinity(max) ? max : max + Math.Log(Math.Exp(a - max) + Math.Exp(b - max));
    }

    /// <summary>
    /// ln ∫ₐᵇ w(t) N((x, y); c(t), σ²I) dt for a smooth curve c whose speed |c′| is at most <paramref name="maxSpeed"/>.
    /// The integrand is a bump of width about σ/|c′| in t around the curve's point nearest (x, y). To keep it in range
    /// far from the curve, the code divides it by exp(−d²/2σ²), d the smallest distance found on a fine grid, and adds
    /// −d²/2σ² back to the logarithm. It starts from panels of width σ/maxSpeed (one standard deviation along the
    /// curve, so no bump falls between the nodes) and bisects each panel until its 15-point Kronrod and 7-point Gauss
    /// estimates agree (QUADPACK's G7K15 pair).
    /// </summary>
    private static double CurveLogIntegral(double x, double y, double sigma, double a, double b, double maxSpeed,
        Func<double, (double X, double Y)> curve, Func<double, double> weight)
    {
        double inv2Var = 1 / (2 * sigma * sigma);
        int panels = (int)Math.Clamp(Math.Ceiling((b - a) * maxSpeed / sigma), 16, 1 << 16);
        double h = (b - a) / panels;
        // the shift: the smallest squared distance on a grid four times finer than the panels
        double d2 = double.PositiveInfinity;
        for (int i = 0; i <= 4 * panels; i++)
            d2 = Math.Min(d2, Distance2(a + i * (h / 4)));
        double shift = d2 * inv2Var;
        // a rough Riemann sum on the same grid gives the scale of the integral, for the absolute tolerance
        double rough = 0;
        for (int i = 0; i <= 4 * panels; i++)
            rough += Integrand(a + i * (h / 4));
        double tolerance = 1e-12 * Math.Max(rough * (h / 4), double.Epsilon) / panels;
        double total = 0;
        for (int i = 0; i < panels; i++)
            total += Adaptive(a + i * h, a + (i + 1) * h, 0);
        return Math.Log(total) - shift - Math.Log(2 * Math.PI * sigma * sigma);

        double Distance2(double t)
        {
            var (cx, cy) = curve(t);
            return (x - cx) * (x - cx) + (y - cy) * (y - cy);
        }

        double Integrand(double t) => weight(t) * Math.Exp(shift - Distance2(t) * inv2Var);

        double Kronrod(double lo, double hi, out double gauss)
        {
            double centre = 0.5 * (lo + hi), half = 0.5 * (hi - lo);
            double fc = Integrand(centre);
            double k = s_wgk[7] * fc, g = s_wg[3] * fc;
            for (int j = 0; j < 7; j++)
            {
                double f = Integrand(centre - half * s_xgk[j]) + Integrand(centre + half * s_xgk[j]);
                k += s_wgk[j] * f;
                if (j % 2 == 1)
                    g += s_wg[j / 2] * f;
            }
            gauss = g * half;
            return k * half;
        }

        double Adaptive(double lo, double hi, int depth)
        {
            double k = Kronrod(lo, hi, out double g);
            if (depth >= 40 || Math.Abs(k - g) <= Math.Max(tolerance, 1e-11 * Math.Abs(k)))
                return k;
            double mid = 0.5 * (lo + hi);
            return Adaptive(lo, mid, depth + 1) + Adaptive(mid, hi, depth + 1);
        }
    }

    // The Gauss–Kronrod 7/15 pair on [−1, 1] (QUADPACK's qk15): Kronrod nodes ±xgk[j] (xgk[7] = 0), Gauss nodes the odd j.
    private static readonly double[] s_xgk =
    [
        0.991455371120812639206854697526329, 0.949107912342758524526189684047851, 0.864864423359769072789712788640926,
        0.741531185599394439863864773280788, 0.586087235467691130294144845693013, 0.405845151377397166906606412076961,
        0.207784955007898467600689403773245, 0.0,
    ];
    private static readonly double[] s_wgk =
    [
        0.022935322010529224963732008058970, 0.063092092629978553290700663189204, 0.104790010322250183839876322541518,
        0.140653259715525918745189590510238, 0.169004726639267902826583426598550, 0.190350578064785409913256402421014,
        0.204432940075298892414161999234649, 0.209482141084727828012999174891714,
    ];
    private static readonly double[] s_wg =
    [
        0.129484966168869693270611432679082, 0.279705391489276667901467771423780, 0.381830050505118944950369775488975,
        0.417959183673469387755102040816327,
    ];
}
