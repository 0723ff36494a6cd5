namespace GenDsl.Models.Tests.Reference;

/// <summary>
/// A forward-mode dual number: a value and its gradient with respect to n inputs. The reference spline is
/// written once, on duals, so that its derivatives (with respect to the input and every raw parameter) come
/// from the chain rule applied mechanically, independently of the hand-derived backward pass of the
/// runtime's <c>SplineKernels</c>.
/// </summary>
internal readonly struct Dual
{
    public readonly double V;
    public readonly double[] G;

    public Dual(double value, double[] gradient)
    {
        V = value;
        G = gradient;
    }

    public static Dual Constant(double value, int n) => new(value, new double[n]);

    public static Dual Variable(double value, int n, int index)
    {
        var g = new double[n];
        g[index] = 1;
        return new Dual(value, g);
    }

    private static Dual Map(Dual a, double value, double da)
    {
        var g = new double[a.G.Length];
        for (int i = 0; i < g.Length; i++) g[i] = da * a.G[i];
        return new Dual(value, g);
    }

    private static Dual Combine(Dual a, Dual b, double value, double da, double db)
    {
        var g = new double[a.G.Length];
        for (int i = 0; i < g.Length; i++) g[i] = da * a.G[i] + db * b.G[i];
        return new Dual(value, g);
    }

    public static Dual operator +(Dual a, Dual b) => Combine(a, b, a.V + b.V, 1, 1);
    public static Dual operator -(Dual a, Dual b) => Combine(a, b, a.V - b.V, 1, -1);
    public static Dual operator *(Dual a, Dual b) => Combine(a, b, a.V * b.V, b.V, a.V);
    public static Dual operator /(Dual a, Dual b) => Combine(a, b, a.V / b.V, 1 / b.V, -a.V / (b.V * b.V));
    public static Dual operator +(Dual a, double c) => Map(a, a.V + c, 1);
    public static Dual operator -(double c, Dual a) => Map(a, c - a.V, -1);
    public static Dual operator *(double c, Dual a) => Map(a, c * a.V, c);
    public static Dual Exp(Dual a) { double e = Math.Exp(a.V); return Map(a, e, e); }
    public static Dual Log(Dual a) => Map(a, Math.Log(a.V), 1 / a.V);
}

/// <summary>
/// The rational-quadratic spline of docs/flow-layers.md in double precision, written straight from the
/// formulas (nflows' form: the denominator s + (δ_k + δ_{k+1} − 2s)·ξ(1 − ξ), the derivative
/// s²·[δ_{k+1}ξ² + 2sξ(1 − ξ) + δ_k(1 − ξ)²] / den²), on dual numbers. The inverse is found by bisection,
/// not by the quadratic's root, so that it checks the kernel's root formula rather than repeating it.
/// </summary>
internal static class RefSpline
{
    public const double MinWidth = 1e-3, MinHeight = 1e-3, MinDerivative = 1e-3;

