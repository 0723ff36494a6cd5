using GenDsl.Models.Tests.Reference;
using static GenDsl.Models.Tests.ReferenceTests.RefTestUtil;

namespace GenDsl.Models.Tests.ReferenceTests;

/// <summary>
/// The reference checked against numerics, for every layer type alone and for stacked flows:
/// (a) gradients vs central finite differences of the loss, (b) logDet vs ln|det| of the numeric
/// Jacobian, (c) FromLatent ∘ ToLatent = identity. All parameters are random and non-zero.
/// </summary>
public sealed class RefFlowNumericTests
{
    private const int Batch = 4;

    /// <summary>Every mask kind; "pattern" stands for a random 0/1 pattern with both sides non-empty.</summary>
    private static readonly string[] MaskKinds = ["Alternating", "FirstHalf", "SecondHalf", "Even", "Odd", "pattern"];

    public static TheoryData<bool, Activation, int> CouplingCases()
    {
        var data = new TheoryData<bool, Activation, int>();
        foreach (bool affine in new[] { true, false })
            foreach (Activation act in Enum.GetValues<Activation>())
                for (int hiddenLayers = 0; hiddenLayers <= 2; hiddenLayers++)
                    data.Add(affine, act, hiddenLayers);
        return data;
    }

    /// <summary>One coupling alone, D = 2…8, k = 0 and 3, every mask kind (Alternating as coupling 0 and 1).</summary>
    [Theory]
    [MemberData(nameof(CouplingCases))]
    public void SingleCoupling(bool affine, Activation act, int hiddenLayers)
    {
        var rng = new Random(1000 + 100 * (int)act + 10 * hiddenLayers + (affine ? 1 : 0));
        for (int d = 2; d <= 8; d++)
            foreach (int k in new[] { 0, 3 })
                foreach (string maskKind in MaskKinds)
                    for (int couplingNumber = 0; couplingNumber < (maskKind == "Alternating" ? 2 : 1); couplingNumber++)
                    {
                        int[] kept = MaskKept(maskKind, d, couplingNumber, rng);
                        int hidden = 2 + rng.Next(3);
                        RefLayer layer = affine
                            ? new RefAffineCoupling(kept, hidden, hiddenLayers, act)
                            : new RefAdditiveCoupling(kept, hidden, hiddenLayers, act);
                        CheckEverything(new RefFlow(d, k, layer), rng, $"D={d} k={k} {maskKind}#{couplingNumber} {layer}");
                    }
    }

    /// <summary>
    /// One spline coupling alone, D = 2…6, k = 0 and 2, bins 2…9, tail bounds that the inputs (uniform in [−1.5, 1.5)) cross,
    /// so that rows hit the spline and both linear tails.
    /// </summary>
    [Theory]
    [InlineData(Activation.Relu, 2)]
    [InlineData(Activation.Tanh, 1)]
    [InlineData(Activation.Softplus, 0)]
    public void SingleSplineCoupling(Activation act, int hiddenLayers)
    {
        var rng = new Random(3000 + 10 * (int)act + hiddenLayers);
        for (int d = 2; d <= 6; d++)
            foreach (int k in new[] { 0, 2 })
                foreach (string maskKind in MaskKinds)
                {
                    int[] kept = MaskKept(maskKind, d, 0, rng);
                    int bins = 2 + rng.Next(8);
                    double tailBound = 1.3 + 0.4 * rng.NextDouble();
                    var layer = new RefSplineCoupling(kept, bins, tailBound, 2 + rng.Next(3), hiddenLayers, act);
                    CheckEverything(new RefFlow(d, k, layer), rng, $"D={d} k={k} {maskKind} {layer} K={bins} B={tailBound:F3}");
                }
    }

