using System.Runtime.Intrinsics;
using GenDsl.Numerics;

namespace GenDsl.Runtime.Tests;

/// <summary>Shared helpers for the numerics tests (double references, ulp errors, widths, inputs).</summary>
internal static class NumTest
{
    public static readonly int[] Lengths = [1, 3, 17, 63, 65, 257];

    /// <summary>Every width this machine can run, scalar first.</summary>
    public static SimdWidth[] Widths()
    {
        var all = new[] { SimdWidth.Scalar, SimdWidth.V128, SimdWidth.V256, SimdWidth.V512 };
        return Array.FindAll(all, w => w <= Simd.Hardware);
    }

    public static void WithWidth(SimdWidth w, Action body)
    {
        SimdWidth old = Simd.Width;
        try { Simd.Width = w; body(); }
        finally { Simd.Width = old; }
    }

    /// <summary>Awkward inputs: zeros, subnormals, tiny, around the exp overflow/underflow thresholds, huge, ±∞, NaN.</summary>
    public static readonly float[] Specials =
    [
        0f, -0f, float.Epsilon, -float.Epsilon, 1e-40f, -1e-40f, 1.17549435e-38f, -1.17549435e-38f,
        1e-30f, -1e-30f, 1e-7f, -1e-7f, 1e-3f, -1e-3f, 0.3f, -0.3f, 0.5f, -0.5f, 0.625f, -0.625f, 1f, -1f,
        2f, -2f, 9f, -9f, 10f, -10f, 17f, -17f, 30f, -30f, 87.3f, -87.3f, 88f, -88f, 88.72f, -88.72f,
        88.7228394f, 88.73f, 88.8f, 89f, -89f, -100f, -103.9f, -103.98f, -104f, -105f, 100f, 200f, -200f,
        1000f, -1000f, float.MaxValue, -float.MaxValue, float.PositiveInfinity, float.NegativeInfinity, float.NaN,
    ];

    /// <summary>Floats in [lo, hi] taken every <paramref name="stride"/>-th bit pattern (both signs), plus the specials in range.</summary>
    public static float[] Sample(float lo, float hi, int stride)
    {
        var list = new List<float>();
        for (long b = 0; b < 0x7F800000L; b += stride)
        {
            float p = BitConverter.Int32BitsToSingle((int)b);
            if (p >= lo && p <= hi) list.Add(p);
            if (-p >= lo && -p <= hi) list.Add(-p);
        }
        foreach (float s in Specials)
            if (s >= lo && s <= hi) list.Add(s);
        return list.ToArray();
    }

    public static float[] Random(int n, int seed, float lo, float hi)
    {
        var rng = new System.Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(lo + (hi - lo) * rng.NextDouble());
        return a;
    }

    /// <summary>|r − exact| in units of the float ulp at the exact value (subnormal ulp below the normal range).
    /// Exact results beyond float range must come out as the same infinity.</summary>
    public static double UlpError(float r, double exact)
    {
        if (double.IsNaN(exact)) return float.IsNaN(r) ? 0 : double.PositiveInfinity;
        if (float.IsNaN(r)) return double.PositiveInfinity;
        float fe = (float)exact;
        if (float.IsInfinity(fe) || float.IsInfinity(r)) return r == fe ? 0 : double.PositiveInfinity;
        float a = MathF.Abs(fe);
        double ulp = a < 1.17549435e-38f ? Math.Pow(2, -149)
            : a == float.MaxValue ? Math.Pow(2, 104) : MathF.BitIncrement(a) - a;
        return Math.Abs(r - exact) / ulp;
    }