    /// <summary>
    /// g(x; θ) and ln g′(x; θ) as duals over the P + 1 variables [x, θ_0 … θ_{P−1}] (P = 3K − 1).
    /// </summary>
    public static (Dual Y, Dual LogDerivative) Evaluate(double x, double[] theta, int k, double b)
    {
        int n = theta.Length + 1;
        var X = Dual.Variable(x, n, 0);
        if (x < -b || x > b)
            return (X, Dual.Constant(0, n));
        var th = new Dual[theta.Length];
        for (int i = 0; i < theta.Length; i++) th[i] = Dual.Variable(theta[i], n, i + 1);

        Dual[] Knots(int start, double min)
        {
            // softmax (the max subtracted as a constant: the same function), then min + (1 − min·K)·p, cumulated on [−B, B]
            double max = double.NegativeInfinity;
            for (int i = 0; i < k; i++) max = Math.Max(max, theta[start + i]);
            var e = new Dual[k];
            Dual sum = Dual.Constant(0, n);
            for (int i = 0; i < k; i++) { e[i] = Dual.Exp(th[start + i] + (-max)); sum = sum + e[i]; }
            var knots = new Dual[k + 1];
            knots[0] = Dual.Constant(-b, n);
            Dual cum = Dual.Constant(0, n);
            for (int i = 1; i < k; i++)
            {
                cum = cum + ((1 - min * k) * (e[i - 1] / sum) + min);
                knots[i] = 2 * b * cum + (-b);
            }
            knots[k] = Dual.Constant(b, n);
            return knots;
        }

        var xs = Knots(0, MinWidth);
        var ys = Knots(k, MinHeight);
        var ds = new Dual[k + 1];
        ds[0] = Dual.Constant(1, n);
        ds[k] = Dual.Constant(1, n);
        for (int i = 1; i < k; i++)
        {
            var t = th[2 * k + i - 1];
            // softplus(θ) = ln(1 + e^θ)
            ds[i] = Dual.Log(Dual.Exp(t) + 1) + MinDerivative;
        }

        int bin = 0;
        for (int i = 1; i < k; i++) if (xs[i].V <= x) bin = i;
        var w = xs[bin + 1] - xs[bin];
        var h = ys[bin + 1] - ys[bin];
        var s = h / w;
        var xi = (X - xs[bin]) / w;
        var om = 1 - xi;
        var t1 = xi * om;
        var den = s + (ds[bin + 1] + ds[bin] - 2 * s) * t1;
        var num = h * (s * xi * xi + ds[bin] * t1);
        var y = ys[bin] + num / den;
        var deriv = s * s * (ds[bin + 1] * xi * xi + 2 * s * t1 + ds[bin] * om * om) / (den * den);
        return (y, Dual.Log(deriv));
    }

    /// <summary>g(x; θ) in plain doubles (no derivatives; the same formulas): for checks that evaluate it millions of times.</summary>
    public static double Value(double x, double[] theta, int k, double b)
    {
        if (x < -b || x > b) return x;
        double[] Knots(int start, double min)
        {
            double max = double.NegativeInfinity, sum = 0, cum = 0;
            for (int i = 0; i < k; i++) max = Math.Max(max, theta[start + i]);
            for (int i = 0; i < k; i++) sum += Math.Exp(theta[start + i] - max);
            var knots = new double[k + 1];
            knots[0] = -b;
            for (int i = 1; i < k; i++)
            {
                cum += min + (1 - min * k) * Math.Exp(theta[start + i - 1] - max) / sum;
                knots[i] = -b + 2 * b * cum;
            }
            knots[k] = b;
            return knots;
        }
        var xs = Knots(0, MinWidth);
        var ys = Knots(k, MinHeight);
        double Delta(int i) => i == 0 || i == k ? 1 : MinDerivative + Math.Max(theta[2 * k + i - 1], 0) + Math.Log(1 + Math.Exp(-Math.Abs(theta[2 * k + i - 1])));
        int bin = 0;
        for (int i = 1; i < k; i++) if (xs[i] <= x) bin = i;
        double w = xs[bin + 1] - xs[bin], h = ys[bin + 1] - ys[bin], s = h / w, xi = (x - xs[bin]) / w, t = xi * (1 - xi);
        double d0 = Delta(bin), d1 = Delta(bin + 1);
        return ys[bin] + h * (s * xi * xi + d0 * t) / (s + (d1 + d0 - 2 * s) * t);
    }

    /// <summary>g(x; θ) alone.</summary>
    public static double Forward(double x, double[] theta, int k, double b, out double logDerivative)
    {
        var (y, l) = Evaluate(x, theta, k, b);
        logDerivative = l.V;
        return y.V;
    }

