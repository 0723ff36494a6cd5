using System.Globalization;
using CommunityToolkit.HighPerformance;
using GenDsl.Benchmarks.Compare;
using GenDsl.Models;
using GenDsl.Threading;
using TorchSharp;
using static TorchSharp.torch;

namespace GenDsl.Benchmarks.Models;

/// <summary>Helpers shared by the Glow workload and the quality command's Glow runs.</summary>
internal static class GlowTwins
{
    /// <summary>Multiply-adds per image of one coupling network's forward pass on [C, H, W] (conv 3×3 → conv 1×1 → conv 3×3, <paramref name="hidden"/> channels).</summary>
    public static double CouplingMacs(int channels, int side, int hidden)
    {
        int kept = channels / 2, transformed = channels - kept; // ChannelsFirstHalf and ChannelsSecondHalf read/write the same counts here (C even)
        return ConvCounts.Conv(hidden, side, side, kept, 3) + ConvCounts.Conv(hidden, side, side, hidden, 1) + ConvCounts.Conv(2 * transformed, side, side, hidden, 3);
    }

    /// <summary>
    /// FLOPs of one FashionGlow training step on <paramref name="rows"/> images: 2 × multiply-adds of the convolutions
    /// (4 coupling networks, the 4 invertible 1×1 convolutions) times 3 (forward, input gradients — every layer's, as each
    /// coupling's input depends on earlier parameters — and weight gradients). ActNorm, tanh/exp, squeezes and the LU
    /// assembly are not counted.
    /// </summary>
    public static double TrainFlops(int rows)
    {
        double couplings = 2 * CouplingMacs(4, 14, 32) + 2 * CouplingMacs(8, 7, 32);
        double oneByOne = 2 * (4.0 * 4 * 196) + 2 * (8.0 * 8 * 49);
        return 2.0 * rows * 3 * (couplings + oneByOne);
    }

    /// <summary>
    /// Moves a (data-initialised) FashionGlow away from the identity start so that every layer does something: the zero
    /// output convolutions get U(±1/√fan_in) weights and U(±0.05) biases, scales U(0.5, 1.5), the LU parts U(±0.3), logs
    /// U(±0.2), ActNorm parameters U(±0.1) added.
    /// </summary>
    public static void Perturb(FashionGlow flow, ulong seed)
    {
        var rng = new Rng(seed, stream: 7);
        var p = flow.Parameters.Span;
        var extra = new float[64];
        foreach (var t in FashionGlow.Tensors)
        {
            var s = p.Slice(t.Offset, t.Length);
            if (t.Name.EndsWith(".scale", StringComparison.Ordinal))
                rng.FillUniform(s, 0.5f, 1.5f);
            else if (t.Name.EndsWith(".lower", StringComparison.Ordinal) || t.Name.EndsWith(".upper", StringComparison.Ordinal))
                rng.FillUniform(s, -0.3f, 0.3f);
            else if (t.Name.EndsWith(".logs", StringComparison.Ordinal))
                rng.FillUniform(s, -0.2f, 0.2f);
            else if (t.Name.StartsWith('N'))
            {
                var e = extra.AsSpan(0, s.Length);
                rng.FillUniform(e, -0.1f, 0.1f);
                for (int i = 0; i < s.Length; i++) s[i] += e[i];
            }
            else if (s.IndexOfAnyExcept(0f) < 0)
            {
                float a = t.Shape.Length == 4 ? 1f / MathF.Sqrt(t.Shape[1] * t.Shape[2] * t.Shape[3]) : 0.05f;
                rng.FillUniform(s, -a, a);
            }
        }
    }

    private static double Norm(ReadOnlySpan<float> v)
    {
        double sum = 0;
        foreach (float x in v) sum += (double)x * x;
        return Math.Sqrt(sum);
    }

