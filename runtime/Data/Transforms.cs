using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using CommunityToolkit.HighPerformance;
using GenDsl.Numerics;

namespace GenDsl.Data;

/// <summary>
/// RealNVP's preprocessing of discrete images for a normalizing flow (Dinh, Sohl-Dickstein and
/// Bengio, 2017, section 4.1): uniform dequantisation followed by a logit transform, with the exact
/// per-row log-determinant needed to report the flow's likelihood of the DISCRETE data (for example
/// in bits per dimension, see <see cref="GenDsl.Metrics.FlowMetrics"/> and docs/metrics.md).
/// </summary>
/// <remarks>
/// <para>
/// Input: pixels that take <see cref="Levels"/> = L integer values k ∈ {0, …, L − 1}, stored on the
/// scale [0, 1] as x = k / (L − 1) (what <see cref="Digits.Load"/> returns: L = 17, x = k / 16).
/// Per element, with ε ~ U[0, 1) drawn from a <see cref="Rng"/>:
/// </para>
/// <code>
/// v = k + ε                    dequantised value, in [0, L)       (the variable whose density is reported)
/// u = v / L                    in [0, 1)
/// s = α + (1 − 2α)·u           in [α, 1 − α): keeps the logit away from ±∞
/// y = logit(s) = ln s − ln(1 − s)
/// </code>
/// <para>
/// The log-determinant written per row is that of the whole map v ↦ y (D = columns):
/// </para>
/// <code>
/// ln|det ∂y/∂v| = Σⱼ [ ln(1 − 2α) − ln sⱼ − ln(1 − sⱼ) ]  −  D·ln L
/// </code>
/// <para>
/// (dy/dv = (1/L)·(1 − 2α)·1/(s(1 − s)) for each element). So, if a flow gives ln p_Y(y), then
/// ln p_V(v) = ln p_Y(y) + logDet is the log-density of the dequantised data in pixel-level units, and
/// −ln p_V(v), averaged over data and noise, is an upper bound on the negative log-likelihood
/// −ln P(k) of the discrete pixels in nats (because P(k) = ∫ p_V(k + ε) dε over the unit cube, and
/// Jensen's inequality). Bits per dimension = −ln p_V(v) / (D·ln 2). This is the convention of
/// RealNVP, Glow and the usual "bits/dim" tables (there with L = 256). The derivation is in
/// docs/metrics.md.
/// </para>
/// <para>
/// Vectorised at every <see cref="Simd.Width"/> with <see cref="VecMath"/>'s own logarithm and sigmoid,
/// each lane doing exactly the scalar operations, and the log-determinant summed in double in index
/// order whatever the width: results are bit-identical on every machine and at every width. About two
/// logarithms per element; nothing is allocated per call.
/// </para>
/// </remarks>
public sealed class LogitTransform
{
    // How far x·(L − 1) may be from an integer and still be read as that level (float rounding of k/(L−1)).
    private const float LevelTolerance = 1e-3f;

    // Elements per block of the log-det sum: the vector code stores ln s and ln(1 − s) for a block, then they are
    // added in double in index order, so the sum does not depend on the width.
    private const int Block = 64;

    private readonly float _alpha;
    private readonly float _vToS;        // (1 − 2α)/L, rounded once: s = v·_vToS + α with one FMA
    private readonly float _oneMinus2Alpha;
    private readonly double _rowConstant; // D-independent part per element: ln(1 − 2α) − ln L

