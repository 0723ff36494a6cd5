using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace GenDsl.Numerics;

/// <summary>
/// The elementwise passes of the generated models that involve transcendental functions, vectorised:
/// a coupling's affine map (forward, inverse, backward) and the VAE's reconstruction losses with their
/// gradients. Each is written once, generic over the vector width; every width performs the same IEEE
/// operations per element (and <see cref="VecMath"/> is lane-for-lane identical to its scalar
/// functions), so results do not depend on <see cref="Simd.Width"/>. Sums are returned through
/// per-element scratch and <see cref="Reductions.Sum"/>, whose order is width-independent too.
/// </summary>
public static class ModelKernels
{
    /// <summary>
    /// Data → latent of an affine coupling on the transformed features of one row:
    /// s = scale ⊙ tanh(raw), v = (u − m) ⊙ exp(−s). Writes s into <paramref name="s"/>; returns Σ s.
    /// </summary>
    public static float AffineForward(ReadOnlySpan<float> u, ReadOnlySpan<float> raw, ReadOnlySpan<float> m, ReadOnlySpan<float> scale, Span<float> v, Span<float> s)
    {
        int n = CheckLengths(u.Length, raw.Length, m.Length, scale.Length, v.Length, s.Length);
        int i = 0;
        if (Simd.Use512) i = AffineForward<V512>(u, raw, m, scale, v, s, n);
        else if (Simd.Use256) i = AffineForward<V256>(u, raw, m, scale, v, s, n);
        else if (Simd.Use128) i = AffineForward<V128>(u, raw, m, scale, v, s, n);
        for (; i < n; i++)
        {
            float si = scale[i] * VecMath.Tanh(raw[i]);
            s[i] = si;
            v[i] = (u[i] - m[i]) * VecMath.Exp(-si);
        }
        return Reductions.Sum(s);
    }

    private static int AffineForward<T>(ReadOnlySpan<float> u, ReadOnlySpan<float> raw, ReadOnlySpan<float> m, ReadOnlySpan<float> scale, Span<float> v, Span<float> s, int n)
        where T : struct, IVecOps<T>
    {
        int i = 0;
        for (; i <= n - T.Count; i += T.Count)
        {
            var si = T.Mul(T.Load(scale, i), T.Tanh(T.Load(raw, i)));
            T.Store(si, s, i);
            T.Store(T.Mul(T.Sub(T.Load(u, i), T.Load(m, i)), T.Exp(T.Neg(si))), v, i);
        }
        return i;
    }

    /// <summary>Latent → data of an affine coupling on one row: u = v ⊙ exp(scale ⊙ tanh(raw)) + m.</summary>
    public static void AffineInverse(ReadOnlySpan<float> v, ReadOnlySpan<float> raw, ReadOnlySpan<float> m, ReadOnlySpan<float> scale, Span<float> u)
    {
        int n = CheckLengths(v.Length, raw.Length, m.Length, scale.Length, u.Length, u.Length);
        int i = 0;
        if (Simd.Use512) i = AffineInverse<V512>(v, raw, m, scale, u, n);
        else if (Simd.Use256) i = AffineInverse<V256>(v, raw, m, scale, u, n);
        else if (Simd.Use128) i = AffineInverse<V128>(v, raw, m, scale, u, n);
        for (; i < n; i++)
            u[i] = v[i] * VecMath.Exp(scale[i] * VecMath.Tanh(raw[i])) + m[i];
    }

    private static int AffineInverse<T>(ReadOnlySpan<float> v, ReadOnlySpan<float> raw, ReadOnlySpan<float> m, ReadOnlySpan<float> scale, Span<float> u, int n)
        where T : struct, IVecOps<T>
    {
        int i = 0;
        for (; i <= n - T.Count; i += T.Count)
        {
            var si = T.Mul(T.Load(scale, i), T.Tanh(T.Load(raw, i)));
            T.Store(T.Add(T.Mul(T.Load(v, i), T.Exp(si)), T.Load(m, i)), u, i);
        }
        return i;
    }

