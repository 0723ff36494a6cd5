using CommunityToolkit.HighPerformance;

namespace GenDsl.Metrics;

/// <summary>
/// The Fréchet distance between two sets of feature vectors, each summarised by a Gaussian (mean and covariance):
/// d² = ‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2(Σ₁Σ₂)^{1/2}) — the formula of the Fréchet Inception Distance (Heusel et al., 2017),
/// here usually on the 64 penultimate features of <see cref="FashionClassifier"/>.
/// </summary>
/// <remarks>
/// <para>All arithmetic is in double. The covariances are the unbiased sample covariances (divided by n − 1, as numpy's
/// <c>cov</c> and the reference FID code). The trace of the matrix square root uses the symmetric form:
/// Σ₁Σ₂ is similar to M = Σ₁^{1/2} Σ₂ Σ₁^{1/2} (symmetric positive semi-definite), so
/// Tr((Σ₁Σ₂)^{1/2}) = Σᵢ √λᵢ(M); Σ₁^{1/2} and the λᵢ come from cyclic Jacobi eigendecompositions
/// (<see cref="SymmetricEigen"/>); eigenvalues that rounding makes slightly negative count as 0.</para>
/// <para>The result is the squared distance (as FID reports it), ≥ 0 up to rounding (clamped at 0).</para>
/// </remarks>
public static class Frechet
{
    /// <summary>The Fréchet distance between the Gaussians fitted to the rows of <paramref name="a"/> and <paramref name="b"/>.</summary>
    /// <param name="a">n₁ × d features, n₁ ≥ 2.</param>
    /// <param name="b">n₂ × d features, n₂ ≥ 2, same d.</param>
    /// <exception cref="ArgumentException">Fewer than 2 rows, or the widths differ.</exception>
    public static double Distance(ReadOnlySpan2D<float> a, ReadOnlySpan2D<float> b)
    {
        if (a.Width != b.Width)
            throw new ArgumentException($"The feature sets have {a.Width} and {b.Width} columns; both need the same feature size.", nameof(b));
        var (mu1, s1) = Statistics(a);
        var (mu2, s2) = Statistics(b);
        return Distance(mu1, s1, mu2, s2);
    }

    /// <summary>The mean (d) and unbiased covariance (d × d) of the rows of <paramref name="x"/> (n ≥ 2 rows), in double.</summary>
    public static (double[] Mean, double[,] Covariance) Statistics(ReadOnlySpan2D<float> x)
    {
        int n = x.Height, d = x.Width;
        if (n < 2)
            throw new ArgumentException($"A covariance needs at least 2 rows; the feature set has {n}.", nameof(x));
        if (d < 1)
            throw new ArgumentException("The feature set has no columns.", nameof(x));
        var mean = new double[d];
        for (int r = 0; r < n; r++)
        {
            var row = x.GetRowSpan(r);
            for (int j = 0; j < d; j++) mean[j] += row[j];
        }
        for (int j = 0; j < d; j++) mean[j] /= n;
        var cov = new double[d, d];
        var centred = new double[d];
        for (int r = 0; r < n; r++)
        {
            var row = x.GetRowSpan(r);
            for (int j = 0; j < d; j++) centred[j] = row[j] - mean[j];
            for (int i = 0; i < d; i++)
            {
                double ci = centred[i];
                for (int j = i; j < d; j++) cov[i, j] += ci * centred[j];
            }
        }
        for (int i = 0; i < d; i++)
            for (int j = i; j < d; j++)
            {
                cov[i, j] /= n - 1;
                cov[j, i] = cov[i, j];
            }
        return (mean, cov);
    }

    /// <summary>‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2(Σ₁Σ₂)^{1/2}) for given means and symmetric positive semi-definite covariances.</summary>
    public static double Distance(double[] mean1, double[,] cov1, double[] mean2, double[,] cov2)
    {
        ArgumentNullException.ThrowIfNull(mean1);
        ArgumentNullException.ThrowIfNull(cov1);
        ArgumentNullException.ThrowIfNull(mean2);
        ArgumentNullException.ThrowIfNull(cov2);
        int d = mean1.Length;
        if (mean2.Length != d || cov1.GetLength(0) != d || cov1.GetLength(1) != d || cov2.GetLength(0) != d || cov2.GetLength(1) != d)
            throw new ArgumentException($"Means of {mean1.Length} and {mean2.Length} values need two {d} × {d} covariances of the same size.");
        double meanTerm = 0;
        for (int i = 0; i < d; i++)
        {
            double diff = mean1[i] - mean2[i];
            meanTerm += diff * diff;
        }
        double trace = 0;
        for (int i = 0; i < d; i++) trace += cov1[i, i] + cov2[i, i];
        double result = meanTerm + trace - 2 * TraceSqrtProduct(cov1, cov2);
        return Math.Max(0, result);
    }

