using CommunityToolkit.HighPerformance;
using GenDsl.Numerics;

namespace GenDsl;

/// <summary>
/// Small kernels the generated flows call where emitting inline code would not make the math clearer:
/// ActNorm's data-dependent initialisation and the LU-form invertible linear layer.
/// </summary>
public static class FlowKernels
{
    /// <summary>Glow's ActNorm init: ls_j = −ln(std_j + 1e-6), b_j = −mean_j·exp(ls_j), statistics over the rows of <paramref name="u"/>.</summary>
    public static void ActNormInitialize(ReadOnlySpan2D<float> u, Span<float> logScale, Span<float> bias)
    {
        int rows = u.Height, d = u.Width;
        for (int j = 0; j < d; j++)
        {
            double sum = 0, sumSq = 0;
            for (int r = 0; r < rows; r++)
            {
                double x = u[r, j];
                sum += x;
                sumSq += x * x;
            }
            double mean = sum / rows;
            double variance = Math.Max(sumSq / rows - mean * mean, 0);
            double ls = -Math.Log(Math.Sqrt(variance) + 1e-6);
            logScale[j] = (float)ls;
            bias[j] = (float)(-mean * Math.Exp(ls));
        }
    }

    /// <summary>
    /// Per-channel ActNorm initialisation of an image flow: each row of <paramref name="u"/> is channel-major
    /// [channels, pixels]; channel c's mean and population std over every row and pixel give
    /// ls_c = −ln(std_c + 1e-6), b_c = −mean_c·exp(ls_c) (statistics in double).
    /// </summary>
    public static void ActNormInitializeChannels(ReadOnlySpan2D<float> u, Span<float> logScale, Span<float> bias, int channels, int pixels)
    {
        int rows = u.Height;
        for (int c = 0; c < channels; c++)
        {
            double sum = 0, sumSq = 0;
            for (int r = 0; r < rows; r++)
            {
                var block = u.GetRowSpan(r).Slice(c * pixels, pixels);
                for (int p = 0; p < pixels; p++)
                {
                    double x = block[p];
                    sum += x;
                    sumSq += x * x;
                }
            }
            double count = (double)rows * pixels;
            double mean = sum / count;
            double variance = Math.Max(sumSq / count - mean * mean, 0);
            double ls = -Math.Log(Math.Sqrt(variance) + 1e-6);
            logScale[c] = (float)ls;
            bias[c] = (float)(-mean * Math.Exp(ls));
        }
    }

    /// <summary>
    /// Channel-major rows [channels, pixels] → one pixel-major matrix: <paramref name="t"/>[r·pixels + p, c] = x[r, c·pixels + p]
    /// (rows·pixels rows of <paramref name="channels"/>), so that a per-pixel matrix over the channels is one GEMM.
    /// </summary>
    public static void ChannelsToPixels(ReadOnlySpan2D<float> x, Span2D<float> t, int channels, int pixels)
    {
        for (int r = 0; r < x.Height; r++)
        {
            var xr = x.GetRowSpan(r);
            for (int c = 0; c < channels; c++)
            {
                var block = xr.Slice(c * pixels, pixels);
                for (int p = 0; p < pixels; p++)
                    t[r * pixels + p, c] = block[p];
            }
        }
    }

    /// <summary>The inverse of <see cref="ChannelsToPixels"/>: x[r, c·pixels + p] = t[r·pixels + p, c].</summary>
    public static void PixelsToChannels(ReadOnlySpan2D<float> t, Span2D<float> x, int channels, int pixels)
    {
        for (int r = 0; r < x.Height; r++)
        {
            var xr = x.GetRowSpan(r);
            for (int c = 0; c < channels; c++)
            {
                var block = xr.Slice(c * pixels, pixels);
                for (int p = 0; p < pixels; p++)
                    block[p] = t[r * pixels + p, c];
            }
        }
    }