    /// <summary>
    /// Backward of <see cref="AffineForward"/> on one row, given ∂L/∂v (<paramref name="gv"/>) and the
    /// forward output v, with ∂L/∂ln|det| = −1/B (so ∂L/∂s gets +<paramref name="invRows"/> from
    /// ln|det| −= Σ s): writes ∂L/∂u, ∂L/∂raw and ∂L/∂m, and ADDS this row's ∂L/∂scale to <paramref name="gScale"/>.
    /// </summary>
    public static void AffineBackward(ReadOnlySpan<float> gv, ReadOnlySpan<float> v, ReadOnlySpan<float> raw, ReadOnlySpan<float> scale, float invRows,
        Span<float> gu, Span<float> gRaw, Span<float> gM, Span<float> gScale)
    {
        int n = CheckLengths(gv.Length, v.Length, raw.Length, scale.Length, gu.Length, gRaw.Length);
        CheckLengths(n, gM.Length, gScale.Length, n, n, n);
        int i = 0;
        if (Simd.Use512) i = AffineBackward<V512>(gv, v, raw, scale, invRows, gu, gRaw, gM, gScale, n);
        else if (Simd.Use256) i = AffineBackward<V256>(gv, v, raw, scale, invRows, gu, gRaw, gM, gScale, n);
        else if (Simd.Use128) i = AffineBackward<V128>(gv, v, raw, scale, invRows, gu, gRaw, gM, gScale, n);
        for (; i < n; i++)
        {
            float t = VecMath.Tanh(raw[i]);
            float e = VecMath.Exp(-(scale[i] * t));
            float g = gv[i];
            gu[i] = g * e;                           // ∂v/∂u = e^(−s)
            gM[i] = -(g * e);                        // ∂v/∂m = −e^(−s)
            float gs = invRows - g * v[i];           // ∂v/∂s = −v, plus the log-det term
            gScale[i] += gs * t;                     // s = scale·tanh(raw)
            gRaw[i] = gs * scale[i] * (1f - t * t);  // ∂s/∂raw = scale·(1 − tanh²)
        }
    }

    private static int AffineBackward<T>(ReadOnlySpan<float> gv, ReadOnlySpan<float> v, ReadOnlySpan<float> raw, ReadOnlySpan<float> scale, float invRows,
        Span<float> gu, Span<float> gRaw, Span<float> gM, Span<float> gScale, int n)
        where T : struct, IVecOps<T>
    {
        var one = T.Splat(1f);
        var invB = T.Splat(invRows);
        int i = 0;
        for (; i <= n - T.Count; i += T.Count)
        {
            var sc = T.Load(scale, i);
            var t = T.Tanh(T.Load(raw, i));
            var e = T.Exp(T.Neg(T.Mul(sc, t)));
            var g = T.Load(gv, i);
            var ge = T.Mul(g, e);
            T.Store(ge, gu, i);
            T.Store(T.Neg(ge), gM, i);
            var gs = T.Sub(invB, T.Mul(g, T.Load(v, i)));
            T.Store(T.Add(T.Load(gScale, i), T.Mul(gs, t)), gScale, i);
            T.Store(T.Mul(T.Mul(gs, sc), T.Sub(one, T.Mul(t, t))), gRaw, i);
        }
        return i;
    }

