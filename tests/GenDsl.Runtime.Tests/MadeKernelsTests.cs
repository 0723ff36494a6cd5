using CommunityToolkit.HighPerformance;
using GenDsl.Numerics;

namespace GenDsl.Runtime.Tests;

/// <summary>
/// <see cref="MadeKernels"/> against naive loops that build the MADE masks straight from docs/flow-layers.md's
/// degree rules ("Masked autoregressive"): input column i has degree i + 1, condition columns connect to every
/// first-layer unit, hidden unit j has degree 1 + (j mod max(1, D − 1)), hidden connections need deg(out) ≥ deg(in),
/// outputs r_i and m_i need i + 1 > deg(in). None of these references calls <see cref="MadeKernels.IsConnected"/> or
/// <see cref="MadeKernels.HiddenDegree"/>. Then the autoregressive property through a naive masked MLP in double,
/// and <see cref="MadeKernels.InverseAdjointColumn"/> against its formula in double and, end to end, against
/// central finite differences of a naive double-precision IAF.
/// </summary>
public class MadeKernelsTests
{
    /// <summary>(D, H, hidden layers n, condition width k): D = 1, 2, 3, 7, 64; H below, at and above D − 1; n = 1…3.</summary>
    public static IEnumerable<object[]> Shapes()
    {
        foreach (int d in new[] { 1, 2, 3, 7, 64 })
        {
            var widths = new SortedSet<int> { 1, Math.Max(1, d - 2), Math.Max(1, d - 1), d, d + 3, 2 * d + 5 };
            foreach (int h in widths)
                foreach (int n in new[] { 1, 2, 3 })
                    foreach (int k in new[] { 0, 2 })
                    {
                        if (d == 64 && n == 2 && h != 63 && h != 62) continue; // keep the 64-feature cases few
                        yield return new object[] { d, h, n, k };
                    }
        }
    }

    // ----------------------------------------------------------------------------- the naive masks

    /// <summary>The degree of hidden unit j, written out from the docs' rule rather than the kernel's.</summary>
    private static int NaiveHiddenDegree(int j, int d)
    {
        int period = d - 1 < 1 ? 1 : d - 1;
        int deg = j;
        while (deg >= period) deg -= period;
        return deg + 1;
    }

    /// <summary>Mask l ∈ {0 … n} as [outputs, inputs] booleans, from the documented rules.</summary>
    private static bool[,] NaiveMask(int layer, int d, int h, int n, int k)
    {
        int outputs = layer == n ? 2 * d : h;
        int inputs = layer == 0 ? d + k : h;
        var m = new bool[outputs, inputs];
        for (int o = 0; o < outputs; o++)
            for (int i = 0; i < inputs; i++)
            {
                // Degree of the input column: feature i has degree i + 1; condition columns have none (-1 here).
                int inDeg = layer == 0 ? (i < d ? i + 1 : -1) : NaiveHiddenDegree(i, d);
                if (layer == n)
                {
                    int feature = o < d ? o : o - d; // r_feature, then m_feature
                    m[o, i] = inDeg >= 0 && feature + 1 > inDeg; // a layer-0 output layer (n = 0) never happens: n ≥ 1
                }
                else
                {
                    int outDeg = NaiveHiddenDegree(o, d);
                    m[o, i] = inDeg < 0 || outDeg >= inDeg;
                }
            }
        return m;
    }

    private static (int Outputs, int Inputs) LayerShape(int layer, int d, int h, int n, int k) =>
        (layer == n ? 2 * d : h, layer == 0 ? d + k : h);

    /// <summary>Non-zero random values in ±[0.25, 1.25].</summary>
    private static float NonZero(Random rnd) => (float)((rnd.Next(2) * 2 - 1) * (0.25 + rnd.NextDouble()));