    /// <summary>
    /// Builds, in <paramref name="work"/> (4·D² floats): [0, D²) W = P·L·Ũ, [D², 2D²) L (unit lower),
    /// [2D², 3D²) Ũ = U + diag(exp(logs)), and uses [3D², 4D²) as scratch for L·Ũ.
    /// P[i, π[i]] = 1, so row i of W is row π[i] of L·Ũ.
    /// </summary>
    public static void LuAssemble(ReadOnlySpan<int> order, ReadOnlySpan<float> lower, ReadOnlySpan<float> upper, ReadOnlySpan<float> logs, Span<float> work, int d)
    {
        int dd = d * d;
        var w = work.Slice(0, dd);
        var l = work.Slice(dd, dd);
        var u = work.Slice(2 * dd, dd);
        var lu = work.Slice(3 * dd, dd);
        for (int i = 0; i < d; i++)
        {
            for (int j = 0; j < d; j++)
            {
                l[i * d + j] = i > j ? lower[i * d + j] : i == j ? 1f : 0f;
                u[i * d + j] = i < j ? upper[i * d + j] : i == j ? MathF.Exp(logs[i]) : 0f;
            }
        }
        Gemm.Multiply(((ReadOnlySpan<float>)l).AsSpan2D(d, d), false, ((ReadOnlySpan<float>)u).AsSpan2D(d, d), false, lu.AsSpan2D(d, d));
        for (int i = 0; i < d; i++)
            lu.Slice(order[i] * d, d).CopyTo(w.Slice(i * d, d));
    }

    /// <summary>Solves W·u_r = v_r for every row (after <see cref="LuAssemble"/>): u ← Pᵀv, then L y = u, then Ũ u = y, in place.</summary>
    public static void LuSolveRows(ReadOnlySpan<int> order, ReadOnlySpan<float> work, ReadOnlySpan2D<float> v, Span2D<float> u, int d)
    {
        int dd = d * d;
        var l = work.Slice(dd, dd);
        var uu = work.Slice(2 * dd, dd);
        for (int r = 0; r < v.Height; r++)
        {
            var vr = v.GetRowSpan(r);
            var ur = u.GetRowSpan(r);
            for (int i = 0; i < d; i++)
                ur[order[i]] = vr[i];            // (Pᵀ v)[π[i]] = v[i]
            for (int k = 1; k < d; k++)          // L y = Pᵀ v, unit diagonal
            {
                float s = ur[k];
                var lk = l.Slice(k * d, k);
                for (int m = 0; m < k; m++)
                    s -= lk[m] * ur[m];
                ur[k] = s;
            }
            for (int k = d - 1; k >= 0; k--)     // Ũ u = y
            {
                float s = ur[k];
                var uk = uu.Slice(k * d, d);
                for (int m = k + 1; m < d; m++)
                    s -= uk[m] * ur[m];
                ur[k] = s / uk[k];
            }
        }
    }

    /// <summary>
    /// Given ∂L/∂W in work[3D², 4D²), the gradients of the LU parameters: with LU = L·Ũ and
    /// ∂L/∂LU[π[i], :] = ∂L/∂W[i, :]: ∂L/∂L = ∂L/∂LU · Ũᵀ (strictly lower part), ∂L/∂Ũ = Lᵀ · ∂L/∂LU
    /// (strictly upper part → upper, diagonal → logs through exp, plus <paramref name="logDetGradient"/>
    /// per logs from ln|det| += Σ logs). Overwrites work[0, D²) (W is no longer needed).
    /// </summary>
    public static void LuBackward(ReadOnlySpan<int> order, Span<float> work, ReadOnlySpan<float> logs,
        Span<float> gradLower, Span<float> gradUpper, Span<float> gradLogs, float logDetGradient, int d)
    {
        int dd = d * d;
        var gLu = work.Slice(0, dd);
        var l = work.Slice(dd, dd);
        var u = work.Slice(2 * dd, dd);
        var gW = work.Slice(3 * dd, dd);
        for (int i = 0; i < d; i++)
            gW.Slice(i * d, d).CopyTo(gLu.Slice(order[i] * d, d));
        Gemm.Multiply(((ReadOnlySpan<float>)gLu).AsSpan2D(d, d), false, ((ReadOnlySpan<float>)u).AsSpan2D(d, d), true, gradLower.AsSpan2D(d, d));
        Gemm.Multiply(((ReadOnlySpan<float>)l).AsSpan2D(d, d), true, ((ReadOnlySpan<float>)gLu).AsSpan2D(d, d), false, gradUpper.AsSpan2D(d, d));
        for (int i = 0; i < d; i++)
        {
            gradLogs[i] = gradUpper[i * d + i] * MathF.Exp(logs[i]) + logDetGradient;
            for (int j = 0; j < d; j++)
            {
                if (j >= i) gradLower[i * d + j] = 0f;
                if (j <= i) gradUpper[i * d + j] = 0f;
            }
        }
    }
}
