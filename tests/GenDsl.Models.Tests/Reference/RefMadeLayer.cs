namespace GenDsl.Models.Tests.Reference;

/// <summary>
/// The [MaskedAutoregressive] layer as a <see cref="RefLayer"/> of a reference flow: forward and inverse are
/// <see cref="RefMade"/>'s (docs/flow-layers.md, row by row in double), with the parameters read from the arena in
/// the layer's order (net.0.weight, net.0.bias, …, net.n.weight, net.n.bias, scale). Its backward pass is
/// central finite differences in double of φ = Σ dv·v + Σ dLogDet·logDet (step 1e-6, truncation error ~1e-12 on
/// these smooth activations): a reference that shares no code with the generated adjoint it checks.
/// </summary>
/// <param name="Hidden">H.</param>
/// <param name="HiddenLayers">n ≥ 1.</param>
/// <param name="Act">The hidden activation.</param>
/// <param name="InverseDirection">True for an IAF.</param>
/// <param name="Bins">0: the affine transform; K ≥ 2: a spline of K bins (no scale tensor).</param>
/// <param name="TailBound">The spline's B.</param>
public sealed record RefMadeLayer(int Hidden, int HiddenLayers, Activation Act, bool InverseDirection, int Bins = 0, double TailBound = 0) : RefLayer
{
    private int SplineParameters => Bins > 0 ? 3 * Bins - 1 : 0;

    private const double Step = 1e-6;

    internal override IReadOnlyList<(string Suffix, int[] Shape)> Tensors(int features, int condition)
    {
        var masks = RefMade.Masks(features, condition, Hidden, HiddenLayers, SplineParameters);
        var list = new List<(string, int[])>();
        for (int l = 0; l <= HiddenLayers; l++)
        {
            list.Add(($"net.{l}.weight", [masks[l].GetLength(0), masks[l].GetLength(1)]));
            list.Add(($"net.{l}.bias", [masks[l].GetLength(0)]));
        }
        if (Bins == 0)
            list.Add(("scale", [features]));
        return list;
    }

    internal override void Validate(int features, int condition)
    {
        if (HiddenLayers < 1) throw new ArgumentException($"HiddenLayers is {HiddenLayers}; a MADE needs at least 1.", nameof(HiddenLayers));
        if (Hidden < 1) throw new ArgumentException($"Hidden is {Hidden}; it must be ≥ 1.", nameof(Hidden));
    }

    /// <summary>A RefMade holding the arena's current values.</summary>
    private RefMade Load(TensorView[] w, int features, int condition)
    {
        var made = new RefMade(features, condition, Hidden, HiddenLayers, Act, InverseDirection, Bins, TailBound);
        for (int l = 0; l <= HiddenLayers; l++)
        {
            var weight = w[2 * l];
            var bias = w[2 * l + 1];
            for (int o = 0; o < made.W[l].GetLength(0); o++)
            {
                for (int i = 0; i < made.W[l].GetLength(1); i++)
                    made.W[l][o, i] = weight[o, i];
                made.B[l][o] = bias[o];
            }
        }
        if (Bins == 0)
            for (int i = 0; i < features; i++) made.Scale[i] = w[2 * HiddenLayers + 2][i];
        return made;
    }

    private static double[] Row(double[,] a, int r)
    {
        if (a is null) return Array.Empty<double>();
        var row = new double[a.GetLength(1)];
        for (int c = 0; c < row.Length; c++) row[c] = a[r, c];
        return row;
    }

    private static int Cols(double[,]? a) => a is null ? 0 : a.GetLength(1);

    internal override double[,] Forward(TensorView[] w, double[,] u, double[,] y, double[] logDet)
    {
        int rows = u.GetLength(0), d = u.GetLength(1);
        var made = Load(w, d, Cols(y));
        var v = new double[rows, d];
        for (int r = 0; r < rows; r++)
        {
            var (vr, ld) = made.ToLatent(Row(u, r), Row(y, r));
            for (int j = 0; j < d; j++) v[r, j] = vr[j];
            logDet[r] += ld;
        }
        return v;
    }

    internal override double[,] Inverse(TensorView[] w, double[,] v, double[,] y)
    {
        int rows = v.GetLength(0), d = v.GetLength(1);
        var made = Load(w, d, Cols(y));
        var u = new double[rows, d];
        for (int r = 0; r < rows; r++)
        {
            var ur = made.FromLatent(Row(v, r), Row(y, r));
            for (int j = 0; j < d; j++) u[r, j] = ur[j];
        }
        return u;
    }

    /// <summary>φ_r = Σ_j dv[r, j]·v_j + dLogDet[r]·logDet of row r.</summary>
    private static double Phi(RefMade made, double[] u, double[] y, double[,] dv, double[] dLogDet, int r)
    {
        var (v, ld) = made.ToLatent(u, y);
        double phi = dLogDet[r] * ld;
        for (int j = 0; j < v.Length; j++) phi += dv[r, j] * v[j];
        return phi;
    }

    internal override double[,] Backward(TensorView[] w, TensorView[] g, double[,] u, double[,] y, double[,] dv, double[] dLogDet, double[,] dy)
    {
        int rows = u.GetLength(0), d = u.GetLength(1), k = Cols(y);
        double PhiAll(RefMade made)
        {
            double sum = 0;
            for (int r = 0; r < rows; r++) sum += Phi(made, Row(u, r), Row(y, r), dv, dLogDet, r);
            return sum;
        }

        // Parameters: perturb each entry of the arena in place, reload, difference.
        for (int t = 0; t < w.Length; t++)
        {
            for (int i = 0; i < w[t].Rows * w[t].Cols; i++)
            {
                double keep = w[t][i];
                w[t][i] = keep + Step;
                double plus = PhiAll(Load(w, d, k));
                w[t][i] = keep - Step;
                double minus = PhiAll(Load(w, d, k));
                w[t][i] = keep;
                g[t][i] += (plus - minus) / (2 * Step);
            }
        }

        // Inputs and condition: row r's φ depends on row r alone.
        var made0 = Load(w, d, k);
        var du = new double[rows, d];
        for (int r = 0; r < rows; r++)
        {
            var ur = Row(u, r);
            var yr = Row(y, r);
            for (int j = 0; j < d; j++)
            {
                double keep = ur[j];
                ur[j] = keep + Step;
                double plus = Phi(made0, ur, yr, dv, dLogDet, r);
                ur[j] = keep - Step;
                double minus = Phi(made0, ur, yr, dv, dLogDet, r);
                ur[j] = keep;
                du[r, j] = (plus - minus) / (2 * Step);
            }
            for (int c = 0; c < k; c++)
            {
                double keep = yr[c];
                yr[c] = keep + Step;
                double plus = Phi(made0, ur, yr, dv, dLogDet, r);
                yr[c] = keep - Step;
                double minus = Phi(made0, ur, yr, dv, dLogDet, r);
                yr[c] = keep;
                dy[r, c] += (plus - minus) / (2 * Step);
            }
        }
        return du;
    }
}