    // ----------------------------------------------------------------------------- ApplyMask

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ApplyMask_ZeroesExactlyTheDocumentedEntries(int d, int h, int n, int k)
    {
        var rnd = new Random(1000 * d + 100 * h + 10 * n + k);
        for (int layer = 0; layer <= n; layer++)
        {
            var (outputs, inputs) = LayerShape(layer, d, h, n, k);
            const int tail = 7; // the span is longer than outputs × inputs: the tail must survive
            var w = new float[outputs * inputs + tail];
            for (int i = 0; i < w.Length; i++) w[i] = NonZero(rnd);
            var before = (float[])w.Clone();
            MadeKernels.ApplyMask(w, outputs, inputs, layer, n, d);
            var mask = NaiveMask(layer, d, h, n, k);
            for (int o = 0; o < outputs; o++)
                for (int i = 0; i < inputs; i++)
                {
                    float got = w[o * inputs + i];
                    if (mask[o, i])
                    {
                        if (BitConverter.SingleToInt32Bits(got) != BitConverter.SingleToInt32Bits(before[o * inputs + i]))
                            Assert.Fail($"D={d} H={h} n={n} k={k} layer {layer}: kept entry [{o}, {i}] changed from {before[o * inputs + i]:R} to {got:R}.");
                    }
                    else if (BitConverter.SingleToInt32Bits(got) != 0)
                        Assert.Fail($"D={d} H={h} n={n} k={k} layer {layer}: masked entry [{o}, {i}] is {got:R}, not +0.");
                    // IsConnected must agree with the naive mask too (it is public API).
                    Assert.Equal(mask[o, i], MadeKernels.IsConnected(layer, n, d, o, i));
                }
            for (int t = 0; t < tail; t++)
                Assert.Equal(before[outputs * inputs + t], w[outputs * inputs + t]);

            // Idempotent: a second application changes nothing (the generated code applies it after every backward).
            var once = (float[])w.Clone();
            MadeKernels.ApplyMask(w, outputs, inputs, layer, n, d);
            Assert.Equal(once, w);
        }
    }

    [Fact]
    public void HiddenDegree_MatchesTheDocumentedRule()
    {
        foreach (int d in new[] { 1, 2, 3, 7, 64 })
            for (int j = 0; j < 3 * d + 5; j++)
                Assert.Equal(NaiveHiddenDegree(j, d), MadeKernels.HiddenDegree(j, d));
        // Spot values written by hand: D = 3 cycles 1, 2, 1, 2 …; D = 1 and D = 2 give degree 1 everywhere.
        Assert.Equal(new[] { 1, 2, 1, 2, 1 }, Enumerable.Range(0, 5).Select(j => MadeKernels.HiddenDegree(j, 3)).ToArray());
        Assert.All(Enumerable.Range(0, 5), j => Assert.Equal(1, MadeKernels.HiddenDegree(j, 1)));
        Assert.All(Enumerable.Range(0, 5), j => Assert.Equal(1, MadeKernels.HiddenDegree(j, 2)));
    }

