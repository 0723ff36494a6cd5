using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using static GenDsl.Numerics.ModelKernels;

namespace GenDsl.Numerics;

/// <summary>
/// Data movement of the convolution kernels: im2col (one image → its receptive fields as rows), col2im (the
/// adjoint: rows of patch gradients added back into an image), plain transposes between [pixels, channels] and
/// NCHW's [channels, pixels], and the per-channel bias + activation pass of the transposed convolution.
/// </summary>
/// <remarks>
/// Only col2im and the bias pass do arithmetic. Col2im adds, for each image element, the contributions of the output
/// pixels p = oy·OW + ox in increasing order, starting from the value already there (the callers clear it first);
/// one pixel contributes at most once to an element, so that order is the whole story, and the vector adds used for
/// full 4-wide kernel rows are the same IEEE additions as the scalar ones.
/// </remarks>
internal static unsafe class Im2Col
{
    /// <summary>
    /// <c>dst[p·L + (c·K + ky)·K + kx] = x[c, oy·S − P + ky, ox·S − P + kx]</c> (0 outside the image), for every output
    /// pixel p = oy·OW + ox; L = <see cref="ConvShape.PatchLength"/>. <paramref name="x"/> is one image (NCHW row).
    /// </summary>
    public static void Pack(float* x, in ConvShape s, float* dst) => Walk(x, s, dst, default(PackOp));

    /// <summary>
    /// The adjoint of <see cref="Pack"/>: <c>x[c, oy·S − P + ky, ox·S − P + kx] += src[p·L + (c·K + ky)·K + kx]</c> for
    /// every output pixel p in increasing order (entries that fall into the padding are dropped).
    /// </summary>
    public static void AddBack(float* src, in ConvShape s, float* x) => Walk(x, s, src, default(AddBackOp));

    /// <summary>What <see cref="Walk"/> does with one kernel row: K patch floats against the image row they cover.</summary>
    private interface IPatchOp
    {
        /// <summary>The kernel row lies above or below the image (all padding).</summary>
        void Outside(float* patch, int k);
        /// <summary>Image floats [lo, hi) of <paramref name="image"/> (pointing at kx = 0) pair with patch floats [lo, hi).</summary>
        void Inside(float* image, float* patch, int lo, int hi, int k);
        /// <summary>K = 3, wholly inside the image.</summary>
        void Inside3(float* image, float* patch);
        /// <summary>K = 4, wholly inside the image.</summary>
        void Inside4(float* image, float* patch);
    }

    private readonly struct PackOp : IPatchOp
    {
        public void Outside(float* patch, int k)
        {
            for (int kx = 0; kx < k; kx++)
                patch[kx] = 0f;
        }

        public void Inside(float* image, float* patch, int lo, int hi, int k)
        {
            int kx = 0;
            for (; kx < lo; kx++)
                patch[kx] = 0f;
            for (; kx < hi; kx++)
                patch[kx] = image[kx];
            for (; kx < k; kx++)
                patch[kx] = 0f;
        }

        public void Inside3(float* image, float* patch)
        {
            patch[0] = image[0];
            patch[1] = image[1];
            patch[2] = image[2];
        }

        public void Inside4(float* image, float* patch) => Vector128.Store(Vector128.Load(image), patch);
    }

    private readonly struct AddBackOp : IPatchOp
    {
        public void Outside(float* patch, int k)
        {
        }

        public void Inside(float* image, float* patch, int lo, int hi, int k)
        {
            for (int kx = lo; kx < hi; kx++)
                image[kx] += patch[kx];
        }

        public void Inside3(float* image, float* patch)
        {
            image[0] += patch[0];
            image[1] += patch[1];
            image[2] += patch[2];
        }

        public void Inside4(float* image, float* patch) => Vector128.Store(Vector128.Load(image) + Vector128.Load(patch), image);
    }

