using CommunityToolkit.HighPerformance;
using GenDsl.Benchmarks.Compare;
using GenDsl.Models;
using GenDsl.Threading;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace GenDsl.Benchmarks.Models;

/// <summary>
/// One GAN training step on MNIST (G 64 → 256 → 256 → 784 tanh, D 784 → 256 → 256 → 1 LeakyReLU 0.2,
/// non-saturating loss), batch 64, Adam 2e-4 (0.5, 0.999) for both parts. Ours:
/// <see cref="MnistGan"/>.TrainStep(batch, dOpt, gOpt). Torch, the same algorithm written with autograd:
/// <list type="number">
/// <item>D step: fake = G(z₁); logits = D([real; fake.detach()]); loss_D = (BCEWithLogits(sum) against
/// [1…; 0…]) / B, i.e. mean of softplus(−l_real) + softplus(l_fake); backward; dOpt.step().</item>
/// <item>G step with FRESH noise z₂ (as ours does): loss_G = BCEWithLogits(D(G(z₂)), 1) summed / B =
/// mean softplus(−l_fake); backward; gOpt.step().</item>
/// </list>
/// Torch's G-step backward also fills D's parameter gradients (cleared by the next dOpt.zero_grad()), as
/// idiomatic code does; ours skips them. Reusing z₁'s fakes for the G step, as the DCGAN example does,
/// would save torch one generator forward: it is not done, so that both sides do the same algorithm.
/// </summary>
internal sealed class GanTrainComparison : IComparison, IVerificationReport
{
    private const int Features = 784, Noise = 64, Hidden = 256;
    private const ulong Seed = 1, VerifySeed = 11;
    private readonly WorkerPool _pool;
    private readonly MnistGan _ours;
    private readonly Adam _dOpt, _gOpt;
    private readonly TorchGan _torch;
    private readonly ParameterMap _map;
    private readonly optim.Optimizer _torchD, _torchG;
    private readonly Tensor _dTargets, _gTargets;
    private readonly BatchCycle _data;

    public GanTrainComparison(BatchCycle data, WorkerPool pool)
    {
        _pool = pool;
        _data = data;
        int rows = data.Rows;
        _ours = new MnistGan(new ModelOptions { MaxBatch = rows, Seed = Seed, Pool = pool });
        _dOpt = new Adam(_ours.DiscriminatorPart, 2e-4f, beta1: 0.5f, beta2: 0.999f);
        _gOpt = new Adam(_ours.GeneratorPart, 2e-4f, beta1: 0.5f, beta2: 0.999f);
        _torch = new TorchGan(Features, Noise, Hidden);
        _map = Map(_ours, _torch);
        _map.CopyToTorch(_ours.Parameters.Span);
        _torchD = optim.Adam(_torch.D.parameters(), lr: 2e-4, beta1: 0.5, beta2: 0.999);
        _torchG = optim.Adam(_torch.G.parameters(), lr: 2e-4, beta1: 0.5, beta2: 0.999);
        _dTargets = cat([ones(rows, 1), zeros(rows, 1)], 0);
        _gTargets = ones(rows, 1);
    }

    /// <summary>G1 ↔ G.0, G2 ↔ G.2, generator.head ↔ G.4, D1 ↔ D.0, D2 ↔ D.2, discriminator.head ↔ D.4.</summary>
    private static ParameterMap Map(MnistGan ours, TorchGan t)
    {
        var torchParams = t.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var map = new ParameterMap();
        foreach (var (o, tn) in new[] { ("G1", "G.0"), ("G2", "G.2"), ("generator.head", "G.4"), ("D1", "D.0"), ("D2", "D.2"), ("discriminator.head", "D.4") })
        {
            map.Add(ours, o + ".weight", torchParams[tn + ".weight"]);
            map.Add(ours, o + ".bias", torchParams[tn + ".bias"]);
        }
        map.CheckCovers(ours);
        return map;
    }

    public string Name => "train-gan";

    /// <summary>
    /// Per row: D step = G forward + D forward/backward on 2 rows (weight gradients everywhere, input
    /// gradients except D's first layer); G step = G forward, D forward, D input gradients (all layers),
    /// G weight gradients and input gradients except G's first layer. Ours does exactly this.
    /// </summary>
    public double Flops
    {
        get
        {
            double g = (double)Noise * Hidden + (double)Hidden * Hidden + (double)Hidden * Features;
            double d = (double)Features * Hidden + (double)Hidden * Hidden + Hidden;
            double dInputGradsNoFirst = (double)Hidden * Hidden + Hidden;
            double gInputGradsNoFirst = (double)Hidden * Hidden + (double)Hidden * Features;
            double dStep = g + 2 * (d + d + dInputGradsNoFirst);
            double gStep = g + d + d + g + gInputGradsNoFirst;
            return 2.0 * _data.Rows * (dStep + gStep);
        }
    }

