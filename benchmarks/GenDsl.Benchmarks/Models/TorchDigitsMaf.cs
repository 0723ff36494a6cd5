using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace GenDsl.Benchmarks.Models;

/// <summary>
/// [ActNorm] as docs/flow-layers.md defines it: v = u ⊙ e^logscale + bias, log-det Σ logscale. No data-dependent
/// initialisation of its own: the quality command copies GenDsl's (Glow's, from the first training batch) into it.
/// Parameter names as GenDsl's: "logscale", "bias".
/// </summary>
internal sealed class TorchActNorm : Module<Tensor, (Tensor V, Tensor LogDet)>
{
    private readonly Parameter logscale;
    private readonly Parameter bias;

    public TorchActNorm(string name, int features) : base(name)
    {
        logscale = Parameter(zeros(features));
        bias = Parameter(zeros(features));
        RegisterComponents();
    }

    public override (Tensor V, Tensor LogDet) forward(Tensor u) => (u * exp(logscale) + bias, logscale.sum().expand(u.shape[0]));
}

/// <summary>
/// The TorchSharp twin of <see cref="GenDsl.Models.DigitsMaf"/>: ActNorm, then 5 MADE layers (<see cref="TorchMadeLayer"/>,
/// 64 → 256 → 256 → 128, ReLU) with the permutations between them given as GenDsl's orders (v[:, j] = u[:, π[j]]: Reverse,
/// Random seed 1, Reverse, Random seed 2), applied with index_select.
/// </summary>
internal sealed class TorchDigitsMaf : TorchFlowModule
{
    private readonly TorchActNorm _norm;
    private readonly TorchMadeLayer[] _layers;
    private readonly Tensor[] _orders;

    public TorchDigitsMaf(int features, int hidden, int hiddenLayers, IReadOnlyList<int[]> permutations) : base("DigitsMaf")
    {
        Features = features;
        _norm = new TorchActNorm("N1", features);
        register_module("N1", _norm);
        _layers = new TorchMadeLayer[permutations.Count + 1];
        for (int l = 0; l < _layers.Length; l++)
        {
            _layers[l] = new TorchMadeLayer($"M{l + 1}", features, hidden, hiddenLayers);
            register_module($"M{l + 1}", _layers[l]);
        }
        _orders = permutations.Select(p => tensor(p.Select(i => (long)i).ToArray())).ToArray();
    }

    protected override int Features { get; }

    public override (Tensor Z, Tensor LogDet) forward(Tensor x)
    {
        var (v, logDet) = _norm.call(x);
        x = v;
        for (int l = 0; l < _layers.Length; l++)
        {
            if (l > 0) x = x.index_select(1, _orders[l - 1]);
            var (vl, ld) = _layers[l].call(x);
            logDet = logDet + ld;
            x = vl;
        }
        return (x, logDet);
    }

    public override Tensor Inverse(Tensor z) => throw new NotSupportedException("The quality command only trains and evaluates the twin.");
}