    /// <summary>g⁻¹(y; θ) by bisection on [−B, B] (g is increasing and maps [−B, B] onto itself); identity outside.</summary>
    public static double Inverse(double y, double[] theta, int k, double b)
    {
        if (y < -b || y > b) return y;
        double lo = -b, hi = b;
        for (int it = 0; it < 200 && hi - lo > 0; it++)
        {
            double mid = 0.5 * (lo + hi);
            if (mid <= lo || mid >= hi) break;
            if (Forward(mid, theta, k, b, out _) < y) lo = mid; else hi = mid;
        }
        return 0.5 * (lo + hi);
    }
}

/// <summary>
/// Rational-quadratic spline coupling. o = net([u_K, y]) with (3K − 1)·d2 outputs; transformed feature j
/// takes θ = o[:, j·P … j·P + P − 1] (P = 3K − 1: K widths, K heights, K − 1 interior derivatives);
/// v_T = g(u_T; θ); logDet += Σ_j ln g′(u_T,j; θ). Parameters: net.0.weight, net.0.bias, …,
/// net.n.weight [P·d2, ·], net.n.bias [P·d2].
/// </summary>
public sealed record RefSplineCoupling(int[] Kept, int Bins, double TailBound, int Hidden, int HiddenLayers, Activation Act)
    : RefCoupling(Kept, Hidden, HiddenLayers, Act)
{
    private int P => 3 * Bins - 1;

    private protected override int OutputsPerTransformed => P;

    private double[] Theta(double[,] o, int r, int j)
    {
        var theta = new double[P];
        for (int q = 0; q < P; q++) theta[q] = o[r, j * P + q];
        return theta;
    }

    internal override double[,] Forward(TensorView[] w, double[,] u, double[,] y, double[] logDet)
    {
        int[] T = Complement(Kept, u.GetLength(1));
        double[,] o = RefMlp.Forward(w, HiddenLayers, Act, NetInput(u, y), out _, out _);
        double[,] v = (double[,])u.Clone();
        for (int r = 0; r < u.GetLength(0); r++)
            for (int j = 0; j < T.Length; j++)
            {
                v[r, T[j]] = RefSpline.Forward(u[r, T[j]], Theta(o, r, j), Bins, TailBound, out double l);
                logDet[r] += l;
            }
        return v;
    }

    internal override double[,] Inverse(TensorView[] w, double[,] v, double[,] y)
    {
        int[] T = Complement(Kept, v.GetLength(1));
        double[,] o = RefMlp.Forward(w, HiddenLayers, Act, NetInput(v, y), out _, out _);
        double[,] u = (double[,])v.Clone();
        for (int r = 0; r < v.GetLength(0); r++)
            for (int j = 0; j < T.Length; j++)
                u[r, T[j]] = RefSpline.Inverse(v[r, T[j]], Theta(o, r, j), Bins, TailBound);
        return u;
    }

    internal override double[,] Backward(TensorView[] w, TensorView[] g, double[,] u, double[,] y, double[,] dv, double[] dLogDet, double[,] dy)
    {
        int[] T = Complement(Kept, u.GetLength(1));
        double[,] o = RefMlp.Forward(w, HiddenLayers, Act, NetInput(u, y), out var pre, out var h);
        double[,] du = (double[,])dv.Clone();
        var dO = new double[u.GetLength(0), P * T.Length];
        for (int r = 0; r < u.GetLength(0); r++)
            for (int j = 0; j < T.Length; j++)
            {
                var (yy, l) = RefSpline.Evaluate(u[r, T[j]], Theta(o, r, j), Bins, TailBound);
                double dvT = dv[r, T[j]];
                du[r, T[j]] = dvT * yy.G[0] + dLogDet[r] * l.G[0];
                for (int q = 0; q < P; q++) dO[r, j * P + q] = dvT * yy.G[q + 1] + dLogDet[r] * l.G[q + 1];
            }
        double[,] da = RefMlp.Backward(w, g, HiddenLayers, Act, pre, h, dO);
        ScatterNetInputGradient(da, du, dy);
        return du;
    }
}
