using CommunityToolkit.HighPerformance;
using GenDsl.Models;

namespace GenDsl.Benchmarks.Models;

/// <summary>
/// Uniform access to a generated flow's typed methods (the generated classes share no interface for
/// them: <see cref="IFlowModel"/> only covers checkpoints). One virtual call per method; nothing allocated.
/// </summary>
internal abstract class FlowAdapter
{
    /// <summary>The model.</summary>
    public abstract IFlowModel Model { get; }

    /// <summary>Forward + backward: fills the gradients, returns the mean NLL.</summary>
    public abstract float Backward(ReadOnlySpan2D<float> batch);

    /// <summary>Backward, then the optimizer step.</summary>
    public abstract float TrainStep(ReadOnlySpan2D<float> batch, Optimizer optimizer);

    /// <summary>Latent → data.</summary>
    public abstract void FromLatent(ReadOnlySpan2D<float> z, Span2D<float> x);

    /// <summary>Draws data rows.</summary>
    public abstract void Sample(Span2D<float> x, Rng rng);

    /// <summary>Re-initialises the parameters from a seed.</summary>
    public abstract void ResetParameters(ulong seed);

    /// <summary>
    /// Moves the parameters away from the initialisation, where every coupling is the identity (output
    /// layers zero) and a comparison of losses would prove little: zero tensors get U(±1/√fan_in)
    /// values (biases U(±0.05)), scales U(0.5, 1.5).
    /// </summary>
    public void Perturb(ulong seed)
    {
        var rng = new Rng(seed, stream: 7);
        var p = Model.Parameters.Span;
        foreach (var t in Model.Tensors)
        {
            var s = p.Slice(t.Offset, t.Length);
            if (t.Name.EndsWith(".scale", StringComparison.Ordinal))
                rng.FillUniform(s, 0.5f, 1.5f);
            else if (s.IndexOfAnyExcept(0f) < 0)
            {
                float a = t.Shape.Length == 2 ? 1f / MathF.Sqrt(t.Shape[1]) : 0.05f;
                rng.FillUniform(s, -a, a);
            }
        }
        AfterPerturb();
    }

    /// <summary>Restores what <see cref="Perturb"/> must not change (a MADE's masked-out weights stay 0).</summary>
    protected virtual void AfterPerturb()
    {
    }
}

/// <summary><see cref="FlowAdapter"/> for <see cref="MoonsFlow"/>.</summary>
internal sealed class MoonsFlowAdapter(MoonsFlow flow) : FlowAdapter
{
    public override IFlowModel Model => flow;
    public override float Backward(ReadOnlySpan2D<float> batch) => flow.Backward(batch);
    public override float TrainStep(ReadOnlySpan2D<float> batch, Optimizer optimizer) => flow.TrainStep(batch, optimizer);
    public override void FromLatent(ReadOnlySpan2D<float> z, Span2D<float> x) => flow.FromLatent(z, x);
    public override void Sample(Span2D<float> x, Rng rng) => flow.Sample(x, rng);
    public override void ResetParameters(ulong seed) => flow.ResetParameters(seed);
}

/// <summary><see cref="FlowAdapter"/> for <see cref="Flow784"/>.</summary>
internal sealed class Flow784Adapter(Flow784 flow) : FlowAdapter
{
    public override IFlowModel Model => flow;
    public override float Backward(ReadOnlySpan2D<float> batch) => flow.Backward(batch);
    public override float TrainStep(ReadOnlySpan2D<float> batch, Optimizer optimizer) => flow.TrainStep(batch, optimizer);
    public override void FromLatent(ReadOnlySpan2D<float> z, Span2D<float> x) => flow.FromLatent(z, x);
    public override void Sample(Span2D<float> x, Rng rng) => flow.Sample(x, rng);
    public override void ResetParameters(ulong seed) => flow.ResetParameters(seed);
}

