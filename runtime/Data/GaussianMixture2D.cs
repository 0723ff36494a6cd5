namespace GenDsl.Data;

/// <summary>
/// An equal-weight mixture of isotropic Gaussians in the plane: K centres μₖ sharing one standard
/// deviation σ. It describes the known modes of the toy data sets (<see cref="Toy2D.EightGaussians"/>,
/// <see cref="Toy2D.TwentyFiveGaussians"/>), so a trained model can be scored against the truth:
/// the exact log-density, the nearest mode of a sample, the share of samples near each mode.
/// </summary>
public sealed class GaussianMixture2D
{
    private readonly float[] _centres;

    /// <summary>Creates the mixture.</summary>
    /// <param name="centres">The centres, interleaved: x₀, y₀, x₁, y₁, … (an even, non-zero number of values).</param>
    /// <param name="std">The standard deviation σ of every component, per axis (&gt; 0).</param>
    public GaussianMixture2D(ReadOnlySpan<float> centres, float std)
    {
        if (centres.Length == 0 || centres.Length % 2 != 0)
            throw new ArgumentException(
                $"centres has {centres.Length} values; pass x, y pairs (an even number, at least 2).", nameof(centres));
        if (!(std > 0) || float.IsInfinity(std))
            throw new ArgumentOutOfRangeException(nameof(std), std, "The standard deviation must be positive and finite.");
        _centres = centres.ToArray();
        Std = std;
    }

    /// <summary>The number of components K.</summary>
    public int Count => _centres.Length / 2;

    /// <summary>The standard deviation σ of every component, per axis.</summary>
    public float Std { get; }

    /// <summary>The centres, interleaved x₀, y₀, x₁, y₁, ….</summary>
    public ReadOnlySpan<float> Centres => _centres;

    /// <summary>The centre of component <paramref name="k"/>.</summary>
    public (float X, float Y) Centre(int k)
    {
        if ((uint)k >= (uint)Count)
            throw new ArgumentOutOfRangeException(nameof(k), k, $"The mixture has {Count} components (0 … {Count - 1}).");
        return (_centres[2 * k], _centres[2 * k + 1]);
    }

    /// <summary>The index of the centre closest to (x, y) (the first one on a tie).</summary>
    public int NearestMode(float x, float y)
    {
        int best = 0;
        double bestDistance = double.PositiveInfinity;
        for (int k = 0; k < Count; k++)
        {
            double dx = x - (double)_centres[2 * k], dy = y - (double)_centres[2 * k + 1];
            double d = dx * dx + dy * dy;
            if (d < bestDistance)
            {
                bestDistance = d;
                best = k;
            }
        }
        return best;
    }

    /// <summary>
    /// The exact log-density of the mixture at (x, y), in nats:
    /// ln p = ln( (1/K) Σₖ N((x, y); μₖ, σ² I) ) = logsumexp(−‖x − μₖ‖² / 2σ²) − ln K − ln(2πσ²).
    /// </summary>
    public double LogDensity(float x, float y)
    {
        double inv2Var = 1.0 / (2.0 * Std * (double)Std);
        // log-sum-exp: subtract the largest exponent so that exp never underflows to all zeros.
        double max = double.NegativeInfinity;
        for (int k = 0; k < Count; k++)
            max = Math.Max(max, Exponent(k));
        double sum = 0;
        for (int k = 0; k < Count; k++)
            sum += Math.Exp(Exponent(k) - max);
        return max + Math.Log(sum) - Math.Log(Count) - Math.Log(2.0 * Math.PI * Std * (double)Std);

        double Exponent(int k)
        {
            double dx = x - (double)_centres[2 * k], dy = y - (double)_centres[2 * k + 1];
            return -(dx * dx + dy * dy) * inv2Var;
        }
    }

    /// <summary>
    /// Draws <paramref name="n"/> samples: a component chosen uniformly, then its Gaussian. The label
    /// of each row is its component.
    /// </summary>
    public Dataset Sample(int n, ulong seed, string name = "mixture")
    {
        Toy2D.CheckCount(n);
        var random = new DataRandom(seed);
        var data = new float[2 * n];
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            int k = random.NextInt(Count);
            labels[i] = k;
            data[2 * i] = (float)(_centres[2 * k] + Std * random.NextGaussian());
            data[2 * i + 1] = (float)(_centres[2 * k + 1] + Std * random.NextGaussian());
        }
        return new Dataset(data, n, 2, labels, name);
    }
}
