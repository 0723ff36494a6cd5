namespace GenDsl.Models.Tests.Reference;

// Each layer below maps a B×D input u to a B×D output v in the data → latent direction
// (declaration order, see the flow-layer contract FLOW-SPEC.md) and adds its ln|det ∂v/∂u| per row to logDet.
// Every layer has three methods, written to be read side by side:
//   Forward  (u → v, logDet += …)
//   Inverse  (v → u)
//   Backward (given u, dLoss/dv and dLoss/dlogDet: ADD dLoss/dparameters into g, ADD dLoss/dy into dy,
//             return dLoss/du). Backward recomputes the forward quantities it needs from u.
// The parameter views w (and gradient views g) come in the order of Tensors(): the arena order.

/// <summary>One layer of a reference flow (see <see cref="RefFlow"/>).</summary>
public abstract record RefLayer
{
    /// <summary>The parameter tensors, in arena order: name suffix (after "Member.") and shape.</summary>
    internal abstract IReadOnlyList<(string Suffix, int[] Shape)> Tensors(int features, int condition);

    /// <summary>Throws an <see cref="ArgumentException"/> if the layer does not fit a flow of this size.</summary>
    internal abstract void Validate(int features, int condition);

    internal abstract double[,] Forward(TensorView[] w, double[,] u, double[,] y, double[] logDet);

    internal abstract double[,] Inverse(TensorView[] w, double[,] v, double[,] y);

    internal abstract double[,] Backward(TensorView[] w, TensorView[] g, double[,] u, double[,] y, double[,] dv, double[] dLogDet, double[,] dy);

    /// <summary>Sorted feature indices NOT in <paramref name="kept"/>.</summary>
    internal static int[] Complement(int[] kept, int features)
    {
        var result = new List<int>();
        for (int j = 0; j < features; j++)
            if (Array.IndexOf(kept, j) < 0) result.Add(j);
        return result.ToArray();
    }

    internal static void ValidatePermutation(int[] order, int features, string paramName)
    {
        if (order.Length != features)
            throw new ArgumentException($"{paramName} has {order.Length} entries but the flow has {features} features; give a permutation of 0…{features - 1}.", paramName);
        var seen = new bool[features];
        foreach (int j in order)
        {
            if (j < 0 || j >= features || seen[j])
                throw new ArgumentException($"{paramName} [{string.Join(",", order)}] is not a permutation of 0…{features - 1}.", paramName);
            seen[j] = true;
        }
    }
}

/// <summary>
/// Shared part of the affine and additive couplings: the mask and the conditioner network
/// a = [u_K, y] → o (an MLP with <see cref="HiddenLayers"/> hidden layers of width <see cref="Hidden"/>).
/// </summary>
/// <param name="Kept">Feature indices passed through unchanged (ascending), see <see cref="RefFlow.MaskKept"/>.</param>
/// <param name="Hidden">Width H of every hidden layer (ignored when HiddenLayers = 0).</param>
/// <param name="HiddenLayers">Number n of hidden layers (0 = a single linear layer).</param>
/// <param name="Act">Activation of the hidden layers (the output layer has none).</param>
public abstract record RefCoupling(int[] Kept, int Hidden, int HiddenLayers, Activation Act) : RefLayer
{
    /// <summary>Network outputs per transformed feature: 2 (r and m) for affine, 1 (m) for additive.</summary>
    private protected abstract int OutputsPerTransformed { get; }

    internal override void Validate(int features, int condition)
    {
        for (int i = 0; i < Kept.Length; i++)
            if (Kept[i] < 0 || Kept[i] >= features || (i > 0 && Kept[i] <= Kept[i - 1]))
                throw new ArgumentException($"Kept [{string.Join(",", Kept)}] must be strictly ascending indices in 0…{features - 1}.", nameof(Kept));
        if (HiddenLayers < 0) throw new ArgumentException($"HiddenLayers is {HiddenLayers}; it must be ≥ 0.", nameof(HiddenLayers));
        if (HiddenLayers > 0 && Hidden <= 0) throw new ArgumentException($"Hidden is {Hidden} with {HiddenLayers} hidden layers; it must be ≥ 1.", nameof(Hidden));
    }

