using GenDsl.Benchmarks.Compare;
using GenDsl.Models;
using GenDsl.Threading;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace GenDsl.Benchmarks.Models;

/// <summary>Multiply-adds per image of the conv layers (what an im2col GEMM does, padded taps included).</summary>
internal static class ConvCounts
{
    /// <summary>Conv2d: every output value takes C_in·k² multiply-adds.</summary>
    public static double Conv(int cOut, int hOut, int wOut, int cIn, int k) => (double)cOut * hOut * wOut * cIn * k * k;

    /// <summary>ConvTranspose2d: every input value is scattered to C_out·k² outputs (the adjoint of the conv the other way).</summary>
    public static double ConvTranspose(int cIn, int hIn, int wIn, int cOut, int k) => (double)cIn * hIn * wIn * cOut * k * k;
}

/// <summary>
/// One DCGAN training step on Fashion-MNIST: <see cref="FashionDcgan"/> (G: 64 → Dense 6272 → BatchNorm + ReLU →
/// [128, 7, 7] → ConvT 64 (4, s2, p1) → BatchNorm + ReLU → ConvT 1 → sigmoid; D: Conv 64 → Conv 128 (4, s2, p1,
/// LeakyReLU 0.2) → Dense 1), batch 64, one D step and one G step, Adam 2e-4 (0.5, 0.999) for both parts, against
/// <see cref="TorchDcgan"/>. The step is the algorithm of <see cref="GanTrainComparison"/>: fake = G(z₁) (batch norms in
/// training mode: batch statistics, running statistics updated), D on cat(real, fake.detach()) with
/// BCE-with-logits summed / B, dOpt.step(); then fresh z₂, BCEWithLogits(D(G(z₂)), 1) summed / B, gOpt.step() —
/// the generator runs twice per step on both sides, so the running statistics move twice.
/// </summary>
internal sealed class DcganTrainComparison : IComparison, IVerificationReport
{
    private const int Noise = 64;
    private const ulong Seed = 1, VerifySeed = 11;
    private readonly WorkerPool _pool;
    private readonly FashionDcgan _ours;
    private readonly Adam _dOpt, _gOpt;
    private readonly TorchDcgan _torch;
    private readonly ParameterMap _map;
    private readonly BufferMap _buffers;
    private readonly optim.Optimizer _torchD, _torchG;
    private readonly Tensor _dTargets, _gTargets;
    private readonly BatchCycle _data;

    public DcganTrainComparison(BatchCycle data, WorkerPool pool)
    {
        _pool = pool;
        _data = data;
        int rows = data.Rows;
        _ours = new FashionDcgan(new ModelOptions { MaxBatch = rows, Seed = Seed, Pool = pool });
        _dOpt = new Adam(_ours.DiscriminatorPart, 2e-4f, beta1: 0.5f, beta2: 0.999f);
        _gOpt = new Adam(_ours.GeneratorPart, 2e-4f, beta1: 0.5f, beta2: 0.999f);
        _torch = new TorchDcgan();
        _map = ParameterMap.ByName(_ours, _torch, TorchDcgan.OurName);
        _buffers = new BufferMap(_ours, _torch, TorchDcgan.OurName);
        _map.CopyToTorch(_ours.Parameters.Span);
        _buffers.CopyToTorch(_ours.Buffers.Span);
        _torchD = optim.Adam(_torch.D.parameters(), lr: 2e-4, beta1: 0.5, beta2: 0.999);
        _torchG = optim.Adam(_torch.G.parameters(), lr: 2e-4, beta1: 0.5, beta2: 0.999);
        _dTargets = cat([ones(rows, 1), zeros(rows, 1)], 0);
        _gTargets = ones(rows, 1);
    }

    public string Name => "train-dcgan";