    /// <summary>
    /// Bernoulli reconstruction on logits for one row: returns Σ_j softplus(l_j) − x_j·l_j (= −ln p(x|l))
    /// and, when <paramref name="gradient"/> is not empty, writes (σ(l_j) − x_j)·<paramref name="gradientScale"/>.
    /// <paramref name="scratch"/> (length ≥ the row) holds the per-element terms for the width-independent sum.
    /// </summary>
    public static float BernoulliLogits(ReadOnlySpan<float> logits, ReadOnlySpan<float> x, Span<float> gradient, float gradientScale, Span<float> scratch)
    {
        int n = CheckLengths(logits.Length, x.Length, scratch.Length < logits.Length ? -1 : logits.Length, logits.Length, logits.Length, logits.Length);
        bool grad = !gradient.IsEmpty;
        if (grad) CheckLengths(n, gradient.Length, n, n, n, n);
        var terms = scratch.Slice(0, n);
        int i = 0;
        if (Simd.Use512) i = BernoulliLogits<V512>(logits, x, gradient, gradientScale, terms, n, grad);
        else if (Simd.Use256) i = BernoulliLogits<V256>(logits, x, gradient, gradientScale, terms, n, grad);
        else if (Simd.Use128) i = BernoulliLogits<V128>(logits, x, gradient, gradientScale, terms, n, grad);
        for (; i < n; i++)
        {
            float l = logits[i];
            terms[i] = VecMath.Softplus(l) - x[i] * l;
            if (grad) gradient[i] = (VecMath.Sigmoid(l) - x[i]) * gradientScale;
        }
        return Reductions.Sum(terms);
    }

    private static int BernoulliLogits<T>(ReadOnlySpan<float> logits, ReadOnlySpan<float> x, Span<float> gradient, float gradientScale, Span<float> terms, int n, bool grad)
        where T : struct, IVecOps<T>
    {
        var gsc = T.Splat(gradientScale);
        int i = 0;
        for (; i <= n - T.Count; i += T.Count)
        {
            var l = T.Load(logits, i);
            var xi = T.Load(x, i);
            T.Store(T.Sub(T.Softplus(l), T.Mul(xi, l)), terms, i);
            if (grad) T.Store(T.Mul(T.Sub(T.Sigmoid(l), xi), gsc), gradient, i);
        }
        return i;
    }

    /// <summary>
    /// Gaussian reconstruction with a learned log-variance v for one row: returns
    /// Σ_j ½((x_j − m_j)²·e^(−v_j) + v_j) (add ½·ln 2π per element outside) and, when the gradients are
    /// not empty, ∂/∂m = −(x − m)·e^(−v)·scale and ∂/∂v = ½(1 − (x − m)²·e^(−v))·scale.
    /// </summary>
    public static float GaussianLearned(ReadOnlySpan<float> mean, ReadOnlySpan<float> logVar, ReadOnlySpan<float> x,
        Span<float> gradMean, Span<float> gradLogVar, float gradientScale, Span<float> scratch)
    {
        int n = CheckLengths(mean.Length, logVar.Length, x.Length, scratch.Length < mean.Length ? -1 : mean.Length, mean.Length, mean.Length);
        bool grad = !gradMean.IsEmpty;
        if (grad) CheckLengths(n, gradMean.Length, gradLogVar.Length, n, n, n);
        var terms = scratch.Slice(0, n);
        int i = 0;
        if (Simd.Use512) i = GaussianLearned<V512>(mean, logVar, x, gradMean, gradLogVar, gradientScale, terms, n, grad);
        else if (Simd.Use256) i = GaussianLearned<V256>(mean, logVar, x, gradMean, gradLogVar, gradientScale, terms, n, grad);
        else if (Simd.Use128) i = GaussianLearned<V128>(mean, logVar, x, gradMean, gradLogVar, gradientScale, terms, n, grad);
        for (; i < n; i++)
        {
            float d = x[i] - mean[i];
            float iv = VecMath.Exp(-logVar[i]);
            float dd = d * d * iv;
            terms[i] = 0.5f * (dd + logVar[i]);
            if (grad)
            {
                gradMean[i] = -(d * iv) * gradientScale;
                gradLogVar[i] = 0.5f * (1f - dd) * gradientScale;
            }
        }
        return Reductions.Sum(terms);
    }

