using GenDsl.Models.Tests.Reference;
using static GenDsl.Models.Tests.ReferenceTests.RefTestUtil;

namespace GenDsl.Models.Tests.ReferenceTests;

/// <summary>
/// The reference against the spec's formulas written out by hand on tiny examples: conventions
/// (direction, signs, r before m, row-major [out, in] weights, P[i, π[i]] = 1) that the purely
/// numerical self-consistency checks cannot see.
/// </summary>
public sealed class RefFlowSemanticsTests
{
    private static readonly double Ln2Pi = Math.Log(2 * Math.PI);

    /// <summary>Writes <paramref name="values"/> into the tensor called <paramref name="name"/>.</summary>
    private static void Set(RefFlow flow, double[] p, string[] names, string name, params double[] values)
    {
        foreach (var (n, offset, shape) in flow.Layout(names))
            if (n == name)
            {
                int size = 1;
                foreach (int s in shape) size *= s;
                Assert.Equal(size, values.Length);
                Array.Copy(values, 0, p, offset, size);
                return;
            }
        Assert.Fail($"no tensor {name}");
    }

    private static void AssertClose(double expected, double actual, string what) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-12 * Math.Max(1, Math.Abs(expected)), $"{what}: expected {expected:G15}, got {actual:G15}");

    // ------------------------------------------------------------------ layout

    [Fact]
    public void LayoutFollowsTheSpecOrderWithOffsetsRoundedUpTo16()
    {
        // D = 3, k = 2. C1 keeps [0] (d1 = 1, d2 = 2), H = 4, n = 1; C2 keeps [1, 2] (d1 = 2, d2 = 1), n = 0.
        var flow = new RefFlow(3, 2,
            new RefAffineCoupling([0], 4, 1, Activation.Relu),
            new RefPermutation([2, 1, 0]),
            new RefActNorm(),
            new RefInvertibleLinear([1, 2, 0]),
            new RefAdditiveCoupling([1, 2], 7, 0, Activation.Tanh));
        var layout = flow.Layout(["C1", "P1", "A1", "W1", "C2"]);
        (string, int, int[])[] expected =
        [
            ("C1.net.0.weight", 0, [4, 3]),      // [H, d1 + k], 12 floats
            ("C1.net.0.bias", 16, [4]),
            ("C1.net.1.weight", 32, [4, 4]),     // [2·d2, H]
            ("C1.net.1.bias", 48, [4]),
            ("C1.scale", 64, [2]),               // [d2]
            ("A1.logscale", 80, [3]),
            ("A1.bias", 96, [3]),
            ("W1.lower", 112, [3, 3]),
            ("W1.upper", 128, [3, 3]),
            ("W1.logs", 144, [3]),
            ("C2.net.0.weight", 160, [1, 4]),    // n = 0: [d2, d1 + k] (additive: d2 outputs)
            ("C2.net.0.bias", 176, [1]),
        ];
        Assert.Equal(expected.Length, layout.Count);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i].Item1, layout[i].Name);
            Assert.Equal(expected[i].Item2, layout[i].Offset);
            Assert.Equal(expected[i].Item3, layout[i].Shape);
        }
        Assert.Equal(192, flow.ParameterCount);           // 177 rounded up to 16
        Assert.Equal(12 + 4 + 16 + 4 + 2 + 3 + 3 + 9 + 9 + 3 + 4 + 1, flow.UnpaddedParameterCount);

        var packed = new RefFlow(3, 2, flow.Layers.ToArray()) { AlignmentFloats = 1 };
        Assert.Equal(70, packed.ParameterCount);
        Assert.Equal(12, packed.Layout()[1].Offset);
    }

    [Fact]
    public void LayoutNeedsOneNamePerLayer()
    {
        var flow = new RefFlow(2, 0, new RefActNorm(), new RefPermutation([1, 0]));
        var ex = Assert.Throws<ArgumentException>(() => flow.Layout(["A"]));
        Assert.Equal("memberNames", ex.ParamName);
    }

    // ------------------------------------------------------------------ masks and permutations

    [Fact]
    public void MasksKeepTheSpecifiedFeatures()
    {
        // D = 5: first half = 0…1, second half = 2…4.
        Assert.Equal([0, 1], RefFlow.MaskKept("Alternating", 5, 0));
        Assert.Equal([2, 3, 4], RefFlow.MaskKept("Alternating", 5, 1));
        Assert.Equal([0, 1], RefFlow.MaskKept("Alternating", 5, 2));
        Assert.Equal([0, 1], RefFlow.MaskKept("FirstHalf", 5, 1));
        Assert.Equal([2, 3, 4], RefFlow.MaskKept("SecondHalf", 5, 0));
        Assert.Equal([0, 2, 4], RefFlow.MaskKept("Even", 5, 0));
        Assert.Equal([1, 3], RefFlow.MaskKept("Odd", 5, 0));
        Assert.Equal([0, 2, 3], RefFlow.MaskKept("10110", 5, 0));
        Assert.Equal([1], RefFlow.MaskKept("Alternating", 2, 1));
        Assert.Equal("mask", Assert.Throws<ArgumentException>(() => RefFlow.MaskKept("1011", 5, 0)).ParamName);
        Assert.Equal("mask", Assert.Throws<ArgumentException>(() => RefFlow.MaskKept("10x10", 5, 0)).ParamName);
    }

    [Fact]
    public void SplitMix64AndRandomPermutationMatchAnIndependentImplementation()
    {
        // Expected values from a separate Python implementation of the spec's algorithm
        // (and SplitMix64's published first outputs for seed 0).
        ulong state = 0;
        Assert.Equal(0xE220A8397B1DCDAFUL, RefFlow.SplitMix64Next(ref state));
        Assert.Equal(0x6E789E6AA1B965F4UL, RefFlow.SplitMix64Next(ref state));
        Assert.Equal(0x06C45D188009454FUL, RefFlow.SplitMix64Next(ref state));
        Assert.Equal([0, 1], RefFlow.RandomPermutation(2, 0));
        Assert.Equal([2, 3, 1, 4, 0], RefFlow.RandomPermutation(5, 0));
        Assert.Equal([3, 1, 6, 2, 4, 0, 7, 5], RefFlow.RandomPermutation(8, 42));
        Assert.Equal([2, 0, 3, 1], RefFlow.RandomPermutation(4, 1));
        Assert.Equal([3, 2, 1, 0], RefFlow.ReversePermutation(4));
    }

    [Fact]
    public void PermutationAndInvertibleLinearDirection()
    {
        // v[:, j] = u[:, π[j]]. With zero parameters InvertibleLinear is W = P: v_i = u_{π2[i]}.
        // So z_j = x_{π1[π2[j]]}: π1 = [1,2,0], π2 = [0,2,1] ⇒ z = (x1, x0, x2).
        var flow = new RefFlow(3, 0, new RefPermutation([1, 2, 0]), new RefInvertibleLinear([0, 2, 1]));
        var p = new double[flow.ParameterCount];
        double[,] x = { { 10, 20, 30 }, { -1, -2, -3 } };
        flow.ToLatent(p, x, null, out var z, out var logDet);
        Assert.Equal(new double[,] { { 20, 10, 30 }, { -2, -1, -3 } }, z);
        Assert.Equal([0.0, 0.0], logDet);
    }

    // ------------------------------------------------------------------ each layer by hand

    [Fact]
    public void AffineCouplingByHand()
    {
        // D = 2, k = 1, keeps [0], n = 0: a = [x0, y0]; o = W·a + b with W [2, 2]; r = o0, m = o1.
        var flow = new RefFlow(2, 1, new RefAffineCoupling([0], 8, 0, Activation.Relu));
        string[] names = ["C"];
        var p = new double[flow.ParameterCount];
        Set(flow, p, names, "C.net.0.weight", 0.3, -0.4,   // row 0 → r
                                               0.5, 0.7);   // row 1 → m
        Set(flow, p, names, "C.net.0.bias", 0.1, -0.2);
        Set(flow, p, names, "C.scale", 1.5);
        double x0 = 0.8, x1 = -1.3, y0 = 0.6;
        double r = 0.3 * x0 - 0.4 * y0 + 0.1, m = 0.5 * x0 + 0.7 * y0 - 0.2;
        double s = 1.5 * Math.Tanh(r);
        double z1 = (x1 - m) * Math.Exp(-s);

        flow.ToLatent(p, new[,] { { x0, x1 } }, new[,] { { y0 } }, out var z, out var logDet);
        AssertClose(x0, z[0, 0], "z0 (kept)");
        AssertClose(z1, z[0, 1], "z1");
        AssertClose(-s, logDet[0], "logDet");
        double expectedLogp = -0.5 * (x0 * x0 + z1 * z1) - Ln2Pi - s;
        AssertClose(expectedLogp, flow.LogProb(p, new[,] { { x0, x1 } }, new[,] { { y0 } })[0], "logp");
        double[,] back = flow.FromLatent(p, z, new[,] { { y0 } });
        AssertClose(x1, back[0, 1], "inverse");
    }

    [Fact]
    public void AffineCouplingWithAHiddenLayerByHand()
    {
        // D = 3, keeps [1] ("010"), H = 2, n = 1, Tanh: h = tanh(W0·x1 + b0) (W0 [2,1]); o = W1·h + b1 (W1 [4, 2]);
        // T = [0, 2]: r = (o0, o1), m = (o2, o3).
        var flow = new RefFlow(3, 0, new RefAffineCoupling(RefFlow.MaskKept("010", 3, 0), 2, 1, Activation.Tanh));
        string[] names = ["C"];
        var p = new double[flow.ParameterCount];
        Set(flow, p, names, "C.net.0.weight", 0.9, -1.1);
        Set(flow, p, names, "C.net.0.bias", 0.2, 0.3);
        Set(flow, p, names, "C.net.1.weight", 0.5, -0.6, 0.7, 0.8, -0.9, 1.0, 0.4, -0.3);
        Set(flow, p, names, "C.net.1.bias", 0.01, 0.02, 0.03, 0.04);
        Set(flow, p, names, "C.scale", 0.7, -1.2);
        double x0 = 1.1, x1 = -0.4, x2 = 0.25;
        double h0 = Math.Tanh(0.9 * x1 + 0.2), h1 = Math.Tanh(-1.1 * x1 + 0.3);
        double o0 = 0.5 * h0 - 0.6 * h1 + 0.01, o1 = 0.7 * h0 + 0.8 * h1 + 0.02;
        double o2 = -0.9 * h0 + 1.0 * h1 + 0.03, o3 = 0.4 * h0 - 0.3 * h1 + 0.04;
        double s0 = 0.7 * Math.Tanh(o0), s1 = -1.2 * Math.Tanh(o1);

        flow.ToLatent(p, new[,] { { x0, x1, x2 } }, null, out var z, out var logDet);
        AssertClose((x0 - o2) * Math.Exp(-s0), z[0, 0], "z0");
        AssertClose(x1, z[0, 1], "z1 (kept)");
        AssertClose((x2 - o3) * Math.Exp(-s1), z[0, 2], "z2");
        AssertClose(-s0 - s1, logDet[0], "logDet");
    }

    [Fact]
    public void AdditiveCouplingByHand()
    {
        // D = 3, keeps [1], n = 0: m = W·x1 + b (W [2, 1]); z0 = x0 − m0, z2 = x2 − m1; logDet 0.
        var flow = new RefFlow(3, 0, new RefAdditiveCoupling([1], 5, 0, Activation.Sigmoid));
        string[] names = ["C"];
        var p = new double[flow.ParameterCount];
        Set(flow, p, names, "C.net.0.weight", 2.0, -3.0);
        Set(flow, p, names, "C.net.0.bias", 0.5, 0.25);
        flow.ToLatent(p, new[,] { { 1.0, 2.0, 3.0 } }, null, out var z, out var logDet);
        Assert.Equal(new[,] { { 1.0 - 4.5, 2.0, 3.0 + 5.75 } }, z);
        Assert.Equal([0.0], logDet);
    }

    [Fact]
    public void ActNormByHandAndLossFormula()
    {
        var flow = new RefFlow(2, 0, new RefActNorm());
        string[] names = ["A"];
        var p = new double[flow.ParameterCount];
        Set(flow, p, names, "A.logscale", 0.5, -0.25);
        Set(flow, p, names, "A.bias", 1.0, -2.0);
        double[,] x = { { 0.3, -0.7 }, { 1.2, 0.4 } };
        flow.ToLatent(p, x, null, out var z, out var logDet);
        double loss = 0;
        for (int r = 0; r < 2; r++)
        {
            double a = x[r, 0] * Math.Exp(0.5) + 1.0, b = x[r, 1] * Math.Exp(-0.25) - 2.0;
            AssertClose(a, z[r, 0], "z0");
            AssertClose(b, z[r, 1], "z1");
            AssertClose(0.25, logDet[r], "logDet");
            loss += (0.5 * (a * a + b * b) + Ln2Pi - 0.25) / 2;   // (D/2)·ln 2π with D = 2
        }
        AssertClose(loss, flow.Loss(p, x, null), "loss");
    }

    [Fact]
    public void InvertibleLinearByHand()
    {
        // D = 2, π = [1, 0]: L = [[1,0],[l,1]], M = [[e0, u],[0, e1]], A = L·M = [[e0, u],[l·e0, l·u + e1]],
        // W = rows (A[π0], A[π1]) = ([l·e0, l·u + e1], [e0, u]); z = W·x; logDet = logs0 + logs1.
        var flow = new RefFlow(2, 0, new RefInvertibleLinear([1, 0]));
        string[] names = ["W"];
        var p = new double[flow.ParameterCount];
        double l = 0.6, u = -0.8, ls0 = 0.3, ls1 = -0.5;
        Set(flow, p, names, "W.lower", 99, 99, l, 99);   // only [1,0] is used
        Set(flow, p, names, "W.upper", 99, u, 99, 99);   // only [0,1] is used
        Set(flow, p, names, "W.logs", ls0, ls1);
        double e0 = Math.Exp(ls0), e1 = Math.Exp(ls1);
        double x0 = 0.9, x1 = -1.7;
        flow.ToLatent(p, new[,] { { x0, x1 } }, null, out var z, out var logDet);
        AssertClose(l * e0 * x0 + (l * u + e1) * x1, z[0, 0], "z0");
        AssertClose(e0 * x0 + u * x1, z[0, 1], "z1");
        AssertClose(ls0 + ls1, logDet[0], "logDet");
        double[,] back = flow.FromLatent(p, z, null);
        AssertClose(x0, back[0, 0], "inverse x0");
        AssertClose(x1, back[0, 1], "inverse x1");
    }

    [Fact]
    public void SpecInitialisationIsTheIdentityUpToPermutations()
    {
        // Output layers zero, scale = 1, ActNorm (0, 0), InvertibleLinear zeros: z = x reversed, logDet 0.
        var rng = new Random(3);
        const int d = 4;
        var flow = new RefFlow(d, 2,
            new RefAffineCoupling(RefFlow.MaskKept("Alternating", d, 0), 5, 2, Activation.Relu),
            new RefActNorm(),
            new RefAdditiveCoupling(RefFlow.MaskKept("Alternating", d, 1), 5, 1, Activation.Tanh),
            new RefPermutation(RefFlow.ReversePermutation(d)),
            new RefInvertibleLinear([0, 1, 2, 3]));
        var names = new[] { "C1", "A", "C2", "P", "W" };
        var p = new double[flow.ParameterCount];
        foreach (var (name, offset, shape) in flow.Layout(names))
        {
            int size = 1;
            foreach (int s in shape) size *= s;
            bool hidden = name is "C1.net.0.weight" or "C1.net.0.bias" or "C1.net.1.weight" or "C1.net.1.bias" or "C2.net.0.weight" or "C2.net.0.bias";
            for (int i = 0; i < size; i++) p[offset + i] = hidden ? 2 * rng.NextDouble() - 1 : name == "C1.scale" ? 1 : 0;
        }
        double[,] x = RandomMatrix(rng, 3, d), y = RandomMatrix(rng, 3, 2);
        flow.ToLatent(p, x, y, out var z, out var logDet);
        for (int r = 0; r < 3; r++)
        {
            Assert.Equal(0.0, logDet[r]);
            for (int j = 0; j < d; j++) Assert.Equal(x[r, d - 1 - j], z[r, j]);
        }
    }

    // ------------------------------------------------------------------ ActNorm initialisation

    [Fact]
    public void ActNormInitialisationGivesZeroMeanUnitVarianceAtEachActNorm()
    {
        var rng = new Random(11);
        const int d = 3, batch = 64;
        var flow = new RefFlow(d, 0,
            new RefActNorm(),
            new RefAffineCoupling([0], 4, 1, Activation.Softplus),
            new RefActNorm(),
            new RefInvertibleLinear([2, 0, 1]),
            new RefActNorm());
        double[] p = RandomParameters(flow, rng);
        var x = new double[batch, d];
        for (int r = 0; r < batch; r++)
            for (int j = 0; j < d; j++)
                x[r, j] = 3 + (j + 1) * (2 * rng.NextDouble() - 1);   // non-zero mean, unequal spreads
        flow.InitialiseActNorm(p, x, null);
        double[][,] outputs = flow.LayerOutputs(p, x, null);
        foreach (int layer in new[] { 0, 2, 4 })
            for (int j = 0; j < d; j++)
            {
                double mean = 0, variance = 0;
                for (int r = 0; r < batch; r++) mean += outputs[layer][r, j] / batch;
                for (int r = 0; r < batch; r++) variance += (outputs[layer][r, j] - mean) * (outputs[layer][r, j] - mean) / batch;
                Assert.True(Math.Abs(mean) < 1e-9, $"layer {layer} feature {j}: mean {mean}");
                Assert.True(Math.Abs(variance - 1) < 1e-5, $"layer {layer} feature {j}: variance {variance}");
            }

        // The first ActNorm's parameters follow the spec's formula on x itself.
        var names = new[] { "A0", "C", "A2", "W", "A4" };
        var layout = flow.Layout(names);
        int logscale = layout.First(t => t.Name == "A0.logscale").Offset, bias = layout.First(t => t.Name == "A0.bias").Offset;
        for (int j = 0; j < d; j++)
        {
            double mean = 0, variance = 0;
            for (int r = 0; r < batch; r++) mean += x[r, j] / batch;
            for (int r = 0; r < batch; r++) variance += (x[r, j] - mean) * (x[r, j] - mean) / batch;
            double expectedLs = -Math.Log(Math.Sqrt(variance) + 1e-6);
            AssertClose(expectedLs, p[logscale + j], "logscale");
            AssertClose(-mean * Math.Exp(expectedLs), p[bias + j], "bias");
        }
    }

    // ------------------------------------------------------------------ validation

    [Fact]
    public void BadInputsGiveArgumentExceptionsNamingTheParameter()
    {
        var flow = new RefFlow(3, 2, new RefAffineCoupling([0], 4, 1, Activation.Relu));
        var p = new double[flow.ParameterCount];
        Assert.Equal("x", Assert.Throws<ArgumentException>(() => flow.Loss(p, new double[2, 4], new double[2, 2])).ParamName);
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => flow.Loss(p, new double[2, 3], null)).ParamName);
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => flow.Loss(p, new double[2, 3], new double[3, 2])).ParamName);
        Assert.Equal("p", Assert.Throws<ArgumentException>(() => flow.Loss(new double[5], new double[2, 3], new double[2, 2])).ParamName);
        Assert.Equal("z", Assert.Throws<ArgumentException>(() => flow.FromLatent(p, new double[2, 2], new double[2, 2])).ParamName);
        Assert.Equal("Kept", Assert.Throws<ArgumentException>(() => new RefFlow(3, 0, new RefAdditiveCoupling([1, 0], 2, 1, Activation.Relu))).ParamName);
        Assert.Equal("Kept", Assert.Throws<ArgumentException>(() => new RefFlow(3, 0, new RefAdditiveCoupling([3], 2, 1, Activation.Relu))).ParamName);
        Assert.Equal("Order", Assert.Throws<ArgumentException>(() => new RefFlow(3, 0, new RefPermutation([0, 0, 1]))).ParamName);
        Assert.Equal("Permutation", Assert.Throws<ArgumentException>(() => new RefFlow(3, 0, new RefInvertibleLinear([0, 1]))).ParamName);
    }
}
