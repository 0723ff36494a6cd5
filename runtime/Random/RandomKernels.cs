using System.Runtime.CompilerServices;

namespace GenDsl;

/// <summary>
/// Word → float transforms, written once over <see cref="ILanes{TF, TU}"/> so that every width computes the
/// same IEEE operations per lane. The transcendental functions (ln, sin, cos) are our own polynomials (the
/// Cephes single-precision ones) rather than <see cref="MathF"/>: that makes them vectorisable AND makes the
/// output independent of the platform's C library, so a seed gives the same samples on every machine.
/// </summary>
internal static class RandomKernels
{
    /// <summary>2⁻²⁴: a 24-bit integer times this is a float in [0, 1) on a uniform grid (exact).</summary>
    public const float Inv24 = 1f / 16777216f;

    /// <summary>2π / 2²⁴: radians per step of the 24-bit angle grid.</summary>
    public const float TwoPiOver24 = (float)(2 * Math.PI / 16777216.0);

    private const float SqrtHalf = 0.707106781186547524f;

    /// <summary>Uniform in [0, 1): the top 24 bits of the word, scaled by 2⁻²⁴ (both steps exact).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TF Uniform01<TL, TF, TU>(TU word)
        where TL : struct, ILanes<TF, TU> where TF : struct where TU : struct =>
        TL.Multiply(TL.ConvertFromInt32(TL.ShiftRightLogicalU(word, 8)), TL.Splat(Inv24));

    /// <summary>
    /// low + u·(high − low) with one rounding, clamped to <paramref name="highBelow"/> (the float just below
    /// high) because rounding can otherwise produce high itself.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TF UniformRange<TL, TF, TU>(TU word, TF span, TF low, TF highBelow)
        where TL : struct, ILanes<TF, TU> where TF : struct where TU : struct
    {
        TF x = TL.FusedMultiplyAdd(Uniform01<TL, TF, TU>(word), span, low);
        return TL.Select(TL.GreaterThan(x, highBelow), highBelow, x);
    }

    /// <summary>
    /// Natural logarithm of a positive, normal float (Cephes <c>logf</c>): x = m·2ᵉ with m in [√½, √2),
    /// ln x = ln m + e·ln 2, ln m = f − f²/2 + f³·P(f) with f = m − 1, and ln 2 split in two parts
    /// (0.693359375 exact in few bits + a small correction) so that e·ln 2 adds without rounding error.
    /// Relative error about 1e-7.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TF Log<TL, TF, TU>(TF x)
        where TL : struct, ILanes<TF, TU> where TF : struct where TU : struct
    {
        TU bits = TL.AsBits(x);
        // Exponent such that x = m·2^e with m in [0.5, 1): biased exponent − 126.
        TU e = TL.SubtractU(TL.ShiftRightLogicalU(bits, 23), TL.SplatU(126));
        TF m = TL.FromBits(TL.OrU(TL.AndU(bits, TL.SplatU(0x007F_FFFF)), TL.SplatU(0x3F00_0000)));
        // Move m into [√½, √2): where m < √½ use 2m and e − 1 (the mask is all ones = −1 as an integer).
        TU small = TL.LessThan(m, TL.Splat(SqrtHalf));
        e = TL.AddU(e, small);
        TF f = TL.Subtract(TL.Select(small, TL.Add(m, m), m), TL.Splat(1f)); // exact: Sterbenz
        TF z = TL.Multiply(f, f);
        TF p = TL.Splat(7.0376836292E-2f);
        p = TL.FusedMultiplyAdd(p, f, TL.Splat(-1.1514610310E-1f));
        p = TL.FusedMultiplyAdd(p, f, TL.Splat(1.1676998740E-1f));
        p = TL.FusedMultiplyAdd(p, f, TL.Splat(-1.2420140846E-1f));
        p = TL.FusedMultiplyAdd(p, f, TL.Splat(1.4249322787E-1f));
        p = TL.FusedMultiplyAdd(p, f, TL.Splat(-1.6668057665E-1f));
        p = TL.FusedMultiplyAdd(p, f, TL.Splat(2.0000714765E-1f));
        p = TL.FusedMultiplyAdd(p, f, TL.Splat(-2.4999993993E-1f));
        p = TL.FusedMultiplyAdd(p, f, TL.Splat(3.3333331174E-1f));
        TF y = TL.Multiply(TL.Multiply(p, f), z);                        // f³·P(f)
        TF ef = TL.ConvertFromInt32(e);
        y = TL.FusedMultiplyAdd(ef, TL.Splat(-2.12194440e-4f), y);       // e·(ln 2 − 0.693359375)
        y = TL.FusedMultiplyAdd(z, TL.Splat(-0.5f), y);                   // − f²/2
        TF r = TL.Add(f, y);
        return TL.FusedMultiplyAdd(ef, TL.Splat(0.693359375f), r);       // + e·0.693359375
    }

