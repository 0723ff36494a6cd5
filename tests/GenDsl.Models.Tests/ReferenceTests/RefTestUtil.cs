using GenDsl.Models.Tests.Reference;

namespace GenDsl.Models.Tests.ReferenceTests;

/// <summary>Numerical checks of a <see cref="RefFlow"/>: finite differences, Jacobian determinants, round trips.</summary>
internal static class RefTestUtil
{
    /// <summary>Finite-difference step for gradients and Jacobians.</summary>
    public const double Step = 1e-6;

    /// <summary>Uniform matrix in [−a, a).</summary>
    public static double[,] RandomMatrix(Random rng, int rows, int cols, double a = 1.5)
    {
        var m = new double[rows, cols];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                m[r, c] = a * (2 * rng.NextDouble() - 1);
        return m;
    }

    /// <summary>
    /// A random, NON-zero arena: every entry (padding and unused triangle entries included, which
    /// the flow must ignore) uniform in [−a, a). The spec's zero-initialised output layers would hide bugs.
    /// </summary>
    public static double[] RandomParameters(RefFlow flow, Random rng, double a = 0.7)
    {
        var p = new double[flow.ParameterCount];
        for (int i = 0; i < p.Length; i++) p[i] = a * (2 * rng.NextDouble() - 1);
        return p;
    }

    /// <summary>Indices of the arena covered by some tensor (the rest is padding).</summary>
    public static bool[] Used(RefFlow flow)
    {
        var used = new bool[flow.ParameterCount];
        foreach (var (_, offset, shape) in flow.Layout())
        {
            int size = 1;
            foreach (int s in shape) size *= s;
            for (int i = 0; i < size; i++) used[offset + i] = true;
        }
        return used;
    }

    /// <summary>Central difference (f(v+h) − f(v−h)) / 2h of f with respect to the element at <paramref name="set"/>.</summary>
    public static double CentralDifference(Func<double> f, Func<double> get, Action<double> set)
    {
        double saved = get();
        set(saved + Step);
        double plus = f();
        set(saved - Step);
        double minus = f();
        set(saved);
        return (plus - minus) / (2 * Step);
    }

    /// <summary>
    /// Asserts max_i |analytic_i − numeric_i| / max_i |numeric_i| &lt; tolerance and, when
    /// <paramref name="floor"/> is 0, that the numeric gradient is not (nearly) zero, so that the
    /// comparison means something. A positive floor allows a (legitimately) tiny or zero gradient
    /// (e.g. dLoss/dy through dead Relu units) and divides by max(max_i |numeric_i|, floor) instead.
    /// </summary>
    public static void AssertGradientsClose(IReadOnlyList<double> analytic, IReadOnlyList<double> numeric, double tolerance, string what, double floor = 0)
    {
        Assert.Equal(numeric.Count, analytic.Count);
        double maxNumeric = 0, maxError = 0;
        int worst = -1;
        for (int i = 0; i < numeric.Count; i++)
        {
            maxNumeric = Math.Max(maxNumeric, Math.Abs(numeric[i]));
            double error = Math.Abs(analytic[i] - numeric[i]);
            if (error > maxError) { maxError = error; worst = i; }
        }
        if (floor == 0)
            Assert.True(maxNumeric > 1e-4, $"{what}: the finite-difference gradient is ~0 (max {maxNumeric:G3}); the check would prove nothing.");
        double relative = maxError / Math.Max(maxNumeric, floor);
        Assert.True(relative < tolerance,
            $"{what}: relative error {relative:G3} ≥ {tolerance:G3} (worst index {worst}: analytic {(worst >= 0 ? analytic[worst] : 0):G10}, numeric {(worst >= 0 ? numeric[worst] : 0):G10}).");
    }

    /// <summary>(a) dLoss/dp, dLoss/dx and dLoss/dy of the reference against central finite differences of Loss.</summary>
    public static void CheckGradients(RefFlow flow, double[] p, double[,] x, double[,]? y, string label)
    {
        flow.LossGradients(p, x, y, out double[] dp, out double[,] dx, out double[,] dy);

        // Parameters: every entry covered by a tensor; padding must get exactly 0.
        bool[] used = Used(flow);
        var analytic = new List<double>();
        var numeric = new List<double>();
        for (int i = 0; i < p.Length; i++)
        {
            if (!used[i])
            {
                Assert.True(dp[i] == 0, $"{label}: padding entry {i} has gradient {dp[i]}");
                continue;
            }
            int index = i;
            analytic.Add(dp[i]);
            numeric.Add(CentralDifference(() => flow.Loss(p, x, y), () => p[index], v => p[index] = v));
        }
        if (analytic.Count > 0) AssertGradientsClose(analytic, numeric, 1e-6, $"{label} dLoss/dp");

        // Inputs x and condition y (for chaining the flow into a larger model).
        AssertMatrixGradient(flow, p, x, y, x, dx, $"{label} dLoss/dx");
        if (y is not null && y.GetLength(1) > 0) AssertMatrixGradient(flow, p, x, y, y, dy, $"{label} dLoss/dy", floor: 1e-2);
    }

