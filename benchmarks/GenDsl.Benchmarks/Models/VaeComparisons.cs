using CommunityToolkit.HighPerformance;
using GenDsl.Benchmarks.Compare;
using GenDsl.Models;
using GenDsl.Threading;
using TorchSharp;
using static TorchSharp.torch;

namespace GenDsl.Benchmarks.Models;

/// <summary>Builders shared by the VAE workloads.</summary>
internal static class VaeTwins
{
    /// <summary>
    /// Pairs a GenDsl MLP VAE (one hidden layer each side, members E1 and D1) with <see cref="TorchVae"/>:
    /// E1 ↔ fc1; our encoder head [μ; ln σ²] (2L rows) ↔ fc21 (rows 0…L−1) and fc22 (rows L…2L−1);
    /// D1 ↔ fc3; our decoder head ↔ fc4.
    /// </summary>
    public static ParameterMap Map(IVaeModel ours, TorchVae t)
    {
        int latent = ours.LatentSize;
        var map = new ParameterMap()
            .Add(ours, "E1.weight", t.Fc1.weight!).Add(ours, "E1.bias", t.Fc1.bias!)
            .Add(ours, "encoder.head.weight", t.Fc21.weight!, 0).Add(ours, "encoder.head.bias", t.Fc21.bias!, 0)
            .Add(ours, "encoder.head.weight", t.Fc22.weight!, latent).Add(ours, "encoder.head.bias", t.Fc22.bias!, latent)
            .Add(ours, "D1.weight", t.Fc3.weight!).Add(ours, "D1.bias", t.Fc3.bias!)
            .Add(ours, "decoder.head.weight", t.Fc4.weight!).Add(ours, "decoder.head.bias", t.Fc4.bias!);
        map.CheckCovers(ours);
        return map;
    }

    /// <summary>
    /// The ε a freshly built GenDsl VAE (seed <paramref name="seed"/>) uses in its first training step:
    /// its noise stream is <c>new Rng(seed, stream: 1)</c> (see the generated code), read rows × L normals at once.
    /// </summary>
    public static float[] FirstEpsilon(ulong seed, int rows, int latent)
    {
        var eps = new float[rows * latent];
        new Rng(seed, stream: 1).FillNormal(eps);
        return eps;
    }

    /// <summary>FLOPs of a training step: forward, weight gradients of every layer, input gradients of every layer but the first.</summary>
    public static double TrainFlops(int features, int hidden, int latent, int rows)
    {
        double forward = (double)features * hidden + hidden * 2.0 * latent + (double)latent * hidden + (double)hidden * features;
        double backward = 2 * forward - (double)features * hidden;
        return 2 * rows * (forward + backward);
    }

    /// <summary>FLOPs of decoding <paramref name="rows"/> latents.</summary>
    public static double DecodeFlops(int features, int hidden, int latent, int rows) =>
        2.0 * rows * ((double)latent * hidden + (double)hidden * features);
}

/// <summary>
/// One VAE training step on MNIST (784 → 400 → (20, 20); 20 → 400 → 784, Bernoulli), batch 128,
/// Adam 1e-3: ours (<see cref="MnistVae"/>.TrainStep) against the PyTorch example's model in TorchSharp
/// (<see cref="TorchVae"/>, BCE-with-logits summed + KL, mean over the batch).
/// </summary>
internal sealed class VaeTrainComparison : IComparison, IVerificationReport
{
    private const int Hidden = 400, Latent = 20, Features = 784;
    private const ulong Seed = 1, VerifySeed = 11;
    private readonly WorkerPool _pool;
    private readonly MnistVae _ours;
    private readonly Adam _adam;
    private readonly TorchVae _torch;
    private readonly ParameterMap _map;
    private readonly optim.Optimizer _torchAdam;
    private readonly BatchCycle _data;

    public VaeTrainComparison(BatchCycle data, WorkerPool pool)
    {
        _pool = pool;
        _data = data;
        _ours = new MnistVae(new ModelOptions { MaxBatch = data.Rows, Seed = Seed, Pool = pool });
        _adam = new Adam(_ours, 1e-3f);
        _torch = new TorchVae(Features, Hidden, Latent);
        _map = VaeTwins.Map(_ours, _torch);
        _map.CopyToTorch(_ours.Parameters.Span);
        _torchAdam = optim.Adam(_torch.parameters(), lr: 1e-3);
    }

    public string Name => "train-vae";

    public double Flops => VaeTwins.TrainFlops(Features, Hidden, Latent, _data.Rows);

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

    /// <summary>
    /// A fresh model of ours and torch with its parameters; torch is given the ε our model draws in its
    /// first step (reproduced from its seed), so both compute the same single-sample negative ELBO:
    /// the losses and every parameter's gradient must agree (max of the loss's relative difference and
    /// the worst ‖Δg‖/‖g‖).
    /// </summary>
    public double Verify()
    {
        int rows = _data.Rows;
        var check = new MnistVae(new ModelOptions { MaxBatch = rows, Seed = VerifySeed, Pool = _pool });
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

/// <summary>
/// Sampling one image from the MNIST VAE: z ~ N(0, I), decoder, sigmoid — ours (<see cref="MnistVae"/>.Sample)
/// against torch (randn, decoder, sigmoid under no_grad, a dispose scope per call).
/// </summary>
internal sealed class VaeSampleComparison : IComparison, IVerificationReport
{
    private const int Hidden = 400, Latent = 20, Features = 784;
    private const ulong Seed = 3;
    private readonly int _rows;
    private readonly MnistVae _ours;
    private readonly TorchVae _torch;
    private readonly float[] _x;
    private readonly Rng _rng = new(5);

    public VaeSampleComparison(string name, int rows, WorkerPool pool)
    {
        Name = name;
        _rows = rows;
        _ours = new MnistVae(new ModelOptions { MaxBatch = rows, Seed = Seed, Pool = pool });
        _torch = new TorchVae(Features, Hidden, Latent);
        VaeTwins.Map(_ours, _torch).CopyToTorch(_ours.Parameters.Span);
        _x = new float[rows * Features];
    }

    public string Name { get; }

    public double Flops => VaeTwins.DecodeFlops(Features, Hidden, Latent, _rows);

    public string VerificationDetail { get; private set; } = "not verified";

    public void RunOurs() => _ours.Sample(new Span2D<float>(_x, _rows, Features), _rng);

    public void RunTorch()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        _torch.forward(randn(_rows, Latent));
    }

    /// <summary>The decoder mean for the same z: max |x_ours − x_torch| / max |x_torch|.</summary>
    public double Verify()
    {
        var z = new float[_rows * Latent];
        new Rng(Seed, stream: 9).FillNormal(z);
        _ours.Decode(new ReadOnlySpan2D<float>(z, _rows, Latent), new Span2D<float>(_x, _rows, Features));
        float[] expected;
        using (var scope = NewDisposeScope())
        using (var noGrad = no_grad())
            expected = _torch.forward(tensor(z, [_rows, Latent])).data<float>().ToArray();
        double d = ParameterMap.MaxRelativeDifference(_x, expected);
        VerificationDetail = $"decoder mean σ(l) for the same z: max rel {d:0.0E+0}";
        return d;
    }

    public void Dispose() => _torch.Dispose();
}