    /// <summary>
    /// 2 × multiply-adds of the dense and conv layers (batch norms, activations and losses not counted). Per image:
    /// D step = G forward + D forward, weight gradients and input gradients (all but D1's) on 2 rows (real and fake);
    /// G step = G forward, D forward, D input gradients (all layers), G weight gradients, G input gradients but G1's.
    /// </summary>
    public double Flops
    {
        get
        {
            double g1 = 64.0 * 6272, g4 = ConvCounts.ConvTranspose(128, 7, 7, 64, 4), g6 = ConvCounts.ConvTranspose(64, 14, 14, 1, 4);
            double d1 = ConvCounts.Conv(64, 14, 14, 1, 4), d2 = ConvCounts.Conv(128, 7, 7, 64, 4), head = 6272;
            double g = g1 + g4 + g6, d = d1 + d2 + head;
            double dStep = g + 2 * (d + d + (d2 + head));
            double gStep = g + d + d + g + (g4 + g6);
            return 2.0 * _data.Rows * (dStep + gStep);
        }
    }

    public string VerificationDetail { get; private set; } = "not verified";

    public void RunOurs() => _ours.TrainStep(_data.NextOurs(), _dOpt, _gOpt);

    public void RunTorch()
    {
        using var scope = NewDisposeScope();
        int rows = _data.Rows;
        var real = _data.NextTorch().view(rows, 1, 28, 28);
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
    /// As <see cref="GanTrainComparison.Verify"/>: a fresh model of ours (its parameters and running statistics
    /// copied into torch), its z₁ and z₂ reproduced from its seed and given to torch, learning rate 0 on both
    /// sides. Compared: both losses, D's gradients from the D step, G's from the G step, and the batch norms'
    /// running statistics after the step (two momentum updates each, running_var from the unbiased variance).
    /// </summary>
    public double Verify()
    {
        int rows = _data.Rows;
        var check = new FashionDcgan(new ModelOptions { MaxBatch = rows, Seed = VerifySeed, Pool = _pool });
        var frozenD = new Adam(check.DiscriminatorPart, 0f);
        var frozenG = new Adam(check.GeneratorPart, 0f);
        // The generated Generate() fills z row by row from new Rng(seed, stream: 1): D step first, then G step.
        var noise = new Rng(VerifySeed, stream: 1);
        float[] z1 = new float[rows * Noise], z2 = new float[rows * Noise];
        for (int r = 0; r < rows; r++) noise.FillNormal(z1.AsSpan(r * Noise, Noise));
        for (int r = 0; r < rows; r++) noise.FillNormal(z2.AsSpan(r * Noise, Noise));

        _map.CopyToTorch(check.Parameters.Span);
        _buffers.CopyToTorch(check.Buffers.Span);
        var ours = check.TrainStep(_data.Ours(0), frozenD, frozenG);

        double torchD, torchG;
        Dictionary<ParameterMap.Entry, float[]> dGrads;
        bool IsD(ParameterMap.Entry e) => e.Offset >= check.Parameters.Length - check.DiscriminatorPart.Parameters.Length;
        using (var scope = NewDisposeScope())
        {
            _torchD.zero_grad();
            _torchG.zero_grad();
            var fake = _torch.G.call(tensor(z1, [rows, Noise]));
            var logits = _torch.D.call(cat([_data.Torch(0).view(rows, 1, 28, 28), fake.detach()], 0));
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
        // G1.bias and G4.bias feed a training-mode batch norm, which subtracts the batch mean: their gradient is 0 in exact
        // arithmetic and float rounding on both sides (≈ 1e-9) makes a relative difference meaningless. They are
        // compared in absolute terms instead: both must be negligible next to the layer's weight gradient.
        bool BeforeBatchNorm(ParameterMap.Entry e) => e.Ours.Name is "G1.bias" or "G4.bias";
        var (gGradDiff, gWorst) = _map.CompareGradients(check.Gradients.Span, e => !IsD(e) && !BeforeBatchNorm(e));
        double zeroOurs = 0, zeroTorch = 0, weightNorm = double.MaxValue;
        foreach (var e in _map.Entries)
        {
            if (BeforeBatchNorm(e))
            {
                zeroOurs = Math.Max(zeroOurs, Norm(check.Gradients.Span.Slice(e.Offset, e.Length)));
                zeroTorch = Math.Max(zeroTorch, Norm(e.Torch.grad!.data<float>().ToArray()));
            }
            else if (e.Ours.Name is "G1.weight" or "G4.weight")
                weightNorm = Math.Min(weightNorm, Norm(e.Torch.grad!.data<float>().ToArray()));
        }
        double zeroRel = Math.Max(zeroOurs, zeroTorch) / weightNorm;
        var (bufDiff, bufWorst) = _buffers.Compare(check.Buffers.Span);
        _torchD.zero_grad();
        _torchG.zero_grad();
        _map.CopyToTorch(_ours.Parameters.Span);
        _buffers.CopyToTorch(_ours.Buffers.Span);
        VerificationDetail = $"loss_D {ours.Discriminator:G6} vs {torchD:G6} (rel {dDiff:0.0E+0}), loss_G {ours.Generator:G6} vs {torchG:G6} (rel {gDiff:0.0E+0}); " +
                             $"D gradients rel {dGradDiff:0.0E+0} (worst {dWorst}), G gradients rel {gGradDiff:0.0E+0} (worst {gWorst}); " +
                             $"running statistics rel {bufDiff:0.0E+0} (worst {bufWorst}); G1.bias, G4.bias (0 in exact arithmetic) ‖g‖ ours {zeroOurs:0.0E+0}, " +
                             $"torch {zeroTorch:0.0E+0}, {zeroRel:0.0E+0} of the smaller weight gradient's norm";
        return Math.Max(Math.Max(Math.Max(dDiff, gDiff), Math.Max(dGradDiff, gGradDiff)), Math.Max(bufDiff, zeroRel));
    }

    private static double Norm(ReadOnlySpan<float> v)
    {
        double s = 0;
        foreach (float x in v) s += (double)x * x;
        return Math.Sqrt(s);
    }

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

/// <summary>Builders shared by the conv VAE workload and the quality command's torch twin.</summary>
internal static class ConvVaeTwins
{
    /// <summary>
    /// Pairs <see cref="FashionConvVae"/> with <see cref="TorchConvVae"/>: E1, E2 ↔ Encoder.E1, Encoder.E2; our encoder
    /// head [μ; ln σ²] (32 rows) ↔ FcMu (rows 0…15) and FcLogVar (rows 16…31); D1, D3, D4 ↔ Decoder.D1, D3, D4.
    /// </summary>
    public static ParameterMap Map(FashionConvVae ours, TorchConvVae t)
    {
        var p = t.named_parameters().ToDictionary(x => x.name, x => x.parameter);
        var map = new ParameterMap();
        foreach (var n in new[] { "E1", "E2" })
            map.Add(ours, n + ".weight", p[$"Encoder.{n}.weight"]).Add(ours, n + ".bias", p[$"Encoder.{n}.bias"]);
        map.Add(ours, "encoder.head.weight", t.FcMu.weight!, 0).Add(ours, "encoder.head.bias", t.FcMu.bias!, 0)
           .Add(ours, "encoder.head.weight", t.FcLogVar.weight!, 16).Add(ours, "encoder.head.bias", t.FcLogVar.bias!, 16);
        foreach (var n in new[] { "D1", "D3", "D4" })
            map.Add(ours, n + ".weight", p[$"Decoder.{n}.weight"]).Add(ours, n + ".bias", p[$"Decoder.{n}.bias"]);
        map.CheckCovers(ours);
        return map;
    }

    /// <summary>Multiply-adds per image of the forward pass, by layer (E1, E2, encoder head, D1, D3, D4).</summary>
    public static double[] ForwardMacs() =>
    [
        ConvCounts.Conv(32, 14, 14, 1, 4), ConvCounts.Conv(64, 7, 7, 32, 4), 3136.0 * 32,
        16.0 * 3136, ConvCounts.ConvTranspose(64, 7, 7, 32, 4), ConvCounts.ConvTranspose(32, 14, 14, 1, 4),
    ];
}

/// <summary>
/// One conv VAE training step on Fashion-MNIST: <see cref="FashionConvVae"/> (Conv 32 → Conv 64 (4, s2, p1, ReLU) →
/// Dense (μ, ln σ²) of 16; Dense 3136 (ReLU) → [64, 7, 7] → ConvT 32 (ReLU) → ConvT 1 → Bernoulli logits), batch 128,
/// Adam 1e-3, against <see cref="TorchConvVae"/> (BCE-with-logits summed + KL, mean over the batch).
/// </summary>
internal sealed class ConvVaeTrainComparison : IComparison, IVerificationReport
{
    private const int Latent = 16;
    private const ulong Seed = 1, VerifySeed = 11;
    private readonly WorkerPool _pool;
    private readonly FashionConvVae _ours;
    private readonly Adam _adam;
    private readonly TorchConvVae _torch;
    private readonly ParameterMap _map;
    private readonly optim.Optimizer _torchAdam;
    private readonly BatchCycle _data;

    public ConvVaeTrainComparison(BatchCycle data, WorkerPool pool)
    {
        _pool = pool;
        _data = data;
        _ours = new FashionConvVae(new ModelOptions { MaxBatch = data.Rows, Seed = Seed, Pool = pool });
        _adam = new Adam(_ours, 1e-3f);
        _torch = new TorchConvVae();
        _map = ConvVaeTwins.Map(_ours, _torch);
        _map.CopyToTorch(_ours.Parameters.Span);
        _torchAdam = optim.Adam(_torch.parameters(), lr: 1e-3);
    }

    public string Name => "train-convvae";

    /// <summary>2 × multiply-adds of the forward pass, the weight gradients of every layer, the input gradients of all but E1.</summary>
    public double Flops
    {
        get
        {
            var f = ConvVaeTwins.ForwardMacs();
            double forward = f.Sum();
            return 2.0 * _data.Rows * (forward + forward + (forward - f[0]));
        }
    }

    public string VerificationDetail { get; private set; } = "not verified";

    public void RunOurs() => _ours.TrainStep(_data.NextOurs(), _adam);

    public void RunTorch()
    {
        using var scope = NewDisposeScope();
        _torchAdam.zero_grad();
        var loss = _torch.Loss(_data.NextTorch());
        loss.backward();
        _torchAdam.step();
    }

    /// <summary>As <see cref="VaeTrainComparison.Verify"/>: our ε reproduced from the seed, the loss and every gradient compared.</summary>
    public double Verify()
    {
        int rows = _data.Rows;
        var check = new FashionConvVae(new ModelOptions { MaxBatch = rows, Seed = VerifySeed, Pool = _pool });
        _map.CopyToTorch(check.Parameters.Span);
        float oursLoss = check.Backward(_data.Ours(0)).Loss;
        double torchLoss;
        _torchAdam.zero_grad();
        using (var scope = NewDisposeScope())
        {
            var eps = tensor(VaeTwins.FirstEpsilon(VerifySeed, rows, Latent), [rows, Latent]);
            var loss = _torch.Loss(_data.Torch(0), eps);
            loss.backward();
            torchLoss = loss.item<float>();
        }
        double lossDiff = ParameterMap.RelativeDifference(oursLoss, torchLoss);
        var (gradDiff, worst) = _map.CompareGradients(check.Gradients.Span);
        _torchAdam.zero_grad();
        _map.CopyToTorch(_ours.Parameters.Span);
        VerificationDetail = $"-ELBO with the same ε {oursLoss:G6} vs {torchLoss:G6} (rel {lossDiff:0.0E+0}); gradients rel {gradDiff:0.0E+0} (worst {worst})";
        return Math.Max(lossDiff, gradDiff);
    }

    public void Dispose()
    {
        _torchAdam.Dispose();
        _torch.Dispose();
        _data.Dispose();
    }
}