/// <summary><see cref="FlowAdapter"/> for <see cref="MoonsSplineFlow"/>.</summary>
internal sealed class MoonsSplineFlowAdapter(MoonsSplineFlow flow) : FlowAdapter
{
    public override IFlowModel Model => flow;
    public override float Backward(ReadOnlySpan2D<float> batch) => flow.Backward(batch);
    public override float TrainStep(ReadOnlySpan2D<float> batch, Optimizer optimizer) => flow.TrainStep(batch, optimizer);
    public override void FromLatent(ReadOnlySpan2D<float> z, Span2D<float> x) => flow.FromLatent(z, x);
    public override void Sample(Span2D<float> x, Rng rng) => flow.Sample(x, rng);
    public override void ResetParameters(ulong seed) => flow.ResetParameters(seed);
}

/// <summary><see cref="FlowAdapter"/> for <see cref="MoonsMaf"/> (quality maf-moons).</summary>
internal sealed class MoonsMafAdapter(MoonsMaf flow) : FlowAdapter
{
    public override IFlowModel Model => flow;
    public override float Backward(ReadOnlySpan2D<float> batch) => flow.Backward(batch);
    public override float TrainStep(ReadOnlySpan2D<float> batch, Optimizer optimizer) => flow.TrainStep(batch, optimizer);
    public override void FromLatent(ReadOnlySpan2D<float> z, Span2D<float> x) => flow.FromLatent(z, x);
    public override void Sample(Span2D<float> x, Rng rng) => flow.Sample(x, rng);
    public override void ResetParameters(ulong seed) => flow.ResetParameters(seed);

    protected override void AfterPerturb()
    {
        foreach (var layer in new[] { flow.M1, flow.M2, flow.M3, flow.M4, flow.M5, flow.M6 })
            layer.ApplyMasks();
    }
}

/// <summary><see cref="FlowAdapter"/> for <see cref="DigitsMaf"/> (quality maf-digits).</summary>
internal sealed class DigitsMafAdapter(DigitsMaf flow) : FlowAdapter
{
    public override IFlowModel Model => flow;
    public override float Backward(ReadOnlySpan2D<float> batch) => flow.Backward(batch);
    public override float TrainStep(ReadOnlySpan2D<float> batch, Optimizer optimizer) => flow.TrainStep(batch, optimizer);
    public override void FromLatent(ReadOnlySpan2D<float> z, Span2D<float> x) => flow.FromLatent(z, x);
    public override void Sample(Span2D<float> x, Rng rng) => flow.Sample(x, rng);
    public override void ResetParameters(ulong seed) => flow.ResetParameters(seed);

    protected override void AfterPerturb()
    {
        foreach (var layer in new[] { flow.M1, flow.M2, flow.M3, flow.M4, flow.M5 })
            layer.ApplyMasks();
    }
}

/// <summary><see cref="FlowAdapter"/> for <see cref="Maf64"/>.</summary>
internal sealed class Maf64Adapter(Maf64 flow) : FlowAdapter
{
    public override IFlowModel Model => flow;
    public override float Backward(ReadOnlySpan2D<float> batch) => flow.Backward(batch);
    public override float TrainStep(ReadOnlySpan2D<float> batch, Optimizer optimizer) => flow.TrainStep(batch, optimizer);
    public override void FromLatent(ReadOnlySpan2D<float> z, Span2D<float> x) => flow.FromLatent(z, x);
    public override void Sample(Span2D<float> x, Rng rng) => flow.Sample(x, rng);
    public override void ResetParameters(ulong seed) => flow.ResetParameters(seed);

    protected override void AfterPerturb()
    {
        foreach (var layer in new[] { flow.M1, flow.M2, flow.M3, flow.M4, flow.M5 })
            layer.ApplyMasks();
    }
}

