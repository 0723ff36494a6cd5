using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace GenDsl.Benchmarks.Models;

// The TorchSharp twin of GenDsl.Models.FashionGlow, written from docs/flow-layers.md ("Image flows", "Convolutional
// couplings", "Invertible 1×1 convolution", "Split", "Squeeze", "ActNorm") the way a Glow user writes it in PyTorch
// (rosinality's / chaiyujin's glow-pytorch style): NCHW tensors, view/permute for the squeeze, narrow for the split,
// F.conv2d with a [C, C, 1, 1] kernel assembled from the LU parameters, nn.Conv2d networks, autograd, optim.Adam.
// Every parameter is named as GenDsl's checkpoint tensor ("N1.logscale", "W1.lower", "C1.net.0.weight", …), so that
// ParameterMap.ByName pairs them.

/// <summary>
/// Glow's per-channel ActNorm on [B, C, H, W]: v = u·e^{ls_c} + b_c; log-det H·W·Σ ls (the same for every row, returned
/// as a 0-d tensor). <see cref="Initialize"/> is Glow's data-dependent initialisation (per-channel mean and population
/// std over the batch and the pixels): ls = −ln(std + 1e-6), b = −mean·e^{ls}.
/// </summary>
internal sealed class TorchChannelActNorm : Module<Tensor, (Tensor V, Tensor LogDet)>
{
    private readonly Parameter logscale;
    private readonly Parameter bias;
    private readonly long _channels;

    public TorchChannelActNorm(string name, int channels) : base(name)
    {
        _channels = channels;
        logscale = Parameter(zeros(channels));
        bias = Parameter(zeros(channels));
        RegisterComponents();
    }

    public override (Tensor V, Tensor LogDet) forward(Tensor u)
    {
        long pixels = u.shape[2] * u.shape[3];
        var v = u * exp(logscale).view(1, _channels, 1, 1) + bias.view(1, _channels, 1, 1);
        return (v, pixels * logscale.sum());
    }

    /// <summary>Sets the parameters from the batch <paramref name="u"/> reaching this layer (no autograd).</summary>
    public void Initialize(Tensor u)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var mean = u.mean([0L, 2L, 3L]);
        var std = (u - mean.view(1, _channels, 1, 1)).square().mean([0L, 2L, 3L]).sqrt();
        var ls = -(std + 1e-6).log();
        logscale.copy_(ls);
        bias.copy_(-mean * ls.exp());
    }
}

/// <summary>
/// Glow's invertible 1×1 convolution in LU form on [B, C, H, W]: W = P·L·(U + diag(e^{logs})) with L = I + strictly-lower
/// part of <c>lower</c>, U = strictly-upper part of <c>upper</c> (masks, so that the unused entries get zero gradients, as
/// GenDsl's), P[i, π[i]] = 1 (row i of W is row π[i] of L·U: index_select). v = conv2d(u, W[:, :, None, None]); log-det
/// H·W·Σ logs.
/// </summary>
internal sealed class TorchInvConv1x1 : Module<Tensor, (Tensor V, Tensor LogDet)>
{
    private readonly Parameter lower;
    private readonly Parameter upper;
    private readonly Parameter logs;
    private readonly Tensor[] _constants; // lower mask, upper mask, identity, π (plain tensors: constants, not state)
    private readonly long _channels;

    public TorchInvConv1x1(string name, int channels, ReadOnlySpan<int> permutation) : base(name)
    {
        _channels = channels;
        lower = Parameter(zeros(channels, channels));
        upper = Parameter(zeros(channels, channels));
        logs = Parameter(zeros(channels));
        var order = new long[channels];
        for (int i = 0; i < channels; i++) order[i] = permutation[i];
        _constants =
        [
            ones(channels, channels).tril(-1), ones(channels, channels).triu(1), eye(channels), tensor(order),
        ];
        RegisterComponents();
    }

    /// <summary>W = P·L·(U + diag(e^{logs})), [C, C].</summary>
    public Tensor Weight()
    {
        var l = lower * _constants[0] + _constants[2];
        var u = upper * _constants[1] + diag(exp(logs));
        return l.matmul(u).index_select(0, _constants[3]);
    }

    public override (Tensor V, Tensor LogDet) forward(Tensor u)
    {
        long pixels = u.shape[2] * u.shape[3];
        var v = functional.conv2d(u, Weight().view(_channels, _channels, 1, 1));
        return (v, pixels * logs.sum());
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            foreach (var t in _constants) t.Dispose();
        base.Dispose(disposing);
    }
}

/// <summary>
/// An affine coupling with a channel mask on [B, C, H, W]: keeps channels 0…⌊C/2⌋−1 (<c>keepFirst</c>) or ⌊C/2⌋…C−1,
/// network conv3×3 (pad 1) → ReLU → conv1×1 → ReLU → conv3×3 (pad 1) on the kept channels, o = [r | m] of T channels each
/// (T = transformed channels), s = scale_t·tanh(r), v_T = (u_T − m)·e^{−s}; log-det −Σ s per row.
/// </summary>
internal sealed class TorchConvCoupling : Module<Tensor, (Tensor V, Tensor LogDet)>
{
    private readonly Sequential net; // "net.0.weight", …: the activations get other names
    private readonly Parameter scale;
    private readonly bool _keepFirst;
    private readonly long _kept, _transformed;

    public TorchConvCoupling(string name, int channels, bool keepFirst, int hidden) : base(name)
    {
        int half = channels / 2;
        _keepFirst = keepFirst;
        _kept = keepFirst ? half : channels - half;
        _transformed = channels - _kept;
        net = Sequential(
            ("0", Conv2d(_kept, hidden, 3, 1, 1)), ("relu0", ReLU()),
            ("1", Conv2d(hidden, hidden, 1, 1, 0)), ("relu1", ReLU()),
            ("2", Conv2d(hidden, 2 * _transformed, 3, 1, 1)));
        scale = Parameter(ones(_transformed));
        RegisterComponents();
    }

