using System.Runtime.Intrinsics;
using GenDsl.Numerics;

namespace GenDsl.Runtime.Tests;

public class ActivationTests
{
    private const float Slope = 0.2f;

    /// <summary>Double-precision f for each activation.</summary>
    private static double Reference(Activation a, double x) => a switch
    {
        Activation.Identity => x,
        Activation.Relu => Math.Max(x, 0),
        Activation.LeakyRelu => x > 0 ? x : Slope * x,
        Activation.Tanh => Math.Tanh(x),
        Activation.Sigmoid => NumTest.Sigmoid(x),
        Activation.Softplus => NumTest.Softplus(x),
        _ => throw new ArgumentOutOfRangeException(nameof(a)),
    };

    public static TheoryData<Activation> AllActivations()
    {
        var d = new TheoryData<Activation>();
        foreach (Activation a in Enum.GetValues<Activation>()) d.Add(a);
        return d;
    }

    public static TheoryData<Activation> SmoothActivations() =>
        [Activation.Tanh, Activation.Sigmoid, Activation.Softplus];

    private static float[] Inputs() =>
        [.. NumTest.Sample(-200f, 200f, 100_003), .. NumTest.Specials, .. NumTest.Random(257, 7, -12f, 12f)];

    [Theory]
    [MemberData(nameof(AllActivations))]
    public void ForwardMatchesDoubleReference(Activation a)
    {
        foreach (float x in Inputs())
        {
            float y = ActivationFunctions.Apply(a, x, Slope);
            double e = NumTest.UlpError(y, Reference(a, x));
            Assert.True(e <= 2.5, $"{a}({x:R}) = {y:R}, exact {Reference(a, x):R}: {e:F2} ulp");
        }
    }

    [Theory]
    [MemberData(nameof(SmoothActivations))]
    public void DerivativeFromOutputMatchesFiniteDifferences(Activation a)
    {
        // Central differences of the double reference, h relative to |x|; truncation error ~h².
        foreach (float x in NumTest.Random(2000, 11, -30f, 30f).Concat([-88f, -40f, -17f, -1e-3f, 0f, 1e-3f, 17f, 40f, 88f]))
        {
            double h = 1e-4 * Math.Max(1, Math.Abs(x));
            double fd = (Reference(a, x + h) - Reference(a, x - h)) / (2 * h);
            float y = ActivationFunctions.Apply(a, x, Slope);
            float d = ActivationFunctions.DerivativeFromOutput(a, y, Slope);
            // Relative tolerance, plus the effect of y being rounded to float (≤ 2.5 ulp(y)) through
            // |d f′/dy| ≤ 2 (tanh: 2|y|; sigmoid: |1 − 2y|; softplus: e^(−y)).
            double ulpY = MathF.BitIncrement(MathF.Abs(y)) - MathF.Abs(y);
            double tol = 1e-5 * Math.Abs(fd) + 2 * 2.5 * ulpY + 1e-30;
            Assert.True(Math.Abs(d - fd) <= tol, $"{a}'({x:R}) from y = {y:R}: {d:R} vs finite difference {fd:R}");
        }
    }

    [Fact]
    public void SoftplusDerivativeIsRelativelyAccurateForTinyOutputs()
    {
        // σ(x) for x ≪ 0: 1 − e^(−y) would round to 0; −expm1(−y) keeps full relative accuracy.
        foreach (float x in new[] { -20f, -40f, -80f })
        {
            float y = new SoftplusOp().Forward(x);
            float d = new SoftplusOp().DerivativeFromOutput(y);
            double exact = NumTest.Sigmoid(x);
            Assert.True(Math.Abs(d - exact) <= 1e-6 * exact, $"softplus'({x}) = {d:R}, exact {exact:R}");
        }
    }

