using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace GenDsl.Numerics;

/// <summary>
/// Single-precision transcendental functions (exp, expm1, log, tanh, sigmoid, softplus, log-sigmoid)
/// for <see cref="float"/>, <see cref="Vector128{T}"/>, <see cref="Vector256{T}"/> and
/// <see cref="Vector512{T}"/>.
/// </summary>
/// <remarks>
/// <para>
/// Every overload performs exactly the same sequence of IEEE-754 operations (with fused multiply-add
/// where written) on each lane, so a vector result is BIT-IDENTICAL, lane for lane, to the scalar
/// result. That is what lets every kernel give the same answer whatever <see cref="Simd.Width"/> is.
/// We therefore do not use <c>MathF.Exp</c> (its algorithm is the C runtime's, not ours), nor
/// <c>Vector*.Exp</c> (a different algorithm per width is not promised to agree).
/// </para>
/// <para>
/// exp: Cody–Waite range reduction x = n·ln2 + r, |r| ≤ ln2/2, then a degree-7 minimax polynomial
/// for e^r (SLEEF's expf coefficients), then a scale by 2^n done as two multiplications
/// 2^⌊n/2⌋·2^(n−⌊n/2⌋) so results in the subnormal range are rounded once and correctly, and so
/// overflow produces +∞ naturally. log: split x = m·2^k with m ∈ [√½, √2), then
/// log(m) = f − f²/2 + f³·P(f), f = m − 1 (Cephes' logf polynomial), plus k·ln2 in two parts.
/// Measured error against double precision (sweep over every 97th float): exp 0.98 ulp, log 0.80,
/// expm1 1.4, tanh 1.5, sigmoid 2.3, softplus and log-sigmoid 1.9.
/// </para>
/// <para>
/// Special values: exp(x &gt; 88.72) = +∞, exp(x &lt; −103.98) = +0, log(±0) = −∞, log(x &lt; 0) = NaN,
/// log(+∞) = +∞; a NaN input is returned unchanged (same bits) by every function.
/// </para>
/// </remarks>
public static class VecMath
{
    // ---------------------------------------------------------------- constants
    // exp range: below ExpLo the result rounds to +0, above ExpHi to +inf. Clamping to this range
    // keeps 2^n's exponent computation in range (n ∈ [−152, 128]) without changing any result.
    private const float ExpLo = -105f;
    private const float ExpHi = 89f;
    // expm1(x) = −1 (rounded) for x < −17.4, so −30 is a safe clamp keeping 2^(n−1) normal.
    private const float Expm1Lo = -30f;
    private const float Log2E = 1.44269504088896341f;
    // ln 2 = Ln2Hi + Ln2Lo; Ln2Hi has few significant bits so n·Ln2Hi is exact for |n| ≤ 2^8.
    private const float Ln2Hi = 0.693145751953125f;
    private const float Ln2Lo = 1.428606765330187045e-06f;
    // Adding 1.5·2^23 rounds a float of magnitude < 2^22 to the nearest integer (ties to even),
    // and leaves that integer in the low mantissa bits: bits(t) − bits(RoundMagic) = n.
    private const float RoundMagic = 12582912f;
    private const int RoundMagicBits = 0x4B400000;
    // Minimax polynomial for (e^r − 1 − r)/r² on |r| ≤ ln2/2 (SLEEF expf).
    private const float E0 = 0.000198527617612853646278381f;
    private const float E1 = 0.00139304355252534151077271f;
    private const float E2 = 0.00833336077630519866943359f;
    private const float E3 = 0.0416664853692054748535156f;
    private const float E4 = 0.166666671633720397949219f;
    private const float E5 = 0.5f;
    // log: smallest normal float; subnormals are multiplied by 2^23 first.
    private const float MinNormal = 1.17549435e-38f;
    private const float TwoPow23 = 8388608f;
    // bits(1) − bits(√½): shifts the mantissa window so that m lands in [√½, √2).
    private const int LogShift = 0x3F800000 - 0x3F3504F3;
    private const int SqrtHalfBits = 0x3F3504F3;
    // Cephes logf polynomial: log(1+f) ≈ f − f²/2 + f³·P(f), f ∈ [√½−1, √2−1].
    private const float L0 = 7.0376836292E-2f;
    private const float L1 = -1.1514610310E-1f;
    private const float L2 = 1.1676998740E-1f;
    private const float L3 = -1.2420140846E-1f;
    private const float L4 = 1.4249322787E-1f;
    private const float L5 = -1.6668057665E-1f;
    private const float L6 = 2.0000714765E-1f;
    private const float L7 = -2.4999993993E-1f;
    private const float L8 = 3.3333331174E-1f;
    // ln 2 split for k·ln2: C1 has 9 significant bits (k·C1 exact), C2 the rest.
    private const float LogC1 = 0.693359375f;
    private const float LogC2 = -2.12194440e-4f;
    // tanh(x) rounds to ±1 for |x| > 9.01; clamping at 10 keeps expm1(2|x|) finite.
    private const float TanhClamp = 10f;
    // tanh on |x| < TanhSmall: x + x³·Q(x²) (Cephes tanhf coefficients).
    private const float TanhSmall = 0.625f;
    private const float T0 = -5.70498872745E-3f;
    private const float T1 = 2.06390887954E-2f;
    private const float T2 = -5.37397155531E-2f;
    private const float T3 = 1.33314422036E-1f;
    private const float T4 = -3.33332819422E-1f;