    public static void AssertBitsEqual(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            int e = BitConverter.SingleToInt32Bits(expected[i]), a = BitConverter.SingleToInt32Bits(actual[i]);
            if (e != a)
                Assert.Fail($"{what}: element {i}: expected {expected[i]:R} (0x{e:X8}) but got {actual[i]:R} (0x{a:X8})");
        }
    }

    // ---- double-precision references
    public static double Log1p(double u) { double w = 1 + u; return w == 1 ? u : Math.Log(w) * u / (w - 1); }
    public static double Expm1(double x) => Math.Abs(x) < 1e-5 ? x + x * x / 2 + x * x * x / 6 : Math.Exp(x) - 1;
    public static double Sigmoid(double x) => x >= 0 ? 1 / (1 + Math.Exp(-x)) : Math.Exp(x) / (1 + Math.Exp(x));
    public static double Softplus(double x) => Math.Max(x, 0) + Log1p(Math.Exp(-Math.Abs(x)));
    public static double LogSigmoid(double x) => Math.Min(x, 0) - Log1p(Math.Exp(-Math.Abs(x)));

    /// <summary>One VecMath function at all widths plus its double reference, range and tolerance (ulp).</summary>
    public sealed record Fn(
        Func<float, float> Scalar, Func<Vector128<float>, Vector128<float>> V128,
        Func<Vector256<float>, Vector256<float>> V256, Func<Vector512<float>, Vector512<float>> V512,
        Func<double, double> Reference, float Lo, float Hi, double MaxUlp);

    public static readonly Dictionary<string, Fn> Functions = new()
    {
        ["Exp"] = new(VecMath.Exp, VecMath.Exp, VecMath.Exp, VecMath.Exp, Math.Exp, -110f, 90f, 1.0),
        ["Expm1"] = new(VecMath.Expm1, VecMath.Expm1, VecMath.Expm1, VecMath.Expm1, Expm1, -110f, 90f, 1.5),
        ["Log"] = new(VecMath.Log, VecMath.Log, VecMath.Log, VecMath.Log, Math.Log, 0f, float.MaxValue, 1.0),
        ["Tanh"] = new(VecMath.Tanh, VecMath.Tanh, VecMath.Tanh, VecMath.Tanh, Math.Tanh, -30f, 30f, 1.5),
        ["Sigmoid"] = new(VecMath.Sigmoid, VecMath.Sigmoid, VecMath.Sigmoid, VecMath.Sigmoid, Sigmoid, -120f, 120f, 2.5),
        ["Softplus"] = new(VecMath.Softplus, VecMath.Softplus, VecMath.Softplus, VecMath.Softplus, Softplus, -120f, 120f, 2.0),
        ["LogSigmoid"] = new(VecMath.LogSigmoid, VecMath.LogSigmoid, VecMath.LogSigmoid, VecMath.LogSigmoid, LogSigmoid, -120f, 120f, 2.0),
    };

    public static TheoryData<string> FunctionNames()
    {
        var d = new TheoryData<string>();
        foreach (string k in Functions.Keys) d.Add(k);
        return d;
    }

    /// <summary>Runs the vector overload for <paramref name="w"/> over x (lane by lane), or the scalar one.</summary>
    public static float[] RunLanes(Fn f, SimdWidth w, float[] x)
    {
        var y = new float[x.Length];
        int lanes = w switch { SimdWidth.V512 => 16, SimdWidth.V256 => 8, SimdWidth.V128 => 4, _ => 1 };
        var buf = new float[lanes];
        for (int i = 0; i < x.Length; i += lanes)
        {
            for (int j = 0; j < lanes; j++) buf[j] = x[Math.Min(i + j, x.Length - 1)];
            float[] r = w switch
            {
                SimdWidth.V512 => ToArray(f.V512(Vector512.Create(buf))),
                SimdWidth.V256 => ToArray(f.V256(Vector256.Create(buf))),
                SimdWidth.V128 => ToArray(f.V128(Vector128.Create(buf))),
                _ => [f.Scalar(buf[0])],
            };
            for (int j = 0; j < lanes && i + j < x.Length; j++) y[i + j] = r[j];
        }
        return y;
    }

    private static float[] ToArray(Vector128<float> v) { var a = new float[4]; v.CopyTo(a); return a; }
    private static float[] ToArray(Vector256<float> v) { var a = new float[8]; v.CopyTo(a); return a; }
    private static float[] ToArray(Vector512<float> v) { var a = new float[16]; v.CopyTo(a); return a; }
}

public class VecMathTests
{
    public static TheoryData<string> Names => NumTest.FunctionNames();