    /// <summary>Largest |a − b| and largest |a − b| / |b| over two equal-length vectors.</summary>
    public static (double Abs, double Rel) MaxErrors(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double abs = 0, rel = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double d = Math.Abs((double)a[i] - b[i]);
            abs = Math.Max(abs, d);
            rel = Math.Max(rel, b[i] != 0 ? d / Math.Abs(b[i]) : d);
        }
        return (abs, rel);
    }

    /// <summary>
    /// The verification of the twin, as a text and a number (the larger of the log-prob's max relative error and the
    /// worst gradient's ‖Δg‖/‖g‖): on a fresh FashionGlow (seed <paramref name="seed"/>) and <paramref name="batches"/>,
    /// (1) GenDsl's data-dependent ActNorm initialisation on batch 0 against the twin's own (<see cref="TorchGlow.InitializeActNorm"/>);
    /// (2) on the perturbed model, ln p of every row of batch 0 and (3) every parameter's gradient of the mean NLL;
    /// (4) from the data-initialised start, <paramref name="adamSteps"/> Adam 1e-3 steps on both sides over the batches:
    /// the losses step by step, and the parameters at the end.
    /// </summary>
    public static (string Detail, double Check) Verify(ulong seed, IReadOnlyList<float[]> batches, int rows, int adamSteps, WorkerPool pool)
    {
        var inv = CultureInfo.InvariantCulture;
        var x0 = new ReadOnlySpan2D<float>(batches[0], rows, 784);

        // (1) ActNorm's initialisation, each side its own
        var check = new FashionGlow(new ModelOptions { MaxBatch = rows, Seed = seed, Pool = pool });
        using var twin = TorchGlow.For(check);
        var map = ParameterMap.ByName(check, twin);
        map.CopyToTorch(check.Parameters.Span); // the identity start (ActNorm 0)
        check.Backward(x0); // the first training pass initialises ActNorm
        using (var t0 = tensor(batches[0], [rows, 784])) twin.InitializeActNorm(t0);
        var torchParams = check.Parameters.Span.ToArray();
        map.CopyFromTorch(torchParams);
        double initAbs = 0, initRel = 0;
        string initWorst = "";
        foreach (var t in FashionGlow.Tensors.Where(t => t.Name.StartsWith('N')))
        {
            var (a, _) = MaxErrors(check.Parameters.Span.Slice(t.Offset, t.Length), torchParams.AsSpan(t.Offset, t.Length));
            initAbs = Math.Max(initAbs, a);
            double rel = ParameterMap.RelativeDifference(check.Parameters.Span.Slice(t.Offset, t.Length), torchParams.AsSpan(t.Offset, t.Length));
            if (rel > initRel) { initRel = rel; initWorst = $"{t.Name}, ‖·‖ {Norm(torchParams.AsSpan(t.Offset, t.Length)):0.0E+0}"; }
        }

        // (2) log-probabilities and (3) gradients on the perturbed model
        Perturb(check, seed);
        map.CopyToTorch(check.Parameters.Span);
        var lpOurs = new float[rows];
        check.LogProb(x0, lpOurs);
        float oursLoss = check.Backward(x0);
        float[] lpTorch;
        double torchLoss;
        foreach (var p in twin.parameters()) p.grad?.zero_();
        using (NewDisposeScope())
        {
            var x = tensor(batches[0], [rows, 784]);
            using (no_grad()) lpTorch = twin.LogProb(x).data<float>().ToArray();
            var loss = twin.Loss(x);
            loss.backward();
            torchLoss = loss.item<float>();
        }
        var (lpAbs, lpRel) = MaxErrors(lpOurs, lpTorch);
        double lossRel = ParameterMap.RelativeDifference(oursLoss, torchLoss);
        var (gradRel, gradWorst) = map.CompareGradients(check.Gradients.Span);
        double gAbs = 0, gRelToMax = 0;
        string gAbsWorst = "";
        foreach (var e in map.Entries)
        {
            var tg = e.Torch.grad!.data<float>().ToArray();
            var og = check.Gradients.Span.Slice(e.Offset, e.Length);
            var (a, _) = MaxErrors(og, tg);
            double max = tg.Max(v => Math.Abs(v));
            if (a > gAbs) { gAbs = a; gAbsWorst = e.ToString(); }
            gRelToMax = Math.Max(gRelToMax, max > 0 ? a / max : a);
        }

        // (4) identical Adam steps from the same data-initialised start
        var ours = new FashionGlow(new ModelOptions { MaxBatch = rows, Seed = seed + 1, Pool = pool });
        ours.Backward(x0); // ActNorm's initialisation (Backward overwrites the gradients: the first step below is unchanged)
        using var twin2 = TorchGlow.For(ours);
        var map2 = ParameterMap.ByName(ours, twin2);
        map2.CopyToTorch(ours.Parameters.Span);
        var adam = new Adam(ours, 1e-3f);
        using var tAdam = optim.Adam(twin2.parameters(), lr: 1e-3);
        double stepRel = 0;
        var drift = new List<string>();
        float firstOurs = 0, lastOurs = 0, lastTorch = 0;
        for (int k = 0; k < adamSteps; k++)
        {
            var b = batches[k % batches.Count];
            float lo = ours.TrainStep(new ReadOnlySpan2D<float>(b, rows, 784), adam);
            float lt;
            using (NewDisposeScope())
            {
                tAdam.zero_grad();
                var loss = twin2.Loss(tensor(b, [rows, 784]));
                loss.backward();
                tAdam.step();
                lt = loss.item<float>();
            }
            stepRel = Math.Max(stepRel, ParameterMap.RelativeDifference(lo, lt));
            if (k == 0) firstOurs = lo;
            if (k is 0 or 1 or 2 or 4 or 9 || k == adamSteps - 1)
                drift.Add(string.Create(inv, $"{k + 1}: {ParameterMap.RelativeDifference(lo, lt):0.0E+0}"));
            lastOurs = lo;
            lastTorch = lt;
        }
        var after = ours.Parameters.Span.ToArray(); // whatever the arena holds beyond the tensors stays equal
        map2.CopyFromTorch(after);
        double paramRel = ParameterMap.RelativeDifference(ours.Parameters.Span, after);

        string detail = string.Create(inv,
            $"ActNorm data init (each side its own, batch 0) max abs {initAbs:0.0E+0}, worst ‖Δ‖/‖·‖ {initRel:0.0E+0} ({initWorst}); perturbed model: " +
            $"ln p per row max abs {lpAbs:0.0E+0} (of |ln p| ≈ {Math.Abs(lpTorch.Average()):F0}), max rel {lpRel:0.0E+0}; loss {oursLoss:G7} vs {torchLoss:G7} (rel {lossRel:0.0E+0}); " +
            $"gradients ‖Δg‖/‖g‖ worst {gradRel:0.0E+0} ({gradWorst}), max |Δg| {gAbs:0.0E+0} ({gAbsWorst}), max |Δg| / max |g| per tensor {gRelToMax:0.0E+0}; " +
            $"{adamSteps} Adam steps from the same start: loss {firstOurs:F2} → {lastOurs:F4} (torch {lastTorch:F4}), max rel loss difference {stepRel:0.0E+0} (at step {string.Join(", ", drift)}), " +
            $"parameters after ‖Δ‖/‖θ‖ {paramRel:0.0E+0}");
        return (detail, Math.Max(lpRel, gradRel));
    }
}