    /// <summary>Splines stacked with affine couplings, ActNorm, permutations and an invertible linear layer.</summary>
    [Fact]
    public void StackedSplineFlow()
    {
        var rng = new Random(4000);
        for (int d = 2; d <= 5; d++)
        {
            var flow = new RefFlow(d, 1,
                new RefSplineCoupling(RefFlow.MaskKept("Alternating", d, 0), 4, 1.2, 3, 1, Activation.Tanh),
                new RefActNorm(),
                new RefPermutation(RefFlow.ReversePermutation(d)),
                new RefAffineCoupling(RefFlow.MaskKept("Alternating", d, 1), 3, 1, Activation.Relu),
                new RefInvertibleLinear(RefFlow.RandomPermutation(d, 2)),
                new RefSplineCoupling(RefFlow.MaskKept("Even", d, 2), 6, 2.0, 3, 2, Activation.Softplus));
            CheckEverything(flow, rng, $"D={d} spline stack");
        }
    }

    [Fact]
    public void SinglePermutation()
    {
        var rng = new Random(7);
        for (int d = 2; d <= 8; d++)
            foreach (int[] order in new[] { RefFlow.ReversePermutation(d), RefFlow.RandomPermutation(d, (ulong)d) })
                CheckEverything(new RefFlow(d, 0, new RefPermutation(order)), rng, $"D={d} Permutation[{string.Join(",", order)}]");
    }

    [Fact]
    public void SingleSqueeze()
    {
        var rng = new Random(17);
        foreach (var (c, h, w) in new[] { (1, 2, 2), (2, 4, 4), (3, 2, 6), (1, 6, 4) })
            CheckEverything(new RefFlow(c * h * w, 0, new RefSqueeze(c, h, w)), rng, $"Squeeze [{c}, {h}, {w}]");
    }

    [Fact]
    public void SingleChannelActNorm()
    {
        var rng = new Random(18);
        foreach (var (c, h, w) in new[] { (1, 2, 2), (2, 3, 4), (3, 2, 2) })
            CheckEverything(new RefFlow(c * h * w, 0, new RefChannelActNorm(c, h, w)), rng, $"ActNorm [{c}, {h}, {w}]");
    }

    [Fact]
    public void SingleInvertibleConv1x1()
    {
        var rng = new Random(20);
        foreach (var (c, h, w) in new[] { (2, 2, 2), (3, 2, 3), (4, 1, 2) })
            foreach (ulong seed in new ulong[] { 0, 5 })
            {
                int[] permutation = RefFlow.RandomPermutation(c, seed);
                CheckEverything(new RefFlow(c * h * w, 0, new RefInvertibleConv1x1(c, h, w, permutation)), rng, $"InvertibleConv1x1 [{c}, {h}, {w}] [{string.Join(",", permutation)}]");
            }
    }

    /// <summary>Convolutional couplings, every image mask, affine and additive, 0–2 hidden layers, with and without a condition.</summary>
    [Theory]
    [InlineData("ChannelsFirstHalf", true, 2, 0)]
    [InlineData("ChannelsSecondHalf", false, 1, 2)]
    [InlineData("CheckerboardEven", true, 1, 2)]
    [InlineData("CheckerboardOdd", false, 2, 0)]
    [InlineData("CheckerboardOdd", true, 0, 0)]
    public void SingleConvCoupling(string mask, bool affine, int hiddenLayers, int condition)
    {
        var rng = new Random(21 + hiddenLayers + 10 * condition);
        foreach (var (c, h, w) in new[] { (2, 2, 2), (3, 2, 3) })
            foreach (var act in new[] { Activation.Tanh, Activation.Softplus })
                CheckEverything(new RefFlow(c * h * w, condition, new RefConvCoupling(c, h, w, mask, affine, 3, hiddenLayers, act)), rng,
                    $"ConvCoupling [{c}, {h}, {w}] {mask} {(affine ? "affine" : "additive")} n={hiddenLayers} k={condition} {act}");
    }

