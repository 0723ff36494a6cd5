using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using CommunityToolkit.HighPerformance;

namespace GenDsl.Numerics;

/// <summary>
/// Sums and log-sum-exp over spans and over the rows of 2-D views, bit-identical at every
/// <see cref="Simd.Width"/>.
/// </summary>
/// <remarks>
/// Floating-point addition is not associative, so a sum's bits depend on the order of the additions.
/// To make the result independent of the vector width, every reduction here uses the SAME order:
/// <list type="number">
/// <item>16 partial sums; partial j accumulates the elements x[i] with i ≡ j (mod 16), in increasing i.
/// That is one Vector512 accumulator, or two Vector256 (lanes 0–7, 8–15), or four Vector128, or
/// 16 scalars: the same 16 chains of additions, just packed differently. Elements past the last full
/// block of 16 are added (by scalar code) to the partial of their index mod 16.</item>
/// <item>The 16 partials are combined by a fixed pairwise tree: p[j] += p[j+8] (j &lt; 8), then
/// p[j] += p[j+4] (j &lt; 4), then p[j] += p[j+2], then p[0] + p[1].</item>
/// </list>
/// A side benefit: 16 independent chains round less than one long chain (error grows like n/16).
/// </remarks>
public static class Reductions
{
    /// <summary>Σ x[i] (0 for an empty span).</summary>
    public static float Sum(ReadOnlySpan<float> x) => Reduce16(x, default(AddStep));

    /// <summary>Σ x[i]² (each square accumulated with a fused multiply-add).</summary>
    public static float SumOfSquares(ReadOnlySpan<float> x) => Reduce16(x, default(SquareStep));

    /// <summary>sums[r] = Σ_c x[r, c] for every row r; <paramref name="sums"/> must have length x.Height.
    /// Works on any view, including ones with a pitch (non-contiguous rows).</summary>
    public static void RowSums(ReadOnlySpan2D<float> x, Span<float> sums)
    {
        CheckRows(x, sums, nameof(sums));
        for (int r = 0; r < x.Height; r++)
            sums[r] = Reduce16(x.GetRowSpan(r), default(AddStep));
    }

    /// <summary>
    /// log Σ e^x[i], computed stably as m + log Σ e^(x[i] − m) with m = max x[i], so no term
    /// overflows and the largest term is exactly 1. Empty span → −∞; all −∞ → −∞; any +∞ → +∞;
    /// any NaN → NaN.
    /// </summary>
    public static float LogSumExp(ReadOnlySpan<float> x)
    {
        if (x.IsEmpty)
            return float.NegativeInfinity;
        float m = Max(x);
        if (float.IsInfinity(m))                           // all terms 0 (m = −∞), or the sum is +∞
            return HasNaN(x) ? float.NaN : m;
        // A NaN element (whether or not it became m) makes a term NaN, hence the result.
        float s = Reduce16(x, new ExpShiftStep(m));
        return m + VecMath.Log(s);
    }

    /// <summary>lse[r] = log Σ_c e^x[r, c] for every row r (see <see cref="LogSumExp(ReadOnlySpan{float})"/>);
    /// <paramref name="lse"/> must have length x.Height.</summary>
    public static void RowLogSumExp(ReadOnlySpan2D<float> x, Span<float> lse)
    {
        CheckRows(x, lse, nameof(lse));
        for (int r = 0; r < x.Height; r++)
            lse[r] = LogSumExp(x.GetRowSpan(r));
    }

    // ------------------------------------------------------------------ implementation

    /// <summary>One accumulation step acc ← acc ⊕ x, identical per lane at every width.</summary>
    private interface IStep
    {
        float Step(float acc, float x);
        Vector128<float> Step(Vector128<float> acc, Vector128<float> x);
        Vector256<float> Step(Vector256<float> acc, Vector256<float> x);
        Vector512<float> Step(Vector512<float> acc, Vector512<float> x);
    }

    private readonly struct AddStep : IStep
    {
        public float Step(float acc, float x) => acc + x;
        public Vector128<float> Step(Vector128<float> acc, Vector128<float> x) => acc + x;
        public Vector256<float> Step(Vector256<float> acc, Vector256<float> x) => acc + x;
        public Vector512<float> Step(Vector512<float> acc, Vector512<float> x) => acc + x;
    }

    private readonly struct SquareStep : IStep
    {
        public float Step(float acc, float x) => MathF.FusedMultiplyAdd(x, x, acc);
        public Vector128<float> Step(Vector128<float> acc, Vector128<float> x) => Vector128.FusedMultiplyAdd(x, x, acc);
        public Vector256<float> Step(Vector256<float> acc, Vector256<float> x) => Vector256.FusedMultiplyAdd(x, x, acc);
        public Vector512<float> Step(Vector512<float> acc, Vector512<float> x) => Vector512.FusedMultiplyAdd(x, x, acc);
    }

    /// <summary>acc + e^(x − m).</summary>
    private readonly struct ExpShiftStep(float m) : IStep
    {
        private readonly float _m = m;
        public float Step(float acc, float x) => acc + VecMath.Exp(x - _m);
        public Vector128<float> Step(Vector128<float> acc, Vector128<float> x) => acc + VecMath.Exp(x - Vector128.Create(_m));
        public Vector256<float> Step(Vector256<float> acc, Vector256<float> x) => acc + VecMath.Exp(x - Vector256.Create(_m));
        public Vector512<float> Step(Vector512<float> acc, Vector512<float> x) => acc + VecMath.Exp(x - Vector512.Create(_m));
    }

