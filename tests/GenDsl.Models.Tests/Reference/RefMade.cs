namespace GenDsl.Models.Tests.Reference;

/// <summary>
/// Double-precision reference of the planned [MaskedAutoregressive] flow layer (issue #14), exactly as
/// docs/flow-layers.md "Masked autoregressive" specifies it: a MADE conditioner (Germain et al. 2015) with
/// sequential input degrees and the nflows/zuko hidden-degree rule, and the affine transform of the affine coupling.
/// MAF (inverse = false): (r, m) = net(u, y), one pass data → latent, D passes latent → data.
/// IAF (inverse = true):  (r, m) = net(v, y), one pass latent → data, D passes data → latent.
/// Affine (bins = 0): v_i = (u_i − m_i)·exp(−s_i), s = scale ⊙ tanh(r), logdet = −Σ_i s_i.
/// Spline (bins = K ≥ 2): v_i = g(u_i; θ_i) with <see cref="RefSpline"/> (identity outside [−B, B]), θ_i = the network's
/// outputs P·i … P·i + P − 1 (P = 3K − 1), logdet = Σ_i ln g′(u_i); no scale.
/// Weights are W[l][out, in] (row-major jagged), biases b[l][out]; masked-out weights are multiplied by the mask
/// on every use, so a stray non-zero there cannot leak into the output.
/// </summary>
internal sealed class RefMade
{
    public int D { get; }
    public int K { get; }
    public int H { get; }
    public int N { get; }
    public Activation Act { get; }
    public bool InverseDirection { get; }
    public int Bins { get; }
    public double TailBound { get; }
    /// <summary>Network outputs per feature: 2 (affine: r_i at i, m_i at D + i) or P = 3K − 1 (spline: contiguous).</summary>
    public int PerFeature => Bins > 0 ? 3 * Bins - 1 : 2;
    public double[][,] W { get; }
    public double[][] B { get; }
    public double[] Scale { get; }
    public double[][,] Mask { get; }

    public RefMade(int d, int k, int hidden, int hiddenLayers, Activation act, bool inverse, int bins = 0, double tailBound = 0)
    {
        if (bins is 1 or < 0) throw new ArgumentOutOfRangeException(nameof(bins), "0 (affine) or ≥ 2");
        Bins = bins; TailBound = tailBound;
        if (d < 1) throw new ArgumentOutOfRangeException(nameof(d));
        if (hiddenLayers < 1) throw new ArgumentOutOfRangeException(nameof(hiddenLayers), "MADE needs at least one hidden layer");
        D = d; K = k; H = hidden; N = hiddenLayers; Act = act; InverseDirection = inverse;
        W = new double[N + 1][,]; B = new double[N + 1][];
        Mask = Masks(d, k, hidden, hiddenLayers, bins > 0 ? 3 * bins - 1 : 0);
        for (int l = 0; l <= N; l++)
        {
            W[l] = new double[Mask[l].GetLength(0), Mask[l].GetLength(1)];
            B[l] = new double[Mask[l].GetLength(0)];
        }
        Scale = Enumerable.Repeat(1.0, d).ToArray();
    }

    /// <summary>Degree of hidden unit j (every hidden layer): 1 + (j mod max(1, D − 1)).</summary>
    public static int HiddenDegree(int j, int d) => 1 + j % Math.Max(1, d - 1);

    /// <summary>
    /// The binary masks, Mask[l][out, in], l = 0..n. Inputs: feature i (column i) has degree i + 1, condition columns
    /// D..D+k−1 connect to every hidden unit of layer 0. Hidden layer l: unit j ← unit p iff deg(j) ≥ deg(p).
    /// Output layer: columns i (r_i) and D + i (m_i) have degree i + 1 and see hidden unit p iff i + 1 > deg(p);
    /// with a spline (<paramref name="splineParameters"/> = P &gt; 0) the rows P·i … P·i + P − 1 have degree i + 1.
    /// </summary>
    public static double[][,] Masks(int d, int k, int hidden, int hiddenLayers, int splineParameters = 0)
    {
        var masks = new double[hiddenLayers + 1][,];
        var m0 = new double[hidden, d + k];
        for (int j = 0; j < hidden; j++)
        {
            for (int i = 0; i < d; i++) m0[j, i] = HiddenDegree(j, d) >= i + 1 ? 1 : 0;
            for (int c = 0; c < k; c++) m0[j, d + c] = 1;
        }
        masks[0] = m0;
        for (int l = 1; l < hiddenLayers; l++)
        {
            var m = new double[hidden, hidden];
            for (int j = 0; j < hidden; j++)
                for (int p = 0; p < hidden; p++)
                    m[j, p] = HiddenDegree(j, d) >= HiddenDegree(p, d) ? 1 : 0;
            masks[l] = m;
        }
        var mo = new double[(splineParameters > 0 ? splineParameters : 2) * d, hidden];
        for (int i = 0; i < d; i++)
            for (int p = 0; p < hidden; p++)
            {
                double m = i + 1 > HiddenDegree(p, d) ? 1 : 0;
                if (splineParameters > 0)
                    for (int q = 0; q < splineParameters; q++) mo[splineParameters * i + q, p] = m;
                else
                    mo[i, p] = mo[d + i, p] = m;
            }
        masks[hiddenLayers] = mo;
        return masks;
    }