    // ================================================================ scalar
    // Scalar code mirrors the vector code operation for operation. Branches only choose between
    // values the vector code computes on every lane and then selects, so the results are identical.

    /// <summary>e^x for one float (bit-identical to every vector lane).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Exp(float x)
    {
        float r = ExpCore(x);
        return float.IsNaN(x) ? x : r;
    }

    /// <summary>e^x − 1, accurate for small |x| (expm1(x) ≈ x), = −1 for x ≪ 0, +∞ for x &gt; 88.72.
    /// Note expm1(−0) = +0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Expm1(float x)
    {
        float r = Expm1Core(x);
        return float.IsNaN(x) ? x : r;
    }

    /// <summary>Natural logarithm of one float: log(±0) = −∞, log(x &lt; 0) = NaN, log(+∞) = +∞.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Log(float x)
    {
        if (!(x > 0f && x < float.PositiveInfinity))
            return x == 0f ? float.NegativeInfinity : x < 0f ? float.NaN : x;
        float xs = x < MinNormal ? x * TwoPow23 : x;
        int bias = x < MinNormal ? -23 : 0;
        return LogCore(xs, bias);
    }

    /// <summary>tanh(x): odd, accurate for tiny |x| (polynomial), exactly ±1 for |x| ≥ 9.1, never NaN for finite x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Tanh(float x)
    {
        // Computed on a = |x|, then the sign is copied back (tanh is odd, and tanh(−0) = −0).
        // |x| < 0.625: odd polynomial a + a³·Q(a²) (Cephes tanhf), ~1 ulp.
        // otherwise:   t / (t + 2) with t = e^(2a) − 1 (no cancellation there); a is clamped at 10,
        //              where tanh already rounds to 1, so t stays finite and the quotient is never ∞/∞.
        float a = MathF.Abs(x);
        float z = a * a;
        float q = T0;
        q = MathF.FusedMultiplyAdd(q, z, T1);
        q = MathF.FusedMultiplyAdd(q, z, T2);
        q = MathF.FusedMultiplyAdd(q, z, T3);
        q = MathF.FusedMultiplyAdd(q, z, T4);
        float small = MathF.FusedMultiplyAdd(q * z, a, a);
        float ac = a > TanhClamp ? TanhClamp : a;
        float t = Expm1Core(ac + ac);
        float big = t / (t + 2f);
        float r = MathF.CopySign(a < TanhSmall ? small : big, x);
        return float.IsNaN(x) ? x : r;
    }

    /// <summary>Logistic sigmoid 1 / (1 + e^(−x)), never overflowing: for x &lt; 0 it is e^x / (1 + e^x).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sigmoid(float x)
    {
        float e = ExpCore(-MathF.Abs(x));          // e^(−|x|) ∈ [0, 1]
        float num = x >= 0f ? 1f : e;
        float r = num / (1f + e);
        return float.IsNaN(x) ? x : r;
    }

    /// <summary>Softplus ln(1 + e^x) = max(x, 0) + log1p(e^(−|x|)): no overflow, exact tail e^x for x ≪ 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Softplus(float x)
    {
        float l = Log1pUnit(ExpCore(-MathF.Abs(x)));
        float m = x > 0f ? x : 0f;
        float r = m + l;
        return float.IsNaN(x) ? x : r;
    }

    /// <summary>log σ(x) = −softplus(−x) = min(x, 0) − log1p(e^(−|x|)); logσ(−200) = −200, logσ(200) = −0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float LogSigmoid(float x)
    {
        float l = Log1pUnit(ExpCore(-MathF.Abs(x)));
        float m = x < 0f ? x : 0f;
        float r = m - l;
        return float.IsNaN(x) ? x : r;
    }

    /// <summary>e^x without the NaN fix-up (a NaN input gives some NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float ExpCore(float x)
    {
        x = x < ExpLo ? ExpLo : x;
        x = x > ExpHi ? ExpHi : x;
        float t = MathF.FusedMultiplyAdd(x, Log2E, RoundMagic);
        float n = t - RoundMagic;                                   // round(x / ln2)
        int ni = BitConverter.SingleToInt32Bits(t) - RoundMagicBits;
        float r = MathF.FusedMultiplyAdd(n, -Ln2Hi, x);            // r = x − n·ln2, |r| ≤ ln2/2
        r = MathF.FusedMultiplyAdd(n, -Ln2Lo, r);
        float u = E0;
        u = MathF.FusedMultiplyAdd(u, r, E1);
        u = MathF.FusedMultiplyAdd(u, r, E2);
        u = MathF.FusedMultiplyAdd(u, r, E3);
        u = MathF.FusedMultiplyAdd(u, r, E4);
        u = MathF.FusedMultiplyAdd(u, r, E5);
        float p = MathF.FusedMultiplyAdd(r * r, u, r) + 1f;         // e^r
        int n1 = ni >> 1;                                          // 2^n = 2^n1 · 2^n2, both normal
        int n2 = ni - n1;
        float s1 = BitConverter.Int32BitsToSingle((n1 + 127) << 23);
        float s2 = BitConverter.Int32BitsToSingle((n2 + 127) << 23);
        return p * s1 * s2;                                        // p·s1 exact; one rounding
    }

