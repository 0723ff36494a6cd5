using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace GenDsl.Benchmarks.Models;

// The TorchSharp baselines of the model workloads, written the way a TorchSharp user would write them:
// nn.Linear layers in nn.Sequential containers, autograd for the backward pass, torch.optim.Adam.
// Each computes EXACTLY the math of the GenDsl model it is compared with (docs/flow-layers.md for the
// flows; the VAE and GAN losses are spelled out below), so that the two can be given the same
// parameters and checked against each other (see the comparisons' Verify).

/// <summary>
/// One RealNVP affine coupling (docs/flow-layers.md): keeps u_K, and with (r, m) = net(u_K) and
/// s = scale ⊙ tanh(r) maps u_T to v_T = (u_T − m) ⊙ exp(−s); returns v and Σ_j s_j per row
/// (the log-determinant of the map is −Σ s).
/// </summary>
internal sealed class TorchCoupling : Module<Tensor, (Tensor V, Tensor SumS)>
{
    // Field names are the module's parameter names (RegisterComponents): "net.0.weight", …, "scale".
    private readonly Sequential net;
    private readonly Parameter scale;
    private readonly bool _keepFirst;
    private readonly long _d1, _d2;
    private readonly int _hiddenLayers;

    /// <param name="name">Module name (as the GenDsl member, e.g. "C1").</param>
    /// <param name="features">D.</param>
    /// <param name="keepFirst">Keeps the first half 0…⌊D/2⌋−1 (even couplings of Mask.Alternating), else the second.</param>
    /// <param name="hidden">Width H of the hidden layers.</param>
    /// <param name="hiddenLayers">Number of hidden layers (ReLU).</param>
    /// <param name="learnedScale">False: s = tanh(r), the scale stays 1 and is not trained (the common PyTorch example's form).</param>
    public TorchCoupling(string name, int features, bool keepFirst, int hidden, int hiddenLayers, bool learnedScale = true) : base(name)
    {
        int half = features / 2;
        _keepFirst = keepFirst;
        _hiddenLayers = hiddenLayers;
        _d1 = keepFirst ? half : features - half;
        _d2 = features - _d1;
        // Layers named "0", "1", … (Linear) so that the parameter names are those of the GenDsl
        // checkpoint: "net.0.weight", "net.1.bias", …; the activations get other names.
        var layers = new List<(string, Module<Tensor, Tensor>)>();
        long width = _d1;
        for (int l = 0; l < hiddenLayers; l++)
        {
            layers.Add(($"{l}", Linear(width, hidden)));
            layers.Add(($"relu{l}", ReLU()));
            width = hidden;
        }
        layers.Add(($"{hiddenLayers}", Linear(width, 2 * _d2)));
        net = Sequential(layers);
        scale = new Parameter(ones(_d2), requires_grad: learnedScale);
        RegisterComponents();
    }

    /// <summary>Zeroes the output layer (GenDsl's documented initialisation: the coupling starts as the identity).</summary>
    public void ZeroOutputLayer()
    {
        using var _ = no_grad();
        foreach (var (name, p) in net.named_parameters())
            if (name.StartsWith($"{_hiddenLayers}.", StringComparison.Ordinal))
                p.zero_();
    }

    private (Tensor Kept, Tensor Transformed) Split(Tensor x) => _keepFirst
        ? (x.narrow(1, 0, _d1), x.narrow(1, _d1, _d2))
        : (x.narrow(1, _d2, _d1), x.narrow(1, 0, _d2));

    private Tensor Join(Tensor kept, Tensor transformed) => _keepFirst
        ? cat([kept, transformed], 1)
        : cat([transformed, kept], 1);

    private (Tensor S, Tensor M) ScaleAndShift(Tensor kept)
    {
        var o = net.forward(kept);
        var s = scale * tanh(o.narrow(1, 0, _d2));
        return (s, o.narrow(1, _d2, _d2));
    }

    /// <summary>Data → latent: (v, Σ_j s_j per row).</summary>
    public override (Tensor V, Tensor SumS) forward(Tensor u)
    {
        var (uK, uT) = Split(u);
        var (s, m) = ScaleAndShift(uK);
        var vT = (uT - m) * exp(-s);
        return (Join(uK, vT), s.sum(1));
    }

    /// <summary>Latent → data: u_T = v_T ⊙ exp(s) + m, s and m computed from u_K = v_K.</summary>
    public Tensor Inverse(Tensor v)
    {
        var (vK, vT) = Split(v);
        var (s, m) = ScaleAndShift(vK);
        return Join(vK, vT * exp(s) + m);
    }
}

/// <summary>
/// RealNVP with <c>couplings</c> affine couplings alternating halves (coupling c keeps the first half
/// when c is even): the TorchSharp twin of <see cref="GenDsl.Models.MoonsFlow"/> and <see cref="Flow784"/>.
/// Parameter names are the GenDsl checkpoint names ("C1.net.0.weight", …, "C1.scale").
/// </summary>
internal sealed class TorchRealNvp : TorchFlowModule
{
    private readonly TorchCoupling[] _couplings;
    private readonly int _features;