    /// <summary>net.0.weight, net.0.bias, …, net.n.weight, net.n.bias (shapes [out, in] and [out]).</summary>
    internal override IReadOnlyList<(string Suffix, int[] Shape)> Tensors(int features, int condition)
    {
        int d1 = Kept.Length, d2 = features - d1;
        var list = new List<(string, int[])>();
        int width = d1 + condition;
        for (int l = 0; l < HiddenLayers; l++)
        {
            list.Add(($"net.{l}.weight", [Hidden, width]));
            list.Add(($"net.{l}.bias", [Hidden]));
            width = Hidden;
        }
        list.Add(($"net.{HiddenLayers}.weight", [OutputsPerTransformed * d2, width]));
        list.Add(($"net.{HiddenLayers}.bias", [OutputsPerTransformed * d2]));
        return list;
    }

    /// <summary>The network input a = [u_K, y]: kept features in ascending order, then the condition.</summary>
    private protected double[,] NetInput(double[,] u, double[,] y)
    {
        int batch = u.GetLength(0), d1 = Kept.Length, k = y.GetLength(1);
        var a = new double[batch, d1 + k];
        for (int r = 0; r < batch; r++)
        {
            for (int i = 0; i < d1; i++) a[r, i] = u[r, Kept[i]];
            for (int c = 0; c < k; c++) a[r, d1 + c] = y[r, c];
        }
        return a;
    }

    /// <summary>Adds dLoss/da back into dLoss/du (kept columns) and dLoss/dy.</summary>
    private protected void ScatterNetInputGradient(double[,] da, double[,] du, double[,] dy)
    {
        int batch = du.GetLength(0), d1 = Kept.Length, k = dy.GetLength(1);
        for (int r = 0; r < batch; r++)
        {
            for (int i = 0; i < d1; i++) du[r, Kept[i]] += da[r, i];
            for (int c = 0; c < k; c++) dy[r, c] += da[r, d1 + c];
        }
    }

    /// <inheritdoc/>
    public sealed override string ToString() =>
        $"{GetType().Name}(Kept=[{string.Join(",", Kept)}], Hidden={Hidden}, HiddenLayers={HiddenLayers}, Act={Act})";
}