    /// <summary>e^x − 1 without the NaN fix-up.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Expm1Core(float x)
    {
        x = x < Expm1Lo ? Expm1Lo : x;
        x = x > ExpHi ? ExpHi : x;
        float t = MathF.FusedMultiplyAdd(x, Log2E, RoundMagic);
        float n = t - RoundMagic;
        int ni = BitConverter.SingleToInt32Bits(t) - RoundMagicBits;
        float r = MathF.FusedMultiplyAdd(n, -Ln2Hi, x);
        r = MathF.FusedMultiplyAdd(n, -Ln2Lo, r);
        float u = E0;
        u = MathF.FusedMultiplyAdd(u, r, E1);
        u = MathF.FusedMultiplyAdd(u, r, E2);
        u = MathF.FusedMultiplyAdd(u, r, E3);
        u = MathF.FusedMultiplyAdd(u, r, E4);
        u = MathF.FusedMultiplyAdd(u, r, E5);
        float em = MathF.FusedMultiplyAdd(r * r, u, r);            // e^r − 1, no cancellation
        // e^x − 1 = 2^n·em + (2^n − 1) = 2·(h·em + (h − ½)) with h = 2^(n−1): h stays finite for
        // n = 128, and the doubling is exact (or overflows to +inf, correctly).
        float h = BitConverter.Int32BitsToSingle((ni + 126) << 23);
        float g = MathF.FusedMultiplyAdd(h, em, h - 0.5f);
        float res = g + g;
        return ni == 0 ? em : res;                                 // n = 0: em itself (keeps subnormals exact)
    }

    /// <summary>log x for x positive, finite; xs = x or x·2^23 (subnormal x) with bias = 0 or −23.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float LogCore(float xs, int bias)
    {
        int ix = BitConverter.SingleToInt32Bits(xs) + LogShift;
        int k = (ix >> 23) - 127 + bias;                            // x = m·2^k
        float m = BitConverter.Int32BitsToSingle((ix & 0x007FFFFF) + SqrtHalfBits); // m ∈ [√½, √2)
        float f = m - 1f;
        float fk = k;
        float z = f * f;
        float y = L0;
        y = MathF.FusedMultiplyAdd(y, f, L1);
        y = MathF.FusedMultiplyAdd(y, f, L2);
        y = MathF.FusedMultiplyAdd(y, f, L3);
        y = MathF.FusedMultiplyAdd(y, f, L4);
        y = MathF.FusedMultiplyAdd(y, f, L5);
        y = MathF.FusedMultiplyAdd(y, f, L6);
        y = MathF.FusedMultiplyAdd(y, f, L7);
        y = MathF.FusedMultiplyAdd(y, f, L8);
        y = y * f * z;                                              // f³·P(f)
        y = MathF.FusedMultiplyAdd(fk, LogC2, y);
        y = MathF.FusedMultiplyAdd(z, -0.5f, y);
        float res = f + y;
        return MathF.FusedMultiplyAdd(fk, LogC1, res);
    }

    /// <summary>log(1 + u) for u ∈ [0, 1] (what softplus needs): w = 1 + u rounded, then
    /// log1p(u) = log w + (u − (w − 1)) / w, where w − 1 is exact and the quotient corrects the rounding of w.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Log1pUnit(float u)
    {
        float w = 1f + u;
        float c = u - (w - 1f);
        return LogCore(w, 0) + c / w;
    }

    // ================================================================ Vector128
    /// <summary>e^x lane-wise; each lane bit-identical to <see cref="Exp(float)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Exp(Vector128<float> x) => FixNaN(x, ExpCore(x));

    /// <summary>e^x − 1 lane-wise; each lane bit-identical to <see cref="Expm1(float)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Expm1(Vector128<float> x) => FixNaN(x, Expm1Core(x));

    /// <summary>log x lane-wise; each lane bit-identical to <see cref="Log(float)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Log(Vector128<float> x)
    {
        Vector128<float> sub = Vector128.LessThan(x, Vector128.Create(MinNormal));
        Vector128<float> xs = Vector128.ConditionalSelect(sub, x * Vector128.Create(TwoPow23), x);
        Vector128<int> bias = Vector128.ConditionalSelect(sub.AsInt32(), Vector128.Create(-23), Vector128<int>.Zero);
        Vector128<float> r = LogCore(xs, bias);
        // Special inputs: ±0 → −∞, negative → NaN, +∞ and NaN → themselves.
        Vector128<float> ok = Vector128.GreaterThan(x, Vector128<float>.Zero)
                            & Vector128.LessThan(x, Vector128.Create(float.PositiveInfinity));
        Vector128<float> special = Vector128.ConditionalSelect(
            Vector128.Equals(x, Vector128<float>.Zero), Vector128.Create(float.NegativeInfinity),
            Vector128.ConditionalSelect(Vector128.LessThan(x, Vector128<float>.Zero), Vector128.Create(float.NaN), x));
        return Vector128.ConditionalSelect(ok, r, special);
    }