    /// <summary>
    /// Image conditions resized to the coupling's shape by adaptive average pooling: enlarged by an integer ratio, by a
    /// non-integer one, shrunk by a non-integer one, and the same size (every gradient, ∂/∂y included, the log-det and the inverse).
    /// </summary>
    [Theory]
    [InlineData("CheckerboardEven", 1, 1, 1)]
    [InlineData("ChannelsFirstHalf", 2, 3, 2)]
    [InlineData("CheckerboardOdd", 1, 3, 5)]
    [InlineData("ChannelsSecondHalf", 2, 2, 3)]
    public void ConvCouplingWithAnImageCondition(string mask, int conditionChannels, int conditionHeight, int conditionWidth)
    {
        var rng = new Random(23 + conditionHeight * conditionWidth);
        var coupling = new RefConvCoupling(2, 2, 3, mask, true, 3, 1, Activation.Tanh) { ConditionImage = (conditionChannels, conditionHeight, conditionWidth) };
        CheckEverything(new RefFlow(12, conditionChannels * conditionHeight * conditionWidth, coupling), rng,
            $"ConvCoupling [2, 2, 3] {mask} with the condition image [{conditionChannels}, {conditionHeight}, {conditionWidth}]");
    }

    /// <summary>A split between image layers: the later layers act on the prefix, the factored-out features go to z unchanged.</summary>
    [Fact]
    public void SplitFlow()
    {
        var rng = new Random(22);
        var flow = new RefFlow(16, 0,
            new RefChannelActNorm(4, 2, 2),
            new RefConvCoupling(4, 2, 2, "ChannelsSecondHalf", true, 3, 1, Activation.Tanh),
            new RefSplit(),
            new RefOnPrefix(8, new RefInvertibleConv1x1(2, 2, 2, RefFlow.RandomPermutation(2, 1))),
            new RefOnPrefix(8, new RefConvCoupling(2, 2, 2, "CheckerboardOdd", true, 3, 1, Activation.Softplus)),
            new RefOnPrefix(8, new RefSqueeze(2, 2, 2)),
            new RefSplit(),
            new RefOnPrefix(4, new RefChannelActNorm(4, 1, 1)));
        CheckEverything(flow, rng, "split flow");
    }

    /// <summary>After the per-channel initialisation each channel has mean 0 and variance 1 over rows and pixels (not each feature).</summary>
    [Fact]
    public void ChannelActNormInitialisationStandardisesEachChannel()
    {
        var rng = new Random(19);
        var flow = new RefFlow(2 * 3 * 3, 0, new RefChannelActNorm(2, 3, 3));
        var x = RandomMatrix(rng, 6, 18);
        for (int r = 0; r < 6; r++)
            for (int j = 9; j < 18; j++) x[r, j] = 5 + 3 * x[r, j]; // channel 1: another mean and scale
        var p = new double[flow.ParameterCount];
        flow.InitialiseActNorm(p, x, null);
        flow.ToLatent(p, x, null, out var z, out _);
        for (int c = 0; c < 2; c++)
        {
            var values = Enumerable.Range(0, 6).SelectMany(r => Enumerable.Range(9 * c, 9).Select(j => z[r, j])).ToArray();
            double mean = values.Average(), variance = values.Select(v => (v - mean) * (v - mean)).Average();
            Assert.True(Math.Abs(mean) < 1e-9, $"channel {c}: mean {mean}");
            Assert.True(Math.Abs(variance - 1) < 1e-5, $"channel {c}: variance {variance}");
        }
    }

    /// <summary>The squeeze on a 1×4×4 image worked by hand: output channel 2i + j holds the pixels (2h + i, 2w + j).</summary>
    [Fact]
    public void SqueezeMovesEach2x2BlockIntoFourChannels()
    {
        var x = new double[1, 16];
        for (int j = 0; j < 16; j++) x[0, j] = 100 + j; // pixel (h, w) holds 100 + 4h + w
        var flow = new RefFlow(16, 0, new RefSqueeze(1, 4, 4));
        flow.ToLatent(new double[flow.ParameterCount], x, null, out var z, out var logDet);
        // channel 0 = (even row, even column): pixels (0,0) (0,2) (2,0) (2,2); channel 1 = (even, odd); 2 = (odd, even); 3 = (odd, odd)
        double[] expected = [100, 102, 108, 110, 101, 103, 109, 111, 104, 106, 112, 114, 105, 107, 113, 115];
        for (int j = 0; j < 16; j++) Assert.Equal(expected[j], z[0, j]);
        Assert.Equal(0, logDet[0]);
    }

