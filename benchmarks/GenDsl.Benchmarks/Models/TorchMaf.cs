using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace GenDsl.Benchmarks.Models;

/// <summary>
/// One masked autoregressive layer (MAF, docs/flow-layers.md "Masked autoregressive"), written as an nflows user would
/// write MADE: dense layers whose weights are multiplied by fixed binary masks (registered buffers) in every forward
/// pass, s = scale ⊙ tanh(r), v = (u − m)·e^(−s). The inverse is nflows' loop: D full network passes, each making one more
/// feature exact. Parameter names as GenDsl's: "net.0.weight", …, "scale".
/// </summary>
internal sealed class TorchMadeLayer : Module<Tensor, (Tensor V, Tensor LogDet)>
{
    private readonly Linear[] _linears;
    private readonly Tensor[] _masks;
    private readonly Parameter scale;
    private readonly ModuleList<Module> net; // field name = the parameter names' prefix: "net.0.weight", …
    private readonly int _features;

    public TorchMadeLayer(string name, int features, int hidden, int hiddenLayers) : base(name)
    {
        _features = features;
        _linears = new Linear[hiddenLayers + 1];
        _masks = new Tensor[hiddenLayers + 1];
        var layers = new List<(string, Module)>(); // the masks stay plain tensors: constants, not state
        long width = features;
        for (int l = 0; l <= hiddenLayers; l++)
        {
            long outW = l == hiddenLayers ? 2 * features : hidden;
            _linears[l] = Linear(width, outW);
            var mask = new float[outW * width];
            for (int o = 0; o < outW; o++)
                for (int i = 0; i < width; i++)
                    mask[o * width + i] = GenDsl.Numerics.MadeKernels.IsConnected(l, hiddenLayers, features, o, i) ? 1f : 0f;
            _masks[l] = tensor(mask, [outW, width]);
            layers.Add(($"{l}", _linears[l]));
            width = outW;
        }
        net = ModuleList(layers.Select(x => x.Item2).ToArray());
        scale = Parameter(ones(features));
        RegisterComponents();
    }

    /// <summary>o = [r | m] = MADE(x): masked linear layers, ReLU between them.</summary>
    private (Tensor S, Tensor M) Net(Tensor x)
    {
        for (int l = 0; l < _linears.Length; l++)
        {
            x = functional.linear(x, _linears[l].weight! * _masks[l], _linears[l].bias);
            if (l < _linears.Length - 1) x = functional.relu(x);
        }
        var s = scale * tanh(x.narrow(1, 0, _features));
        return (s, x.narrow(1, _features, _features));
    }

    public override (Tensor V, Tensor LogDet) forward(Tensor u)
    {
        var (s, m) = Net(u);
        return ((u - m) * exp(-s), -s.sum(1));
    }

    public Tensor Inverse(Tensor v)
    {
        var u = zeros_like(v);
        for (int i = 0; i < _features; i++)
        {
            var (s, m) = Net(u);
            u = v * exp(s) + m;
        }
        return u;
    }
}

/// <summary>MAF layers with the feature order reversed between them: the TorchSharp twin of <see cref="Maf64"/>.</summary>
internal sealed class TorchMaf : TorchFlowModule
{
    private readonly TorchMadeLayer[] _layers;
    private readonly int _features;

    public TorchMaf(int features, int layers, int hidden, int hiddenLayers) : base("Maf")
    {
        _features = features;
        _layers = new TorchMadeLayer[layers];
        for (int l = 0; l < layers; l++)
        {
            _layers[l] = new TorchMadeLayer($"M{l + 1}", features, hidden, hiddenLayers);
            register_module($"M{l + 1}", _layers[l]);
        }
    }

    protected override int Features => _features;

    public override (Tensor Z, Tensor LogDet) forward(Tensor x)
    {
        Tensor? logDet = null;
        for (int l = 0; l < _layers.Length; l++)
        {
            if (l > 0) x = x.flip(1); // [Permute(Permutation.Reverse)]
            var (v, ld) = _layers[l].call(x);
            logDet = logDet is null ? ld : logDet + ld;
            x = v;
        }
        return (x, logDet!);
    }

    public override Tensor Inverse(Tensor z)
    {
        for (int l = _layers.Length - 1; l >= 0; l--)
        {
            z = _layers[l].Inverse(z);
            if (l > 0) z = z.flip(1);
        }
        return z;
    }
}
