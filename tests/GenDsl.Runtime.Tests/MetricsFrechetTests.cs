using CommunityToolkit.HighPerformance;
using GenDsl.Metrics;

namespace GenDsl.Runtime.Tests;

/// <summary>Frechet.Distance against independent double computations, and the classifier's gradient against finite differences.</summary>
public class MetricsFrechetTests
{
    private static float[] RandomFeatures(Rng rng, int n, int d, float shift = 0f, float scale = 1f)
    {
        var x = new float[n * d];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++)
                // Correlated columns: each column mixes in its neighbour.
                x[i * d + j] = shift + scale * rng.NextNormal() * (1 + 0.3f * j);
        for (int i = 0; i < n; i++)
            for (int j = d - 1; j > 0; j--)
                x[i * d + j] += 0.5f * x[i * d + j - 1];
        return x;
    }

    /// <summary>Tr((Σ₁Σ₂)^{1/2}) by the Denman–Beavers iteration on the (non-symmetric) product itself.</summary>
    private static double NaiveTraceSqrt(double[,] s1, double[,] s2)
    {
        int d = s1.GetLength(0);
        var y = Mul(s1, s2);
        var z = Identity(d);
        for (int it = 0; it < 100; it++)
        {
            var yi = Inverse(y);
            var zi = Inverse(z);
            var yn = new double[d, d];
            var zn = new double[d, d];
            for (int i = 0; i < d; i++)
                for (int j = 0; j < d; j++)
                {
                    yn[i, j] = 0.5 * (y[i, j] + zi[i, j]);
                    zn[i, j] = 0.5 * (z[i, j] + yi[i, j]);
                }
            y = yn;
            z = zn;
        }
        double t = 0;
        for (int i = 0; i < d; i++) t += y[i, i];
        return t;
    }

    private static double[,] Identity(int d)
    {
        var r = new double[d, d];
        for (int i = 0; i < d; i++) r[i, i] = 1;
        return r;
    }

    private static double[,] Mul(double[,] a, double[,] b)
    {
        int d = a.GetLength(0);
        var r = new double[d, d];
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++)
                for (int k = 0; k < d; k++) r[i, j] += a[i, k] * b[k, j];
        return r;
    }

    /// <summary>Gauss–Jordan with partial pivoting.</summary>
    private static double[,] Inverse(double[,] m)
    {
        int d = m.GetLength(0);
        var a = (double[,])m.Clone();
        var inv = Identity(d);
        for (int c = 0; c < d; c++)
        {
            int p = c;
            for (int r = c + 1; r < d; r++) if (Math.Abs(a[r, c]) > Math.Abs(a[p, c])) p = r;
            for (int k = 0; k < d; k++)
            {
                (a[c, k], a[p, k]) = (a[p, k], a[c, k]);
                (inv[c, k], inv[p, k]) = (inv[p, k], inv[c, k]);
            }
            double piv = a[c, c];
            for (int k = 0; k < d; k++) { a[c, k] /= piv; inv[c, k] /= piv; }
            for (int r = 0; r < d; r++)
            {
                if (r == c) continue;
                double f = a[r, c];
                for (int k = 0; k < d; k++) { a[r, k] -= f * a[c, k]; inv[r, k] -= f * inv[c, k]; }
            }
        }
        return inv;
    }

    [Theory]
    [InlineData(2, 50)]
    [InlineData(5, 200)]
    [InlineData(8, 300)]
    public void DistanceMatchesNaiveDoubleComputation(int d, int n)
    {
        var rng = new Rng((ulong)(d * 100 + n));
        var a = RandomFeatures(rng, n, d);
        var b = RandomFeatures(rng, n + 7, d, shift: 0.4f, scale: 1.3f);
        var sa = new ReadOnlySpan2D<float>(a, n, d);
        var sb = new ReadOnlySpan2D<float>(b, n + 7, d);
        var (m1, c1) = Frechet.Statistics(sa);
        var (m2, c2) = Frechet.Statistics(sb);

        // Naive statistics, straight from the definitions.
        for (int j = 0; j < d; j++)
        {
            double mean = 0;
            for (int i = 0; i < n; i++) mean += a[i * d + j];
            mean /= n;
            Assert.Equal(mean, m1[j], 1e-9);
            for (int k = 0; k < d; k++)
            {
                double mk = 0;
                for (int i = 0; i < n; i++) mk += a[i * d + k];
                mk /= n;
                double cov = 0;
                for (int i = 0; i < n; i++) cov += (a[i * d + j] - mean) * (a[i * d + k] - mk);
                Assert.Equal(cov / (n - 1), c1[j, k], 1e-9);
            }
        }

        double naive = 0;
        for (int j = 0; j < d; j++) naive += (m1[j] - m2[j]) * (m1[j] - m2[j]) + c1[j, j] + c2[j, j];
        naive -= 2 * NaiveTraceSqrt(c1, c2);
        double ours = Frechet.Distance(sa, sb);
        Assert.True(ours > 0.1, $"distance {ours}");
        Assert.Equal(naive, ours, 1e-8 * Math.Max(1, naive));
    }

    [Fact]
    public void IdenticalSetsHaveDistanceZero()
    {
        var rng = new Rng(5);
        var a = RandomFeatures(rng, 500, 64);
        var s = new ReadOnlySpan2D<float>(a, 500, 64);
        Assert.InRange(Frechet.Distance(s, s), 0, 1e-8);
    }

    [Fact]
    public void ShiftedCopyHasDistanceOfTheShift()
    {
        // The same points moved by δ: equal covariances, so the distance is ‖δ‖² exactly (up to rounding).
        const int n = 400, d = 16;
        var rng = new Rng(9);
        var a = RandomFeatures(rng, n, d);
        var b = (float[])a.Clone();
        double expected = 0;
        for (int j = 0; j < d; j++)
        {
            float delta = 0.25f * (j % 3) - 0.1f;
            for (int i = 0; i < n; i++) b[i * d + j] = a[i * d + j] + delta;
            // The float shift as actually stored: the mean of the differences.
            double mean = 0;
            for (int i = 0; i < n; i++) mean += (double)b[i * d + j] - a[i * d + j];
            mean /= n;
            expected += mean * mean;
        }
        double got = Frechet.Distance(new ReadOnlySpan2D<float>(a, n, d), new ReadOnlySpan2D<float>(b, n, d));
        Assert.Equal(expected, got, 1e-5);
    }

    [Fact]
    public void DiagonalGaussiansMatchClosedForm()
    {
        // Σ₁ = diag(a), Σ₂ = diag(b): d² = ‖μ₁ − μ₂‖² + Σ (√aᵢ − √bᵢ)².
        var m1 = new double[] { 0, 1, 2 };
        var m2 = new double[] { 1, 1, 0 };
        var c1 = new double[3, 3];
        var c2 = new double[3, 3];
        double[] a = [1, 4, 0.25], b = [9, 1, 0.25];
        double expected = 1 + 0 + 4;
        for (int i = 0; i < 3; i++)
        {
            c1[i, i] = a[i];
            c2[i, i] = b[i];
            expected += (Math.Sqrt(a[i]) - Math.Sqrt(b[i])) * (Math.Sqrt(a[i]) - Math.Sqrt(b[i]));
        }
        Assert.Equal(expected, Frechet.Distance(m1, c1, m2, c2), 1e-12);
    }

    [Fact]
    public void JacobiEigenReconstructsTheMatrix()
    {
        const int d = 64;
        var rng = new Rng(21);
        var m = new double[d, d];
        for (int i = 0; i < d; i++)
            for (int j = i; j < d; j++)
                m[i, j] = m[j, i] = rng.NextNormal();
        var values = new double[d];
        var v = new double[d, d];
        Frechet.SymmetricEigen(m, values, v);
        double worst = 0;
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++)
            {
                double s = 0;
                for (int k = 0; k < d; k++) s += v[i, k] * values[k] * v[j, k];
                worst = Math.Max(worst, Math.Abs(s - m[i, j]));
            }
        Assert.True(worst < 1e-10, $"max |V Λ Vᵀ − M| = {worst}");
    }

    [Fact]
    public void ClassifierGradientMatchesFiniteDifferences()
    {
        // A tiny batch through the untrained classifier; central differences (h = 10⁻³) of the float loss on a sample of parameters of every tensor.
        const int n = 3;
        var classifier = new FashionClassifier(seed: 4, maxBatch: 4);
        var rng = new Rng(7);
        var x = new float[n * FashionClassifier.InputFeatures];
        rng.FillUniform(x);
        int[] labels = [3, 0, 9];
        var xs = new ReadOnlySpan2D<float>(x, n, FashionClassifier.InputFeatures);
        classifier.LossAndGradients(xs, labels);
        var grad = classifier.Gradients.ToArray();
        var p = classifier.Parameters.Span;
        int checkedCount = 0;
        int disagree = 0;
        for (int index = 0; index < p.Length; index += 97)
        {
            float old = p[index];
            const float h = 1e-3f;
            p[index] = old + h;
            double up = classifier.Loss(xs, labels);
            p[index] = old - h;
            double down = classifier.Loss(xs, labels);
            p[index] = old;
            double numeric = (up - down) / (2 * h);
            // Float rounding of the loss gives the difference an absolute noise of about 3·10⁻⁴.
            bool agrees = Math.Abs(numeric - grad[index]) <= 0.1 * (Math.Abs(numeric) + Math.Abs(grad[index])) + 1e-3;
            // ReLU kinks (many units of 3 images) can make a single difference wrong — the outliers shrink towards the
            // analytic value as h → 0 — so count them and require nearly all to agree.
            if (!agrees) disagree++;
            checkedCount++;
        }
        Assert.True(checkedCount > 1000, $"{checkedCount} parameters checked");
        Assert.True(disagree <= checkedCount * 3 / 100, $"{disagree} of {checkedCount} parameters disagree with finite differences");
    }
}