    [Fact]
    public void SingleActNorm()
    {
        var rng = new Random(8);
        for (int d = 2; d <= 8; d++)
            CheckEverything(new RefFlow(d, 0, new RefActNorm()), rng, $"D={d} ActNorm");
    }

    [Fact]
    public void SingleInvertibleLinear()
    {
        var rng = new Random(9);
        for (int d = 2; d <= 8; d++)
            foreach (ulong seed in new ulong[] { 0, 5 })
            {
                int[] permutation = RefFlow.RandomPermutation(d, seed);
                CheckEverything(new RefFlow(d, 0, new RefInvertibleLinear(permutation)), rng, $"D={d} InvertibleLinear[{string.Join(",", permutation)}]");
            }
    }

    public static TheoryData<Activation> Activations()
    {
        var data = new TheoryData<Activation>();
        foreach (Activation act in Enum.GetValues<Activation>()) data.Add(act);
        return data;
    }

    /// <summary>Stacks of every layer type, D = 2…8, k = 0 and 3, hidden layers 0…2, masks rotating through every kind.</summary>
    [Theory]
    [MemberData(nameof(Activations))]
    public void StackedFlow(Activation act)
    {
        var rng = new Random(2000 + (int)act);
        int rotation = (int)act;
        for (int d = 2; d <= 8; d++)
            foreach (int k in new[] { 0, 3 })
            {
                var layers = new List<RefLayer>();
                int coupling = 0;
                RefLayer Coupling(bool affine)
                {
                    string maskKind = MaskKinds[rotation++ % MaskKinds.Length];
                    int[] kept = MaskKept(maskKind, d, coupling++, rng);
                    int hiddenLayers = rotation % 3;
                    return affine
                        ? new RefAffineCoupling(kept, 3, hiddenLayers, act)
                        : new RefAdditiveCoupling(kept, 3, hiddenLayers, act);
                }
                layers.Add(new RefActNorm());
                layers.Add(Coupling(affine: true));
                layers.Add(new RefPermutation(RefFlow.ReversePermutation(d)));
                layers.Add(Coupling(affine: false));
                layers.Add(new RefInvertibleLinear(RefFlow.RandomPermutation(d, (ulong)(d + k))));
                layers.Add(Coupling(affine: true));
                layers.Add(new RefActNorm());
                layers.Add(new RefPermutation(RefFlow.RandomPermutation(d, 99)));
                layers.Add(Coupling(affine: true));
                var flow = new RefFlow(d, k, layers.ToArray());
                CheckEverything(flow, rng, $"D={d} k={k} stack [{string.Join("; ", layers)}]");
            }
    }

