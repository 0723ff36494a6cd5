using GenDsl.Models.Tests.Reference;

namespace GenDsl.Models.Tests.Flows;

/// <summary>
/// The double-precision reference <see cref="RefMade"/> of the planned [MaskedAutoregressive] layer against the
/// contract in docs/flow-layers.md: the mask/degree rule, the triangular Jacobian, log-det = ln|det J| computed
/// numerically, inverse ∘ forward = identity for MAF and IAF, and the zero-initialised output layer = identity.
/// (The generated layer, once it exists, is to be checked against this reference.)
/// </summary>
public class MadeReferenceTests
{
    private static double[] RandomRow(Random rng, int n) => Enumerable.Range(0, n).Select(_ => 2 * rng.NextDouble() - 1).ToArray();

    private static RefMade Made(int d, int k, int h, int n, bool inverse, int seed, Activation act = Activation.Tanh)
    {
        var made = new RefMade(d, k, h, n, act, inverse);
        made.Randomize(new Random(seed), outputScale: 0.5);
        return made;
    }

    /// <summary>J[i, j] = ∂v_i/∂u_j by central differences of ToLatent.</summary>
    private static double[,] Jacobian(RefMade made, double[] u, double[] y, double eps = 1e-6)
    {
        int d = made.D;
        var jac = new double[d, d];
        for (int j = 0; j < d; j++)
        {
            var up = (double[])u.Clone(); up[j] += eps;
            var dn = (double[])u.Clone(); dn[j] -= eps;
            var vp = made.ToLatent(up, y).V;
            var vd = made.ToLatent(dn, y).V;
            for (int i = 0; i < d; i++) jac[i, j] = (vp[i] - vd[i]) / (2 * eps);
        }
        return jac;
    }

    private static double LogAbsDet(double[,] a)
    {
        int n = a.GetLength(0);
        var m = (double[,])a.Clone();
        double logDet = 0;
        for (int c = 0; c < n; c++)
        {
            int p = c;
            for (int r = c + 1; r < n; r++) if (Math.Abs(m[r, c]) > Math.Abs(m[p, c])) p = r;
            if (p != c) for (int k = 0; k < n; k++) (m[c, k], m[p, k]) = (m[p, k], m[c, k]);
            logDet += Math.Log(Math.Abs(m[c, c]));
            for (int r = c + 1; r < n; r++)
            {
                double f = m[r, c] / m[c, c];
                for (int k = c; k < n; k++) m[r, k] -= f * m[c, k];
            }
        }
        return logDet;
    }

    [Theory]
    [InlineData(2, 0, 8, 1, false)]
    [InlineData(5, 0, 16, 2, false)]
    [InlineData(5, 3, 16, 2, true)]
    [InlineData(7, 2, 6, 3, false)]
    [InlineData(7, 2, 6, 3, true)]
    public void Jacobian_is_lower_triangular_and_its_log_det_is_minus_the_sum_of_s(int d, int k, int h, int n, bool inverse)
    {
        var rng = new Random(11 + d);
        var made = Made(d, k, h, n, inverse, seed: 3 * d + k);
        for (int trial = 0; trial < 5; trial++)
        {
            var u = RandomRow(rng, d); var y = RandomRow(rng, k);
            var (_, logDet) = made.ToLatent(u, y);
            var jac = Jacobian(made, u, y);
            for (int i = 0; i < d; i++)
                for (int j = i + 1; j < d; j++)
                    Assert.True(Math.Abs(jac[i, j]) < 1e-9, $"∂v_{i}/∂u_{j} = {jac[i, j]} should be 0 (j > i)");
            Assert.Equal(LogAbsDet(jac), logDet, 6);
            // The diagonal is exp(−s_i) (s_i does not depend on u_i), so a dependence of s_i on u_i would show here too.
            double diagSum = 0;
            for (int i = 0; i < d; i++) diagSum += Math.Log(jac[i, i]);
            Assert.Equal(diagSum, logDet, 6);
        }
    }