    [Theory]
    [InlineData(0.2f)]
    [InlineData(0.01f)]
    [InlineData(3f)]
    public void LeakyReluForwardAndDerivative(float slope)
    {
        var op = new LeakyReluOp(slope);
        Assert.Equal(slope, op.Slope);
        Assert.Equal(2.5f, op.Forward(2.5f));
        Assert.Equal(slope * -2.5f, op.Forward(-2.5f));
        Assert.Equal(1f, op.DerivativeFromOutput(op.Forward(4f)));
        Assert.Equal(slope, op.DerivativeFromOutput(op.Forward(-4f)));
        Assert.Equal(slope, op.DerivativeFromOutput(op.Forward(0f)));
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(-0.2f)]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void LeakyReluRejectsNonPositiveSlope(float slope)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new LeakyReluOp(slope));
        Assert.Equal("slope", ex.ParamName);
    }

    [Fact]
    public void UnknownActivationIsRejected()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => ActivationFunctions.Apply((Activation)42, 1f, Slope));
        Assert.Equal("a", ex.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => ActivationFunctions.DerivativeFromOutput((Activation)42, 1f, Slope));
    }

    [Fact]
    public void TanhSigmoidAndSoftplusSaturateWithoutNaN()
    {
        foreach (float x in new[] { -1e30f, -200f, -100f, 100f, 200f, 1e30f, float.NegativeInfinity, float.PositiveInfinity })
            foreach (Activation a in new[] { Activation.Tanh, Activation.Sigmoid, Activation.Softplus })
            {
                float y = ActivationFunctions.Apply(a, x, Slope);
                Assert.False(float.IsNaN(y), $"{a}({x}) is NaN");
                Assert.False(float.IsNaN(ActivationFunctions.DerivativeFromOutput(a, y, Slope)), $"{a}'({x}) is NaN");
            }
    }

    [Theory]
    [MemberData(nameof(AllActivations))]
    public void EveryWidthIsBitIdenticalToScalar(Activation a)
    {
        switch (a)
        {
            case Activation.Identity: Check(new IdentityOp()); break;
            case Activation.Relu: Check(new ReluOp()); break;
            case Activation.LeakyRelu: Check(new LeakyReluOp(Slope)); break;
            case Activation.Tanh: Check(new TanhOp()); break;
            case Activation.Sigmoid: Check(new SigmoidOp()); break;
            case Activation.Softplus: Check(new SoftplusOp()); break;
        }
    }

    private static void Check<TAct>(TAct op) where TAct : struct, IActivationOp
    {
        float[] x = Inputs();
        var fwd = new NumTest.Fn(op.Forward, op.Forward, op.Forward, op.Forward, v => v, 0, 0, 0);
        float[] y = NumTest.RunLanes(fwd, SimdWidth.Scalar, x);
        var der = new NumTest.Fn(op.DerivativeFromOutput, op.DerivativeFromOutput, op.DerivativeFromOutput, op.DerivativeFromOutput, v => v, 0, 0, 0);
        float[] d = NumTest.RunLanes(der, SimdWidth.Scalar, y);
        for (int i = 0; i < x.Length; i++)
        {
            Assert.Equal(BitConverter.SingleToInt32Bits(ActivationFunctions.Apply(ActivationOf(op), x[i], Slope)), BitConverter.SingleToInt32Bits(y[i]));
            Assert.Equal(BitConverter.SingleToInt32Bits(ActivationFunctions.DerivativeFromOutput(ActivationOf(op), y[i], Slope)), BitConverter.SingleToInt32Bits(d[i]));
        }
        foreach (SimdWidth w in NumTest.Widths())
        {
            NumTest.AssertBitsEqual(y, NumTest.RunLanes(fwd, w, x), $"{typeof(TAct).Name}.Forward at {w}");
            NumTest.AssertBitsEqual(d, NumTest.RunLanes(der, w, y), $"{typeof(TAct).Name}.DerivativeFromOutput at {w}");
        }
    }

    private static Activation ActivationOf<TAct>(TAct op) => op switch
    {
        IdentityOp => Activation.Identity,
        ReluOp => Activation.Relu,
        LeakyReluOp => Activation.LeakyRelu,
        TanhOp => Activation.Tanh,
        SigmoidOp => Activation.Sigmoid,
        SoftplusOp => Activation.Softplus,
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };
}
