using GenDsl.Numerics;

namespace GenDsl.Runtime.Tests;

public class OptimizerTests
{
    private static readonly int[] AwkwardSizes = [1, 3, 17, 63, 65, 257, 1000];

    private static SimdWidth[] Widths() =>
        new[] { SimdWidth.Scalar, SimdWidth.V128, SimdWidth.V256, SimdWidth.V512 }.Where(w => w <= Simd.Hardware).ToArray();

    private static T AtWidth<T>(SimdWidth width, Func<T> body)
    {
        var saved = Simd.Width;
        try
        {
            Simd.Width = width;
            return body();
        }
        finally
        {
            Simd.Width = saved;
        }
    }

    /// <summary>A model stand-in: parameters and gradients in two pinned arenas, as generated models have.</summary>
    private sealed class Target : IParameterized
    {
        public Target(int n)
        {
            ParameterArena = new Arena(n);
            GradientArena = new Arena(n);
        }

        public Arena ParameterArena { get; }
        public Arena GradientArena { get; }
        public Memory<float> Parameters => ParameterArena.Memory;
        public Memory<float> Gradients => GradientArena.Memory;
    }

    /// <summary>A target whose optimizer may use <paramref name="pool"/>.</summary>
    private sealed class Pooled(int n, GenDsl.Threading.WorkerPool? pool) : IParameterized
    {
        public Arena ParameterArena { get; } = new(n);
        public Arena GradientArena { get; } = new(n);
        public Memory<float> Parameters => ParameterArena.Memory;
        public Memory<float> Gradients => GradientArena.Memory;
        public GenDsl.Threading.WorkerPool? Pool => pool;
    }

    private sealed class Custom(Memory<float> parameters, Memory<float> gradients) : IParameterized
    {
        public Memory<float> Parameters => parameters;
        public Memory<float> Gradients => gradients;
    }

    public enum Kind { Adam, AdamL2, AdamGan, AdamW, AdamWDefault, Sgd, SgdMomentum, SgdNesterov, SgdL2 }