/// <summary>
/// Affine coupling (RealNVP). o = net([u_K, y]); r = o[:, 0…d2−1], m = o[:, d2…2d2−1];
/// s = scale ⊙ tanh(r); v_T = (u_T − m) ⊙ exp(−s); logDet −= Σ_j s_j.
/// Parameters: net.0.weight, net.0.bias, …, net.n.weight [2·d2, ·], net.n.bias [2·d2], scale [d2].
/// </summary>
public sealed record RefAffineCoupling(int[] Kept, int Hidden, int HiddenLayers, Activation Act)
    : RefCoupling(Kept, Hidden, HiddenLayers, Act)
{
    private protected override int OutputsPerTransformed => 2;

    internal override IReadOnlyList<(string Suffix, int[] Shape)> Tensors(int features, int condition)
    {
        var list = new List<(string Suffix, int[] Shape)>(base.Tensors(features, condition));
        list.Add(("scale", [features - Kept.Length]));
        return list;
    }

    internal override double[,] Forward(TensorView[] w, double[,] u, double[,] y, double[] logDet)
    {
        int batch = u.GetLength(0), features = u.GetLength(1);
        int[] T = Complement(Kept, features);
        int d2 = T.Length;
        TensorView scale = w[^1];
        double[,] o = RefMlp.Forward(w, HiddenLayers, Act, NetInput(u, y), out _, out _);

        double[,] v = (double[,])u.Clone();          // v_K = u_K
        for (int r = 0; r < batch; r++)
            for (int j = 0; j < d2; j++)
            {
                double s = scale[j] * Math.Tanh(o[r, j]);
                double m = o[r, d2 + j];
                v[r, T[j]] = (u[r, T[j]] - m) * Math.Exp(-s);
                logDet[r] -= s;
            }
        return v;
    }

    internal override double[,] Inverse(TensorView[] w, double[,] v, double[,] y)
    {
        int batch = v.GetLength(0), features = v.GetLength(1);
        int[] T = Complement(Kept, features);
        int d2 = T.Length;
        TensorView scale = w[^1];
        double[,] o = RefMlp.Forward(w, HiddenLayers, Act, NetInput(v, y), out _, out _); // u_K = v_K

        double[,] u = (double[,])v.Clone();
        for (int r = 0; r < batch; r++)
            for (int j = 0; j < d2; j++)
            {
                double s = scale[j] * Math.Tanh(o[r, j]);
                double m = o[r, d2 + j];
                u[r, T[j]] = v[r, T[j]] * Math.Exp(s) + m;
            }
        return u;
    }

    internal override double[,] Backward(TensorView[] w, TensorView[] g, double[,] u, double[,] y, double[,] dv, double[] dLogDet, double[,] dy)
    {
        int batch = u.GetLength(0), features = u.GetLength(1);
        int[] T = Complement(Kept, features);
        int d2 = T.Length;
        TensorView scale = w[^1], dScale = g[^1];
        double[,] o = RefMlp.Forward(w, HiddenLayers, Act, NetInput(u, y), out var pre, out var h);

        double[,] du = (double[,])dv.Clone();        // v_K = u_K: the kept columns pass dv through
        var dO = new double[batch, 2 * d2];          // dLoss/d[r, m]
        for (int r = 0; r < batch; r++)
            for (int j = 0; j < d2; j++)
            {
                double t = Math.Tanh(o[r, j]);
                double s = scale[j] * t;
                double m = o[r, d2 + j];
                double e = Math.Exp(-s);
                double vT = (u[r, T[j]] - m) * e;
                double dvT = dv[r, T[j]];
                // v_T = (u_T − m)·e^(−s)
                du[r, T[j]] = dvT * e;
                double dm = -dvT * e;
                // v_T depends on s through e^(−s) (∂v_T/∂s = −v_T); logDet −= s
                double ds = -dvT * vT - dLogDet[r];
                // s = scale·tanh(r)
                dScale[j] += ds * t;
                dO[r, j] = ds * scale[j] * (1 - t * t);
                dO[r, d2 + j] = dm;
            }
        double[,] da = RefMlp.Backward(w, g, HiddenLayers, Act, pre, h, dO);
        ScatterNetInputGradient(da, du, dy);
        return du;
    }
}

/// <summary>
/// Additive coupling (NICE). m = net([u_K, y]) (d2 outputs); v_T = u_T − m; logDet += 0.
/// Parameters: net.0.weight, net.0.bias, …, net.n.weight [d2, ·], net.n.bias [d2].
/// </summary>
public sealed record RefAdditiveCoupling(int[] Kept, int Hidden, int HiddenLayers, Activation Act)
    : RefCoupling(Kept, Hidden, HiddenLayers, Act)
{
    private protected override int OutputsPerTransformed => 1;

    internal override double[,] Forward(TensorView[] w, double[,] u, double[,] y, double[] logDet)
    {
        int[] T = Complement(Kept, u.GetLength(1));
        double[,] m = RefMlp.Forward(w, HiddenLayers, Act, NetInput(u, y), out _, out _);
        double[,] v = (double[,])u.Clone();
        for (int r = 0; r < u.GetLength(0); r++)
            for (int j = 0; j < T.Length; j++)
                v[r, T[j]] = u[r, T[j]] - m[r, j];
        return v;
    }

    internal override double[,] Inverse(TensorView[] w, double[,] v, double[,] y)
    {
        int[] T = Complement(Kept, v.GetLength(1));
        double[,] m = RefMlp.Forward(w, HiddenLayers, Act, NetInput(v, y), out _, out _);
        double[,] u = (double[,])v.Clone();
        for (int r = 0; r < v.GetLength(0); r++)
            for (int j = 0; j < T.Length; j++)
                u[r, T[j]] = v[r, T[j]] + m[r, j];
        return u;
    }

    internal override double[,] Backward(TensorView[] w, TensorView[] g, double[,] u, double[,] y, double[,] dv, double[] dLogDet, double[,] dy)
    {
        int[] T = Complement(Kept, u.GetLength(1));
        RefMlp.Forward(w, HiddenLayers, Act, NetInput(u, y), out var pre, out var h);
        double[,] du = (double[,])dv.Clone();        // v = u on the kept columns; v_T = u_T − m ⇒ du_T = dv_T
        var dm = new double[u.GetLength(0), T.Length];
        for (int r = 0; r < u.GetLength(0); r++)
            for (int j = 0; j < T.Length; j++)
                dm[r, j] = -dv[r, T[j]];
        double[,] da = RefMlp.Backward(w, g, HiddenLayers, Act, pre, h, dm);
        ScatterNetInputGradient(da, du, dy);
        return du;
    }
}

