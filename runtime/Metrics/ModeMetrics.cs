using CommunityToolkit.HighPerformance;
using GenDsl.Data;

namespace GenDsl.Metrics;

/// <summary>
/// How well a set of generated 2-D samples covers the known modes of a Gaussian mixture
/// (see <see cref="ModeMetrics.Evaluate"/> for the definitions).
/// </summary>
/// <param name="ModesCovered">Modes that received at least the minimum share of all samples as high-quality samples.</param>
/// <param name="Modes">The number of modes K of the mixture.</param>
/// <param name="HighQualityShare">The fraction of samples (0 … 1) within the radius (3σ by default) of their nearest mode.</param>
/// <param name="CountsPerMode">For each mode, the number of high-quality samples whose nearest mode it is.</param>
public sealed record ModeCoverage(int ModesCovered, int Modes, double HighQualityShare, int[] CountsPerMode)
{
    /// <summary>For example "7/8 modes covered, 93.5 % high-quality samples".</summary>
    public override string ToString() =>
        $"{ModesCovered}/{Modes} modes covered, {100 * HighQualityShare:F1} % high-quality samples";
}

/// <summary>
/// Mode-collapse metrics for generators (GANs) trained on a mixture with known modes, such as
/// <see cref="Toy2D.EightGaussiansMixture"/> and <see cref="Toy2D.TwentyFiveGaussiansMixture"/>, as in
/// the unrolled-GAN (Metz et al., 2017), VEEGAN (Srivastava et al., 2017) and PacGAN (Lin et al., 2018)
/// experiments.
/// </summary>
public static class ModeMetrics
{
    /// <summary>The default radius of a mode, in standard deviations of the mixture: 3.</summary>
    public const double DefaultRadiusInStd = 3.0;

    /// <summary>The default share of all samples a mode needs to count as covered: 1 %.</summary>
    public const double DefaultMinShare = 0.01;

    /// <summary>
    /// Scores <paramref name="samples"/> (N × 2) against the modes of <paramref name="mixture"/>.
    /// </summary>
    /// <remarks>
    /// <para>Each sample is assigned to its nearest mode μₖ (Euclidean distance). It is
    /// <em>high quality</em> when ‖x − μₖ‖ ≤ r·σ (r = <paramref name="radiusInStd"/>, 3 by default; σ =
    /// <see cref="GaussianMixture2D.Std"/>). <c>CountsPerMode[k]</c> counts the high-quality samples
    /// assigned to mode k; mode k is <em>covered</em> when <c>CountsPerMode[k] ≥ minShare·N</c>
    /// (1 % of the samples by default). <c>HighQualityShare</c> = (Σₖ CountsPerMode[k]) / N.</para>
    /// <para>For reference, samples from the true mixture are high quality with probability
    /// 1 − e^(−r²/2) (the radius of a 2-D isotropic Gaussian is Rayleigh distributed): 98.9 % for r = 3.
    /// VEEGAN counts a mode as soon as one high-quality sample lands on it; PacGAN requires 20 of 2,500
    /// (0.8 %); pass <paramref name="minShare"/> accordingly. A NaN or infinite sample is never high quality.</para>
    /// <para>Cost O(N·K); allocates only the result.</para>
    /// </remarks>
    /// <param name="samples">The generated points, one per row, 2 columns.</param>
    /// <param name="mixture">The true distribution with its modes.</param>
    /// <param name="radiusInStd">The radius of a mode in standard deviations (&gt; 0).</param>
    /// <param name="minShare">The share of all samples a mode needs to be covered, in [0, 1].</param>
    /// <exception cref="ArgumentException">The samples are not N × 2 with N ≥ 1, or a parameter is out of range.</exception>
    public static ModeCoverage Evaluate(ReadOnlySpan2D<float> samples, GaussianMixture2D mixture,
        double radiusInStd = DefaultRadiusInStd, double minShare = DefaultMinShare)
    {
        ArgumentNullException.ThrowIfNull(mixture);
        if (samples.Width != 2)
            throw new ArgumentException(
                $"samples is {samples.Height} × {samples.Width} but a 2-D mixture needs N × 2 (x, y per row); pass the generator's 2-column output.",
                nameof(samples));
        if (samples.Height < 1)
            throw new ArgumentException("samples has no rows; pass at least one generated point.", nameof(samples));
        if (!(radiusInStd > 0) || double.IsInfinity(radiusInStd))
            throw new ArgumentOutOfRangeException(nameof(radiusInStd), radiusInStd,
                "radiusInStd must be positive and finite (3 standard deviations is the usual choice).");
        if (!(minShare >= 0 && minShare <= 1))
            throw new ArgumentOutOfRangeException(nameof(minShare), minShare,
                "minShare must lie in [0, 1] (0.01: a mode needs 1 % of the samples).");

        int k = mixture.Count;
        var counts = new int[k];
        double radius = radiusInStd * mixture.Std;
        double radiusSquared = radius * radius;
        int highQuality = 0;
        for (int i = 0; i < samples.Height; i++)
        {
            float x = samples[i, 0], y = samples[i, 1];
            if (!float.IsFinite(x) || !float.IsFinite(y))
                continue;
            int nearest = mixture.NearestMode(x, y);
            var (cx, cy) = mixture.Centre(nearest);
            double dx = x - (double)cx, dy = y - (double)cy;
            if (dx * dx + dy * dy <= radiusSquared)
            {
                counts[nearest]++;
                highQuality++;
            }
        }

        // The count a mode needs; the tiny relative slack keeps exactly 1 % of 1,000 samples (10) covered despite
        // 0.01 not being exact in binary.
        double needed = minShare * samples.Height * (1 - 1e-12);
        int covered = 0;
        for (int m = 0; m < k; m++)
        {
            // A covered mode needs at least one sample (minShare = 0 means "at least one", as in VEEGAN).
            if (counts[m] > 0 && counts[m] >= needed)
                covered++;
        }
        return new ModeCoverage(covered, k, (double)highQuality / samples.Height, counts);
    }
}