    /// <summary>Tr((Σ₁Σ₂)^{1/2}) = Σᵢ √λᵢ(Σ₁^{1/2} Σ₂ Σ₁^{1/2}) for symmetric positive semi-definite Σ₁, Σ₂.</summary>
    public static double TraceSqrtProduct(double[,] cov1, double[,] cov2)
    {
        ArgumentNullException.ThrowIfNull(cov1);
        ArgumentNullException.ThrowIfNull(cov2);
        int d = cov1.GetLength(0);
        // Σ₁^{1/2} = V diag(√λ) Vᵀ.
        var values = new double[d];
        var vectors = new double[d, d];
        SymmetricEigen(cov1, values, vectors);
        var root = new double[d, d];
        for (int i = 0; i < d; i++)
            for (int j = i; j < d; j++)
            {
                double s = 0;
                for (int k = 0; k < d; k++)
                    s += vectors[i, k] * Math.Sqrt(Math.Max(0, values[k])) * vectors[j, k];
                root[i, j] = s;
                root[j, i] = s;
            }
        var m = Multiply(Multiply(root, cov2), root);
        // Symmetrise away rounding before the eigen solver.
        for (int i = 0; i < d; i++)
            for (int j = i + 1; j < d; j++)
            {
                double s = 0.5 * (m[i, j] + m[j, i]);
                m[i, j] = s;
                m[j, i] = s;
            }
        SymmetricEigen(m, values, null);
        double trace = 0;
        for (int i = 0; i < d; i++) trace += Math.Sqrt(Math.Max(0, values[i]));
        return trace;
    }

    /// <summary>
    /// Eigenvalues (and optionally eigenvectors, as columns) of a symmetric matrix by the cyclic Jacobi method:
    /// sweeps of plane rotations that zero each off-diagonal element in turn, until the off-diagonal mass is below
    /// 10⁻³⁰ of the total (or 100 sweeps). Eigenvalues are not sorted.
    /// </summary>
    /// <param name="matrix">A symmetric d × d matrix (only read; the upper triangle is used).</param>
    /// <param name="values">Receives the d eigenvalues.</param>
    /// <param name="vectors">Receives the eigenvectors as columns (d × d), or null to skip them.</param>
    public static void SymmetricEigen(double[,] matrix, Span<double> values, double[,]? vectors)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        int d = matrix.GetLength(0);
        if (matrix.GetLength(1) != d || values.Length != d || (vectors != null && (vectors.GetLength(0) != d || vectors.GetLength(1) != d)))
            throw new ArgumentException($"A {matrix.GetLength(0)} × {matrix.GetLength(1)} matrix needs a square matrix, {d} values and a {d} × {d} vector matrix.");
        var a = new double[d, d];
        for (int i = 0; i < d; i++)
            for (int j = i; j < d; j++)
            {
                a[i, j] = matrix[i, j];
                a[j, i] = matrix[i, j];
            }
        if (vectors != null)
        {
            Array.Clear(vectors);
            for (int i = 0; i < d; i++) vectors[i, i] = 1;
        }
        double total = 0;
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++) total += a[i, j] * a[i, j];
        for (int sweep = 0; sweep < 100; sweep++)
        {
            double off = 0;
            for (int i = 0; i < d; i++)
                for (int j = i + 1; j < d; j++) off += a[i, j] * a[i, j];
            if (off <= 1e-30 * total || off == 0)
                break;
            for (int p = 0; p < d - 1; p++)
                for (int q = p + 1; q < d; q++)
                {
                    double apq = a[p, q];
                    if (apq == 0)
                        continue;
                    // Rotation angle that zeroes a[p, q] (Golub & Van Loan, Algorithm 8.4.1).
                    double tau = (a[q, q] - a[p, p]) / (2 * apq);
                    double t = Math.Sign(tau) == 0 ? 1 : Math.Sign(tau) / (Math.Abs(tau) + Math.Sqrt(1 + tau * tau));
                    double c = 1 / Math.Sqrt(1 + t * t), s = t * c;
                    for (int k = 0; k < d; k++)
                    {
                        double akp = a[k, p], akq = a[k, q];
                        a[k, p] = c * akp - s * akq;
                        a[k, q] = s * akp + c * akq;
                    }
                    for (int k = 0; k < d; k++)
                    {
                        double apk = a[p, k], aqk = a[q, k];
                        a[p, k] = c * apk - s * aqk;
                        a[q, k] = s * apk + c * aqk;
                    }
                    a[p, q] = 0;
                    a[q, p] = 0;
                    if (vectors != null)
                        for (int k = 0; k < d; k++)
                        {
                            double vkp = vectors[k, p], vkq = vectors[k, q];
                            vectors[k, p] = c * vkp - s * vkq;
                            vectors[k, q] = s * vkp + c * vkq;
                        }
                }
        }
        for (int i = 0; i < d; i++) values[i] = a[i, i];
    }

    private static double[,] Multiply(double[,] x, double[,] y)
    {
        int n = x.GetLength(0), k = x.GetLength(1), m = y.GetLength(1);
        var r = new double[n, m];
        for (int i = 0; i < n; i++)
            for (int l = 0; l < k; l++)
            {
                double xil = x[i, l];
                if (xil == 0) continue;
                for (int j = 0; j < m; j++) r[i, j] += xil * y[l, j];
            }
        return r;
    }
}