/// <summary>Fixed permutation: v[:, j] = u[:, Order[j]]; logDet += 0; no parameters.</summary>
/// <param name="Order">π, a permutation of 0…D−1 (see <see cref="RefFlow.RandomPermutation"/>, <see cref="RefFlow.ReversePermutation"/>).</param>
public sealed record RefPermutation(int[] Order) : RefLayer
{
    internal override IReadOnlyList<(string Suffix, int[] Shape)> Tensors(int features, int condition) => [];

    internal override void Validate(int features, int condition) => ValidatePermutation(Order, features, nameof(Order));

    internal override double[,] Forward(TensorView[] w, double[,] u, double[,] y, double[] logDet)
    {
        var v = new double[u.GetLength(0), u.GetLength(1)];
        for (int r = 0; r < u.GetLength(0); r++)
            for (int j = 0; j < Order.Length; j++)
                v[r, j] = u[r, Order[j]];
        return v;
    }

    internal override double[,] Inverse(TensorView[] w, double[,] v, double[,] y)
    {
        var u = new double[v.GetLength(0), v.GetLength(1)];
        for (int r = 0; r < v.GetLength(0); r++)
            for (int j = 0; j < Order.Length; j++)
                u[r, Order[j]] = v[r, j];
        return u;
    }

    internal override double[,] Backward(TensorView[] w, TensorView[] g, double[,] u, double[,] y, double[,] dv, double[] dLogDet, double[,] dy)
    {
        var du = new double[dv.GetLength(0), dv.GetLength(1)];
        for (int r = 0; r < dv.GetLength(0); r++)
            for (int j = 0; j < Order.Length; j++)
                du[r, Order[j]] += dv[r, j];          // v[r, j] = u[r, π[j]]
        return du;
    }

    /// <inheritdoc/>
    public override string ToString() => $"RefPermutation([{string.Join(",", Order)}])";
}

/// <summary>
/// ActNorm: v = u ⊙ exp(ls) + b; logDet += Σ_j ls_j. Parameters: logscale [D] (ls), bias [D] (b).
/// Its data-dependent initialisation is <see cref="RefFlow.InitialiseActNorm"/>.
/// </summary>
public sealed record RefActNorm() : RefLayer
{
    internal override IReadOnlyList<(string Suffix, int[] Shape)> Tensors(int features, int condition) =>
        [("logscale", [features]), ("bias", [features])];

    internal override void Validate(int features, int condition) { }

    internal override double[,] Forward(TensorView[] w, double[,] u, double[,] y, double[] logDet)
    {
        TensorView ls = w[0], b = w[1];
        int batch = u.GetLength(0), features = u.GetLength(1);
        var v = new double[batch, features];
        for (int r = 0; r < batch; r++)
            for (int j = 0; j < features; j++)
            {
                v[r, j] = u[r, j] * Math.Exp(ls[j]) + b[j];
                logDet[r] += ls[j];
            }
        return v;
    }