    /// <summary>tanh lane-wise; each lane bit-identical to <see cref="Tanh(float)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Tanh(Vector128<float> x)
    {
        Vector128<float> sign = Vector128.Create(-0f);
        Vector128<float> a = Vector128.AndNot(x, sign);
        Vector128<float> z = a * a;
        Vector128<float> q = Vector128.Create(T0);
        q = Vector128.FusedMultiplyAdd(q, z, Vector128.Create(T1));
        q = Vector128.FusedMultiplyAdd(q, z, Vector128.Create(T2));
        q = Vector128.FusedMultiplyAdd(q, z, Vector128.Create(T3));
        q = Vector128.FusedMultiplyAdd(q, z, Vector128.Create(T4));
        Vector128<float> small = Vector128.FusedMultiplyAdd(q * z, a, a);
        Vector128<float> ac = Vector128.MinNative(a, Vector128.Create(TanhClamp));
        Vector128<float> t = Expm1Core(ac + ac);
        Vector128<float> big = t / (t + Vector128.Create(2f));
        Vector128<float> r = Vector128.ConditionalSelect(Vector128.LessThan(a, Vector128.Create(TanhSmall)), small, big);
        r |= x & sign;                                             // r ≥ +0: copysign
        return FixNaN(x, r);
    }

    /// <summary>Sigmoid lane-wise; each lane bit-identical to <see cref="Sigmoid(float)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Sigmoid(Vector128<float> x)
    {
        Vector128<float> e = ExpCore(Vector128.AndNot(x, Vector128.Create(-0f)) ^ Vector128.Create(-0f));
        Vector128<float> num = Vector128.ConditionalSelect(
            Vector128.GreaterThanOrEqual(x, Vector128<float>.Zero), Vector128<float>.One, e);
        return FixNaN(x, num / (Vector128<float>.One + e));
    }

    /// <summary>Softplus lane-wise; each lane bit-identical to <see cref="Softplus(float)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Softplus(Vector128<float> x)
    {
        Vector128<float> l = Log1pUnit(ExpCore(Vector128.AndNot(x, Vector128.Create(-0f)) ^ Vector128.Create(-0f)));
        Vector128<float> m = Vector128.ConditionalSelect(Vector128.GreaterThan(x, Vector128<float>.Zero), x, Vector128<float>.Zero);
        return FixNaN(x, m + l);
    }