/// <summary>
/// One Glow training step on Fashion-MNIST: <see cref="FashionGlow"/> (squeeze → 2 steps of ActNorm, invertible 1×1 conv,
/// affine coupling with a conv 3×3 → 1×1 → 3×3 network of 32 channels → split → squeeze → 2 steps), batch 64 of dequantised,
/// logit-transformed images (<see cref="LogitTransform"/> 256 levels, as FashionGlowTests), Adam 1e-3 — ours
/// (<c>TrainStep</c>) against <see cref="TorchGlow"/> (autograd, torch.optim.Adam, a dispose scope per step). ActNorm is
/// data-initialised on ours by a first <c>Backward</c> on batch 0, then every parameter is copied into torch: both start equal.
/// </summary>
internal sealed class GlowTrainComparison : IComparison, IVerificationReport
{
    private const ulong Seed = 1, VerifySeed = 11;
    private const int AdamSteps = 20;
    private readonly WorkerPool _pool;
    private readonly FashionGlow _ours;
    private readonly Adam _adam;
    private readonly TorchGlow _torch;
    private readonly optim.Optimizer _torchAdam;
    private readonly BatchCycle _data;
    private readonly float[][] _batches;

    public GlowTrainComparison(BatchCycle data, WorkerPool pool)
    {
        _pool = pool;
        _data = data;
        _batches = Enumerable.Range(0, data.Count).Select(data.Array).ToArray();
        _ours = new FashionGlow(new ModelOptions { MaxBatch = data.Rows, Seed = Seed, Pool = pool });
        _ours.Backward(data.Ours(0)); // ActNorm's data-dependent initialisation
        _adam = new Adam(_ours, 1e-3f);
        _torch = TorchGlow.For(_ours);
        ParameterMap.ByName(_ours, _torch).CopyToTorch(_ours.Parameters.Span);
        _torchAdam = optim.Adam(_torch.parameters(), lr: 1e-3);
    }

    public string Name => "train-glow";

    public double Flops => GlowTwins.TrainFlops(_data.Rows);

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

    /// <summary>See <see cref="GlowTwins.Verify"/> (fresh models: the timed pair is not touched).</summary>
    public double Verify()
    {
        var (detail, check) = GlowTwins.Verify(VerifySeed, _batches, _data.Rows, AdamSteps, _pool);
        VerificationDetail = detail;
        return check;
    }

    public void Dispose()
    {
        _torchAdam.Dispose();
        _torch.Dispose();
        _data.Dispose();
    }
}