    internal override double[,] Inverse(TensorView[] w, double[,] v, double[,] y)
    {
        TensorView ls = w[0], b = w[1];
        int batch = v.GetLength(0), features = v.GetLength(1);
        var u = new double[batch, features];
        for (int r = 0; r < batch; r++)
            for (int j = 0; j < features; j++)
                u[r, j] = (v[r, j] - b[j]) * Math.Exp(-ls[j]);
        return u;
    }

    internal override double[,] Backward(TensorView[] w, TensorView[] g, double[,] u, double[,] y, double[,] dv, double[] dLogDet, double[,] dy)
    {
        TensorView ls = w[0], dls = g[0], db = g[1];
        int batch = u.GetLength(0), features = u.GetLength(1);
        var du = new double[batch, features];
        for (int r = 0; r < batch; r++)
            for (int j = 0; j < features; j++)
            {
                double e = Math.Exp(ls[j]);
                // v = u·e^ls + b ; logDet += ls
                du[r, j] = dv[r, j] * e;
                dls[j] += dv[r, j] * u[r, j] * e + dLogDet[r];
                db[j] += dv[r, j];
            }
        return du;
    }

    /// <summary>
    /// Glow's data-dependent initialisation from the batch <paramref name="u"/> reaching this layer:
    /// ls_j = −ln(std_j + 1e-6), b_j = −mean_j·exp(ls_j), population std (divide by B).
    /// </summary>
    internal static void Initialise(TensorView[] w, double[,] u)
    {
        TensorView ls = w[0], b = w[1];
        int batch = u.GetLength(0), features = u.GetLength(1);
        for (int j = 0; j < features; j++)
        {
            double mean = 0;
            for (int r = 0; r < batch; r++) mean += u[r, j];
            mean /= batch;
            double variance = 0;
            for (int r = 0; r < batch; r++) variance += (u[r, j] - mean) * (u[r, j] - mean);
            variance /= batch;
            ls[j] = -Math.Log(Math.Sqrt(variance) + 1e-6);
            b[j] = -mean * Math.Exp(ls[j]);
        }
    }
}

/// <summary>
/// Invertible 1×1 "convolution" in Glow's LU form: W = P·L·(U + diag(exp(logs))), v_r = W·u_r
/// (i.e. v = u·Wᵀ); logDet += Σ_j logs_j. P[i, π[i]] = 1 (so (P·x)_i = x_{π[i]}); L is unit lower
/// triangular with the strictly-lower part of <c>lower</c>; U is the strictly-upper part of <c>upper</c>.
/// Parameters: lower [D,D], upper [D,D], logs [D] (entries of lower/upper outside their
/// triangles are ignored and get a zero gradient).
/// </summary>
/// <param name="Permutation">π (for [InvertibleLinear(Seed = s)]: <c>RefFlow.RandomPermutation(D, s)</c>).</param>
public sealed record RefInvertibleLinear(int[] Permutation) : RefLayer
{
    internal override IReadOnlyList<(string Suffix, int[] Shape)> Tensors(int features, int condition) =>
        [("lower", [features, features]), ("upper", [features, features]), ("logs", [features])];

    internal override void Validate(int features, int condition) => ValidatePermutation(Permutation, features, nameof(Permutation));

    /// <summary>L[i,k]: 1 on the diagonal, lower[i,k] below it, 0 above.</summary>
    private static double L(TensorView lower, int i, int k) => i == k ? 1 : i > k ? lower[i, k] : 0;

    /// <summary>M = U + diag(exp(logs)): M[k,j] = exp(logs[k]) on the diagonal, upper[k,j] above it, 0 below.</summary>
    private static double M(TensorView upper, TensorView logs, int k, int j) => k == j ? Math.Exp(logs[k]) : k < j ? upper[k, j] : 0;