    public string VerificationDetail { get; private set; } = "not verified";

    public void RunOurs() => _ours.TrainStep(_data.NextOurs(), _dOpt, _gOpt);

    public void RunTorch()
    {
        using var scope = NewDisposeScope();
        int rows = _data.Rows;
        var real = _data.NextTorch();
        // discriminator step
        var fake = _torch.G.call(randn(rows, Noise));
        _torchD.zero_grad();
        var logits = _torch.D.call(cat([real, fake.detach()], 0));
        var lossD = functional.binary_cross_entropy_with_logits(logits, _dTargets, reduction: Reduction.Sum) / rows;
        lossD.backward();
        _torchD.step();
        // generator step (non-saturating), fresh noise
        _torchG.zero_grad();
        var lossG = functional.binary_cross_entropy_with_logits(_torch.D.call(_torch.G.call(randn(rows, Noise))), _gTargets, reduction: Reduction.Sum) / rows;
        lossG.backward();
        _torchG.step();
    }

    /// <summary>
    /// A fresh model of ours, whose two noise draws (z₁ for the D step, z₂ for the G step) are
    /// reproduced from its seed and given to torch; both optimizers have learning rate 0 so that the
    /// G step sees the same discriminator on both sides. Compared: both losses, D's gradients from the
    /// D step, G's from the G step (max of the relative differences and the worst ‖Δg‖/‖g‖).
    /// </summary>
    public double Verify()
    {
        int rows = _data.Rows;
        var check = new MnistGan(new ModelOptions { MaxBatch = rows, Seed = VerifySeed, Pool = _pool });
        var frozenD = new Adam(check.DiscriminatorPart, 0f);
        var frozenG = new Adam(check.GeneratorPart, 0f);
        // The generated Generate() fills z row by row from new Rng(seed, stream: 1): D step first, then G step.
        var noise = new Rng(VerifySeed, stream: 1);
        float[] z1 = new float[rows * Noise], z2 = new float[rows * Noise];
        for (int r = 0; r < rows; r++) noise.FillNormal(z1.AsSpan(r * Noise, Noise));
        for (int r = 0; r < rows; r++) noise.FillNormal(z2.AsSpan(r * Noise, Noise));

        _map.CopyToTorch(check.Parameters.Span);
        var ours = check.TrainStep(_data.Ours(0), frozenD, frozenG);

        double torchD, torchG;
        Dictionary<ParameterMap.Entry, float[]> dGrads;
        bool IsD(ParameterMap.Entry e) => IsDiscriminator(check, e);
        using (var scope = NewDisposeScope())
        {
            _torchD.zero_grad();
            _torchG.zero_grad();
            var fake = _torch.G.call(tensor(z1, [rows, Noise]));
            var logits = _torch.D.call(cat([_data.Torch(0), fake.detach()], 0));
            var lossD = functional.binary_cross_entropy_with_logits(logits, _dTargets, reduction: Reduction.Sum) / rows;
            lossD.backward();
            torchD = lossD.item<float>();
            dGrads = _map.SnapshotGradients(IsD);

            var lossG = functional.binary_cross_entropy_with_logits(_torch.D.call(_torch.G.call(tensor(z2, [rows, Noise]))), _gTargets, reduction: Reduction.Sum) / rows;
            lossG.backward();
            torchG = lossG.item<float>();
        }
        double dDiff = ParameterMap.RelativeDifference(ours.Discriminator, torchD);
        double gDiff = ParameterMap.RelativeDifference(ours.Generator, torchG);
        var (dGradDiff, dWorst) = _map.CompareGradients(check.Gradients.Span, IsD, dGrads);
        var (gGradDiff, gWorst) = _map.CompareGradients(check.Gradients.Span, e => !IsD(e));
        _torchD.zero_grad();
        _torchG.zero_grad();
        _map.CopyToTorch(_ours.Parameters.Span);
        VerificationDetail = $"loss_D {ours.Discriminator:G6} vs {torchD:G6} (rel {dDiff:0.0E+0}), loss_G {ours.Generator:G6} vs {torchG:G6} (rel {gDiff:0.0E+0}); " +
                             $"D gradients rel {dGradDiff:0.0E+0} (worst {dWorst}), G gradients rel {gGradDiff:0.0E+0} (worst {gWorst})";
        return Math.Max(Math.Max(dDiff, gDiff), Math.Max(dGradDiff, gGradDiff));
    }

    /// <summary>The discriminator's tensors are the second part of the arena (they start at the discriminator part's offset).</summary>
    private static bool IsDiscriminator(MnistGan gan, ParameterMap.Entry e) =>
        e.Offset >= gan.Parameters.Length - gan.DiscriminatorPart.Parameters.Length;

    public void Dispose()
    {
        _torchD.Dispose();
        _torchG.Dispose();
        _dTargets.Dispose();
        _gTargets.Dispose();
        _torch.Dispose();
        _data.Dispose();
    }
}