    [Fact]
    public void ApplyMask_RejectsShortWeightsAndBadLayers()
    {
        var w = new float[11];
        Assert.Throws<ArgumentException>(() => MadeKernels.ApplyMask(w, 3, 4, 0, 2, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => MadeKernels.ApplyMask(new float[12], 3, 4, 3, 2, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => MadeKernels.ApplyMask(new float[12], 3, 4, -1, 2, 3));
    }

    // ----------------------------------------------------------------------------- the autoregressive property

    /// <summary>A MADE whose masked weights come from <see cref="MadeKernels.ApplyMask"/>, evaluated naively in double.</summary>
    private sealed class NaiveMade
    {
        public readonly int D, H, N, K;
        public readonly double[][,] W;
        public readonly double[][] B;
        public readonly bool Tanh;

        public NaiveMade(int d, int h, int n, int k, Random rnd, bool tanh = false, double outputScale = 1.0)
        {
            D = d; H = h; N = n; K = k; Tanh = tanh;
            W = new double[n + 1][,];
            B = new double[n + 1][];
            for (int l = 0; l <= n; l++)
            {
                var (outputs, inputs) = LayerShape(l, d, h, n, k);
                var w = new float[outputs * inputs];
                double sc = (l == n ? outputScale : 1.0) / Math.Sqrt(inputs);
                for (int i = 0; i < w.Length; i++) w[i] = (float)(NonZero(rnd) * sc);
                MadeKernels.ApplyMask(w, outputs, inputs, l, n, d);
                W[l] = new double[outputs, inputs];
                B[l] = new double[outputs];
                for (int o = 0; o < outputs; o++)
                {
                    for (int i = 0; i < inputs; i++) W[l][o, i] = w[o * inputs + i];
                    B[l][o] = (float)(0.2 * NonZero(rnd) * (l == n ? outputScale : 1.0));
                }
            }
        }

        private double Act(double x) => Tanh ? Math.Tanh(x) : Math.Max(0, x);

        /// <summary>The 2D outputs (r then m) and every layer's pre-activations (for the backward pass).</summary>
        public (double[] Out, double[][] Pre, double[][] Post) Forward(double[] x, double[] y)
        {
            var a = new double[D + K];
            Array.Copy(x, a, D);
            if (K > 0) Array.Copy(y, 0, a, D, K);
            var pre = new double[N + 1][];
            var post = new double[N + 1][];
            post[0] = a;
            for (int l = 0; l <= N; l++)
            {
                var input = post[l];
                int outputs = W[l].GetLength(0);
                var z = new double[outputs];
                for (int o = 0; o < outputs; o++)
                {
                    double s = B[l][o];
                    for (int i = 0; i < input.Length; i++) s += W[l][o, i] * input[i];
                    z[o] = s;
                }
                pre[l] = z;
                if (l < N) post[l + 1] = z.Select(Act).ToArray();
            }
            return (pre[N], pre, post);
        }

        /// <summary>The input-side vector-Jacobian product (length D + K) of output cotangent g (length 2D), at a = [x, y].</summary>
        public double[] InputVjp(double[] x, double[] y, double[] g)
        {
            var (_, pre, post) = Forward(x, y);
            var delta = (double[])g.Clone();
            for (int l = N; l >= 0; l--)
            {
                int inputs = W[l].GetLength(1);
                var back = new double[inputs];
                for (int o = 0; o < delta.Length; o++)
                    for (int i = 0; i < inputs; i++) back[i] += W[l][o, i] * delta[o];
                if (l == 0) return back;
                // Through the activation of layer l − 1's output.
                for (int i = 0; i < inputs; i++)
                {
                    double z = pre[l - 1][i];
                    back[i] *= Tanh ? 1 - Math.Tanh(z) * Math.Tanh(z) : (z > 0 ? 1 : 0);
                }
                delta = back;
            }
            throw new InvalidOperationException();
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MaskedNetwork_OutputDependsOnlyOnEarlierInputs(int d, int h, int n, int k)
    {
        var rnd = new Random(7 + 1000 * d + 100 * h + 10 * n + k);
        var made = new NaiveMade(d, h, n, k, rnd);
        var x = Enumerable.Range(0, d).Select(_ => 2 * rnd.NextDouble() - 1).ToArray();
        var y = Enumerable.Range(0, k).Select(_ => 2 * rnd.NextDouble() - 1).ToArray();
        var baseline = made.Forward(x, y).Out;
        int[] probes = d <= 7 ? Enumerable.Range(0, d).ToArray() : new[] { 0, 1, d / 2, d - 2, d - 1 };
        foreach (int j in probes)
        {
            var xp = (double[])x.Clone();
            xp[j] += 3.7; // large, so a leaked dependency cannot hide in the ReLU's flat part easily
            var o = made.Forward(xp, y).Out;
            for (int i = 0; i <= j; i++)
            {
                // Bit-identical: masked weights are exactly 0, so the perturbation contributes exactly 0.
                Assert.True(o[i] == baseline[i], $"D={d} H={h} n={n} k={k}: r_{i} changed when x_{j} moved ({baseline[i]:R} → {o[i]:R}).");
                Assert.True(o[d + i] == baseline[d + i], $"D={d} H={h} n={n} k={k}: m_{i} changed when x_{j} moved.");
            }
        }
    }

    /// <summary>
    /// Connectivity (number of paths through the masks) from input column j to output o. Not over-masked either:
    /// with H ≥ D − 1 every x_j, j &lt; i, reaches r_i and m_i, and every output i ≥ 1 sees every condition column.
    /// </summary>
    [Theory]
    [MemberData(nameof(Shapes))]
    public void MaskPaths_AreExactlyTheAutoregressiveOnes(int d, int h, int n, int k)
    {
        // Path counts through the kernel's masks (ApplyMask on all-ones weights), in double.
        double[,]? paths = null;
        for (int l = 0; l <= n; l++)
        {
            var (outputs, inputs) = LayerShape(l, d, h, n, k);
            var w = Enumerable.Repeat(1f, outputs * inputs).ToArray();
            MadeKernels.ApplyMask(w, outputs, inputs, l, n, d);
            var next = new double[outputs, d + k];
            for (int o = 0; o < outputs; o++)
                for (int c = 0; c < d + k; c++)
                {
                    double s = 0;
                    for (int i = 0; i < inputs; i++)
                        s += w[o * inputs + i] * (paths is null ? (i == c ? 1 : 0) : paths[i, c]);
                    next[o, c] = s;
                }
            paths = next;
        }
        for (int o = 0; o < 2 * d; o++)
        {
            int i = o < d ? o : o - d;
            for (int j = 0; j < d; j++)
            {
                if (j >= i)
                    Assert.True(paths![o, j] == 0, $"D={d} H={h} n={n} k={k}: output {o} (feature {i}) has a path from x_{j}.");
                else if (h >= d - 1)
                    Assert.True(paths![o, j] > 0, $"D={d} H={h} n={n} k={k}: output {o} (feature {i}) has no path from x_{j}.");
            }
            for (int c = d; c < d + k; c++)
            {
                if (i == 0) Assert.True(paths![o, c] == 0, $"D={d} H={h} n={n} k={k}: output {o} (feature 0) sees condition column {c - d}; r_0, m_0 should be biases only.");
                else Assert.True(paths![o, c] > 0, $"D={d} H={h} n={n} k={k}: output {o} (feature {i}) does not see condition column {c - d}.");
            }
        }
        if (h < d - 1)
        {
            // With H < D − 1 no hidden unit has a degree above H, so x_j for j ≥ H reaches nothing.
            for (int o = 0; o < 2 * d; o++)
                for (int j = h; j < d; j++)
                    Assert.True(paths![o, j] == 0, $"D={d} H={h} n={n}: x_{j} reaches output {o} though no hidden unit has degree {j + 1}.");
        }
    }

    // ----------------------------------------------------------------------------- InverseAdjointColumn

    private static void Near(double expected, float got, string what, double tol = 1e-5)
    {
        if (!(Math.Abs(got - expected) <= tol * (1 + Math.Abs(expected))))
            Assert.Fail($"{what}: got {got:R}, expected {expected:R}.");
    }

    [Theory]
    [InlineData(1, 1, 0)]
    [InlineData(1, 3, 2)]
    [InlineData(3, 5, 0)]
    [InlineData(17, 4, 3)]
    [InlineData(65, 7, 6)]
    [InlineData(64, 64, 63)]
    public void InverseAdjointColumn_MatchesItsFormulaInDouble(int rows, int d, int column)
    {
        var rnd = new Random(rows * 100 + d * 10 + column);
        int k = 2;
        var gvS = GemmTestUtil.Padded(rows, d, rnd);
        var vjpS = GemmTestUtil.Padded(rows, d + k, rnd);
        var vS = GemmTestUtil.Padded(rows, d, rnd);
        var rawS = GemmTestUtil.Padded(rows, d, rnd);
        var raw0 = GemmTestUtil.View(rawS);
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < d; j++) raw0[r, j] *= 4f; // tanh partly saturated
        var guS = GemmTestUtil.Padded(rows, d, rnd);
        var gRawS = GemmTestUtil.Padded(rows, d, rnd);
        var gMS = GemmTestUtil.Padded(rows, d, rnd);
        var scale = Enumerable.Range(0, d).Select(_ => (float)(0.2 + 1.3 * rnd.NextDouble())).ToArray();
        var gScale = Enumerable.Range(0, d).Select(_ => 99f).ToArray();
        var guBefore = (float[,])guS.Clone();
        var gRawBefore = (float[,])gRawS.Clone();
        var gMBefore = (float[,])gMS.Clone();
        float invRows = 1f / rows;

        MadeKernels.InverseAdjointColumn(GemmTestUtil.View(gvS), GemmTestUtil.View(vjpS), GemmTestUtil.View(vS), GemmTestUtil.View(rawS),
            scale, invRows, column, GemmTestUtil.View(guS), GemmTestUtil.View(gRawS), GemmTestUtil.View(gMS), gScale);

        var gv = GemmTestUtil.View(gvS); var vjp = GemmTestUtil.View(vjpS); var v = GemmTestUtil.View(vS); var raw = GemmTestUtil.View(rawS);
        var gu = GemmTestUtil.View(guS); var gRaw = GemmTestUtil.View(gRawS); var gM = GemmTestUtil.View(gMS);
        double sc = scale[column], sum = 0;
        for (int r = 0; r < rows; r++)
        {
            double t = Math.Tanh(raw[r, column]);
            double s = sc * t;
            double lambda = Math.Exp(-s) * ((double)gv[r, column] + vjp[r, column]);
            double c = 1.0 / rows - lambda * v[r, column] * Math.Exp(s);
            Near(lambda, gu[r, column], $"λ row {r}");
            Near(-lambda, gM[r, column], $"∂L/∂m row {r}");
            Near(c * sc * (1 - t * t), gRaw[r, column], $"∂L/∂r row {r}", 2e-5);
            sum += c * t;
        }
        Near(sum, gScale[column], "∂L/∂scale", 1e-5 * Math.Max(1, rows / 8.0));

        // Only column i of the outputs and entry i of gScale are written; the guards survive.
        for (int j = 0; j < d; j++)
            if (j != column) Assert.Equal(99f, gScale[j]);
        foreach (var (after, before) in new[] { (guS, guBefore), (gRawS, gRawBefore), (gMS, gMBefore) })
        {
            var a = GemmTestUtil.View(after); var b = GemmTestUtil.View((float[,])before);
            for (int r = 0; r < rows; r++)
                for (int j = 0; j < d; j++)
                    if (j != column) Assert.Equal(b[r, j], a[r, j]);
            GemmTestUtil.AssertGuardsIntact(after, rows, d);
        }
    }

    [Fact]
    public void InverseAdjointColumn_RejectsMismatchedShapes()
    {
        var a = new float[3, 4];
        var narrow = new float[3, 3];
        var s = new float[4];
        Assert.Throws<ArgumentException>(() => MadeKernels.InverseAdjointColumn(a, a, a, a, s, 1f / 3, 4, new Span2D<float>(a), new Span2D<float>(a), new Span2D<float>(a), s));
        Assert.Throws<ArgumentException>(() => MadeKernels.InverseAdjointColumn(a, narrow, a, a, s, 1f / 3, 0, new Span2D<float>(a), new Span2D<float>(a), new Span2D<float>(a), s));
        Assert.Throws<ArgumentException>(() => MadeKernels.InverseAdjointColumn(a, a, a, a, new float[3], 1f / 3, 0, new Span2D<float>(a), new Span2D<float>(a), new Span2D<float>(a), s));
    }

    /// <summary>
    /// End to end: an IAF layer u → v (v_i = (u_i − m_i)·e^(−s_i), (r, m) = net(v, y), s = scale ⊙ tanh r) and a loss
    /// L = Σ_rows (gv·v + (1/B)·Σ_i s_i), the NLL's dependence on this layer when gv = ∂L/∂v from the layers after it
    /// (the log-det is −Σ s). Running the kernel from feature D − 1 down to 0, with q = a naive double VJP of the
    /// cotangents written so far, must give ∂L/∂u (gu), ∂L/∂scale (gScale) and, through the final VJP, ∂L/∂y,
    /// all checked against central finite differences of the naive IAF in double.
    /// </summary>
    [Theory]
    [InlineData(1, 4, 1, 0, 3)]
    [InlineData(2, 3, 1, 1, 2)]
    [InlineData(3, 5, 2, 0, 4)]
    [InlineData(4, 2, 2, 2, 3)]
    [InlineData(7, 9, 2, 2, 5)]
    [InlineData(5, 11, 3, 1, 1)]
    public void InverseAdjointColumn_SolvesTheIafAdjoint(int d, int h, int n, int k, int rows)
    {
        var rnd = new Random(31 * d + 7 * h + n + 100 * k + 1000 * rows);
        var made = new NaiveMade(d, h, n, k, rnd, tanh: true, outputScale: 1.5);
        var scale = Enumerable.Range(0, d).Select(_ => (double)(float)(0.3 + rnd.NextDouble())).ToArray();
        var u = new double[rows][]; var y = new double[rows][]; var g = new double[rows][];
        for (int r = 0; r < rows; r++)
        {
            u[r] = Enumerable.Range(0, d).Select(_ => (double)(float)(2 * rnd.NextDouble() - 1)).ToArray();
            y[r] = Enumerable.Range(0, k).Select(_ => (double)(float)(2 * rnd.NextDouble() - 1)).ToArray();
            g[r] = Enumerable.Range(0, d).Select(_ => (double)(float)(2 * rnd.NextDouble() - 1)).ToArray();
        }

        // The naive IAF, data → latent, feature by feature; returns v and s.
        (double[] V, double[] S) ToLatent(double[] ur, double[] yr, double[] sc)
        {
            var v = new double[d];
            var s = new double[d];
            for (int i = 0; i < d; i++)
            {
                var o = made.Forward(v, yr).Out; // v_i … v_{D−1} are still 0; output i ignores them
                s[i] = sc[i] * Math.Tanh(o[i]);
                v[i] = (ur[i] - o[d + i]) * Math.Exp(-s[i]);
            }
            return (v, s);
        }
        double Loss(double[][] uu, double[][] yy, double[] sc)
        {
            double loss = 0;
            for (int r = 0; r < rows; r++)
            {
                var (v, s) = ToLatent(uu[r], yy[r], sc);
                for (int i = 0; i < d; i++) loss += g[r][i] * v[i] + s[i] / rows;
            }
            return loss;
        }

        // The kernel's inputs: v and the raw outputs r on the final v, in float.
        var vF = new float[rows, d]; var rawF = new float[rows, d]; var gvF = new float[rows, d];
        var vRows = new double[rows][];
        for (int r = 0; r < rows; r++)
        {
            vRows[r] = ToLatent(u[r], y[r], scale).V;
            var o = made.Forward(vRows[r], y[r]).Out;
            for (int i = 0; i < d; i++) { vF[r, i] = (float)vRows[r][i]; rawF[r, i] = (float)o[i]; gvF[r, i] = (float)g[r][i]; }
        }
        var scaleF = scale.Select(x => (float)x).ToArray();
        var gu = new float[rows, d]; var gRaw = new float[rows, d]; var gM = new float[rows, d];
        var vjp = new float[rows, d + k];
        var gScale = new float[d];
        double[] Cotangent(int r) => Enumerable.Range(0, 2 * d).Select(o => (double)(o < d ? gRaw[r, o] : gM[r, o - d])).ToArray();
        for (int i = d - 1; i >= 0; i--)
        {
            for (int r = 0; r < rows; r++)
            {
                var q = made.InputVjp(vRows[r], y[r], Cotangent(r)); // columns ≤ i of gRaw, gM are still 0
                for (int c = 0; c < d + k; c++) vjp[r, c] = (float)q[c];
            }
            MadeKernels.InverseAdjointColumn(gvF, vjp, vF, rawF, scaleF, 1f / rows, i, gu, gRaw, gM, gScale);
        }

        const double step = 1e-6;
        double Fd(Action<double> set, double keep)
        {
            set(keep + step); double plus = Loss(u, y, scale);
            set(keep - step); double minus = Loss(u, y, scale);
            set(keep);
            return (plus - minus) / (2 * step);
        }
        for (int r = 0; r < rows; r++)
        {
            var q = made.InputVjp(vRows[r], y[r], Cotangent(r)); // every cotangent: ∂L/∂y in the condition columns
            for (int j = 0; j < d; j++)
            {
                int rr = r, jj = j;
                Near(Fd(x => u[rr][jj] = x, u[r][j]), gu[r, j], $"∂L/∂u[{r}, {j}] (D={d} H={h} n={n} k={k})", 2e-4);
            }
            for (int c = 0; c < k; c++)
            {
                int rr = r, cc = c;
                double expected = Fd(x => y[rr][cc] = x, y[r][c]);
                if (!(Math.Abs(q[d + c] - expected) <= 2e-4 * (1 + Math.Abs(expected))))
                    Assert.Fail($"∂L/∂y[{r}, {c}]: got {q[d + c]:R}, expected {expected:R}.");
            }
        }
        for (int j = 0; j < d; j++)
        {
            int jj = j;
            Near(Fd(x => scale[jj] = x, scale[j]), gScale[j], $"∂L/∂scale[{j}] (D={d} H={h} n={n} k={k})", 2e-4);
        }
    }
}