    private static int GaussianLearned<T>(ReadOnlySpan<float> mean, ReadOnlySpan<float> logVar, ReadOnlySpan<float> x,
        Span<float> gradMean, Span<float> gradLogVar, float gradientScale, Span<float> terms, int n, bool grad)
        where T : struct, IVecOps<T>
    {
        var half = T.Splat(0.5f);
        var one = T.Splat(1f);
        var gsc = T.Splat(gradientScale);
        int i = 0;
        for (; i <= n - T.Count; i += T.Count)
        {
            var lv = T.Load(logVar, i);
            var d = T.Sub(T.Load(x, i), T.Load(mean, i));
            var iv = T.Exp(T.Neg(lv));
            var dd = T.Mul(T.Mul(d, d), iv);
            T.Store(T.Mul(half, T.Add(dd, lv)), terms, i);
            if (grad)
            {
                T.Store(T.Mul(T.Neg(T.Mul(d, iv)), gsc), gradMean, i);
                T.Store(T.Mul(T.Mul(half, T.Sub(one, dd)), gsc), gradLogVar, i);
            }
        }
        return i;
    }

    private static int CheckLengths(int a, int b, int c, int d, int e, int f)
    {
        if (a != b || a != c || a != d || a != e || a != f)
            throw new ArgumentException($"The spans of one row must have the same length; got {a}, {b}, {c}, {d}, {e}, {f} (a scratch span must be at least the row's length).");
        return a;
    }

    // ---- One interface over the widths, so each kernel above is written once (shared with CouplingKernels).

    internal interface IVecOps<T> where T : struct
    {
        static abstract int Count { get; }
        static abstract T Load(ReadOnlySpan<float> s, int i);
        static abstract void Store(T v, Span<float> s, int i);
        static abstract T Splat(float x);
        static abstract T Add(T a, T b);
        static abstract T Sub(T a, T b);
        static abstract T Mul(T a, T b);
        static abstract T Neg(T a);
        static abstract T Exp(T a);
        static abstract T Tanh(T a);
        static abstract T Sigmoid(T a);
        static abstract T Softplus(T a);
        /// <summary>a·b + c with one rounding.</summary>
        static abstract T FusedMultiplyAdd(T a, T b, T c);
        /// <summary>The activation <paramref name="op"/> applied lane by lane.</summary>
        static abstract T Activate<TAct>(in TAct op, T x) where TAct : struct, IActivationOp;
    }

    internal readonly struct V512 : IVecOps<V512>
    {
        private readonly Vector512<float> _v;
        private V512(Vector512<float> v) => _v = v;
        public static int Count => Vector512<float>.Count;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Load(ReadOnlySpan<float> s, int i) => new(Vector512.LoadUnsafe(ref MemoryMarshal.GetReference(s), (nuint)i));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(V512 v, Span<float> s, int i) => v._v.StoreUnsafe(ref MemoryMarshal.GetReference(s), (nuint)i);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Splat(float x) => new(Vector512.Create(x));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Add(V512 a, V512 b) => new(a._v + b._v);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Sub(V512 a, V512 b) => new(a._v - b._v);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Mul(V512 a, V512 b) => new(a._v * b._v);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Neg(V512 a) => new(-a._v);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Exp(V512 a) => new(VecMath.Exp(a._v));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Tanh(V512 a) => new(VecMath.Tanh(a._v));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Sigmoid(V512 a) => new(VecMath.Sigmoid(a._v));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Softplus(V512 a) => new(VecMath.Softplus(a._v));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 FusedMultiplyAdd(V512 a, V512 b, V512 c) => new(Vector512.FusedMultiplyAdd(a._v, b._v, c._v));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Activate<TAct>(in TAct op, V512 x) where TAct : struct, IActivationOp => new(op.Forward(x._v));
    }