    [Theory]
    [MemberData(nameof(Names))]
    public void MatchesDoubleReferenceWithinTolerance(string name)
    {
        var f = NumTest.Functions[name];
        float[] x = NumTest.Sample(f.Lo, f.Hi, 1009);
        double worst = 0;
        float worstX = 0;
        foreach (float v in x)
        {
            double e = NumTest.UlpError(f.Scalar(v), f.Reference(v));
            if (e > worst) { worst = e; worstX = v; }
        }
        Assert.True(worst <= f.MaxUlp,
            $"{name}: {worst:F3} ulp at x = {worstX:R} (got {f.Scalar(worstX):R}, exact {f.Reference(worstX):R}); tolerance {f.MaxUlp} ulp");
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void EveryVectorWidthIsBitIdenticalToScalar(string name)
    {
        var f = NumTest.Functions[name];
        float[] x = [.. NumTest.Sample(-float.MaxValue, float.MaxValue, 65537), .. NumTest.Specials];
        float[] scalar = NumTest.RunLanes(f, SimdWidth.Scalar, x);
        foreach (SimdWidth w in NumTest.Widths())
            NumTest.AssertBitsEqual(scalar, NumTest.RunLanes(f, w, x), $"{name} at {w}");
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void NaNIsReturnedUnchanged(string name)
    {
        var f = NumTest.Functions[name];
        float quiet = float.NaN, other = BitConverter.Int32BitsToSingle(0x7FC01234);
        Assert.Equal(BitConverter.SingleToInt32Bits(quiet), BitConverter.SingleToInt32Bits(f.Scalar(quiet)));
        Assert.Equal(BitConverter.SingleToInt32Bits(other), BitConverter.SingleToInt32Bits(f.Scalar(other)));
    }

    [Fact]
    public void ExpOverflowUnderflowAndSpecials()
    {
        Assert.Equal(1f, VecMath.Exp(0f));
        Assert.Equal(1f, VecMath.Exp(-0f));
        Assert.True(float.IsFinite(VecMath.Exp(88.72f)));
        Assert.Equal(float.PositiveInfinity, VecMath.Exp(88.73f));
        Assert.Equal(float.PositiveInfinity, VecMath.Exp(89f));
        Assert.Equal(float.PositiveInfinity, VecMath.Exp(1000f));
        Assert.Equal(float.PositiveInfinity, VecMath.Exp(float.PositiveInfinity));
        Assert.True(VecMath.Exp(-103f) > 0f);                         // subnormal, not flushed
        Assert.Equal(0f, VecMath.Exp(-104f));
        Assert.Equal(0f, VecMath.Exp(-1000f));
        Assert.Equal(0f, VecMath.Exp(float.NegativeInfinity));
        Assert.True(float.IsNaN(VecMath.Exp(float.NaN)));
    }

    [Fact]
    public void LogSpecials()
    {
        Assert.Equal(0f, VecMath.Log(1f));
        Assert.Equal(float.NegativeInfinity, VecMath.Log(0f));
        Assert.Equal(float.NegativeInfinity, VecMath.Log(-0f));
        Assert.True(float.IsNaN(VecMath.Log(-1f)));
        Assert.True(float.IsNaN(VecMath.Log(-float.Epsilon)));
        Assert.True(float.IsNaN(VecMath.Log(float.NegativeInfinity)));
        Assert.Equal(float.PositiveInfinity, VecMath.Log(float.PositiveInfinity));
        Assert.True(float.IsNaN(VecMath.Log(float.NaN)));
        Assert.True(NumTest.UlpError(VecMath.Log(float.Epsilon), Math.Log(float.Epsilon)) <= 1);   // subnormal input
        Assert.True(NumTest.UlpError(VecMath.Log(float.MaxValue), Math.Log(float.MaxValue)) <= 1);
    }

    [Fact]
    public void Expm1IsAccurateNearZeroAndSaturates()
    {
        Assert.Equal(1e-30f, VecMath.Expm1(1e-30f));
        Assert.Equal(-1e-30f, VecMath.Expm1(-1e-30f));
        Assert.Equal(1e-40f, VecMath.Expm1(1e-40f));                   // subnormal kept exactly
        Assert.Equal(-1f, VecMath.Expm1(-30f));
        Assert.Equal(-1f, VecMath.Expm1(float.NegativeInfinity));
        Assert.Equal(float.PositiveInfinity, VecMath.Expm1(89f));
        Assert.True(float.IsFinite(VecMath.Expm1(88.72f)));
    }

    [Fact]
    public void TanhSigmoidSoftplusLogSigmoidAtExtremes()
    {
        Assert.Equal(1f, VecMath.Tanh(200f));
        Assert.Equal(-1f, VecMath.Tanh(-200f));
        Assert.Equal(1f, VecMath.Tanh(float.PositiveInfinity));
        Assert.Equal(-1f, VecMath.Tanh(float.NegativeInfinity));
        Assert.Equal(BitConverter.SingleToInt32Bits(-0f), BitConverter.SingleToInt32Bits(VecMath.Tanh(-0f)));
        Assert.Equal(1e-30f, VecMath.Tanh(1e-30f));
        Assert.Equal(1f, VecMath.Sigmoid(200f));
        Assert.Equal(0f, VecMath.Sigmoid(-200f));
        Assert.Equal(0.5f, VecMath.Sigmoid(0f));
        Assert.True(NumTest.UlpError(VecMath.Sigmoid(-100f), NumTest.Sigmoid(-100)) <= 1);  // ≈ 3.7e−44, subnormal
        Assert.Equal(200f, VecMath.Softplus(200f));
        Assert.Equal(float.PositiveInfinity, VecMath.Softplus(float.PositiveInfinity));
        Assert.Equal(0f, VecMath.Softplus(-200f));
        Assert.Equal(0f, VecMath.Softplus(float.NegativeInfinity));
        Assert.True(NumTest.UlpError(VecMath.Softplus(-100f), NumTest.Softplus(-100)) <= 1);
        Assert.Equal(-200f, VecMath.LogSigmoid(-200f));
        float ls = VecMath.LogSigmoid(200f);
        Assert.True(ls <= 0f && ls > -1e-30f, $"logsigmoid(200) = {ls:R}");
        Assert.Equal(float.NegativeInfinity, VecMath.LogSigmoid(float.NegativeInfinity));
    }
}
