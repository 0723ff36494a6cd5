using GenDsl.Numerics;

namespace GenDsl.Runtime.Tests;

public class ElementwiseTests
{
    private delegate void SpanFn(ReadOnlySpan<float> x, Span<float> y);

    private static readonly Dictionary<string, SpanFn> Ops = new()
    {
        ["Exp"] = Elementwise.Exp,
        ["Log"] = Elementwise.Log,
        ["Tanh"] = Elementwise.Tanh,
        ["Sigmoid"] = Elementwise.Sigmoid,
        ["Softplus"] = Elementwise.Softplus,
        ["LogSigmoid"] = Elementwise.LogSigmoid,
    };

    public static TheoryData<string> Names()
    {
        var d = new TheoryData<string>();
        foreach (string k in Ops.Keys) d.Add(k);
        return d;
    }

    /// <summary>Random values (wide range) with the special values sprinkled in.</summary>
    private static float[] Input(string name, int n, int seed)
    {
        var f = NumTest.Functions[name];
        float lo = Math.Max(f.Lo, -120f), hi = Math.Min(f.Hi, 120f);
        float[] x = NumTest.Random(n, seed, lo, hi);
        for (int i = 0; i < n; i += 5)
            x[i] = NumTest.Specials[(i / 5 + seed) % NumTest.Specials.Length];
        return x;
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void MatchesDoubleReferenceAndIsBitIdenticalAtEveryWidth(string name)
    {
        var f = NumTest.Functions[name];
        foreach (int n in NumTest.Lengths)
        {
            float[] x = Input(name, n, n);
            float[] scalarRef = Array.ConvertAll(x, v => f.Scalar(v));
            foreach (SimdWidth w in NumTest.Widths())
            {
                var y = new float[n];
                NumTest.WithWidth(w, () => Ops[name](x, y));
                NumTest.AssertBitsEqual(scalarRef, y, $"{name} n={n} at {w}");
                for (int i = 0; i < n; i++)
                {
                    double e = NumTest.UlpError(y[i], f.Reference(x[i]));
                    Assert.True(e <= f.MaxUlp, $"{name}({x[i]:R}) = {y[i]:R}, exact {f.Reference(x[i]):R}: {e:F2} ulp (n={n}, {w})");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void InPlaceGivesTheSameResult(string name)
    {
        foreach (int n in NumTest.Lengths)
            foreach (SimdWidth w in NumTest.Widths())
            {
                float[] x = Input(name, n, 3 * n);
                var expected = new float[n];
                float[] inPlace = (float[])x.Clone();
                NumTest.WithWidth(w, () =>
                {
                    Ops[name](x, expected);
                    Ops[name](inPlace, inPlace);
                });
                NumTest.AssertBitsEqual(expected, inPlace, $"{name} in place n={n} at {w}");
            }
    }

    [Fact]
    public void LogSigmoidIsStableForLargeMagnitudes()
    {
        float[] x = [-200f, -100f, -20f, 20f, 100f, 200f];
        var y = new float[x.Length];
        Elementwise.LogSigmoid(x, y);
        for (int i = 0; i < x.Length; i++)
            Assert.True(NumTest.UlpError(y[i], NumTest.LogSigmoid(x[i])) <= 1, $"logsigmoid({x[i]}) = {y[i]:R}");
        Assert.Equal(-200f, y[0]);
        Assert.True(y[5] <= 0f && y[5] > -1e-30f);
    }

    [Fact]
    public void ApplyWithAParameterisedActivation()
    {
        float[] x = NumTest.Random(65, 5, -3f, 3f);
        var y = new float[x.Length];
        foreach (SimdWidth w in NumTest.Widths())
        {
            NumTest.WithWidth(w, () => Elementwise.Apply(x, y, new ActivationForwardOp<LeakyReluOp>(new LeakyReluOp(0.1f))));
            for (int i = 0; i < x.Length; i++)
                Assert.Equal(x[i] > 0 ? x[i] : 0.1f * x[i], y[i]);
        }
        Elementwise.Apply<ExpOp>(x, y);
        for (int i = 0; i < x.Length; i++)
            Assert.Equal(VecMath.Exp(x[i]), y[i]);
    }

    [Fact]
    public void EmptySpansAreFine()
    {
        Elementwise.Exp(ReadOnlySpan<float>.Empty, Span<float>.Empty);
    }

    [Fact]
    public void LengthMismatchNamesBothLengths()
    {
        var ex = Assert.Throws<ArgumentException>(() => Elementwise.Tanh(new float[17], new float[16]));
        Assert.Equal("y", ex.ParamName);
        Assert.Contains("17", ex.Message);
        Assert.Contains("16", ex.Message);
    }

    [Fact]
    public void PartialOverlapIsRejected()
    {
        var buf = new float[40];
        var ex = Assert.Throws<ArgumentException>(() => Elementwise.Exp(buf.AsSpan(0, 32), buf.AsSpan(1, 32)));
        Assert.Equal("y", ex.ParamName);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void SteadyStateAllocatesNothing(string name)
    {
        float[] x = Input(name, 257, 9);
        var y = new float[x.Length];
        SpanFn run = Ops[name];
        foreach (SimdWidth w in NumTest.Widths())
        {
            SimdWidth old = Simd.Width;
            try
            {
                Simd.Width = w;
                run(x, y);                                           // warm up (JIT)
                long before = GC.GetAllocatedBytesForCurrentThread();
                run(x, y);
                long after = GC.GetAllocatedBytesForCurrentThread();
                Assert.Equal(0, after - before);
            }
            finally { Simd.Width = old; }
        }
    }
}