/// <summary>A coupling-flow workload's architecture (RealNVP, or spline couplings when Bins &gt; 0), and how to build our model of it.</summary>
/// <param name="Features">D.</param>
/// <param name="Couplings">Number of affine couplings (alternating halves).</param>
/// <param name="Hidden">Hidden width H.</param>
/// <param name="HiddenLayers">Hidden layers per coupling network.</param>
/// <param name="Create">Builds our model.</param>
/// <param name="Bins">K of the spline couplings; 0 for affine couplings.</param>
/// <param name="TailBound">B of the spline couplings.</param>
/// <param name="Made">Masked autoregressive layers (MAF, reversed between them) in place of couplings: Couplings counts them.</param>
internal sealed record FlowSpec(int Features, int Couplings, int Hidden, int HiddenLayers, Func<ModelOptions, FlowAdapter> Create, int Bins = 0, double TailBound = 3, bool Made = false)
{
    /// <summary>MoonsFlow: 2 features, 8 couplings, 1 → 64 → 64 → 2.</summary>
    public static FlowSpec Moons { get; } = new(2, 8, 64, 2, o => new MoonsFlowAdapter(new MoonsFlow(o)));

    /// <summary>Flow784: 784 features, 4 couplings, 392 → 1024 → 1024 → 784.</summary>
    public static FlowSpec Mnist784 { get; } = new(784, 4, 1024, 2, o => new Flow784Adapter(new Flow784(o)));

    /// <summary>MoonsSplineFlow: 2 features, 8 spline couplings (8 bins, B = 3), 1 → 64 → 64 → 23.</summary>
    public static FlowSpec MoonsSpline { get; } = new(2, 8, 64, 2, o => new MoonsSplineFlowAdapter(new MoonsSplineFlow(o)), Bins: 8, TailBound: 3);

    /// <summary>Maf64: 64 features, 5 MAF layers, MADE 64 → 256 → 256 → 128.</summary>
    public static FlowSpec Maf64 { get; } = new(64, 5, 256, 2, o => new Maf64Adapter(new Maf64(o)), Made: true);

    /// <summary>The TorchSharp twin.</summary>
    public TorchFlowModule CreateTorch() => Made ? new TorchMaf(Features, Couplings, Hidden, HiddenLayers) : Bins > 0
        ? new TorchSplineFlow(Features, Couplings, Hidden, HiddenLayers, Bins, TailBound)
        : new TorchRealNvp(Features, Couplings, Hidden, HiddenLayers);

    /// <summary>Network outputs per transformed feature: 2 (log-scale and shift) or 3K − 1 (a spline's).</summary>
    private int OutputsPerFeature => Bins > 0 ? 3 * Bins - 1 : 2;

    /// <summary>Multiply-adds per row of one pass through all coupling networks (the GEMMs).</summary>
    public double MacsPerRow
    {
        get
        {
            if (Made) // every layer's MADE is dense GEMMs (the masked-out weights are multiplied too): D → H → … → 2D
                return Couplings * ((double)Features * Hidden + (HiddenLayers - 1.0) * Hidden * Hidden + (double)Hidden * 2 * Features);
            int d1 = Features / 2, d2 = Features - d1; // equal halves here (D even)
            double perNet = (double)d1 * Hidden + (HiddenLayers - 1.0) * Hidden * Hidden + (double)Hidden * OutputsPerFeature * d2;
            return Couplings * perNet;
        }
    }

    /// <summary>
    /// FLOPs of one training step on <paramref name="rows"/> rows: forward, and a backward with a weight
    /// gradient and an input gradient per layer (the input gradient of the first layer too: u_K needs it), i.e.
    /// 3 × 2 × MACs. Element-wise work (tanh, exp, the splines, Adam) is not counted.
    /// </summary>
    public double TrainFlops(int rows) => 3 * 2 * MacsPerRow * rows;

    /// <summary>FLOPs of sampling <paramref name="rows"/> rows (one pass through the networks; D passes for a MAF).</summary>
    public double SampleFlops(int rows) => 2 * MacsPerRow * rows * (Made ? Features : 1);
}