    /// <summary>Fills the hidden layers as torch.nn.Linear would (U(−1/√fan_in, 1/√fan_in)) times the mask, for tests
    /// a non-zero output layer (the real layer starts it at zero) and a scale around 1.</summary>
    public void Randomize(Random rng, double outputScale)
    {
        for (int l = 0; l <= N; l++)
        {
            int rows = W[l].GetLength(0), cols = W[l].GetLength(1);
            double bound = l < N ? 1 / Math.Sqrt(cols) : outputScale;
            for (int o = 0; o < rows; o++)
            {
                for (int c = 0; c < cols; c++) W[l][o, c] = Mask[l][o, c] * bound * (2 * rng.NextDouble() - 1);
                B[l][o] = bound * (2 * rng.NextDouble() - 1);
            }
        }
        for (int i = 0; i < D; i++) Scale[i] = 0.5 + rng.NextDouble();
    }

    /// <summary>The network's raw outputs on one row: x (D values) and y (k values) → o (PerFeature·D values).</summary>
    public double[] Raw(double[] x, double[] y)
    {
        var h = new double[D + K];
        Array.Copy(x, h, D);
        if (K > 0) Array.Copy(y, 0, h, D, K);
        for (int l = 0; l <= N; l++)
        {
            int rows = W[l].GetLength(0), cols = W[l].GetLength(1);
            var next = new double[rows];
            for (int o = 0; o < rows; o++)
            {
                double acc = B[l][o];
                for (int c = 0; c < cols; c++) acc += Mask[l][o, c] * W[l][o, c] * h[c];
                next[o] = l < N ? RefActivation.Apply(Act, acc) : acc;
            }
            h = next;
        }
        return h;
    }

    /// <summary>Feature i's spline parameters θ_i from the raw outputs.</summary>
    private double[] Theta(double[] o, int i)
    {
        int p = 3 * Bins - 1;
        var theta = new double[p];
        Array.Copy(o, p * i, theta, 0, p);
        return theta;
    }

    /// <summary>The affine network on one row: x (D values) and y (k values) → s (D), m (D).</summary>
    public (double[] S, double[] M) Net(double[] x, double[] y)
    {
        var h = Raw(x, y);
        var s = new double[D]; var m = new double[D];
        for (int i = 0; i < D; i++) { s[i] = Scale[i] * Math.Tanh(h[i]); m[i] = h[D + i]; }
        return (s, m);
    }

    /// <summary>Data → latent for one row; returns v and its ln|det ∂v/∂u| = −Σ s.</summary>
    public (double[] V, double LogDet) ToLatent(double[] u, double[] y)
    {
        var v = new double[D];
        if (Bins > 0)
        {
            double ld = 0;
            double[] o = InverseDirection ? null! : Raw(u, y); // MAF: one pass
            for (int i = 0; i < D; i++)
            {
                if (InverseDirection) o = Raw(v, y); // IAF: pass i sees v_<i (entries ≥ i are still 0 and masked out of θ_i)
                v[i] = RefSpline.Forward(u[i], Theta(o, i), Bins, TailBound, out double l);
                ld += l;
            }
            return (v, ld);
        }
        if (!InverseDirection)
        {
            var (s, m) = Net(u, y); // MAF: one pass
            double ld = 0;
            for (int i = 0; i < D; i++) { v[i] = (u[i] - m[i]) * Math.Exp(-s[i]); ld -= s[i]; }
            return (v, ld);
        }
        // IAF: D passes; pass i fixes v_i from v_<i (entries ≥ i are still 0 and masked out of s_i, m_i).
        double logDet = 0;
        for (int i = 0; i < D; i++)
        {
            var (s, m) = Net(v, y);
            v[i] = (u[i] - m[i]) * Math.Exp(-s[i]);
            if (i == D - 1) logDet = -s.Sum();
        }
        return (v, logDet);
    }

    /// <summary>Latent → data for one row.</summary>
    public double[] FromLatent(double[] v, double[] y)
    {
        var u = new double[D];
        if (Bins > 0)
        {
            double[] o = InverseDirection ? Raw(v, y) : null!; // IAF: one pass
            for (int i = 0; i < D; i++)
            {
                if (!InverseDirection) o = Raw(u, y); // MAF: D passes
                u[i] = RefSpline.Inverse(v[i], Theta(o, i), Bins, TailBound);
            }
            return u;
        }
        if (InverseDirection)
        {
            var (s, m) = Net(v, y); // IAF: one pass
            for (int i = 0; i < D; i++) u[i] = v[i] * Math.Exp(s[i]) + m[i];
            return u;
        }
        for (int i = 0; i < D; i++) // MAF: D passes
        {
            var (s, m) = Net(u, y);
            u[i] = v[i] * Math.Exp(s[i]) + m[i];
        }
        return u;
    }
}