    internal readonly struct V256 : IVecOps<V256>
    {
        private readonly Vector256<float> _v;
        private V256(Vector256<float> v) => _v = v;
        public static int Count => Vector256<float>.Count;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Load(ReadOnlySpan<float> s, int i) => new(Vector256.LoadUnsafe(ref MemoryMarshal.GetReference(s), (nuint)i));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(V256 v, Span<float> s, int i) => v._v.StoreUnsafe(ref MemoryMarshal.GetReference(s), (nuint)i);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Splat(float x) => new(Vector256.Create(x));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Add(V256 a, V256 b) => new(a._v + b._v);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Sub(V256 a, V256 b) => new(a._v - b._v);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Mul(V256 a, V256 b) => new(a._v * b._v);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Neg(V256 a) => new(-a._v);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Exp(V256 a) => new(VecMath.Exp(a._v));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Tanh(V256 a) => new(VecMath.Tanh(a._v));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Sigmoid(V256 a) => new(VecMath.Sigmoid(a._v));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Softplus(V256 a) => new(VecMath.Softplus(a._v));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 FusedMultiplyAdd(V256 a, V256 b, V256 c) => new(Vector256.FusedMultiplyAdd(a._v, b._v, c._v));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Activate<TAct>(in TAct op, V256 x) where TAct : struct, IActivationOp => new(op.Forward(x._v));
    }

    internal readonly struct V128 : IVecOps<V128>
    {
        private readonly Vector128<float> _v;
        private V128(Vector128<float> v) => _v = v;
        public static int Count => Vector128<float>.Count;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V128 Load(ReadOnlySpan<float> s, int i) => new(Vector128.LoadUnsafe(ref MemoryMarshal.GetReference(s), (nuint)i));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(V128 v, Span<float> s, int i) => v._v.StoreUnsafe(ref MemoryMarshal.GetReference(s), (nuint)i);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V128 Splat(float x) => new(Vector128.Create(x));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V128 Add(V128 a, V128 b) => new(a._v + b._v);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V128 Sub(V128 a, V128 b) => new(a._v - b._v);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V128 Mul(V128 a, V128 b) => new(a._v * b._v);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V128 Neg(V128 a) => new(-a._v);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V128 Exp(V128 a) => new(VecMath.Exp(a._v));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V128 Tanh(V128 a) => new(VecMath.Tanh(a._v));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V128 Sigmoid(V128 a) => new(VecMath.Sigmoid(a._v));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V128 Softplus(V128 a) => new(VecMath.Softplus(a._v));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V128 FusedMultiplyAdd(V128 a, V128 b, V128 c) => new(Vector128.FusedMultiplyAdd(a._v, b._v, c._v));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V128 Activate<TAct>(in TAct op, V128 x) where TAct : struct, IActivationOp => new(op.Forward(x._v));
    }

    /// <summary>One float per "vector": the scalar path, written with the same generic code as the vector paths.</summary>
    internal readonly struct V1 : IVecOps<V1>
    {
        private readonly float _v;
        private V1(float v) => _v = v;
        public static int Count => 1;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V1 Load(ReadOnlySpan<float> s, int i) => new(Unsafe.Add(ref MemoryMarshal.GetReference(s), i));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(V1 v, Span<float> s, int i) => Unsafe.Add(ref MemoryMarshal.GetReference(s), i) = v._v;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V1 Splat(float x) => new(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V1 Add(V1 a, V1 b) => new(a._v + b._v);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V1 Sub(V1 a, V1 b) => new(a._v - b._v);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V1 Mul(V1 a, V1 b) => new(a._v * b._v);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V1 Neg(V1 a) => new(-a._v);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V1 Exp(V1 a) => new(VecMath.Exp(a._v));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V1 Tanh(V1 a) => new(VecMath.Tanh(a._v));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V1 Sigmoid(V1 a) => new(VecMath.Sigmoid(a._v));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V1 Softplus(V1 a) => new(VecMath.Softplus(a._v));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V1 FusedMultiplyAdd(V1 a, V1 b, V1 c) => new(MathF.FusedMultiplyAdd(a._v, b._v, c._v));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V1 Activate<TAct>(in TAct op, V1 x) where TAct : struct, IActivationOp => new(op.Forward(x._v));
    }
}