    /// <summary>Fixed-order reduction with 16 partials (see the class remarks).</summary>
    private static float Reduce16<TStep>(ReadOnlySpan<float> x, TStep op) where TStep : struct, IStep
    {
        Span<float> p = stackalloc float[16];
        p.Clear();
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float pr = ref MemoryMarshal.GetReference(p);
        nuint n = (nuint)x.Length;
        nuint full = n & ~(nuint)15;
        switch (Simd.Width)
        {
            case SimdWidth.V512:
            {
                Vector512<float> a = Vector512<float>.Zero;
                for (nuint i = 0; i < full; i += 16)
                    a = op.Step(a, Vector512.LoadUnsafe(ref xr, i));
                a.StoreUnsafe(ref pr);
                break;
            }
            case SimdWidth.V256:
            {
                Vector256<float> a0 = Vector256<float>.Zero, a1 = Vector256<float>.Zero;
                for (nuint i = 0; i < full; i += 16)
                {
                    a0 = op.Step(a0, Vector256.LoadUnsafe(ref xr, i));
                    a1 = op.Step(a1, Vector256.LoadUnsafe(ref xr, i + 8));
                }
                a0.StoreUnsafe(ref pr);
                a1.StoreUnsafe(ref pr, 8);
                break;
            }
            case SimdWidth.V128:
            {
                Vector128<float> a0 = Vector128<float>.Zero, a1 = Vector128<float>.Zero;
                Vector128<float> a2 = Vector128<float>.Zero, a3 = Vector128<float>.Zero;
                for (nuint i = 0; i < full; i += 16)
                {
                    a0 = op.Step(a0, Vector128.LoadUnsafe(ref xr, i));
                    a1 = op.Step(a1, Vector128.LoadUnsafe(ref xr, i + 4));
                    a2 = op.Step(a2, Vector128.LoadUnsafe(ref xr, i + 8));
                    a3 = op.Step(a3, Vector128.LoadUnsafe(ref xr, i + 12));
                }
                a0.StoreUnsafe(ref pr);
                a1.StoreUnsafe(ref pr, 4);
                a2.StoreUnsafe(ref pr, 8);
                a3.StoreUnsafe(ref pr, 12);
                break;
            }
            default:
                for (nuint i = 0; i < full; i += 16)
                    for (nuint j = 0; j < 16; j++)
                        Unsafe.Add(ref pr, j) = op.Step(Unsafe.Add(ref pr, j), Unsafe.Add(ref xr, i + j));
                break;
        }
        // Tail: element full + j goes to partial j, exactly as a further block would.
        for (nuint j = 0; full + j < n; j++)
            Unsafe.Add(ref pr, j) = op.Step(Unsafe.Add(ref pr, j), Unsafe.Add(ref xr, full + j));
        // Fixed pairwise tree.
        for (int half = 8; half >= 1; half >>= 1)
            for (int j = 0; j < half; j++)
                p[j] += p[j + half];
        return p[0];
    }

    /// <summary>max x[i] for a non-empty span. The maximum of non-NaN values does not depend on the
    /// order, so any width gives the same value (if NaNs are present the result is unspecified, and
    /// LogSumExp turns it into NaN through the NaN term anyway).</summary>
    private static float Max(ReadOnlySpan<float> x)
    {
        ref float xr = ref MemoryMarshal.GetReference(x);
        nuint n = (nuint)x.Length, i = 0;
        float m = float.NegativeInfinity;
        SimdWidth w = Simd.Width;
        if (w == SimdWidth.V512 && n >= 16)
        {
            Vector512<float> v = Vector512.Create(float.NegativeInfinity);
            for (; i + 16 <= n; i += 16)
                v = Vector512.MaxNative(v, Vector512.LoadUnsafe(ref xr, i));
            m = MaxOf(Vector256.MaxNative(v.GetLower(), v.GetUpper()));
        }
        else if (w >= SimdWidth.V256 && n >= 8)
        {
            Vector256<float> v = Vector256.Create(float.NegativeInfinity);
            for (; i + 8 <= n; i += 8)
                v = Vector256.MaxNative(v, Vector256.LoadUnsafe(ref xr, i));
            m = MaxOf(v);
        }
        else if (w >= SimdWidth.V128 && n >= 4)
        {
            Vector128<float> v = Vector128.Create(float.NegativeInfinity);
            for (; i + 4 <= n; i += 4)
                v = Vector128.MaxNative(v, Vector128.LoadUnsafe(ref xr, i));
            m = MaxOf(v);
        }
        for (; i < n; i++)
        {
            float e = Unsafe.Add(ref xr, i);
            m = e > m ? e : m;
        }
        return m;
    }

    private static float MaxOf(Vector256<float> v)
    {
        Vector128<float> h = Vector128.MaxNative(v.GetLower(), v.GetUpper());
        return MaxOf(h);
    }

    private static float MaxOf(Vector128<float> v)
    {
        float m = v[0];
        for (int k = 1; k < 4; k++)
            m = v[k] > m ? v[k] : m;
        return m;
    }

    private static bool HasNaN(ReadOnlySpan<float> x)
    {
        foreach (float e in x)
            if (float.IsNaN(e))
                return true;
        return false;
    }

    private static void CheckRows(ReadOnlySpan2D<float> x, Span<float> output, string paramName)
    {
        if (output.Length != x.Height)
            throw new ArgumentException(
                $"{paramName} has length {output.Length} but x has {x.Height} rows; pass a span of length {x.Height} (one value per row).",
                paramName);
    }
}
