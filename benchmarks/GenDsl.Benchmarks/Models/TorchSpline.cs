using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace GenDsl.Benchmarks.Models;

/// <summary>A TorchSharp flow twin: h = f⁻¹ (data → latent, with the log-det), its inverse, and the mean NLL.</summary>
internal abstract class TorchFlowModule(string name) : Module<Tensor, (Tensor Z, Tensor LogDet)>(name)
{
    private static readonly double s_halfLog2Pi = 0.5 * Math.Log(2 * Math.PI);

    /// <summary>D.</summary>
    protected abstract int Features { get; }

    /// <summary>Mean negative log-likelihood in nats: mean_r(½‖z_r‖² + (D/2)·ln 2π − ln|det J_h(x_r)|).</summary>
    public Tensor Loss(Tensor x)
    {
        var (z, logDet) = forward(x);
        return (0.5 * z.square().sum(1) + Features * s_halfLog2Pi - logDet).mean();
    }

    /// <summary>f: latent → data (sampling).</summary>
    public abstract Tensor Inverse(Tensor z);
}

/// <summary>
/// One rational-quadratic spline coupling (docs/flow-layers.md, "Spline coupling"; nflows'
/// <c>unconstrained_rational_quadratic_spline</c> with linear tails, written with whole-batch tensor ops as an nflows
/// user would: softmax, cumsum, a bin index by counting knots, gather). Keeps u_K; the network's P = 3K − 1 outputs per
/// transformed feature are widths, heights and the K − 1 interior derivatives, in that order.
/// </summary>
internal sealed class TorchSplineCoupling : Module<Tensor, (Tensor V, Tensor LogDet)>
{
    private const double MinWidth = 1e-3, MinHeight = 1e-3, MinDerivative = 1e-3;
    // Field name = the parameter names' prefix (RegisterComponents): "net.0.weight", …
    private readonly Sequential net;
    private readonly bool _keepFirst;
    private readonly long _d1, _d2;
    private readonly int _bins;
    private readonly double _bound;

    public TorchSplineCoupling(string name, int features, bool keepFirst, int hidden, int hiddenLayers, int bins, double tailBound) : base(name)
    {
        int half = features / 2;
        _keepFirst = keepFirst;
        _d1 = keepFirst ? half : features - half;
        _d2 = features - _d1;
        _bins = bins;
        _bound = tailBound;
        var layers = new List<(string, Module<Tensor, Tensor>)>();
        long width = _d1;
        for (int l = 0; l < hiddenLayers; l++)
        {
            layers.Add(($"{l}", Linear(width, hidden)));
            layers.Add(($"relu{l}", ReLU()));
            width = hidden;
        }
        layers.Add(($"{hiddenLayers}", Linear(width, (3 * bins - 1) * _d2)));
        net = Sequential(layers);
        RegisterComponents();
    }

    private (Tensor Kept, Tensor Transformed) Split(Tensor x) => _keepFirst
        ? (x.narrow(1, 0, _d1), x.narrow(1, _d1, _d2))
        : (x.narrow(1, _d2, _d1), x.narrow(1, 0, _d2));

    private Tensor Join(Tensor kept, Tensor transformed) => _keepFirst ? cat([kept, transformed], 1) : cat([transformed, kept], 1);

    /// <summary>The knots of every (row, feature): x_0…x_K, y_0…y_K, δ_0…δ_K, each [B, d2, K + 1].</summary>
    private (Tensor Xs, Tensor Ys, Tensor Ds) Knots(Tensor kept)
    {
        int k = _bins;
        var theta = net.forward(kept).reshape(-1, _d2, 3 * k - 1);
        Tensor Cumulative(Tensor raw, double min)
        {
            var p = min + (1 - min * k) * functional.softmax(raw, -1);
            var c = functional.pad(cumsum(p, -1), [1, 0], value: 0.0);
            c = 2 * _bound * c - _bound;
            // the end knots exactly ±B (as GenDsl sets them)
            return cat([full_like(c.narrow(-1, 0, 1), -_bound), c.narrow(-1, 1, k - 1), full_like(c.narrow(-1, 0, 1), _bound)], -1);
        }
        var xs = Cumulative(theta.narrow(-1, 0, k), MinWidth);
        var ys = Cumulative(theta.narrow(-1, k, k), MinHeight);
        var ds = functional.pad(MinDerivative + functional.softplus(theta.narrow(-1, 2 * k, k - 1)), [1, 1], value: 1.0);
        return (xs, ys, ds);
    }