    /// <summary>
    /// sin and cos of the angle 2π·k/2²⁴ for a 24-bit integer k. The reduction is exact integer arithmetic:
    /// k + 2²¹ splits into the nearest quarter turn q (top 2 bits) and a remainder r in [−2²¹, 2²¹), i.e.
    /// an angle x = r·2π/2²⁴ in [−π/4, π/4) where the Cephes polynomials are accurate to about 1e-7; the
    /// quarter turn then swaps sin/cos and flips signs: sin(qπ/2 + x) = (sin x, cos x, −sin x, −cos x)[q].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SinCosTurns<TL, TF, TU>(TU k, out TF sin, out TF cos)
        where TL : struct, ILanes<TF, TU> where TF : struct where TU : struct
    {
        TU j = TL.AddU(k, TL.SplatU(1u << 21));
        TU q = TL.AndU(TL.ShiftRightLogicalU(j, 22), TL.SplatU(3));
        TU r = TL.SubtractU(TL.AndU(j, TL.SplatU((1u << 22) - 1)), TL.SplatU(1u << 21)); // signed, |r| ≤ 2²¹
        TF x = TL.Multiply(TL.ConvertFromInt32(r), TL.Splat(TwoPiOver24));
        TF z = TL.Multiply(x, x);

        // sin x = x + x·z·(s0 + z·(s1 + z·s2))
        TF ps = TL.FusedMultiplyAdd(TL.Splat(-1.9515295891E-4f), z, TL.Splat(8.3321608736E-3f));
        ps = TL.FusedMultiplyAdd(ps, z, TL.Splat(-1.6666654611E-1f));
        TF s = TL.FusedMultiplyAdd(TL.Multiply(ps, z), x, x);

        // cos x = 1 − z/2 + z²·(c0 + z·(c1 + z·c2))
        TF pc = TL.FusedMultiplyAdd(TL.Splat(2.443315711809948E-5f), z, TL.Splat(-1.388731625493765E-3f));
        pc = TL.FusedMultiplyAdd(pc, z, TL.Splat(4.166664568298827E-2f));
        TF c = TL.FusedMultiplyAdd(TL.Multiply(pc, z), z, TL.FusedMultiplyAdd(z, TL.Splat(-0.5f), TL.Splat(1f)));

        // Quarter turns: odd q swaps sin and cos; sin is negated for q ∈ {2, 3}, cos for q ∈ {1, 2}.
        TU swap = TL.SubtractU(TL.SplatU(0), TL.AndU(q, TL.SplatU(1)));
        TU sinSign = TL.ShiftLeftU(TL.AndU(q, TL.SplatU(2)), 30);
        TU cosSign = TL.ShiftLeftU(TL.AndU(TL.AddU(q, TL.SplatU(1)), TL.SplatU(2)), 30);
        sin = TL.FromBits(TL.XorU(TL.AsBits(TL.Select(swap, c, s)), sinSign));
        cos = TL.FromBits(TL.XorU(TL.AsBits(TL.Select(swap, s, c)), cosSign));
    }

    /// <summary>
    /// Box–Muller: from two words, u₁ = (top 24 bits + 1)·2⁻²⁴ in (0, 1] and the angle θ = 2π·(top 24 bits of
    /// w₂)/2²⁴, radius ρ = √(−2 ln u₁); z₀ = ρ cos θ and z₁ = ρ sin θ are independent N(0, 1). Returned as
    /// mean + std·z with one rounding. |z| ≤ √(2·24 ln 2) ≈ 5.77 (the smallest u₁ is 2⁻²⁴).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void BoxMuller<TL, TF, TU>(TU w1, TU w2, TF mean, TF std, out TF z0, out TF z1)
        where TL : struct, ILanes<TF, TU> where TF : struct where TU : struct
    {
        TF u1 = TL.Multiply(TL.ConvertFromInt32(TL.AddU(TL.ShiftRightLogicalU(w1, 8), TL.SplatU(1))), TL.Splat(Inv24));
        TF radius = TL.Sqrt(TL.Multiply(Log<TL, TF, TU>(u1), TL.Splat(-2f)));
        SinCosTurns<TL, TF, TU>(TL.ShiftRightLogicalU(w2, 8), out TF sin, out TF cos);
        z0 = TL.FusedMultiplyAdd(TL.Multiply(radius, cos), std, mean);
        z1 = TL.FusedMultiplyAdd(TL.Multiply(radius, sin), std, mean);
    }

    /// <summary>In place: words[i] (read as uint) becomes a uniform float in [low, high). Returns the index reached.</summary>
    public static nuint UniformInPlace<TL, TF, TU>(ref uint data, nuint start, nuint length, float low, float span, float highBelow)
        where TL : struct, ILanes<TF, TU> where TF : struct where TU : struct
    {
        nuint count = (nuint)TL.Count;
        TF vLow = TL.Splat(low), vSpan = TL.Splat(span), vHighBelow = TL.Splat(highBelow);
        nuint i = start;
        for (; i + count <= length; i += count)
        {
            TF x = UniformRange<TL, TF, TU>(TL.LoadU(ref data, i), vSpan, vLow, vHighBelow);
            TL.StoreU(TL.AsBits(x), ref data, i);
        }
        return i;
    }

    /// <summary>
    /// In place: each pair of words (2j, 2j+1) becomes the Box–Muller pair (z₀, z₁), scaled. Processes whole
    /// groups of 2·Count words from <paramref name="start"/> (which must be even); returns the index reached.
    /// </summary>
    public static nuint NormalInPlace<TL, TF, TU>(ref uint data, nuint start, nuint length, float mean, float std)
        where TL : struct, ILanes<TF, TU> where TF : struct where TU : struct
    {
        nuint count = (nuint)TL.Count;
        TF vMean = TL.Splat(mean), vStd = TL.Splat(std);
        nuint i = start;
        for (; i + 2 * count <= length; i += 2 * count)
        {
            TL.Deinterleave(TL.LoadU(ref data, i), TL.LoadU(ref data, i + count), out TU w1, out TU w2);
            BoxMuller<TL, TF, TU>(w1, w2, vMean, vStd, out TF z0, out TF z1);
            TL.Interleave(TL.AsBits(z0), TL.AsBits(z1), out TU first, out TU second);
            TL.StoreU(first, ref data, i);
            TL.StoreU(second, ref data, i + count);
        }
        return i;
    }
}