    private static Optimizer Create(Kind kind, IParameterized t) => kind switch
    {
        Kind.Adam => new Adam(t, learningRate: 1e-2f),
        Kind.AdamL2 => new Adam(t, learningRate: 1e-2f, weightDecay: 0.1f),
        Kind.AdamGan => new Adam(t, learningRate: 2e-4f, beta1: 0.5f, beta2: 0.9f, epsilon: 1e-6f),
        Kind.AdamW => new AdamW(t, learningRate: 1e-2f, weightDecay: 0.1f),
        Kind.AdamWDefault => new AdamW(t),
        Kind.Sgd => new Sgd(t, learningRate: 0.1f),
        Kind.SgdMomentum => new Sgd(t, learningRate: 0.05f, momentum: 0.9f),
        Kind.SgdNesterov => new Sgd(t, learningRate: 0.05f, momentum: 0.9f, weightDecay: 0.01f, nesterov: true),
        Kind.SgdL2 => new Sgd(t, learningRate: 0.1f, weightDecay: 0.05f),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>
    /// torch's update rules (torch.optim.Adam / AdamW / SGD, single-tensor path) in double precision, from the
    /// documented algorithms — independent of the implementation under test.
    /// </summary>
    private sealed class Reference
    {
        private readonly Optimizer _config;
        public readonly double[] P, M, V, B;
        // The same recurrences on |g|: the size of the terms a moment sums, which bounds its rounding error
        // (a moment that cancels to near 0 cannot be compared relative to itself).
        public readonly double[] MagnitudeM, MagnitudeB, MagnitudeP;
        private int _t;

        public Reference(Optimizer config, float[] p)
        {
            _config = config;
            P = p.Select(x => (double)x).ToArray();
            M = new double[p.Length];
            V = new double[p.Length];
            B = new double[p.Length];
            MagnitudeM = new double[p.Length];
            MagnitudeB = new double[p.Length];
            MagnitudeP = P.Select(Math.Abs).ToArray();
        }

        public void Step(float[] grad, double clip = 1)
        {
            _t++;
            double lr = _config.LearningRate;
            for (int i = 0; i < P.Length; i++)
            {
                double g = grad[i] * clip, before = P[i];
                switch (_config)
                {
                    case Adam a:
                    {
                        if (a.WeightDecay != 0) g += a.WeightDecay * P[i];
                        AdamMoments(i, g, a.Beta1, a.Beta2, a.Epsilon, lr);
                        break;
                    }
                    case AdamW a:
                    {
                        P[i] *= 1 - lr * a.WeightDecay;
                        AdamMoments(i, g, a.Beta1, a.Beta2, a.Epsilon, lr);
                        break;
                    }
                    case Sgd s:
                    {
                        if (s.WeightDecay != 0) g += s.WeightDecay * P[i];
                        if (s.Momentum != 0)
                        {
                            B[i] = _t == 1 ? g : s.Momentum * B[i] + g;
                            MagnitudeB[i] = s.Momentum * MagnitudeB[i] + Math.Abs(g);
                            g = s.Nesterov ? g + s.Momentum * B[i] : B[i];
                        }
                        P[i] -= lr * g;
                        break;
                    }
                }
                MagnitudeP[i] += Math.Abs(P[i] - before); // |p₀| + Σ|Δp|: the scale of the rounding error of p
            }
        }

        private void AdamMoments(int i, double g, double beta1, double beta2, double eps, double lr)
        {
            M[i] = beta1 * M[i] + (1 - beta1) * g;
            MagnitudeM[i] = beta1 * MagnitudeM[i] + (1 - beta1) * Math.Abs(g);
            V[i] = beta2 * V[i] + (1 - beta2) * g * g;
            double bc1 = 1 - Math.Pow(beta1, _t), bc2 = 1 - Math.Pow(beta2, _t);
            double denom = Math.Sqrt(V[i]) / Math.Sqrt(bc2) + eps;
            P[i] -= lr / bc1 * M[i] / denom;
        }
    }

    private static float[] RandomArray(int n, ulong seed, ulong stream, float std = 1f)
    {
        var a = new float[n];
        new Rng(seed, stream).FillNormal(a, 0f, std);
        return a;
    }

    /// <summary>Runs 5 steps with the given gradients; returns parameters and state.</summary>
    private static (float[] P, float[] State, Optimizer Opt) Run(Kind kind, int n, float maxGradNorm = 0f, int steps = 5)
    {
        var t = new Target(n);
        RandomArray(n, 1, 0).CopyTo(t.ParameterArena.Span);
        var opt = Create(kind, t);
        opt.MaxGradNorm = maxGradNorm;
        for (int s = 0; s < steps; s++)
        {
            RandomArray(n, 2, (ulong)s, std: 2f).CopyTo(t.GradientArena.Span);
            opt.Step();
        }
        return (t.ParameterArena.Span.ToArray(), opt.State.ToArray(), opt);
    }

    [Theory]
    [InlineData(Kind.Adam)]
    [InlineData(Kind.AdamL2)]
    [InlineData(Kind.AdamGan)]
    [InlineData(Kind.AdamW)]
    [InlineData(Kind.AdamWDefault)]
    [InlineData(Kind.Sgd)]
    [InlineData(Kind.SgdMomentum)]
    [InlineData(Kind.SgdNesterov)]
    [InlineData(Kind.SgdL2)]
    public void MatchesTorchUpdateRuleInDoubleOverFiveSteps(Kind kind)
    {
        foreach (var width in Widths())
            foreach (int n in AwkwardSizes)
                AtWidth(width, () =>
                {
                    var t = new Target(n);
                    var p0 = RandomArray(n, 1, 0);
                    p0.CopyTo(t.ParameterArena.Span);
                    var opt = Create(kind, t);
                    var reference = new Reference(opt, p0);
                    for (int s = 0; s < 5; s++)
                    {
                        var g = RandomArray(n, 2, (ulong)s, std: 2f);
                        g.CopyTo(t.GradientArena.Span);
                        opt.Step();
                        reference.Step(g);
                    }
                    Assert.Equal(5, opt.StepCount);
                    var p = t.ParameterArena.Span;
                    for (int i = 0; i < n; i++)
                    {
                        // Relative 1e-6, on the scale of the terms that were summed into the parameter.
                        double scale = reference.MagnitudeP[i];
                        Assert.True(Math.Abs(p[i] - reference.P[i]) <= 1e-6 * scale,
                            $"{kind}, width {width}, n {n}, parameter {i}: {p[i]} vs reference {reference.P[i]}");
                    }
                    // The state too (moments or momentum buffer).
                    double[][] expectedState = opt switch
                    {
                        Adam or AdamW => [reference.M, reference.V],
                        Sgd { Momentum: > 0 } => [reference.B],
                        _ => [],
                    };
                    double[][] stateScale = opt switch
                    {
                        Adam or AdamW => [reference.MagnitudeM, reference.V],
                        Sgd { Momentum: > 0 } => [reference.MagnitudeB],
                        _ => [],
                    };
                    float[][] actualState = opt switch
                    {
                        Adam a => [a.ExpAvg.ToArray(), a.ExpAvgSq.ToArray()],
                        AdamW a => [a.ExpAvg.ToArray(), a.ExpAvgSq.ToArray()],
                        Sgd { Momentum: > 0 } s => [s.MomentumBuffer.ToArray()],
                        _ => [],
                    };
                    for (int k = 0; k < expectedState.Length; k++)
                        for (int i = 0; i < n; i++)
                            Assert.True(Math.Abs(actualState[k][i] - expectedState[k][i]) <= 1e-6 * stateScale[k][i],
                                $"{kind}, width {width}, n {n}, state {k}[{i}]: {actualState[k][i]} vs {expectedState[k][i]}");
                    return 0;
                });
    }

    [Theory]
    [InlineData(Kind.Adam)]
    [InlineData(Kind.AdamL2)]
    [InlineData(Kind.AdamW)]
    [InlineData(Kind.SgdMomentum)]
    [InlineData(Kind.SgdNesterov)]
    public void EveryWidthIsBitIdenticalToScalar(Kind kind)
    {
        foreach (int n in AwkwardSizes)
            foreach (float clip in new[] { 0f, 3f })
            {
                var (p0, s0, _) = AtWidth(SimdWidth.Scalar, () => Run(kind, n, clip));
                foreach (var w in Widths())
                {
                    var (p, s, _) = AtWidth(w, () => Run(kind, n, clip));
                    Assert.Equal(p0.Select(BitConverter.SingleToUInt32Bits), p.Select(BitConverter.SingleToUInt32Bits));
                    Assert.Equal(s0.Select(BitConverter.SingleToUInt32Bits), s.Select(BitConverter.SingleToUInt32Bits));
                }
            }
    }

    [Fact]
    public void AdamMinimisesAQuadratic()
    {
        // f(p) = ½ Σ aᵢ (pᵢ − cᵢ)², a badly conditioned bowl (curvatures 0.1 … 10).
        const int n = 50;
        var t = new Target(n);
        var a = new float[n];
        var c = RandomArray(n, 3, 0);
        for (int i = 0; i < n; i++) a[i] = MathF.Pow(10f, -1f + 2f * i / (n - 1));
        var adam = new Adam(t, learningRate: 0.05f);
        double Loss()
        {
            var p = t.ParameterArena.Span;
            double f = 0;
            for (int i = 0; i < n; i++) f += 0.5 * a[i] * (p[i] - c[i]) * (p[i] - c[i]);
            return f;
        }
        double initial = Loss();
        for (int step = 0; step < 3000; step++)
        {
            if (step == 2000) adam.LearningRate = 0.005f; // a simple schedule for the last third
            adam.ZeroGrad();
            var p = t.ParameterArena.Span;
            var g = t.GradientArena.Span;
            for (int i = 0; i < n; i++) g[i] += a[i] * (p[i] - c[i]);
            adam.Step();
        }
        Assert.True(Loss() < initial * 1e-6, $"loss {Loss()} from {initial}");
        var final = t.ParameterArena.Span;
        for (int i = 0; i < n; i++)
            Assert.True(Math.Abs(final[i] - c[i]) < 1e-2, $"p[{i}] = {final[i]}, optimum {c[i]}");
    }

    [Fact]
    public void ClippingScalesGradientsToTheMaximumNorm()
    {
        const int n = 16;
        var t = new Target(n);
        t.GradientArena.Span.Fill(3f); // ‖g‖ = √(16·9) = 12
        t.ParameterArena.Span.Fill(1f);
        var sgd = new Sgd(t, learningRate: 1f) { MaxGradNorm = 6f };
        Assert.Equal(12f, sgd.ComputeGradNorm());
        sgd.Step();
        Assert.Equal(12f, sgd.LastGradNorm);
        float expectedG = (float)(3 * (6 / (12 + 1e-6)));
        Assert.All(t.GradientArena.Span.ToArray(), g => Assert.Equal(expectedG, g)); // written back, as torch does
        Assert.Equal(6.0, sgd.ComputeGradNorm(), 5);
        Assert.All(t.ParameterArena.Span.ToArray(), p => Assert.Equal(1f - expectedG, p, 6));

        // Under the limit: nothing is scaled.
        t.GradientArena.Span.Fill(0.5f); // ‖g‖ = 2
        sgd.Step();
        Assert.Equal(2f, sgd.LastGradNorm);
        Assert.All(t.GradientArena.Span.ToArray(), g => Assert.Equal(0.5f, g));

        // Disabled: the norm is not computed.
        sgd.MaxGradNorm = 0f;
        sgd.Step();
        Assert.True(float.IsNaN(sgd.LastGradNorm));
    }

    [Fact]
    public void ClippedAdamMatchesReferenceOnClippedGradients()
    {
        const int n = 257;
        var t = new Target(n);
        var p0 = RandomArray(n, 4, 0);
        p0.CopyTo(t.ParameterArena.Span);
        var adam = new Adam(t, learningRate: 1e-2f) { MaxGradNorm = 1f };
        var reference = new Reference(adam, p0);
        for (int s = 0; s < 5; s++)
        {
            var g = RandomArray(n, 5, (ulong)s);
            g.CopyTo(t.GradientArena.Span);
            double norm = Math.Sqrt(g.Sum(x => (double)x * x));
            adam.Step();
            Assert.Equal(norm, adam.LastGradNorm, 4);
            reference.Step(g, Math.Min(1, 1 / (norm + 1e-6)));
        }
        var p = t.ParameterArena.Span;
        for (int i = 0; i < n; i++)
            Assert.True(Math.Abs(p[i] - reference.P[i]) <= 1e-6 * Math.Max(Math.Abs(reference.P[i]), 1e-2), $"{i}: {p[i]} vs {reference.P[i]}");
    }

    [Fact]
    public void NonFiniteGradientNormThrowsOnlyWhenClipping()
    {
        var t = new Target(40);
        t.ParameterArena.Span.Fill(1f);
        t.GradientArena.Span.Fill(0.1f);
        t.GradientArena.Span[17] = float.NaN;
        var adam = new Adam(t) { MaxGradNorm = 1f };
        var ex = Assert.Throws<InvalidOperationException>(adam.Step);
        Assert.Contains("NaN", ex.Message);
        Assert.Contains("learning rate", ex.Message);
        Assert.Equal(0, adam.StepCount);
        Assert.All(t.ParameterArena.Span.ToArray(), p => Assert.Equal(1f, p)); // untouched
        Assert.All(adam.State.ToArray(), s => Assert.Equal(0f, s));

        t.GradientArena.Span[17] = float.PositiveInfinity;
        Assert.Contains("∞", Assert.Throws<InvalidOperationException>(adam.Step).Message);

        adam.MaxGradNorm = 0f; // no clipping: no check, the NaN/∞ propagates
        t.GradientArena.Span[17] = float.NaN;
        adam.Step();
        Assert.True(float.IsNaN(t.ParameterArena.Span[17]));
        Assert.Equal(1, adam.StepCount);
    }

    [Fact]
    public void GradientNormIsWidthIndependentAndAccurate()
    {
        foreach (int n in AwkwardSizes.Append(4099))
        {
            var g = RandomArray(n, 6, (ulong)n, std: 3f);
            double exact = g.Sum(x => (double)x * x);
            var bits = Widths().Select(w => AtWidth(w, () => BitConverter.DoubleToInt64Bits(OptimKernels.SumOfSquares(g)))).Distinct().ToArray();
            Assert.Single(bits);
            Assert.Equal(exact, BitConverter.Int64BitsToDouble(bits[0]), exact * 1e-13);
        }
        Assert.Equal(0.0, OptimKernels.SumOfSquares([]));
    }

    [Fact]
    public void StateAndStepCountRestoreACheckpoint()
    {
        const int n = 100;
        var t = new Target(n);
        RandomArray(n, 7, 0).CopyTo(t.ParameterArena.Span);
        var adam = new AdamW(t, learningRate: 1e-2f);
        void StepWith(Optimizer o, Target target, int s)
        {
            RandomArray(n, 8, (ulong)s).CopyTo(target.GradientArena.Span);
            o.Step();
        }
        for (int s = 0; s < 3; s++) StepWith(adam, t, s);
        var savedParams = t.ParameterArena.Span.ToArray();
        var savedState = adam.State.ToArray();
        long savedStep = adam.StepCount;
        for (int s = 3; s < 5; s++) StepWith(adam, t, s);

        var t2 = new Target(n);
        savedParams.CopyTo(t2.ParameterArena.Span);
        var resumed = new AdamW(t2, learningRate: 1e-2f);
        Assert.Equal(savedState.Length, resumed.State.Length);
        savedState.CopyTo(resumed.State);
        resumed.SetStepCount(savedStep);
        for (int s = 3; s < 5; s++) StepWith(resumed, t2, s);
        Assert.Equal(t.ParameterArena.Span.ToArray(), t2.ParameterArena.Span.ToArray());
        Assert.Equal(adam.State.ToArray(), resumed.State.ToArray());
    }

    [Fact]
    public void ZeroGradClearsGradients()
    {
        var t = new Target(33);
        t.GradientArena.Span.Fill(2f);
        new Sgd(t, 0.1f).ZeroGrad();
        Assert.All(t.GradientArena.Span.ToArray(), g => Assert.Equal(0f, g));
    }

    /// <summary>A large update split over the target's pool gives the bits of the single-thread update (at every
    /// width), allocates nothing, and small updates stay on the caller.</summary>
    [Theory]
    [InlineData(Kind.Adam)]
    [InlineData(Kind.AdamL2)]
    [InlineData(Kind.AdamW)]
    public void PooledAdamIsBitIdenticalToOneThread(Kind kind)
    {
        int n = 3 * OptimKernels.ParallelMinParameters + 37; // pieces do not fall on vector boundaries
        using var pool = new GenDsl.Threading.WorkerPool(3);
        foreach (var w in Widths())
        {
            var (one, oneState) = AtWidth(w, () => RunPooled(kind, n, null));
            var (three, threeState) = AtWidth(w, () => RunPooled(kind, n, pool));
            Assert.Equal(one.Select(BitConverter.SingleToUInt32Bits), three.Select(BitConverter.SingleToUInt32Bits));
            Assert.Equal(oneState.Select(BitConverter.SingleToUInt32Bits), threeState.Select(BitConverter.SingleToUInt32Bits));
        }

        var t = new Pooled(n, pool);
        RandomArray(n, 5, 0).CopyTo(t.GradientArena.Span);
        var o = Create(kind, t);
        for (int i = 0; i < 3; i++) o.Step();
        // Steady state: of three windows of two steps, one allocates nothing. An allocation made by every step shows in
        // every window; a one-time event of the runtime on this thread (seen once in CI, not reproduced in 15 runs
        // under load) lands in one window only.
        long fewest = long.MaxValue;
        for (int window = 0; window < 3 && fewest != 0; window++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            o.Step();
            o.Step();
            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        Assert.Equal(0, fewest);
    }

    private static (float[] Parameters, float[] State) RunPooled(Kind kind, int n, GenDsl.Threading.WorkerPool? pool)
    {
        var t = new Pooled(n, pool);
        RandomArray(n, 1, 0).CopyTo(t.ParameterArena.Span);
        var o = Create(kind, t);
        for (int step = 0; step < 3; step++)
        {
            RandomArray(n, 2, (ulong)step).CopyTo(t.GradientArena.Span);
            o.Step();
        }
        return (t.Parameters.ToArray(), o.State.ToArray());
    }

    [Fact]
    public void StepsAllocateNothing()
    {
        var t = new Target(1000);
        RandomArray(1000, 9, 0).CopyTo(t.GradientArena.Span);
        Optimizer[] optimizers =
        [
            new Adam(t), new AdamW(t), new Sgd(t, 0.1f), new Sgd(t, 0.1f, momentum: 0.9f, nesterov: true),
            new Adam(t) { MaxGradNorm = 0.5f },
        ];
        foreach (var o in optimizers)
        {
            o.Step();
            o.ComputeGradNorm();
            long before = GC.GetAllocatedBytesForCurrentThread();
            o.Step();
            o.Step();
            o.ComputeGradNorm();
            long after = GC.GetAllocatedBytesForCurrentThread();
            Assert.True(after == before, $"{o.GetType().Name}: {after - before} bytes");
        }
    }

    [Fact]
    public void ArgumentsAreValidated()
    {
        var t = new Target(10);
        void Name(string expected, Action a) => Assert.Equal(expected, Assert.ThrowsAny<ArgumentException>(a).ParamName);
        Name("target", () => new Adam(null!));
        Name("learningRate", () => new Adam(t, learningRate: -1f));
        Name("learningRate", () => new AdamW(t, learningRate: float.NaN));
        Name("beta1", () => new Adam(t, beta1: 1f));
        Name("beta2", () => new AdamW(t, beta2: -0.1f));
        Name("epsilon", () => new Adam(t, epsilon: -1e-8f));
        Name("weightDecay", () => new AdamW(t, weightDecay: float.PositiveInfinity));
        Name("learningRate", () => new Sgd(t, learningRate: -0.1f));
        Name("momentum", () => new Sgd(t, 0.1f, momentum: -0.5f));
        Name("weightDecay", () => new Sgd(t, 0.1f, weightDecay: -1f));
        Name("nesterov", () => new Sgd(t, 0.1f, nesterov: true));

        var mismatch = Assert.Throws<ArgumentException>(() => new Adam(new Custom(new float[5], new float[6])));
        Assert.Equal("target", mismatch.ParamName);
        Assert.Contains("5", mismatch.Message);
        Assert.Contains("6", mismatch.Message);
        Name("target", () => new Adam(new Custom(Memory<float>.Empty, Memory<float>.Empty)));
        var shared = new float[20];
        Name("target", () => new Adam(new Custom(shared.AsMemory(0, 10), shared.AsMemory(5, 10))));

        var adam = new Adam(t);
        Name("LearningRate", () => adam.LearningRate = -1f);
        Name("MaxGradNorm", () => adam.MaxGradNorm = float.NaN);
        Name("stepCount", () => adam.SetStepCount(-1));
        adam.LearningRate = 0.5f;
        Assert.Equal(0.5f, adam.LearningRate);
    }
}