    [Theory]
    [InlineData(2, 0, 8, 1, false)]
    [InlineData(2, 0, 8, 1, true)]
    [InlineData(6, 2, 12, 2, false)]
    [InlineData(6, 2, 12, 2, true)]
    [InlineData(9, 0, 4, 3, true)]
    public void FromLatent_inverts_ToLatent(int d, int k, int h, int n, bool inverse)
    {
        var rng = new Random(5 + d);
        var made = Made(d, k, h, n, inverse, seed: 7 * d + k);
        for (int trial = 0; trial < 10; trial++)
        {
            var u = RandomRow(rng, d); var y = RandomRow(rng, k);
            var back = made.FromLatent(made.ToLatent(u, y).V, y);
            for (int i = 0; i < d; i++) Assert.Equal(u[i], back[i], 10);
            var v = RandomRow(rng, d);
            var again = made.ToLatent(made.FromLatent(v, y), y).V;
            for (int i = 0; i < d; i++) Assert.Equal(v[i], again[i], 10);
        }
    }

    [Fact]
    public void MAF_and_IAF_are_different_maps_with_the_same_weights()
    {
        var maf = Made(4, 0, 8, 2, false, seed: 1);
        var iaf = Made(4, 0, 8, 2, true, seed: 1);
        var u = new[] { 0.3, -0.7, 0.2, 0.9 };
        var a = maf.ToLatent(u, []).V; var b = iaf.ToLatent(u, []).V;
        Assert.Equal(a[0], b[0], 12); // feature 0 sees only the biases in both
        Assert.True(Enumerable.Range(1, 3).Any(i => Math.Abs(a[i] - b[i]) > 1e-6), "MAF and IAF should differ beyond feature 0");
    }

    [Theory]
    [InlineData(1, 4)]
    [InlineData(2, 1)]
    [InlineData(5, 4)]
    [InlineData(5, 64)]
    [InlineData(10, 9)]
    public void Masks_connect_output_i_to_exactly_the_inputs_before_i_when_Hidden_is_at_least_D_minus_1(int d, int h)
    {
        foreach (int n in new[] { 1, 2, 3 })
        {
            var reach = Reach(RefMade.Masks(d, 0, h, n), d);
            for (int i = 0; i < d; i++)
                for (int j = 0; j < d; j++)
                    Assert.Equal(j < i, reach[i, j]);
        }
    }

    [Fact]
    public void With_Hidden_below_D_minus_1_some_dependencies_are_missing_but_none_is_illegal()
    {
        int d = 6, h = 3; // hidden degrees 1,2,3: nothing has degree 4 or 5
        var reach = Reach(RefMade.Masks(d, 0, h, 2), d);
        Assert.False(reach[5, 4]); // v_5 cannot depend on u_4 — the analyzer's planned warning
        Assert.True(reach[5, 2]);
        for (int i = 0; i < d; i++)
            for (int j = i; j < d; j++)
                Assert.False(reach[i, j]);
    }

    [Fact]
    public void Conditions_connect_to_every_first_layer_hidden_unit()
    {
        var masks = RefMade.Masks(4, 3, 10, 2);
        for (int j = 0; j < 10; j++)
            for (int c = 0; c < 3; c++) Assert.Equal(1.0, masks[0][j, 4 + c]);
    }

    [Fact]
    public void Zero_output_layer_is_the_identity_with_log_det_zero()
    {
        var made = new RefMade(5, 2, 16, 2, Activation.Relu, inverse: false);
        made.Randomize(new Random(9), outputScale: 0.5);
        Array.Clear(made.B[2]);
        Array.Clear(made.W[2]);
        var u = new[] { 0.1, -2, 3, 0.5, -0.25 };
        var (v, logDet) = made.ToLatent(u, [0.4, -0.1]);
        Assert.Equal(u, v);
        Assert.Equal(0.0, logDet);
    }

    /// <summary>reach[i, j]: is there a path of unmasked weights from input j to output r_i (or m_i)?</summary>
    private static bool[,] Reach(double[][,] masks, int d)
    {
        var reach = new bool[d, d];
        for (int j = 0; j < d; j++)
        {
            var live = new bool[d]; live[j] = true; // an input vector of width d (no conditions here)
            bool[] cur = live;
            foreach (var m in masks)
            {
                var next = new bool[m.GetLength(0)];
                for (int o = 0; o < next.Length; o++)
                    for (int c = 0; c < cur.Length; c++)
                        if (cur[c] && m[o, c] != 0) next[o] = true;
                cur = next;
            }
            for (int i = 0; i < d; i++) reach[i, j] = cur[i] || cur[d + i];
        }
        return reach;
    }
}