    public override (Tensor V, Tensor LogDet) forward(Tensor u)
    {
        long first = _keepFirst ? 0 : _transformed; // the kept channels' start
        var kept = u.narrow(1, first, _kept);
        var changed = u.narrow(1, _keepFirst ? _kept : 0, _transformed);
        var o = net.call(kept);
        var s = scale.view(1, _transformed, 1, 1) * tanh(o.narrow(1, 0, _transformed));
        var m = o.narrow(1, _transformed, _transformed);
        var v = (changed - m) * exp(-s);
        var result = _keepFirst ? cat([kept, v], 1) : cat([v, kept], 1);
        return (result, -s.sum([1L, 2L, 3L]));
    }
}

/// <summary>
/// The TorchSharp twin of <see cref="GenDsl.Models.FashionGlow"/>: [B, 784] → [B, 1, 28, 28] → squeeze → [4, 14, 14] →
/// (N1, W1, C1 first half, N2, W2, C2 second half) → split (channels 2, 3 to the latent) → squeeze → [8, 7, 7] →
/// (N3, W3, C3, N4, W4, C4). The latent row is GenDsl's: [the last layer's output (392) | the split channels (392)].
/// The 1×1 convolutions' permutations are GenDsl's (its members' <c>Permutation</c>).
/// </summary>
internal sealed class TorchGlow : TorchFlowModule
{
    private readonly TorchChannelActNorm[] _norms;
    private readonly TorchInvConv1x1[] _convs;
    private readonly TorchConvCoupling[] _couplings;
    private bool _initialize;

    /// <param name="permutations">π of W1 … W4 (over 4, 4, 8, 8 channels).</param>
    /// <param name="hidden">Channels of the coupling networks (32).</param>
    public TorchGlow(IReadOnlyList<int[]> permutations, int hidden = 32) : base("FashionGlow")
    {
        _norms = new TorchChannelActNorm[4];
        _convs = new TorchInvConv1x1[4];
        _couplings = new TorchConvCoupling[4];
        for (int i = 0; i < 4; i++)
        {
            int channels = i < 2 ? 4 : 8;
            _norms[i] = new TorchChannelActNorm($"N{i + 1}", channels);
            _convs[i] = new TorchInvConv1x1($"W{i + 1}", channels, permutations[i]);
            _couplings[i] = new TorchConvCoupling($"C{i + 1}", channels, keepFirst: i % 2 == 0, hidden);
            register_module($"N{i + 1}", _norms[i]);
            register_module($"W{i + 1}", _convs[i]);
            register_module($"C{i + 1}", _couplings[i]);
        }
    }

    /// <summary>The twin of <paramref name="flow"/> (its 1×1 convolutions' permutations).</summary>
    public static TorchGlow For(GenDsl.Models.FashionGlow flow) =>
        new([flow.W1.Permutation.ToArray(), flow.W2.Permutation.ToArray(), flow.W3.Permutation.ToArray(), flow.W4.Permutation.ToArray()]);

    protected override int Features => 784;

    /// <summary>torch's <c>x.view(B, C, H/2, 2, W/2, 2).permute(0, 1, 3, 5, 2, 4).reshape(B, 4C, H/2, W/2)</c>.</summary>
    private static Tensor Squeeze(Tensor x)
    {
        long b = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
        return x.view(b, c, h / 2, 2, w / 2, 2).permute(0, 1, 3, 5, 2, 4).reshape(b, 4 * c, h / 2, w / 2);
    }

    private Tensor Step(int i, Tensor h, ref Tensor logDet)
    {
        if (_initialize) _norms[i].Initialize(h);
        var (v, ld) = _norms[i].call(h);
        logDet = logDet + ld;
        (v, ld) = _convs[i].call(v);
        logDet = logDet + ld;
        (v, ld) = _couplings[i].call(v);
        logDet = logDet + ld;
        return v;
    }

    public override (Tensor Z, Tensor LogDet) forward(Tensor x)
    {
        long rows = x.shape[0];
        var h = Squeeze(x.view(rows, 1, 28, 28));
        var logDet = zeros(rows);
        h = Step(0, h, ref logDet);
        h = Step(1, h, ref logDet);
        var factored = h.narrow(1, 2, 2).reshape(rows, 392); // [Split]: channels 2, 3 → the latent
        h = Squeeze(h.narrow(1, 0, 2));
        h = Step(2, h, ref logDet);
        h = Step(3, h, ref logDet);
        return (cat([h.reshape(rows, 392), factored], 1), logDet);
    }

    /// <summary>Glow's data-dependent ActNorm initialisation on <paramref name="x"/>: one forward pass, each ActNorm initialised from what reaches it.</summary>
    public void InitializeActNorm(Tensor x)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        _initialize = true;
        try { forward(x); }
        finally { _initialize = false; }
    }

    private static readonly double s_halfLog2Pi = 0.5 * Math.Log(2 * Math.PI);

    /// <summary>ln p(x_r) per row (logit space, nats): −½‖z‖² − (D/2)·ln 2π + ln|det|.</summary>
    public Tensor LogProb(Tensor x)
    {
        var (z, logDet) = forward(x);
        return -0.5 * z.square().sum(1) - 784 * s_halfLog2Pi + logDet;
    }

    public override Tensor Inverse(Tensor z) => throw new NotSupportedException("The Glow workloads only train and evaluate the twin.");
}