    /// <summary>Visits every kernel row of every patch: output pixels in increasing order, then (c, ky).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Walk<TOp>(float* x, in ConvShape s, float* patches, TOp op) where TOp : struct, IPatchOp
    {
        int k = s.Kernel, st = s.Stride, pad = s.Padding, h = s.InHeight, w = s.InWidth, cin = s.InChannels;
        int oh = s.OutHeight, ow = s.OutWidth, len = s.PatchLength, hw = h * w;
        for (int oy = 0; oy < oh; oy++)
        {
            int iy0 = oy * st - pad;
            for (int ox = 0; ox < ow; ox++)
            {
                int ix0 = ox * st - pad;
                // The kernel columns inside the image: [lo, hi) (empty when the window lies wholly in the padding).
                int lo = Math.Min(k, Math.Max(0, -ix0)), hi = Math.Max(lo, Math.Min(k, w - ix0));
                float* row = patches + (long)(oy * ow + ox) * len;
                // The kernel rows inside the image: [kyLo, kyHi).
                int kyLo = Math.Min(k, Math.Max(0, -iy0)), kyHi = Math.Max(kyLo, Math.Min(k, h - iy0));
                int fast = lo == 0 && hi == k ? k : 0;   // 3 or 4: a whole kernel row inside, fixed-size moves
                for (int c = 0; c < cin; c++)
                {
                    float* src = x + (long)c * hw + ix0 + (long)iy0 * w;
                    int ky = 0;
                    for (; ky < kyLo; ky++, row += k)
                        op.Outside(row, k);
                    if (fast == 4)
                    {
                        for (; ky < kyHi; ky++, row += 4)
                            op.Inside4(src + ky * w, row);
                    }
                    else if (fast == 3)
                    {
                        for (; ky < kyHi; ky++, row += 3)
                            op.Inside3(src + ky * w, row);
                    }
                    else
                    {
                        for (; ky < kyHi; ky++, row += k)
                            op.Inside(src + ky * w, row, lo, hi, k);
                    }
                    for (; ky < k; ky++, row += k)
                        op.Outside(row, k);
                }
            }
        }
    }

    /// <summary><c>dst[c·ldd + r] = src[r·lds + c]</c> for r &lt; rows, c &lt; cols (8×8 vector blocks, scalar edges).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Transpose(float* src, int rows, int cols, nint lds, float* dst, nint ldd)
    {
        int r = 0;
        if (GemmPacking.CanTranspose8x8)
        {
            for (; r + 8 <= rows; r += 8)
            {
                int c = 0;
                for (; c + 8 <= cols; c += 8)
                    GemmPacking.Transpose8x8(src + r * lds + c, lds, dst + c * ldd + r, ldd);
                for (; c < cols; c++)
                    for (int rr = r; rr < r + 8; rr++)
                        dst[c * ldd + rr] = src[rr * lds + c];
            }
        }
        for (; r < rows; r++)
            for (int c = 0; c < cols; c++)
                dst[c * ldd + r] = src[r * lds + c];
    }

    /// <summary>
    /// For one NCHW row of <paramref name="channels"/> planes of <paramref name="pixels"/> floats:
    /// <c>v = v + bias[c]</c> (when <paramref name="bias"/> is not null), then <c>v = act(v)</c>, in place.
    /// The same IEEE operations at every <see cref="Simd.Width"/>.
    /// </summary>
    public static void BiasActivate(float* row, int channels, int pixels, float* bias, Activation activation, float leakySlope)
    {
        switch (activation)
        {
            case Activation.Identity:
                if (bias != null) BiasActivate(row, channels, pixels, bias, default(IdentityOp));
                break;
            case Activation.Relu: BiasActivate(row, channels, pixels, bias, default(ReluOp)); break;
            case Activation.LeakyRelu: BiasActivate(row, channels, pixels, bias, new LeakyReluOp(leakySlope)); break;
            case Activation.Tanh: BiasActivate(row, channels, pixels, bias, default(TanhOp)); break;
            case Activation.Sigmoid: BiasActivate(row, channels, pixels, bias, default(SigmoidOp)); break;
            case Activation.Softplus: BiasActivate(row, channels, pixels, bias, default(SoftplusOp)); break;
            default:
                throw new ArgumentException($"Unknown activation {(int)activation}: use a value of the Activation enum.", nameof(activation));
        }
    }

    private static void BiasActivate<TAct>(float* row, int channels, int pixels, float* bias, TAct act) where TAct : struct, IActivationOp
    {
        if (Simd.Use512) BiasActivate<V512, TAct>(row, channels, pixels, bias, act);
        else if (Simd.Use256) BiasActivate<V256, TAct>(row, channels, pixels, bias, act);
        else if (Simd.Use128) BiasActivate<V128, TAct>(row, channels, pixels, bias, act);
        else BiasActivate<V1, TAct>(row, channels, pixels, bias, act);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BiasActivate<T, TAct>(float* row, int channels, int pixels, float* bias, TAct act)
        where T : struct, IVecOps<T>
        where TAct : struct, IActivationOp
    {
        for (int c = 0; c < channels; c++)
        {
            var plane = new Span<float>(row + (long)c * pixels, pixels);
            float b = bias == null ? 0f : bias[c];
            var bv = T.Splat(b);
            int i = 0;
            for (; i <= pixels - T.Count; i += T.Count)
            {
                var v = T.Load(plane, i);
                if (bias != null) v = T.Add(v, bv);
                T.Store(T.Activate(act, v), plane, i);
            }
            for (; i < pixels; i++)
            {
                float v = plane[i];
                if (bias != null) v += b;
                plane[i] = act.Forward(v);
            }
        }
    }
}