    /// <summary>Creates the transform.</summary>
    /// <param name="levels">The number of discrete values a pixel takes, L ≥ 2 (17 for the 8 × 8 digits, 256 for 8-bit images).</param>
    /// <param name="alpha">The squeeze α ∈ (0, ½) of s = α + (1 − 2α)·u; RealNVP uses 0.05 (Glow-style code often 1e-6).</param>
    public LogitTransform(int levels, float alpha = 0.05f)
    {
        if (levels < 2 || levels > (1 << 20))
            throw new ArgumentOutOfRangeException(nameof(levels), levels,
                "levels is the number of discrete pixel values L (for example 17 for the digits, 256 for 8-bit images); it must be between 2 and 2^20.");
        if (!(alpha > 0f && alpha < 0.5f))
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha,
                "alpha must lie strictly between 0 and 0.5 (RealNVP uses 0.05): the logit is applied to α + (1 − 2α)·u.");
        Levels = levels;
        _alpha = alpha;
        _oneMinus2Alpha = 1f - 2f * alpha;
        _vToS = (float)((1.0 - 2.0 * alpha) / levels);
        _rowConstant = Math.Log(1.0 - 2.0 * alpha) - Math.Log(levels);
    }

    /// <summary>The transform for <see cref="Digits"/>: 17 levels (counts 0 … 16), α = 0.05.</summary>
    public static LogitTransform ForDigits(float alpha = 0.05f) => new(17, alpha);

    /// <summary>The number L of discrete pixel values.</summary>
    public int Levels { get; }

    /// <summary>The squeeze α.</summary>
    public float Alpha => _alpha;

    /// <summary>
    /// The constant part of the per-row log-determinant, D·(ln(1 − 2α) − ln L) for <paramref name="columns"/> = D;
    /// the rest is −Σⱼ ln(sⱼ(1 − sⱼ)).
    /// </summary>
    public double LogDetConstant(int columns) => columns * _rowConstant;

    /// <summary>
    /// Dequantises with fresh uniform noise and applies the logit: y = logit(α + (1 − 2α)(k + ε)/L),
    /// ε ~ U[0, 1) (D numbers per row drawn in row order from <paramref name="rng"/>).
    /// Writes ln|det ∂y/∂v| per row into <paramref name="logDet"/> (see the class remarks), or
    /// skips it when <paramref name="logDet"/> is empty (training does not need it: it does not
    /// depend on the flow's parameters). Allocates nothing.
    /// </summary>
    /// <param name="x">Pixels on the [0, 1] scale, x = k/(L − 1) with k an integer level.</param>
    /// <param name="y">Receives the logits; same shape as <paramref name="x"/>, must not overlap it.</param>
    /// <param name="logDet">One value per row, or empty.</param>
    /// <param name="rng">The source of the dequantisation noise.</param>
    /// <exception cref="ArgumentException">Shapes disagree, or a value of <paramref name="x"/> is not one of the L levels.</exception>
    public void Forward(ReadOnlySpan2D<float> x, Span2D<float> y, Span<float> logDet, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        CheckShapes(x, y, logDet);
        for (int r = 0; r < x.Height; r++)
        {
            Span<float> yr = y.GetRowSpan(r);
            rng.FillUniform(yr); // ε first, then overwritten element by element with y
            double sum = ForwardRow(x.GetRowSpan(r), yr, r, noiseIsInY: true);
            if (!logDet.IsEmpty)
                logDet[r] = (float)(LogDetConstant(x.Width) - sum);
        }
    }

    /// <summary>
    /// The deterministic variant with ε = ½ (the centre of every bin). Useful to look at data or to
    /// test the inverse; NOT a valid likelihood bound (use the overload with an <see cref="Rng"/>).
    /// </summary>
    /// <inheritdoc cref="Forward(ReadOnlySpan2D{float}, Span2D{float}, Span{float}, Rng)"/>
    public void Forward(ReadOnlySpan2D<float> x, Span2D<float> y, Span<float> logDet)
    {
        CheckShapes(x, y, logDet);
        for (int r = 0; r < x.Height; r++)
        {
            double sum = ForwardRow(x.GetRowSpan(r), y.GetRowSpan(r), r, noiseIsInY: false);
            if (!logDet.IsEmpty)
                logDet[r] = (float)(LogDetConstant(x.Width) - sum);
        }
    }

    // Writes y for one row and returns Σⱼ (ln sⱼ + ln(1 − sⱼ)), summed in double in index order.
    private double ForwardRow(ReadOnlySpan<float> xr, Span<float> yr, int row, bool noiseIsInY)
    {
        Span<float> logs = stackalloc float[2 * Block]; // [0, Block): ln s, [Block, 2·Block): ln(1 − s)
        float top = Levels - 1;
        double sum = 0;
        for (int start = 0; start < xr.Length; start += Block)
        {
            int length = Math.Min(Block, xr.Length - start);
            ReadOnlySpan<float> xb = xr.Slice(start, length);
            Span<float> yb = yr.Slice(start, length);
            int done = 0;
            if (Simd.Use512)
                done = ForwardBlock512(xb, yb, logs, noiseIsInY, top);
            else if (Simd.Use256)
                done = ForwardBlock256(xb, yb, logs, noiseIsInY, top);
            else if (Simd.Use128)
                done = ForwardBlock128(xb, yb, logs, noiseIsInY, top);
            // The tail, and any vector that held a value off the grid (the scalar code finds it and throws).
            for (int j = done; j < length; j++)
            {
                float scaled = xb[j] * top;
                float k = MathF.Round(scaled);
                if (!(k >= 0f && k <= top && MathF.Abs(scaled - k) <= LevelTolerance))
                    throw BadLevel(xb[j], row, start + j);
                float eps = noiseIsInY ? yb[j] : 0.5f;
                float v = k + eps;                                  // rounded once (may round up to k + 1 when ε is within an ulp of 1)
                float s = MathF.FusedMultiplyAdd(v, _vToS, _alpha); // α + (1 − 2α)·v/L ∈ [α, 1 − α]
                float logS = VecMath.Log(s);
                float log1mS = VecMath.Log(1f - s);                 // 1 − s is exact for s ∈ [½, 1] (Sterbenz) and well-conditioned below
                yb[j] = logS - log1mS;
                logs[j] = logS;
                logs[Block + j] = log1mS;
            }
            for (int j = 0; j < length; j++)
                sum += (double)logs[j] + logs[Block + j];
        }
        return sum;
    }

    // The vector versions of the scalar loop above: same operations per lane. They stop at the first vector
    // holding a value that is not a level and return how many elements they finished.
    private int ForwardBlock128(ReadOnlySpan<float> x, Span<float> y, Span<float> logs, bool noiseIsInY, float top)
    {
        ref float xs = ref MemoryMarshal.GetReference(x);
        ref float ys = ref MemoryMarshal.GetReference(y);
        ref float ls = ref MemoryMarshal.GetReference(logs);
        var vTop = Vector128.Create(top);
        var vTol = Vector128.Create(LevelTolerance);
        var vToS = Vector128.Create(_vToS);
        var vAlpha = Vector128.Create(_alpha);
        var one = Vector128.Create(1f);
        int j = 0;
        for (; j <= x.Length - Vector128<float>.Count; j += Vector128<float>.Count)
        {
            var scaled = Vector128.LoadUnsafe(ref xs, (nuint)j) * vTop;
            var k = Vector128.Round(scaled);
            var ok = Vector128.GreaterThanOrEqual(k, Vector128<float>.Zero) & Vector128.LessThanOrEqual(k, vTop)
                   & Vector128.LessThanOrEqual(Vector128.Abs(scaled - k), vTol);
            if (!Vector128.EqualsAll(ok.AsInt32(), Vector128<int>.AllBitsSet))
                break;
            var eps = noiseIsInY ? Vector128.LoadUnsafe(ref ys, (nuint)j) : Vector128.Create(0.5f);
            var s = Vector128.FusedMultiplyAdd(k + eps, vToS, vAlpha);
            var logS = VecMath.Log(s);
            var log1mS = VecMath.Log(one - s);
            (logS - log1mS).StoreUnsafe(ref ys, (nuint)j);
            logS.StoreUnsafe(ref ls, (nuint)j);
            log1mS.StoreUnsafe(ref ls, (nuint)(Block + j));
        }
        return j;
    }

    private int ForwardBlock256(ReadOnlySpan<float> x, Span<float> y, Span<float> logs, bool noiseIsInY, float top)
    {
        ref float xs = ref MemoryMarshal.GetReference(x);
        ref float ys = ref MemoryMarshal.GetReference(y);
        ref float ls = ref MemoryMarshal.GetReference(logs);
        var vTop = Vector256.Create(top);
        var vTol = Vector256.Create(LevelTolerance);
        var vToS = Vector256.Create(_vToS);
        var vAlpha = Vector256.Create(_alpha);
        var one = Vector256.Create(1f);
        int j = 0;
        for (; j <= x.Length - Vector256<float>.Count; j += Vector256<float>.Count)
        {
            var scaled = Vector256.LoadUnsafe(ref xs, (nuint)j) * vTop;
            var k = Vector256.Round(scaled);
            var ok = Vector256.GreaterThanOrEqual(k, Vector256<float>.Zero) & Vector256.LessThanOrEqual(k, vTop)
                   & Vector256.LessThanOrEqual(Vector256.Abs(scaled - k), vTol);
            if (!Vector256.EqualsAll(ok.AsInt32(), Vector256<int>.AllBitsSet))
                break;
            var eps = noiseIsInY ? Vector256.LoadUnsafe(ref ys, (nuint)j) : Vector256.Create(0.5f);
            var s = Vector256.FusedMultiplyAdd(k + eps, vToS, vAlpha);
            var logS = VecMath.Log(s);
            var log1mS = VecMath.Log(one - s);
            (logS - log1mS).StoreUnsafe(ref ys, (nuint)j);
            logS.StoreUnsafe(ref ls, (nuint)j);
            log1mS.StoreUnsafe(ref ls, (nuint)(Block + j));
        }
        return j;
    }

    private int ForwardBlock512(ReadOnlySpan<float> x, Span<float> y, Span<float> logs, bool noiseIsInY, float top)
    {
        ref float xs = ref MemoryMarshal.GetReference(x);
        ref float ys = ref MemoryMarshal.GetReference(y);
        ref float ls = ref MemoryMarshal.GetReference(logs);
        var vTop = Vector512.Create(top);
        var vTol = Vector512.Create(LevelTolerance);
        var vToS = Vector512.Create(_vToS);
        var vAlpha = Vector512.Create(_alpha);
        var one = Vector512.Create(1f);
        int j = 0;
        for (; j <= x.Length - Vector512<float>.Count; j += Vector512<float>.Count)
        {
            var scaled = Vector512.LoadUnsafe(ref xs, (nuint)j) * vTop;
            var k = Vector512.Round(scaled);
            var ok = Vector512.GreaterThanOrEqual(k, Vector512<float>.Zero) & Vector512.LessThanOrEqual(k, vTop)
                   & Vector512.LessThanOrEqual(Vector512.Abs(scaled - k), vTol);
            if (!Vector512.EqualsAll(ok.AsInt32(), Vector512<int>.AllBitsSet))
                break;
            var eps = noiseIsInY ? Vector512.LoadUnsafe(ref ys, (nuint)j) : Vector512.Create(0.5f);
            var s = Vector512.FusedMultiplyAdd(k + eps, vToS, vAlpha);
            var logS = VecMath.Log(s);
            var log1mS = VecMath.Log(one - s);
            (logS - log1mS).StoreUnsafe(ref ys, (nuint)j);
            logS.StoreUnsafe(ref ls, (nuint)j);
            log1mS.StoreUnsafe(ref ls, (nuint)(Block + j));
        }
        return j;
    }

    /// <summary>
    /// The inverse for looking at samples: from logits y back to the data's [0, 1] scale, as a
    /// continuous value. s = σ(y), u = (s − α)/(1 − 2α), and x = (L·u − ½)/(L − 1), clamped to [0, 1]:
    /// the centre of bin k maps back exactly to k/(L − 1), so Inverse(Forward(x) with ε = ½) = x, and
    /// with random ε the result is within ½/(L − 1) of x. Allocates nothing.
    /// </summary>
    /// <param name="y">Logits (for example a flow's samples).</param>
    /// <param name="x">Receives values in [0, 1]; same shape as <paramref name="y"/> (may be the same memory).</param>
    public void Inverse(ReadOnlySpan2D<float> y, Span2D<float> x) => InverseRows(y, x, toLevels: false);

    /// <summary>
    /// The inverse onto the discrete levels: k = ⌊L·u⌋ clamped to {0, …, L − 1}, written as k/(L − 1),
    /// exactly the format <see cref="Forward(ReadOnlySpan2D{float}, Span2D{float}, Span{float}, Rng)"/>
    /// accepts. Inverts the forward map exactly for any ε (up to the float rounding of the logit
    /// at the very edge of a bin). Allocates nothing.
    /// </summary>
    /// <inheritdoc cref="Inverse"/>
    public void InverseToLevels(ReadOnlySpan2D<float> y, Span2D<float> x) => InverseRows(y, x, toLevels: true);

    private void InverseRows(ReadOnlySpan2D<float> y, Span2D<float> x, bool toLevels)
    {
        CheckInverseShapes(y, x);
        for (int r = 0; r < y.Height; r++)
        {
            ReadOnlySpan<float> yr = y.GetRowSpan(r);
            Span<float> xr = x.GetRowSpan(r);
            int done = 0;
            if (Simd.Use512)
                done = InverseRow512(yr, xr, toLevels);
            else if (Simd.Use256)
                done = InverseRow256(yr, xr, toLevels);
            else if (Simd.Use128)
                done = InverseRow128(yr, xr, toLevels);
            float top = Levels - 1;
            float invTop = 1f / top;
            for (int j = done; j < yr.Length; j++)
            {
                // v = L·u = L·(σ(y) − α)/(1 − 2α), clamped to [0, L]; NaN becomes 0 so a diverged sample shows as black.
                float sg = VecMath.Sigmoid(yr[j]);
                float u = (sg - _alpha) / _oneMinus2Alpha;
                u = u > 0f ? (u < 1f ? u : 1f) : 0f;
                float v = u * Levels;
                if (toLevels)
                {
                    float k = MathF.Floor(v);
                    k = k > top ? top : k;                          // L·u = L only at the clamp
                    xr[j] = k / top;
                }
                else
                {
                    float value = (v - 0.5f) * invTop;              // the centre of bin k, v = k + ½, maps to k/(L − 1)
                    xr[j] = value < 0f ? 0f : value > 1f ? 1f : value;
                }
            }
        }
    }

    // Vector versions of the scalar loop above (same operations per lane); return the elements finished.
    private int InverseRow128(ReadOnlySpan<float> y, Span<float> x, bool toLevels)
    {
        ref float ys = ref MemoryMarshal.GetReference(y);
        ref float xs = ref MemoryMarshal.GetReference(x);
        float top = Levels - 1;
        var vAlpha = Vector128.Create(_alpha);
        var vScale = Vector128.Create(_oneMinus2Alpha);
        var vLevels = Vector128.Create((float)Levels);
        var vTop = Vector128.Create(top);
        var vInvTop = Vector128.Create(1f / top);
        var half = Vector128.Create(0.5f);
        var one = Vector128.Create(1f);
        var zero = Vector128<float>.Zero;
        int j = 0;
        for (; j <= y.Length - Vector128<float>.Count; j += Vector128<float>.Count)
        {
            var u = (VecMath.Sigmoid(Vector128.LoadUnsafe(ref ys, (nuint)j)) - vAlpha) / vScale;
            u = Vector128.ConditionalSelect(Vector128.GreaterThan(u, zero), Vector128.ConditionalSelect(Vector128.LessThan(u, one), u, one), zero);
            var v = u * vLevels;
            Vector128<float> result;
            if (toLevels)
            {
                var k = Vector128.Floor(v);
                result = Vector128.ConditionalSelect(Vector128.GreaterThan(k, vTop), vTop, k) / vTop;
            }
            else
            {
                var value = (v - half) * vInvTop;
                result = Vector128.ConditionalSelect(Vector128.LessThan(value, zero), zero,
                         Vector128.ConditionalSelect(Vector128.GreaterThan(value, one), one, value));
            }
            result.StoreUnsafe(ref xs, (nuint)j);
        }
        return j;
    }

    private int InverseRow256(ReadOnlySpan<float> y, Span<float> x, bool toLevels)
    {
        ref float ys = ref MemoryMarshal.GetReference(y);
        ref float xs = ref MemoryMarshal.GetReference(x);
        float top = Levels - 1;
        var vAlpha = Vector256.Create(_alpha);
        var vScale = Vector256.Create(_oneMinus2Alpha);
        var vLevels = Vector256.Create((float)Levels);
        var vTop = Vector256.Create(top);
        var vInvTop = Vector256.Create(1f / top);
        var half = Vector256.Create(0.5f);
        var one = Vector256.Create(1f);
        var zero = Vector256<float>.Zero;
        int j = 0;
        for (; j <= y.Length - Vector256<float>.Count; j += Vector256<float>.Count)
        {
            var u = (VecMath.Sigmoid(Vector256.LoadUnsafe(ref ys, (nuint)j)) - vAlpha) / vScale;
            u = Vector256.ConditionalSelect(Vector256.GreaterThan(u, zero), Vector256.ConditionalSelect(Vector256.LessThan(u, one), u, one), zero);
            var v = u * vLevels;
            Vector256<float> result;
            if (toLevels)
            {
                var k = Vector256.Floor(v);
                result = Vector256.ConditionalSelect(Vector256.GreaterThan(k, vTop), vTop, k) / vTop;
            }
            else
            {
                var value = (v - half) * vInvTop;
                result = Vector256.ConditionalSelect(Vector256.LessThan(value, zero), zero,
                         Vector256.ConditionalSelect(Vector256.GreaterThan(value, one), one, value));
            }
            result.StoreUnsafe(ref xs, (nuint)j);
        }
        return j;
    }

    private int InverseRow512(ReadOnlySpan<float> y, Span<float> x, bool toLevels)
    {
        ref float ys = ref MemoryMarshal.GetReference(y);
        ref float xs = ref MemoryMarshal.GetReference(x);
        float top = Levels - 1;
        var vAlpha = Vector512.Create(_alpha);
        var vScale = Vector512.Create(_oneMinus2Alpha);
        var vLevels = Vector512.Create((float)Levels);
        var vTop = Vector512.Create(top);
        var vInvTop = Vector512.Create(1f / top);
        var half = Vector512.Create(0.5f);
        var one = Vector512.Create(1f);
        var zero = Vector512<float>.Zero;
        int j = 0;
        for (; j <= y.Length - Vector512<float>.Count; j += Vector512<float>.Count)
        {
            var u = (VecMath.Sigmoid(Vector512.LoadUnsafe(ref ys, (nuint)j)) - vAlpha) / vScale;
            u = Vector512.ConditionalSelect(Vector512.GreaterThan(u, zero), Vector512.ConditionalSelect(Vector512.LessThan(u, one), u, one), zero);
            var v = u * vLevels;
            Vector512<float> result;
            if (toLevels)
            {
                var k = Vector512.Floor(v);
                result = Vector512.ConditionalSelect(Vector512.GreaterThan(k, vTop), vTop, k) / vTop;
            }
            else
            {
                var value = (v - half) * vInvTop;
                result = Vector512.ConditionalSelect(Vector512.LessThan(value, zero), zero,
                         Vector512.ConditionalSelect(Vector512.GreaterThan(value, one), one, value));
            }
            result.StoreUnsafe(ref xs, (nuint)j);
        }
        return j;
    }

    private void CheckShapes(ReadOnlySpan2D<float> x, Span2D<float> y, Span<float> logDet)
    {
        if (y.Height != x.Height || y.Width != x.Width)
            throw new ArgumentException(
                $"y is {y.Height} × {y.Width} but x is {x.Height} × {x.Width}; pass a destination of the same shape as the pixels.", nameof(y));
        if (!logDet.IsEmpty && logDet.Length != x.Height)
            throw new ArgumentException(
                $"logDet has {logDet.Length} entries but x has {x.Height} rows; pass one entry per row, or an empty span to skip the log-determinant.",
                nameof(logDet));
    }

    private static void CheckInverseShapes(ReadOnlySpan2D<float> y, Span2D<float> x)
    {
        if (x.Height != y.Height || x.Width != y.Width)
            throw new ArgumentException(
                $"x is {x.Height} × {x.Width} but y is {y.Height} × {y.Width}; pass a destination of the same shape as the logits.", nameof(x));
    }

    private ArgumentException BadLevel(float value, int row, int column) => new(
        $"x[{row}, {column}] = {value} is not one of the {Levels} levels k/{Levels - 1} (k = 0 … {Levels - 1}) on the [0, 1] scale. " +
        $"Pass the raw quantised pixels divided by {Levels - 1} (for example Digits.Load() for 17 levels), before any other normalisation, " +
        "or construct the transform with the right number of levels.",
        "x");
}