    /// <summary>The general Backward (any upstream dz, dlogDet) against finite differences of Σ c⊙z + Σ e⊙logDet.</summary>
    [Fact]
    public void BackwardWithArbitraryUpstreamGradients()
    {
        var rng = new Random(31);
        const int d = 5, k = 2;
        var flow = new RefFlow(d, k,
            new RefActNorm(),
            new RefAffineCoupling(RefFlow.MaskKept("Alternating", d, 0), 4, 1, Activation.Tanh),
            new RefInvertibleLinear(RefFlow.RandomPermutation(d, 3)),
            new RefAdditiveCoupling(RefFlow.MaskKept("Alternating", d, 1), 4, 2, Activation.Softplus));
        double[] p = RandomParameters(flow, rng);
        double[,] x = RandomMatrix(rng, Batch, d), y = RandomMatrix(rng, Batch, k);
        double[,] c = RandomMatrix(rng, Batch, d);
        double[] e = [0.3, -1.2, 0.7, 2.0];
        double Objective()
        {
            flow.ToLatent(p, x, y, out var z, out var logDet);
            double sum = 0;
            for (int r = 0; r < Batch; r++)
            {
                for (int j = 0; j < d; j++) sum += c[r, j] * z[r, j];
                sum += e[r] * logDet[r];
            }
            return sum;
        }
        flow.Backward(p, x, y, c, e, out double[] dp, out double[,] dx, out double[,] dy);

        var analytic = new List<double>();
        var numeric = new List<double>();
        bool[] used = Used(flow);
        for (int i = 0; i < p.Length; i++)
            if (used[i])
            {
                int index = i;
                analytic.Add(dp[i]);
                numeric.Add(CentralDifference(Objective, () => p[index], v => p[index] = v));
            }
        AssertGradientsClose(analytic, numeric, 1e-6, "dp");
        foreach (var (m, dm, name) in new[] { (x, dx, "dx"), (y, dy, "dy") })
        {
            analytic.Clear();
            numeric.Clear();
            for (int r = 0; r < m.GetLength(0); r++)
                for (int col = 0; col < m.GetLength(1); col++)
                {
                    int rr = r, cc = col;
                    analytic.Add(dm[r, col]);
                    numeric.Add(CentralDifference(Objective, () => m[rr, cc], v => m[rr, cc] = v));
                }
            AssertGradientsClose(analytic, numeric, 1e-6, name);
        }
    }

    /// <summary>The gradient check must catch a wrong gradient: perturb one entry of a correct one by 1e-4 (relative).</summary>
    [Fact]
    public void GradientCheckDetectsASmallError()
    {
        var rng = new Random(5);
        var flow = new RefFlow(3, 0, new RefAffineCoupling([0], 3, 1, Activation.Tanh));
        double[] p = RandomParameters(flow, rng);
        double[,] x = RandomMatrix(rng, Batch, 3);
        double[] dp = flow.Gradient(p, x, null);
        var numeric = new List<double>();
        var analytic = new List<double>();
        bool[] used = Used(flow);
        for (int i = 0; i < p.Length; i++)
            if (used[i])
            {
                int index = i;
                analytic.Add(dp[i]);
                numeric.Add(CentralDifference(() => flow.Loss(p, x, null), () => p[index], v => p[index] = v));
            }
        AssertGradientsClose(analytic, numeric, 1e-6, "correct gradient");
        int largest = 0;
        for (int i = 1; i < analytic.Count; i++) if (Math.Abs(analytic[i]) > Math.Abs(analytic[largest])) largest = i;
        analytic[largest] *= 1 + 1e-4;
        Assert.ThrowsAny<Exception>(() => AssertGradientsClose(analytic, numeric, 1e-6, "perturbed gradient"));
    }

    private static void CheckEverything(RefFlow flow, Random rng, string label)
    {
        double[] p = RandomParameters(flow, rng);
        double[,] x = RandomMatrix(rng, Batch, flow.Features);
        double[,]? y = flow.Condition > 0 ? RandomMatrix(rng, Batch, flow.Condition) : null;
        CheckGradients(flow, p, x, y, label);
        CheckLogDet(flow, p, x, y, label);
        CheckRoundTrip(flow, p, x, y, label);
    }

    /// <summary>The kept indices for a mask kind; "pattern" draws a random 0/1 string with both sides non-empty.</summary>
    private static int[] MaskKept(string maskKind, int d, int couplingNumber, Random rng)
    {
        if (maskKind != "pattern") return RefFlow.MaskKept(maskKind, d, couplingNumber);
        while (true)
        {
            var chars = new char[d];
            for (int j = 0; j < d; j++) chars[j] = rng.Next(2) == 1 ? '1' : '0';
            string pattern = new(chars);
            if (pattern.Contains('0') && pattern.Contains('1')) return RefFlow.MaskKept(pattern, d, couplingNumber);
        }
    }
}