    public TorchRealNvp(int features, int couplings, int hidden, int hiddenLayers, bool learnedScale = true) : base("RealNvp")
    {
        _features = features;
        _couplings = new TorchCoupling[couplings];
        for (int c = 0; c < couplings; c++)
        {
            _couplings[c] = new TorchCoupling($"C{c + 1}", features, keepFirst: c % 2 == 0, hidden, hiddenLayers, learnedScale);
            register_module($"C{c + 1}", _couplings[c]);
        }
    }

    /// <summary>Zeroes every coupling's output layer (GenDsl's initialisation).</summary>
    public void ZeroOutputLayers()
    {
        foreach (var c in _couplings)
            c.ZeroOutputLayer();
    }

    /// <summary>h = f⁻¹: x → (z, ln|det J_h| per row).</summary>
    public override (Tensor Z, Tensor LogDet) forward(Tensor x)
    {
        Tensor? logDet = null;
        foreach (var c in _couplings)
        {
            var (v, sumS) = c.call(x);
            logDet = logDet is null ? -sumS : logDet - sumS;
            x = v;
        }
        return (x, logDet!);
    }

    protected override int Features => _features;

    /// <summary>f: latent → data (sampling), the inverses in reverse order.</summary>
    public override Tensor Inverse(Tensor z)
    {
        for (int c = _couplings.Length - 1; c >= 0; c--)
            z = _couplings[c].Inverse(z);
        return z;
    }
}

/// <summary>
/// The PyTorch example's MLP VAE (fc1, fc21, fc22, fc3, fc4), generalised to any sizes: encoder
/// F → H → (μ, ln σ²) ∈ (L, L), decoder L → H → F Bernoulli logits. Loss per batch (mean over rows):
/// BCE-with-logits summed over features + KL(q(z|x) ‖ N(0, I)) — the same as GenDsl's Bernoulli VAE.
/// </summary>
internal sealed class TorchVae : Module<Tensor, Tensor>
{
    public readonly Linear Fc1, Fc21, Fc22, Fc3, Fc4;

    public TorchVae(int features, int hidden, int latent) : base("Vae")
    {
        Fc1 = Linear(features, hidden);
        Fc21 = Linear(hidden, latent);
        Fc22 = Linear(hidden, latent);
        Fc3 = Linear(latent, hidden);
        Fc4 = Linear(hidden, features);
        RegisterComponents();
    }

    /// <summary>q(z|x): (μ, ln σ²).</summary>
    public (Tensor Mu, Tensor LogVar) Encode(Tensor x)
    {
        var h = functional.relu(Fc1.forward(x));
        return (Fc21.forward(h), Fc22.forward(h));
    }

    /// <summary>The decoder's Bernoulli logits.</summary>
    public Tensor DecodeLogits(Tensor z) => Fc4.forward(functional.relu(Fc3.forward(z)));

    /// <summary>The decoder's mean σ(logits) (what sampling returns).</summary>
    public override Tensor forward(Tensor z) => sigmoid(DecodeLogits(z));

    /// <summary>
    /// Negative ELBO, mean over the batch: BCE(logits, x) summed + ½Σ(μ² + σ² − ln σ² − 1), with
    /// z = μ + σ ⊙ ε. ε is drawn with randn_like unless given (the verification passes GenDsl's ε).
    /// </summary>
    public Tensor Loss(Tensor x, Tensor? eps = null)
    {
        var (mu, logVar) = Encode(x);
        var std = exp(0.5 * logVar);
        var z = mu + (eps ?? randn_like(std)) * std;
        var logits = DecodeLogits(z);
        var rec = functional.binary_cross_entropy_with_logits(logits, x, reduction: Reduction.Sum);
        var kld = -0.5 * (1 + logVar - mu.square() - logVar.exp()).sum();
        return (rec + kld) / x.shape[0];
    }
}

/// <summary>
/// MLP GAN: generator Z → H → H → F (ReLU, tanh output), discriminator F → H → H → 1 (LeakyReLU 0.2,
/// logits). Parameter names "G.0.weight", "G.2.weight", … (nn.Sequential indices).
/// </summary>
internal sealed class TorchGan : Module
{
    public readonly Sequential G, D;

    public TorchGan(int features, int noise, int hidden) : base("Gan")
    {
        G = Sequential(Linear(noise, hidden), ReLU(), Linear(hidden, hidden), ReLU(), Linear(hidden, features), Tanh());
        D = Sequential(Linear(features, hidden), LeakyReLU(0.2), Linear(hidden, hidden), LeakyReLU(0.2), Linear(hidden, 1));
        RegisterComponents();
    }
}