    private static void AssertMatrixGradient(RefFlow flow, double[] p, double[,] x, double[,]? y, double[,] m, double[,] dm, string what, double floor = 0)
    {
        var analytic = new List<double>();
        var numeric = new List<double>();
        for (int r = 0; r < m.GetLength(0); r++)
            for (int c = 0; c < m.GetLength(1); c++)
            {
                int rr = r, cc = c;
                analytic.Add(dm[r, c]);
                numeric.Add(CentralDifference(() => flow.Loss(p, x, y), () => m[rr, cc], v => m[rr, cc] = v));
            }
        AssertGradientsClose(analytic, numeric, 1e-6, what, floor);
    }

    /// <summary>(b) logDet of every row against ln|det| of the finite-difference Jacobian ∂z_r/∂x_r (LU determinant).</summary>
    public static void CheckLogDet(RefFlow flow, double[] p, double[,] x, double[,]? y, string label)
    {
        int batch = x.GetLength(0), d = x.GetLength(1);
        flow.ToLatent(p, x, y, out _, out double[] logDet);
        // Rows are independent, so perturbing column j of EVERY row at once gives column j of each row's Jacobian.
        var jacobians = new double[batch][,];
        for (int r = 0; r < batch; r++) jacobians[r] = new double[d, d];
        for (int j = 0; j < d; j++)
        {
            var plus = (double[,])x.Clone();
            var minus = (double[,])x.Clone();
            for (int r = 0; r < batch; r++) { plus[r, j] += Step; minus[r, j] -= Step; }
            flow.ToLatent(p, plus, y, out var zPlus, out _);
            flow.ToLatent(p, minus, y, out var zMinus, out _);
            for (int r = 0; r < batch; r++)
                for (int i = 0; i < d; i++)
                    jacobians[r][i, j] = (zPlus[r, i] - zMinus[r, i]) / (2 * Step);
        }
        for (int r = 0; r < batch; r++)
        {
            double expected = LogAbsDeterminant(jacobians[r]);
            Assert.True(Math.Abs(expected - logDet[r]) < 1e-6,
                $"{label}: row {r} logDet {logDet[r]:G12} but ln|det J| = {expected:G12} (difference {logDet[r] - expected:G3}).");
        }
    }

    /// <summary>(c) FromLatent(ToLatent(x)) == x to 1e-10.</summary>
    public static void CheckRoundTrip(RefFlow flow, double[] p, double[,] x, double[,]? y, string label)
    {
        flow.ToLatent(p, x, y, out var z, out _);
        double[,] back = flow.FromLatent(p, z, y);
        double worst = 0;
        for (int r = 0; r < x.GetLength(0); r++)
            for (int j = 0; j < x.GetLength(1); j++)
                worst = Math.Max(worst, Math.Abs(back[r, j] - x[r, j]));
        Assert.True(worst < 1e-10, $"{label}: FromLatent(ToLatent(x)) differs from x by {worst:G3}.");
    }

    /// <summary>ln|det A| by LU decomposition with partial pivoting (A is copied).</summary>
    public static double LogAbsDeterminant(double[,] matrix)
    {
        int n = matrix.GetLength(0);
        var a = (double[,])matrix.Clone();
        double logAbs = 0;
        for (int k = 0; k < n; k++)
        {
            int pivot = k;
            for (int i = k + 1; i < n; i++)
                if (Math.Abs(a[i, k]) > Math.Abs(a[pivot, k])) pivot = i;
            if (a[pivot, k] == 0) return double.NegativeInfinity;
            for (int j = 0; j < n; j++) (a[k, j], a[pivot, j]) = (a[pivot, j], a[k, j]);
            logAbs += Math.Log(Math.Abs(a[k, k]));
            for (int i = k + 1; i < n; i++)
            {
                double factor = a[i, k] / a[k, k];
                for (int j = k; j < n; j++) a[i, j] -= factor * a[k, j];
            }
        }
        return logAbs;
    }
}