    /// <summary>Per-bin quantities at the bin of each value (knots[k] ≤ value, the last such k ≤ K − 1).</summary>
    private static (Tensor Xk, Tensor Wk, Tensor Yk, Tensor Hk, Tensor D0, Tensor D1) AtBin(Tensor knots, Tensor value, Tensor xs, Tensor ys, Tensor ds, int k)
    {
        var bin = (knots.narrow(-1, 0, k) <= value.unsqueeze(-1)).sum(-1, keepdim: true) - 1;
        bin = bin.clamp(0, k - 1);
        var next = bin + 1;
        var xk = xs.gather(-1, bin).squeeze(-1);
        var yk = ys.gather(-1, bin).squeeze(-1);
        return (xk, xs.gather(-1, next).squeeze(-1) - xk, yk, ys.gather(-1, next).squeeze(-1) - yk,
            ds.gather(-1, bin).squeeze(-1), ds.gather(-1, next).squeeze(-1));
    }

    /// <summary>Data → latent: (v, Σ_j ln g′ per row).</summary>
    public override (Tensor V, Tensor LogDet) forward(Tensor u)
    {
        var (uK, uT) = Split(u);
        var (xs, ys, ds) = Knots(uK);
        var inside = (uT >= -_bound).logical_and(uT <= _bound);
        var x = where(inside, uT, zeros_like(uT)); // finite values for the masked-out tails
        var (xk, w, yk, h, d0, d1) = AtBin(xs, x, xs, ys, ds, _bins);
        var s = h / w;
        var xi = ((x - xk) / w).clamp(0, 1);
        var om = 1 - xi;
        var t = xi * om;
        var den = s * (om.square() + xi.square()) + (d0 + d1) * t;
        var y = minimum(maximum(yk + h * (s * xi.square() + d0 * t) / den, yk), yk + h);
        var logDerivative = (s.square() * (d1 * xi.square() + 2 * s * t + d0 * om.square())).log() - 2 * den.log();
        var vT = where(inside, y, uT);
        var logDet = where(inside, logDerivative, zeros_like(logDerivative)).sum(1);
        return (Join(uK, vT), logDet);
    }

    /// <summary>Latent → data: the root of the bin's quadratic (docs/flow-layers.md's stable form).</summary>
    public Tensor Inverse(Tensor v)
    {
        var (vK, vT) = Split(v);
        var (xs, ys, ds) = Knots(vK);
        var inside = (vT >= -_bound).logical_and(vT <= _bound);
        var y = where(inside, vT, zeros_like(vT));
        var (xk, w, yk, h, d0, d1) = AtBin(ys, y, xs, ys, ds, _bins);
        var s = h / w;
        var dy = y - yk;
        var sum = d0 + d1 - 2 * s;
        var a = h * (s - d0) + dy * sum;
        var b = h * d0 - dy * sum;
        var c = -s * dy;
        var root = (2 * c / (-b - (b.square() - 4 * a * c).clamp_min(0).sqrt())).clamp(0, 1);
        return Join(vK, where(inside, xk + root * w, vT));
    }
}

/// <summary>A neural spline flow of spline couplings alternating halves: the TorchSharp twin of <see cref="GenDsl.Models.MoonsSplineFlow"/>.</summary>
internal sealed class TorchSplineFlow : TorchFlowModule
{
    private readonly TorchSplineCoupling[] _couplings;
    private readonly int _features;

    public TorchSplineFlow(int features, int couplings, int hidden, int hiddenLayers, int bins, double tailBound) : base("SplineFlow")
    {
        _features = features;
        _couplings = new TorchSplineCoupling[couplings];
        for (int c = 0; c < couplings; c++)
        {
            _couplings[c] = new TorchSplineCoupling($"C{c + 1}", features, keepFirst: c % 2 == 0, hidden, hiddenLayers, bins, tailBound);
            register_module($"C{c + 1}", _couplings[c]);
        }
    }

    protected override int Features => _features;

    public override (Tensor Z, Tensor LogDet) forward(Tensor x)
    {
        Tensor? logDet = null;
        foreach (var c in _couplings)
        {
            var (v, l) = c.call(x);
            logDet = logDet is null ? l : logDet + l;
            x = v;
        }
        return (x, logDet!);
    }

    public override Tensor Inverse(Tensor z)
    {
        for (int c = _couplings.Length - 1; c >= 0; c--)
            z = _couplings[c].Inverse(z);
        return z;
    }
}