/// <summary>
/// The DCGAN of <see cref="GenDsl.Models.FashionDcgan"/> as a TorchSharp user writes it. Generator: Linear 64 → 6272,
/// BatchNorm1d(6272), ReLU, Unflatten to [128, 7, 7], ConvTranspose2d(128, 64, 4, 2, 1), BatchNorm2d(64), ReLU,
/// ConvTranspose2d(64, 1, 4, 2, 1), Sigmoid. Discriminator on [N, 1, 28, 28]: Conv2d(1, 64, 4, 2, 1), LeakyReLU 0.2,
/// Conv2d(64, 128, 4, 2, 1), LeakyReLU 0.2, Flatten, Linear 6272 → 1 (logits). The layers are named as ours
/// ("G.G1.weight" is our "G1.weight", "D.head.weight" our "discriminator.head.weight"; see <see cref="OurName"/>);
/// the batch norms keep torch's defaults (eps 1e-5, momentum 0.1, unbiased running variance), which are ours too.
/// </summary>
internal sealed class TorchDcgan : Module
{
    public readonly Sequential G, D;

    public TorchDcgan() : base("Dcgan")
    {
        G = Sequential(
            ("G1", Linear(64, 128 * 7 * 7)), ("G2", BatchNorm1d(128 * 7 * 7)), ("G2relu", ReLU()),
            ("G3", Unflatten(1, [128, 7, 7])),
            ("G4", ConvTranspose2d(128, 64, 4, 2, 1)), ("G5", BatchNorm2d(64)), ("G5relu", ReLU()),
            ("G6", ConvTranspose2d(64, 1, 4, 2, 1)), ("G6sigmoid", Sigmoid()));
        D = Sequential(
            ("D1", Conv2d(1, 64, 4, 2, 1)), ("D1act", LeakyReLU(0.2)),
            ("D2", Conv2d(64, 128, 4, 2, 1)), ("D2act", LeakyReLU(0.2)),
            ("flatten", Flatten()), ("head", Linear(128 * 7 * 7, 1)));
        RegisterComponents();
    }

    /// <summary>Torch's parameter or buffer name → our checkpoint name.</summary>
    public static string OurName(string torchName) =>
        torchName.StartsWith("D.head.", StringComparison.Ordinal) ? "discriminator.head." + torchName["D.head.".Length..] : torchName[2..];
}

/// <summary>
/// The conv VAE of <see cref="GenDsl.Models.FashionConvVae"/> in TorchSharp. Encoder on [N, 1, 28, 28]: Conv2d(1, 32, 4, 2, 1),
/// ReLU, Conv2d(32, 64, 4, 2, 1), ReLU, Flatten, then FcMu and FcLogVar (Linear 3136 → 16 each: our encoder head's rows
/// 0…15 and 16…31). Decoder: Linear 16 → 3136, ReLU, Unflatten to [64, 7, 7], ConvTranspose2d(64, 32, 4, 2, 1), ReLU,
/// ConvTranspose2d(32, 1, 4, 2, 1), Flatten: Bernoulli logits. Loss as <see cref="TorchVae"/>: BCE-with-logits summed + KL, mean over the batch.
/// </summary>
internal sealed class TorchConvVae : Module<Tensor, Tensor>
{
    public readonly Sequential Encoder, Decoder;
    public readonly Linear FcMu, FcLogVar;

    public TorchConvVae() : base("ConvVae")
    {
        Encoder = Sequential(
            ("E1", Conv2d(1, 32, 4, 2, 1)), ("E1relu", ReLU()),
            ("E2", Conv2d(32, 64, 4, 2, 1)), ("E2relu", ReLU()),
            ("flatten", Flatten()));
        FcMu = Linear(64 * 7 * 7, 16);
        FcLogVar = Linear(64 * 7 * 7, 16);
        Decoder = Sequential(
            ("D1", Linear(16, 64 * 7 * 7)), ("D1relu", ReLU()),
            ("D2", Unflatten(1, [64, 7, 7])),
            ("D3", ConvTranspose2d(64, 32, 4, 2, 1)), ("D3relu", ReLU()),
            ("D4", ConvTranspose2d(32, 1, 4, 2, 1)),
            ("flatten", Flatten()));
        RegisterComponents();
    }

    /// <summary>q(z|x) for rows of 784 pixels: (μ, ln σ²).</summary>
    public (Tensor Mu, Tensor LogVar) Encode(Tensor x)
    {
        var h = Encoder.call(x.view(-1, 1, 28, 28));
        return (FcMu.forward(h), FcLogVar.forward(h));
    }

    /// <summary>The decoder's mean σ(logits), rows of 784.</summary>
    public override Tensor forward(Tensor z) => sigmoid(Decoder.call(z));

    /// <summary>Negative ELBO, mean over the batch, with ε from randn_like unless given (see <see cref="TorchVae.Loss"/>).</summary>
    public Tensor Loss(Tensor x, Tensor? eps = null)
    {
        var (mu, logVar) = Encode(x);
        var std = exp(0.5 * logVar);
        var z = mu + (eps ?? randn_like(std)) * std;
        var logits = Decoder.call(z);
        var rec = functional.binary_cross_entropy_with_logits(logits, x, reduction: Reduction.Sum);
        var kld = -0.5 * (1 + logVar - mu.square() - logVar.exp()).sum();
        return (rec + kld) / x.shape[0];
    }
}