    /// <summary>log σ(x) lane-wise; each lane bit-identical to <see cref="LogSigmoid(float)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> LogSigmoid(Vector128<float> x)
    {
        Vector128<float> l = Log1pUnit(ExpCore(Vector128.AndNot(x, Vector128.Create(-0f)) ^ Vector128.Create(-0f)));
        Vector128<float> m = Vector128.ConditionalSelect(Vector128.LessThan(x, Vector128<float>.Zero), x, Vector128<float>.Zero);
        return FixNaN(x, m - l);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> FixNaN(Vector128<float> x, Vector128<float> r) =>
        Vector128.ConditionalSelect(Vector128.Equals(x, x), r, x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<float> ExpCore(Vector128<float> x)
    {
        x = Vector128.MaxNative(x, Vector128.Create(ExpLo));
        x = Vector128.MinNative(x, Vector128.Create(ExpHi));
        Vector128<float> t = Vector128.FusedMultiplyAdd(x, Vector128.Create(Log2E), Vector128.Create(RoundMagic));
        Vector128<float> n = t - Vector128.Create(RoundMagic);
        Vector128<int> ni = t.AsInt32() - Vector128.Create(RoundMagicBits);
        Vector128<float> r = Vector128.FusedMultiplyAdd(n, Vector128.Create(-Ln2Hi), x);
        r = Vector128.FusedMultiplyAdd(n, Vector128.Create(-Ln2Lo), r);
        Vector128<float> u = Vector128.Create(E0);
        u = Vector128.FusedMultiplyAdd(u, r, Vector128.Create(E1));
        u = Vector128.FusedMultiplyAdd(u, r, Vector128.Create(E2));
        u = Vector128.FusedMultiplyAdd(u, r, Vector128.Create(E3));
        u = Vector128.FusedMultiplyAdd(u, r, Vector128.Create(E4));
        u = Vector128.FusedMultiplyAdd(u, r, Vector128.Create(E5));
        Vector128<float> p = Vector128.FusedMultiplyAdd(r * r, u, r) + Vector128<float>.One;
        Vector128<int> n1 = Vector128.ShiftRightArithmetic(ni, 1);
        Vector128<int> n2 = ni - n1;
        Vector128<float> s1 = Vector128.ShiftLeft(n1 + Vector128.Create(127), 23).AsSingle();
        Vector128<float> s2 = Vector128.ShiftLeft(n2 + Vector128.Create(127), 23).AsSingle();
        return p * s1 * s2;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<float> Expm1Core(Vector128<float> x)
    {
        x = Vector128.MaxNative(x, Vector128.Create(Expm1Lo));
        x = Vector128.MinNative(x, Vector128.Create(ExpHi));
        Vector128<float> t = Vector128.FusedMultiplyAdd(x, Vector128.Create(Log2E), Vector128.Create(RoundMagic));
        Vector128<float> n = t - Vector128.Create(RoundMagic);
        Vector128<int> ni = t.AsInt32() - Vector128.Create(RoundMagicBits);
        Vector128<float> r = Vector128.FusedMultiplyAdd(n, Vector128.Create(-Ln2Hi), x);
        r = Vector128.FusedMultiplyAdd(n, Vector128.Create(-Ln2Lo), r);
        Vector128<float> u = Vector128.Create(E0);
        u = Vector128.FusedMultiplyAdd(u, r, Vector128.Create(E1));
        u = Vector128.FusedMultiplyAdd(u, r, Vector128.Create(E2));
        u = Vector128.FusedMultiplyAdd(u, r, Vector128.Create(E3));
        u = Vector128.FusedMultiplyAdd(u, r, Vector128.Create(E4));
        u = Vector128.FusedMultiplyAdd(u, r, Vector128.Create(E5));
        Vector128<float> em = Vector128.FusedMultiplyAdd(r * r, u, r);
        Vector128<float> h = Vector128.ShiftLeft(ni + Vector128.Create(126), 23).AsSingle();
        Vector128<float> g = Vector128.FusedMultiplyAdd(h, em, h - Vector128.Create(0.5f));
        return Vector128.ConditionalSelect(Vector128.Equals(ni, Vector128<int>.Zero).AsSingle(), em, g + g);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> LogCore(Vector128<float> xs, Vector128<int> bias)
    {
        Vector128<int> ix = xs.AsInt32() + Vector128.Create(LogShift);
        Vector128<int> k = Vector128.ShiftRightArithmetic(ix, 23) - Vector128.Create(127) + bias;
        Vector128<float> m = ((ix & Vector128.Create(0x007FFFFF)) + Vector128.Create(SqrtHalfBits)).AsSingle();
        Vector128<float> f = m - Vector128<float>.One;
        Vector128<float> fk = Vector128.ConvertToSingle(k);
        Vector128<float> z = f * f;
        Vector128<float> y = Vector128.Create(L0);
        y = Vector128.FusedMultiplyAdd(y, f, Vector128.Create(L1));
        y = Vector128.FusedMultiplyAdd(y, f, Vector128.Create(L2));
        y = Vector128.FusedMultiplyAdd(y, f, Vector128.Create(L3));
        y = Vector128.FusedMultiplyAdd(y, f, Vector128.Create(L4));
        y = Vector128.FusedMultiplyAdd(y, f, Vector128.Create(L5));
        y = Vector128.FusedMultiplyAdd(y, f, Vector128.Create(L6));
        y = Vector128.FusedMultiplyAdd(y, f, Vector128.Create(L7));
        y = Vector128.FusedMultiplyAdd(y, f, Vector128.Create(L8));
        y = y * f * z;
        y = Vector128.FusedMultiplyAdd(fk, Vector128.Create(LogC2), y);
        y = Vector128.FusedMultiplyAdd(z, Vector128.Create(-0.5f), y);
        Vector128<float> res = f + y;
        return Vector128.FusedMultiplyAdd(fk, Vector128.Create(LogC1), res);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<float> Log1pUnit(Vector128<float> u)
    {
        Vector128<float> w = Vector128<float>.One + u;
        Vector128<float> c = u - (w - Vector128<float>.One);
        return LogCore(w, Vector128<int>.Zero) + c / w;
    }

    // ================================================================ Vector256
    /// <summary>e^x lane-wise; each lane bit-identical to <see cref="Exp(float)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x) => FixNaN(x, ExpCore(x));

    /// <summary>e^x − 1 lane-wise; each lane bit-identical to <see cref="Expm1(float)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Expm1(Vector256<float> x) => FixNaN(x, Expm1Core(x));

    /// <summary>log x lane-wise; each lane bit-identical to <see cref="Log(float)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Log(Vector256<float> x)
    {
        Vector256<float> sub = Vector256.LessThan(x, Vector256.Create(MinNormal));
        Vector256<float> xs = Vector256.ConditionalSelect(sub, x * Vector256.Create(TwoPow23), x);
        Vector256<int> bias = Vector256.ConditionalSelect(sub.AsInt32(), Vector256.Create(-23), Vector256<int>.Zero);
        Vector256<float> r = LogCore(xs, bias);
        // Special inputs: ±0 → −∞, negative → NaN, +∞ and NaN → themselves.
        Vector256<float> ok = Vector256.GreaterThan(x, Vector256<float>.Zero)
                            & Vector256.LessThan(x, Vector256.Create(float.PositiveInfinity));
        Vector256<float> special = Vector256.ConditionalSelect(
            Vector256.Equals(x, Vector256<float>.Zero), Vector256.Create(float.NegativeInfinity),
            Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<float>.Zero), Vector256.Create(float.NaN), x));
        return Vector256.ConditionalSelect(ok, r, special);
    }

    /// <summary>tanh lane-wise; each lane bit-identical to <see cref="Tanh(float)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Tanh(Vector256<float> x)
    {
        Vector256<float> sign = Vector256.Create(-0f);
        Vector256<float> a = Vector256.AndNot(x, sign);
        Vector256<float> z = a * a;
        Vector256<float> q = Vector256.Create(T0);
        q = Vector256.FusedMultiplyAdd(q, z, Vector256.Create(T1));
        q = Vector256.FusedMultiplyAdd(q, z, Vector256.Create(T2));
        q = Vector256.FusedMultiplyAdd(q, z, Vector256.Create(T3));
        q = Vector256.FusedMultiplyAdd(q, z, Vector256.Create(T4));
        Vector256<float> small = Vector256.FusedMultiplyAdd(q * z, a, a);
        Vector256<float> ac = Vector256.MinNative(a, Vector256.Create(TanhClamp));
        Vector256<float> t = Expm1Core(ac + ac);
        Vector256<float> big = t / (t + Vector256.Create(2f));
        Vector256<float> r = Vector256.ConditionalSelect(Vector256.LessThan(a, Vector256.Create(TanhSmall)), small, big);
        r |= x & sign;                                             // r ≥ +0: copysign
        return FixNaN(x, r);
    }

    /// <summary>Sigmoid lane-wise; each lane bit-identical to <see cref="Sigmoid(float)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Sigmoid(Vector256<float> x)
    {
        Vector256<float> e = ExpCore(Vector256.AndNot(x, Vector256.Create(-0f)) ^ Vector256.Create(-0f));
        Vector256<float> num = Vector256.ConditionalSelect(
            Vector256.GreaterThanOrEqual(x, Vector256<float>.Zero), Vector256<float>.One, e);
        return FixNaN(x, num / (Vector256<float>.One + e));
    }

    /// <summary>Softplus lane-wise; each lane bit-identical to <see cref="Softplus(float)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Softplus(Vector256<float> x)
    {
        Vector256<float> l = Log1pUnit(ExpCore(Vector256.AndNot(x, Vector256.Create(-0f)) ^ Vector256.Create(-0f)));
        Vector256<float> m = Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), x, Vector256<float>.Zero);
        return FixNaN(x, m + l);
    }

    /// <summary>log σ(x) lane-wise; each lane bit-identical to <see cref="LogSigmoid(float)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LogSigmoid(Vector256<float> x)
    {
        Vector256<float> l = Log1pUnit(ExpCore(Vector256.AndNot(x, Vector256.Create(-0f)) ^ Vector256.Create(-0f)));
        Vector256<float> m = Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<float>.Zero), x, Vector256<float>.Zero);
        return FixNaN(x, m - l);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> FixNaN(Vector256<float> x, Vector256<float> r) =>
        Vector256.ConditionalSelect(Vector256.Equals(x, x), r, x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> ExpCore(Vector256<float> x)
    {
        x = Vector256.MaxNative(x, Vector256.Create(ExpLo));
        x = Vector256.MinNative(x, Vector256.Create(ExpHi));
        Vector256<float> t = Vector256.FusedMultiplyAdd(x, Vector256.Create(Log2E), Vector256.Create(RoundMagic));
        Vector256<float> n = t - Vector256.Create(RoundMagic);
        Vector256<int> ni = t.AsInt32() - Vector256.Create(RoundMagicBits);
        Vector256<float> r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Hi), x);
        r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Lo), r);
        Vector256<float> u = Vector256.Create(E0);
        u = Vector256.FusedMultiplyAdd(u, r, Vector256.Create(E1));
        u = Vector256.FusedMultiplyAdd(u, r, Vector256.Create(E2));
        u = Vector256.FusedMultiplyAdd(u, r, Vector256.Create(E3));
        u = Vector256.FusedMultiplyAdd(u, r, Vector256.Create(E4));
        u = Vector256.FusedMultiplyAdd(u, r, Vector256.Create(E5));
        Vector256<float> p = Vector256.FusedMultiplyAdd(r * r, u, r) + Vector256<float>.One;
        Vector256<int> n1 = Vector256.ShiftRightArithmetic(ni, 1);
        Vector256<int> n2 = ni - n1;
        Vector256<float> s1 = Vector256.ShiftLeft(n1 + Vector256.Create(127), 23).AsSingle();
        Vector256<float> s2 = Vector256.ShiftLeft(n2 + Vector256.Create(127), 23).AsSingle();
        return p * s1 * s2;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> Expm1Core(Vector256<float> x)
    {
        x = Vector256.MaxNative(x, Vector256.Create(Expm1Lo));
        x = Vector256.MinNative(x, Vector256.Create(ExpHi));
        Vector256<float> t = Vector256.FusedMultiplyAdd(x, Vector256.Create(Log2E), Vector256.Create(RoundMagic));
        Vector256<float> n = t - Vector256.Create(RoundMagic);
        Vector256<int> ni = t.AsInt32() - Vector256.Create(RoundMagicBits);
        Vector256<float> r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Hi), x);
        r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Lo), r);
        Vector256<float> u = Vector256.Create(E0);
        u = Vector256.FusedMultiplyAdd(u, r, Vector256.Create(E1));
        u = Vector256.FusedMultiplyAdd(u, r, Vector256.Create(E2));
        u = Vector256.FusedMultiplyAdd(u, r, Vector256.Create(E3));
        u = Vector256.FusedMultiplyAdd(u, r, Vector256.Create(E4));
        u = Vector256.FusedMultiplyAdd(u, r, Vector256.Create(E5));
        Vector256<float> em = Vector256.FusedMultiplyAdd(r * r, u, r);
        Vector256<float> h = Vector256.ShiftLeft(ni + Vector256.Create(126), 23).AsSingle();
        Vector256<float> g = Vector256.FusedMultiplyAdd(h, em, h - Vector256.Create(0.5f));
        return Vector256.ConditionalSelect(Vector256.Equals(ni, Vector256<int>.Zero).AsSingle(), em, g + g);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> LogCore(Vector256<float> xs, Vector256<int> bias)
    {
        Vector256<int> ix = xs.AsInt32() + Vector256.Create(LogShift);
        Vector256<int> k = Vector256.ShiftRightArithmetic(ix, 23) - Vector256.Create(127) + bias;
        Vector256<float> m = ((ix & Vector256.Create(0x007FFFFF)) + Vector256.Create(SqrtHalfBits)).AsSingle();
        Vector256<float> f = m - Vector256<float>.One;
        Vector256<float> fk = Vector256.ConvertToSingle(k);
        Vector256<float> z = f * f;
        Vector256<float> y = Vector256.Create(L0);
        y = Vector256.FusedMultiplyAdd(y, f, Vector256.Create(L1));
        y = Vector256.FusedMultiplyAdd(y, f, Vector256.Create(L2));
        y = Vector256.FusedMultiplyAdd(y, f, Vector256.Create(L3));
        y = Vector256.FusedMultiplyAdd(y, f, Vector256.Create(L4));
        y = Vector256.FusedMultiplyAdd(y, f, Vector256.Create(L5));
        y = Vector256.FusedMultiplyAdd(y, f, Vector256.Create(L6));
        y = Vector256.FusedMultiplyAdd(y, f, Vector256.Create(L7));
        y = Vector256.FusedMultiplyAdd(y, f, Vector256.Create(L8));
        y = y * f * z;
        y = Vector256.FusedMultiplyAdd(fk, Vector256.Create(LogC2), y);
        y = Vector256.FusedMultiplyAdd(z, Vector256.Create(-0.5f), y);
        Vector256<float> res = f + y;
        return Vector256.FusedMultiplyAdd(fk, Vector256.Create(LogC1), res);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> Log1pUnit(Vector256<float> u)
    {
        Vector256<float> w = Vector256<float>.One + u;
        Vector256<float> c = u - (w - Vector256<float>.One);
        return LogCore(w, Vector256<int>.Zero) + c / w;
    }

    // ================================================================ Vector512
    /// <summary>e^x lane-wise; each lane bit-identical to <see cref="Exp(float)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x) => FixNaN(x, ExpCore(x));

    /// <summary>e^x − 1 lane-wise; each lane bit-identical to <see cref="Expm1(float)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Expm1(Vector512<float> x) => FixNaN(x, Expm1Core(x));

    /// <summary>log x lane-wise; each lane bit-identical to <see cref="Log(float)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Log(Vector512<float> x)
    {
        Vector512<float> sub = Vector512.LessThan(x, Vector512.Create(MinNormal));
        Vector512<float> xs = Vector512.ConditionalSelect(sub, x * Vector512.Create(TwoPow23), x);
        Vector512<int> bias = Vector512.ConditionalSelect(sub.AsInt32(), Vector512.Create(-23), Vector512<int>.Zero);
        Vector512<float> r = LogCore(xs, bias);
        // Special inputs: ±0 → −∞, negative → NaN, +∞ and NaN → themselves.
        Vector512<float> ok = Vector512.GreaterThan(x, Vector512<float>.Zero)
                            & Vector512.LessThan(x, Vector512.Create(float.PositiveInfinity));
        Vector512<float> special = Vector512.ConditionalSelect(
            Vector512.Equals(x, Vector512<float>.Zero), Vector512.Create(float.NegativeInfinity),
            Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512<float>.Zero), Vector512.Create(float.NaN), x));
        return Vector512.ConditionalSelect(ok, r, special);
    }

    /// <summary>tanh lane-wise; each lane bit-identical to <see cref="Tanh(float)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Tanh(Vector512<float> x)
    {
        Vector512<float> sign = Vector512.Create(-0f);
        Vector512<float> a = Vector512.AndNot(x, sign);
        Vector512<float> z = a * a;
        Vector512<float> q = Vector512.Create(T0);
        q = Vector512.FusedMultiplyAdd(q, z, Vector512.Create(T1));
        q = Vector512.FusedMultiplyAdd(q, z, Vector512.Create(T2));
        q = Vector512.FusedMultiplyAdd(q, z, Vector512.Create(T3));
        q = Vector512.FusedMultiplyAdd(q, z, Vector512.Create(T4));
        Vector512<float> small = Vector512.FusedMultiplyAdd(q * z, a, a);
        Vector512<float> ac = Vector512.MinNative(a, Vector512.Create(TanhClamp));
        Vector512<float> t = Expm1Core(ac + ac);
        Vector512<float> big = t / (t + Vector512.Create(2f));
        Vector512<float> r = Vector512.ConditionalSelect(Vector512.LessThan(a, Vector512.Create(TanhSmall)), small, big);
        r |= x & sign;                                             // r ≥ +0: copysign
        return FixNaN(x, r);
    }

    /// <summary>Sigmoid lane-wise; each lane bit-identical to <see cref="Sigmoid(float)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Sigmoid(Vector512<float> x)
    {
        Vector512<float> e = ExpCore(Vector512.AndNot(x, Vector512.Create(-0f)) ^ Vector512.Create(-0f));
        Vector512<float> num = Vector512.ConditionalSelect(
            Vector512.GreaterThanOrEqual(x, Vector512<float>.Zero), Vector512<float>.One, e);
        return FixNaN(x, num / (Vector512<float>.One + e));
    }

    /// <summary>Softplus lane-wise; each lane bit-identical to <see cref="Softplus(float)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Softplus(Vector512<float> x)
    {
        Vector512<float> l = Log1pUnit(ExpCore(Vector512.AndNot(x, Vector512.Create(-0f)) ^ Vector512.Create(-0f)));
        Vector512<float> m = Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<float>.Zero), x, Vector512<float>.Zero);
        return FixNaN(x, m + l);
    }

    /// <summary>log σ(x) lane-wise; each lane bit-identical to <see cref="LogSigmoid(float)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LogSigmoid(Vector512<float> x)
    {
        Vector512<float> l = Log1pUnit(ExpCore(Vector512.AndNot(x, Vector512.Create(-0f)) ^ Vector512.Create(-0f)));
        Vector512<float> m = Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512<float>.Zero), x, Vector512<float>.Zero);
        return FixNaN(x, m - l);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> FixNaN(Vector512<float> x, Vector512<float> r) =>
        Vector512.ConditionalSelect(Vector512.Equals(x, x), r, x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> ExpCore(Vector512<float> x)
    {
        x = Vector512.MaxNative(x, Vector512.Create(ExpLo));
        x = Vector512.MinNative(x, Vector512.Create(ExpHi));
        Vector512<float> t = Vector512.FusedMultiplyAdd(x, Vector512.Create(Log2E), Vector512.Create(RoundMagic));
        Vector512<float> n = t - Vector512.Create(RoundMagic);
        Vector512<int> ni = t.AsInt32() - Vector512.Create(RoundMagicBits);
        Vector512<float> r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Hi), x);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Lo), r);
        Vector512<float> u = Vector512.Create(E0);
        u = Vector512.FusedMultiplyAdd(u, r, Vector512.Create(E1));
        u = Vector512.FusedMultiplyAdd(u, r, Vector512.Create(E2));
        u = Vector512.FusedMultiplyAdd(u, r, Vector512.Create(E3));
        u = Vector512.FusedMultiplyAdd(u, r, Vector512.Create(E4));
        u = Vector512.FusedMultiplyAdd(u, r, Vector512.Create(E5));
        Vector512<float> p = Vector512.FusedMultiplyAdd(r * r, u, r) + Vector512<float>.One;
        Vector512<int> n1 = Vector512.ShiftRightArithmetic(ni, 1);
        Vector512<int> n2 = ni - n1;
        Vector512<float> s1 = Vector512.ShiftLeft(n1 + Vector512.Create(127), 23).AsSingle();
        Vector512<float> s2 = Vector512.ShiftLeft(n2 + Vector512.Create(127), 23).AsSingle();
        return p * s1 * s2;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Expm1Core(Vector512<float> x)
    {
        x = Vector512.MaxNative(x, Vector512.Create(Expm1Lo));
        x = Vector512.MinNative(x, Vector512.Create(ExpHi));
        Vector512<float> t = Vector512.FusedMultiplyAdd(x, Vector512.Create(Log2E), Vector512.Create(RoundMagic));
        Vector512<float> n = t - Vector512.Create(RoundMagic);
        Vector512<int> ni = t.AsInt32() - Vector512.Create(RoundMagicBits);
        Vector512<float> r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Hi), x);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Lo), r);
        Vector512<float> u = Vector512.Create(E0);
        u = Vector512.FusedMultiplyAdd(u, r, Vector512.Create(E1));
        u = Vector512.FusedMultiplyAdd(u, r, Vector512.Create(E2));
        u = Vector512.FusedMultiplyAdd(u, r, Vector512.Create(E3));
        u = Vector512.FusedMultiplyAdd(u, r, Vector512.Create(E4));
        u = Vector512.FusedMultiplyAdd(u, r, Vector512.Create(E5));
        Vector512<float> em = Vector512.FusedMultiplyAdd(r * r, u, r);
        Vector512<float> h = Vector512.ShiftLeft(ni + Vector512.Create(126), 23).AsSingle();
        Vector512<float> g = Vector512.FusedMultiplyAdd(h, em, h - Vector512.Create(0.5f));
        return Vector512.ConditionalSelect(Vector512.Equals(ni, Vector512<int>.Zero).AsSingle(), em, g + g);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> LogCore(Vector512<float> xs, Vector512<int> bias)
    {
        Vector512<int> ix = xs.AsInt32() + Vector512.Create(LogShift);
        Vector512<int> k = Vector512.ShiftRightArithmetic(ix, 23) - Vector512.Create(127) + bias;
        Vector512<float> m = ((ix & Vector512.Create(0x007FFFFF)) + Vector512.Create(SqrtHalfBits)).AsSingle();
        Vector512<float> f = m - Vector512<float>.One;
        Vector512<float> fk = Vector512.ConvertToSingle(k);
        Vector512<float> z = f * f;
        Vector512<float> y = Vector512.Create(L0);
        y = Vector512.FusedMultiplyAdd(y, f, Vector512.Create(L1));
        y = Vector512.FusedMultiplyAdd(y, f, Vector512.Create(L2));
        y = Vector512.FusedMultiplyAdd(y, f, Vector512.Create(L3));
        y = Vector512.FusedMultiplyAdd(y, f, Vector512.Create(L4));
        y = Vector512.FusedMultiplyAdd(y, f, Vector512.Create(L5));
        y = Vector512.FusedMultiplyAdd(y, f, Vector512.Create(L6));
        y = Vector512.FusedMultiplyAdd(y, f, Vector512.Create(L7));
        y = Vector512.FusedMultiplyAdd(y, f, Vector512.Create(L8));
        y = y * f * z;
        y = Vector512.FusedMultiplyAdd(fk, Vector512.Create(LogC2), y);
        y = Vector512.FusedMultiplyAdd(z, Vector512.Create(-0.5f), y);
        Vector512<float> res = f + y;
        return Vector512.FusedMultiplyAdd(fk, Vector512.Create(LogC1), res);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Log1pUnit(Vector512<float> u)
    {
        Vector512<float> w = Vector512<float>.One + u;
        Vector512<float> c = u - (w - Vector512<float>.One);
        return LogCore(w, Vector512<int>.Zero) + c / w;
    }

}