    /// <summary>W[i,j] = (L·M)[π[i], j].</summary>
    internal double[,] Weight(TensorView[] w)
    {
        TensorView lower = w[0], upper = w[1], logs = w[2];
        int n = Permutation.Length;
        var W = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int k = 0; k < n; k++) sum += L(lower, Permutation[i], k) * M(upper, logs, k, j);
                W[i, j] = sum;
            }
        return W;
    }

    internal override double[,] Forward(TensorView[] w, double[,] u, double[,] y, double[] logDet)
    {
        double[,] W = Weight(w);
        TensorView logs = w[2];
        int batch = u.GetLength(0), n = u.GetLength(1);
        var v = new double[batch, n];
        for (int r = 0; r < batch; r++)
        {
            for (int i = 0; i < n; i++)
            {
                double sum = 0;
                for (int j = 0; j < n; j++) sum += W[i, j] * u[r, j];
                v[r, i] = sum;
            }
            for (int j = 0; j < n; j++) logDet[r] += logs[j];
        }
        return v;
    }

    internal override double[,] Inverse(TensorView[] w, double[,] v, double[,] y)
    {
        TensorView lower = w[0], upper = w[1], logs = w[2];
        int batch = v.GetLength(0), n = v.GetLength(1);
        var u = new double[batch, n];
        for (int r = 0; r < batch; r++)
        {
            // P·L·M·u = v  ⇒  L·M·u = Pᵀ·v, where (Pᵀ·v)[π[i]] = v[i]
            var c = new double[n];
            for (int i = 0; i < n; i++) c[Permutation[i]] = v[r, i];
            // L·t = c (forward substitution, unit diagonal), in place
            for (int i = 0; i < n; i++)
                for (int k = 0; k < i; k++) c[i] -= L(lower, i, k) * c[k];
            // M·u = t (back substitution)
            for (int i = n - 1; i >= 0; i--)
            {
                double sum = c[i];
                for (int j = i + 1; j < n; j++) sum -= M(upper, logs, i, j) * u[r, j];
                u[r, i] = sum / M(upper, logs, i, i);
            }
        }
        return u;
    }

    internal override double[,] Backward(TensorView[] w, TensorView[] g, double[,] u, double[,] y, double[,] dv, double[] dLogDet, double[,] dy)
    {
        TensorView lower = w[0], upper = w[1], logs = w[2];
        TensorView dLower = g[0], dUpper = g[1], dLogs = g[2];
        double[,] W = Weight(w);
        int batch = u.GetLength(0), n = u.GetLength(1);

        // v[r,i] = Σ_j W[i,j]·u[r,j]  ⇒  du[r,j] = Σ_i W[i,j]·dv[r,i],  dW[i,j] = Σ_r dv[r,i]·u[r,j]
        var du = new double[batch, n];
        var dW = new double[n, n];
        for (int r = 0; r < batch; r++)
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                {
                    du[r, j] += W[i, j] * dv[r, i];
                    dW[i, j] += dv[r, i] * u[r, j];
                }

        // W[i,j] = A[π[i], j] with A = L·M  ⇒  dA[π[i], j] = dW[i,j]
        var dA = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                dA[Permutation[i], j] = dW[i, j];

        // A = L·M  ⇒  dL = dA·Mᵀ (strictly-lower part learned), dM = Lᵀ·dA
        for (int i = 0; i < n; i++)
            for (int k = 0; k < i; k++)
            {
                double sum = 0;
                for (int j = 0; j < n; j++) sum += dA[i, j] * M(upper, logs, k, j);
                dLower[i, k] += sum;
            }
        double sumDLogDet = 0;
        for (int r = 0; r < batch; r++) sumDLogDet += dLogDet[r];
        for (int k = 0; k < n; k++)
            for (int j = k; j < n; j++)
            {
                double dM = 0;
                for (int i = 0; i < n; i++) dM += L(lower, i, k) * dA[i, j];
                if (j > k) dUpper[k, j] += dM;                                         // M[k,j] = upper[k,j]
                else dLogs[k] += dM * Math.Exp(logs[k]) + sumDLogDet;                 // M[k,k] = e^logs[k]; logDet += logs[k]
            }
        return du;
    }

    /// <inheritdoc/>
    public override string ToString() => $"RefInvertibleLinear([{string.Join(",", Permutation)}])";
}
