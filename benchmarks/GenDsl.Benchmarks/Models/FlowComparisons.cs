using CommunityToolkit.HighPerformance;
using GenDsl.Benchmarks.Compare;
using GenDsl.Threading;
using TorchSharp;
using static TorchSharp.torch;

namespace GenDsl.Benchmarks.Models;

/// <summary>What a model comparison's <see cref="IComparison.Verify"/> found, in words (printed after the table).</summary>
internal interface IVerificationReport
{
    /// <summary>E.g. "loss rel 2e-7, gradients rel 3e-6 (worst C1.net.0.weight)".</summary>
    string VerificationDetail { get; }
}

/// <summary>
/// One RealNVP training step: forward NLL, backward, Adam 1e-3 — ours (<c>TrainStep</c>) against the
/// TorchSharp twin (<see cref="TorchRealNvp"/>, autograd, torch.optim.Adam, a dispose scope per step).
/// Both start from the same parameters (ours, copied into torch) and see the same batches.
/// </summary>
internal sealed class FlowTrainComparison : IComparison, IVerificationReport
{
    private const ulong Seed = 1, VerifySeed = 11;
    private readonly FlowSpec _spec;
    private readonly WorkerPool _pool;
    private readonly FlowAdapter _ours;
    private readonly Adam _adam;
    private readonly TorchFlowModule _torch;
    private readonly ParameterMap _map;
    private readonly optim.Optimizer _torchAdam;
    private readonly BatchCycle _data;

    public FlowTrainComparison(string name, FlowSpec spec, BatchCycle data, WorkerPool pool)
    {
        Name = name;
        _spec = spec;
        _pool = pool;
        _data = data;
        _ours = spec.Create(new ModelOptions { MaxBatch = data.Rows, Seed = Seed, Pool = pool });
        _adam = new Adam(_ours.Model, 1e-3f);
        _torch = spec.CreateTorch();
        _map = ParameterMap.ByName(_ours.Model, _torch);
        _map.CopyToTorch(_ours.Model.Parameters.Span);
        _torchAdam = optim.Adam(_torch.parameters(), lr: 1e-3);
    }

    public string Name { get; }

    public double Flops => _spec.TrainFlops(_data.Rows);

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
    /// A fresh model of ours with perturbed parameters (non-zero output layers, scales ≠ 1, so that
    /// every coupling does something), the same parameters in torch: the loss of one forward pass on
    /// the same batch, and every parameter's gradient, must agree. Returns the larger of the loss's
    /// relative difference and the worst gradient's ‖Δg‖/‖g‖. Afterwards torch gets our training
    /// model's parameters back.
    /// </summary>
    public double Verify()
    {
        var check = _spec.Create(new ModelOptions { MaxBatch = _data.Rows, Seed = VerifySeed, Pool = _pool });
        check.Perturb(VerifySeed);
        _map.CopyToTorch(check.Model.Parameters.Span);
        float oursLoss = check.Backward(_data.Ours(0));
        double torchLoss;
        _torchAdam.zero_grad();
        using (var scope = NewDisposeScope())
        {
            var loss = _torch.Loss(_data.Torch(0));
            loss.backward();
            torchLoss = loss.item<float>();
        }
        double lossDiff = ParameterMap.RelativeDifference(oursLoss, torchLoss);
        var (gradDiff, worst) = _map.CompareGradients(check.Model.Gradients.Span);
        _torchAdam.zero_grad();
        _map.CopyToTorch(_ours.Model.Parameters.Span);
        VerificationDetail = $"loss {oursLoss:G6} vs {torchLoss:G6} (rel {lossDiff:0.0E+0}); gradients rel {gradDiff:0.0E+0} (worst {worst})";
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
/// Sampling from a RealNVP: z ~ N(0, I), then the inverse couplings — ours (<c>Sample</c>) against
/// torch (randn + the inverse under no_grad, a dispose scope per call). Both models have the same,
/// perturbed parameters (so that the couplings are not identities).
/// </summary>
internal sealed class FlowSampleComparison : IComparison, IVerificationReport
{
    private const ulong Seed = 3;
    private readonly FlowSpec _spec;
    private readonly int _rows;
    private readonly FlowAdapter _ours;
    private readonly TorchFlowModule _torch;
    private readonly float[] _x;
    private readonly Rng _rng = new(5);

    public FlowSampleComparison(string name, FlowSpec spec, int rows, WorkerPool pool)
    {
        Name = name;
        _spec = spec;
        _rows = rows;
        _ours = spec.Create(new ModelOptions { MaxBatch = rows, Seed = Seed, Pool = pool });
        _ours.Perturb(Seed);
        _torch = spec.CreateTorch();
        ParameterMap.ByName(_ours.Model, _torch).CopyToTorch(_ours.Model.Parameters.Span);
        _x = new float[rows * spec.Features];
    }

    public string Name { get; }

    public double Flops => _spec.SampleFlops(_rows);

    public string VerificationDetail { get; private set; } = "not verified";

    public void RunOurs() => _ours.Sample(new Span2D<float>(_x, _rows, _spec.Features), _rng);

    public void RunTorch()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        _torch.Inverse(randn(_rows, _spec.Features));
    }

    /// <summary>The same z through both inverses: max |x_ours − x_torch| / max |x_torch|.</summary>
    public double Verify()
    {
        var z = new float[_x.Length];
        new Rng(Seed, stream: 9).FillNormal(z);
        _ours.FromLatent(new ReadOnlySpan2D<float>(z, _rows, _spec.Features), new Span2D<float>(_x, _rows, _spec.Features));
        float[] expected;
        using (var scope = NewDisposeScope())
        using (var noGrad = no_grad())
            expected = _torch.Inverse(tensor(z, [_rows, _spec.Features])).data<float>().ToArray();
        double d = ParameterMap.MaxRelativeDifference(_x, expected);
        VerificationDetail = $"x = f(z) for the same z: max rel {d:0.0E+0}";
        return d;
    }

    public void Dispose() => _torch.Dispose();
}
