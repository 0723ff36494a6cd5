using CommunityToolkit.HighPerformance;
using GenDsl.Data;

namespace GenDsl.Models.Tests.Flows;

// One of each network-carrying layer kind (affine, additive and spline couplings, affine and spline MADE, MAF and IAF),
// declared twice: under the Linear default and under FlowInitialization.Identity.

[Flow(Features = 3, Initialization = FlowInitialization.Identity)]
public sealed partial class IdentityInitFlow
{
    [AffineCoupling(Mask.FirstHalf, Hidden = 8)] public partial Coupling C1 { get; }
    [AdditiveCoupling(Mask.SecondHalf, Hidden = 8)] public partial Coupling C2 { get; }
    [SplineCoupling(Mask.Alternating, Bins = 4, Hidden = 8)] public partial Coupling S1 { get; }
    [MaskedAutoregressive(Hidden = 8)] public partial MaskedAutoregressive M1 { get; }
    [MaskedAutoregressive(Hidden = 8, Inverse = true)] public partial MaskedAutoregressive M2 { get; }
    [MaskedAutoregressive(Transform = AutoregressiveTransform.Spline, Bins = 4, Hidden = 8)] public partial MaskedAutoregressive M3 { get; }
    [Permute(Permutation.Reverse)] public partial Permutation P1 { get; }
}

[Flow(Features = 3)]
public sealed partial class LinearInitFlow
{
    [AffineCoupling(Mask.FirstHalf, Hidden = 8)] public partial Coupling C1 { get; }
    [AdditiveCoupling(Mask.SecondHalf, Hidden = 8)] public partial Coupling C2 { get; }
    [SplineCoupling(Mask.Alternating, Bins = 4, Hidden = 8)] public partial Coupling S1 { get; }
    [MaskedAutoregressive(Hidden = 8)] public partial MaskedAutoregressive M1 { get; }
    [MaskedAutoregressive(Hidden = 8, Inverse = true)] public partial MaskedAutoregressive M2 { get; }
    [MaskedAutoregressive(Transform = AutoregressiveTransform.Spline, Bins = 4, Hidden = 8)] public partial MaskedAutoregressive M3 { get; }
    [Permute(Permutation.Reverse)] public partial Permutation P1 { get; }
}

/// <summary>[Flow(Initialization = …)] (docs/flow-layers.md, "Initialisation"): what each choice starts from.</summary>
public sealed class InitializationTests
{
    private const int Rows = 64;

    [Fact]
    public void IdentityStartsEveryLayerAsTheIdentity()
    {
        var flow = new IdentityInitFlow(new ModelOptions { MaxBatch = Rows, Seed = 1 });
        var x = Data(out var data);
        var z = new float[Rows * 3];
        var ld = new float[Rows];
        flow.ToLatent(x, new Span2D<float>(z, Rows, 3), ld);
        // every network-carrying layer is the identity; the final reversal maps z[:, j] = x[:, 2 − j]
        for (int r = 0; r < Rows; r++)
            for (int j = 0; j < 3; j++)
                Assert.True(Math.Abs(z[r * 3 + j] - data[r * 3 + 2 - j]) < 1e-5, $"row {r}, z_{j} {z[r * 3 + j]} vs x_{2 - j} {data[r * 3 + 2 - j]}");
        Assert.All(ld, v => Assert.True(Math.Abs(v) < 1e-5, $"log-det {v}"));
        foreach (var t in IdentityInitFlow.Tensors.Where(t => IsOutputWeight(t.Name)))
            Assert.All(flow.Parameters.Span.Slice(t.Offset, t.Length).ToArray(), w => Assert.Equal(0f, w));
    }

    [Fact]
    public void LinearDrawsEveryDenseLayerAsTorchLinear()
    {
        var flow = new LinearInitFlow(new ModelOptions { MaxBatch = Rows, Seed = 1 });
        var p = flow.Parameters.Span;
        int dense = 0;
        foreach (var t in LinearInitFlow.Tensors.Where(t => t.Name.Contains(".net.", StringComparison.Ordinal)))
        {
            // weight [out, in] or bias [out] of a dense layer with fan_in = the weight's second dimension
            var weight = LinearInitFlow.Tensors.Single(w => w.Name == t.Name[..t.Name.LastIndexOf('.')] + ".weight");
            double bound = 1 / Math.Sqrt(weight.Shape[1]);
            var values = p.Slice(t.Offset, t.Length).ToArray();
            Assert.All(values, v => Assert.True(Math.Abs(v) <= bound, $"{t.Name}: {v} outside ±{bound}"));
            // MADE weights are masked: the entries the mask keeps are drawn, the others exactly 0; biases are all drawn
            int nonZero = values.Count(v => v != 0);
            Assert.True(nonZero >= values.Length / 4, $"{t.Name}: only {nonZero} of {values.Length} entries drawn");
            if (IsOutputWeight(t.Name))
                dense++;
        }
        Assert.Equal(6, dense); // the six output layers are drawn too
        foreach (var t in LinearInitFlow.Tensors.Where(t => t.Name.EndsWith(".scale", StringComparison.Ordinal)))
            Assert.All(p.Slice(t.Offset, t.Length).ToArray(), s => Assert.Equal(1f, s));

        // the flow is not the identity, and it still inverts exactly
        var x = Data(out var data);
        var z = new float[Rows * 3];
        var back = new float[Rows * 3];
        flow.ToLatent(x, new Span2D<float>(z, Rows, 3), new float[Rows]);
        flow.FromLatent(new ReadOnlySpan2D<float>(z, Rows, 3), new Span2D<float>(back, Rows, 3));
        double moved = 0, error = 0;
        for (int i = 0; i < data.Length; i++)
        {
            moved = Math.Max(moved, Math.Abs(z[i] - data[i]));
            error = Math.Max(error, Math.Abs(back[i] - data[i]));
        }
        Assert.True(moved > 1e-2, $"z within {moved} of x: not drawn");
        Assert.True(error < 1e-4, $"inverse ∘ forward off by {error}");
    }

    [Fact]
    public void TheTwoDeclarationsShareTheirCheckpointLayout()
    {
        // the initialisation is not part of the declaration's meaning: the same tensors, the same hash
        Assert.Equal(IdentityInitFlow.Tensors.Select(t => t.ToString()), LinearInitFlow.Tensors.Select(t => t.ToString()));
        var linear = new LinearInitFlow(new ModelOptions { MaxBatch = Rows, Seed = 2 });
        var identity = new IdentityInitFlow(new ModelOptions { MaxBatch = Rows, Seed = 2 });
        string path = Path.Combine(Path.GetTempPath(), $"gendsl-init-{Guid.NewGuid():N}.safetensors");
        try
        {
            linear.Save(path);
            identity.Load(path);
            Assert.True(linear.Parameters.Span.SequenceEqual(identity.Parameters.Span));
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Every network here has the default 2 hidden layers: its output layer is net.2.</summary>
    private static bool IsOutputWeight(string name) => name.EndsWith(".net.2.weight", StringComparison.Ordinal);

    private static ReadOnlySpan2D<float> Data(out float[] data)
    {
        var rng = new Rng(7);
        data = new float[Rows * 3];
        for (int i = 0; i < data.Length; i++) data[i] = 1.5f * rng.NextNormal();
        return new ReadOnlySpan2D<float>(data, Rows, 3);
    }
}
