using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using GenDsl.Numerics;

namespace GenDsl;

/// <summary>The per-step scalars of one Adam/AdamW update (computed in double, rounded to float once).</summary>
internal readonly struct AdamScalars
{
    /// <summary>Gradient clipping factor (1 = none).</summary>
    public float GradScale { get; init; }
    /// <summary>Write the clipped gradient back (as torch's clip_grad_norm_ does) when it was scaled.</summary>
    public bool WriteBackGradient { get; init; }
    /// <summary>Coupled (L2) weight decay λ: g ← g + λ·p (Adam). 0 for AdamW.</summary>
    public float CoupledDecay { get; init; }
    /// <summary>Decoupled decay factor 1 − lr·λ: p ← p·(1 − lr·λ) (AdamW). 1 for Adam.</summary>
    public float DecoupledFactor { get; init; }
    public float OneMinusBeta1 { get; init; }
    public float Beta2 { get; init; }
    public float OneMinusBeta2 { get; init; }
    /// <summary>√(1 − β₂ᵗ).</summary>
    public float BiasCorrection2Sqrt { get; init; }
    public float Epsilon { get; init; }
    /// <summary>−lr / (1 − β₁ᵗ).</summary>
    public float NegativeStepSize { get; init; }
}

/// <summary>The per-step scalars of one SGD update.</summary>
internal readonly struct SgdScalars
{
    public float GradScale { get; init; }
    public bool WriteBackGradient { get; init; }
    public float WeightDecay { get; init; }
    public float Momentum { get; init; }
    public bool UseMomentum { get; init; }
    public bool Nesterov { get; init; }
    public float NegativeLearningRate { get; init; }
}

/// <summary>
/// Fused optimizer updates: ONE pass over parameters, gradients and state, written once over
/// <see cref="ILanes{TF, TU}"/> so that the scalar, 128-, 256- and 512-bit instantiations perform the same
/// IEEE operations per element (bit-identical results at every <see cref="Simd.Width"/>).
/// </summary>
internal static class OptimKernels
{
    /// <summary>Below this many parameters an Adam update runs on the calling thread (a split costs more than it saves).</summary>
    internal const int ParallelMinParameters = 1 << 16;

    /// <summary>
    /// Adam / AdamW over whole arrays, dispatched on <see cref="Simd.Width"/>. With a pool of several threads and at
    /// least <see cref="ParallelMinParameters"/> parameters, the arrays are cut into pieces updated in parallel: the
    /// update is elementwise, so the result is the same for any split.
    /// </summary>
    public static unsafe void Adam(Span<float> p, Span<float> g, Span<float> m, Span<float> v, in AdamScalars s,
                                   Threading.WorkerPool? pool = null)
    {
        int n = p.Length;
        if (pool is not null && pool.Threads > 1 && n >= ParallelMinParameters)
        {
            fixed (float* pp = p, pg = g, pm = m, pv = v)
            {
                var job = new AdamJob { P = pp, G = pg, M = pm, V = pv, N = n, Scalars = s, Pieces = 2 * pool.Threads };
                pool.Run(&AdamPiece, &job, job.Pieces);
            }
            return;
        }
        AdamRange(ref MemoryMarshal.GetReference(p), ref MemoryMarshal.GetReference(g), ref MemoryMarshal.GetReference(m),
                  ref MemoryMarshal.GetReference(v), 0, (nuint)n, s);
    }

    /// <summary>One parallel Adam update: the arrays (pinned by the caller) and the scalars.</summary>
    private unsafe struct AdamJob
    {
        public float* P, G, M, V;
        public int N, Pieces;
        public AdamScalars Scalars;
    }

    /// <summary>Piece <paramref name="piece"/> of <see cref="AdamJob.Pieces"/>: a range of whole cache lines (16 floats).</summary>
    private static unsafe void AdamPiece(void* state, int piece)
    {
        ref var job = ref Unsafe.AsRef<AdamJob>(state);
        nuint start = (nuint)((long)job.N * piece / job.Pieces) & ~(nuint)15;
        nuint end = piece == job.Pieces - 1 ? (nuint)job.N : (nuint)((long)job.N * (piece + 1) / job.Pieces) & ~(nuint)15;
        AdamRange(ref *job.P, ref *job.G, ref *job.M, ref *job.V, start, end, job.Scalars);
    }

    /// <summary>Elements [start, end): vectors of the current width, then the scalar code (the same operations) for the rest.</summary>
    private static void AdamRange(ref float rp, ref float rg, ref float rm, ref float rv, nuint start, nuint end, in AdamScalars s)
    {
        nuint i = start;
        if (Simd.Use512)
            i = Adam<Lanes512, Vector512<float>, Vector512<uint>>(ref rp, ref rg, ref rm, ref rv, start, end, s);
        else if (Simd.Use256)
            i = Adam<Lanes256, Vector256<float>, Vector256<uint>>(ref rp, ref rg, ref rm, ref rv, start, end, s);
        else if (Simd.Use128)
            i = Adam<Lanes128, Vector128<float>, Vector128<uint>>(ref rp, ref rg, ref rm, ref rv, start, end, s);
        Adam<ScalarLanes, float, uint>(ref rp, ref rg, ref rm, ref rv, i, end, s);
    }

    private static nuint Adam<TL, TF, TU>(ref float p, ref float g, ref float m, ref float v, nuint start, nuint n, in AdamScalars s)
        where TL : struct, ILanes<TF, TU> where TF : struct where TU : struct
    {
        nuint count = (nuint)TL.Count;
        TF gradScale = TL.Splat(s.GradScale);
        TF coupled = TL.Splat(s.CoupledDecay);
        TF decoupled = TL.Splat(s.DecoupledFactor);
        TF oneMinusBeta1 = TL.Splat(s.OneMinusBeta1);
        TF beta2 = TL.Splat(s.Beta2);
        TF oneMinusBeta2 = TL.Splat(s.OneMinusBeta2);
        TF bc2Sqrt = TL.Splat(s.BiasCorrection2Sqrt);
        TF eps = TL.Splat(s.Epsilon);
        TF negStep = TL.Splat(s.NegativeStepSize);
        bool writeBack = s.WriteBackGradient;
        nuint i = start;
        for (; i + count <= n; i += count)
        {
            TF grad = TL.Multiply(TL.Load(ref g, i), gradScale);       // clipped gradient
            if (writeBack)
                TL.Store(grad, ref g, i);
            TF param = TL.Load(ref p, i);
            grad = TL.FusedMultiplyAdd(param, coupled, grad);           // Adam: g + λ·p
            param = TL.Multiply(param, decoupled);                      // AdamW: p·(1 − lr·λ)
            TF mean = TL.Load(ref m, i);
            mean = TL.FusedMultiplyAdd(TL.Subtract(grad, mean), oneMinusBeta1, mean); // m + (1 − β₁)(g − m)
            TF second = TL.FusedMultiplyAdd(TL.Multiply(grad, oneMinusBeta2), grad, TL.Multiply(TL.Load(ref v, i), beta2)); // β₂v + (1 − β₂)g²
            TF denom = TL.Add(TL.Divide(TL.Sqrt(second), bc2Sqrt), eps); // √v / √(1 − β₂ᵗ) + ε
            param = TL.FusedMultiplyAdd(TL.Divide(mean, denom), negStep, param); // p − lr/(1 − β₁ᵗ) · m / denom
            TL.Store(param, ref p, i);
            TL.Store(mean, ref m, i);
            TL.Store(second, ref v, i);
        }
        return i;
    }

    /// <summary>SGD (with optional momentum / Nesterov) over whole arrays, dispatched on <see cref="Simd.Width"/>.</summary>
    public static void Sgd(Span<float> p, Span<float> g, Span<float> buffer, in SgdScalars s)
    {
        nuint n = (nuint)p.Length;
        ref float rp = ref MemoryMarshal.GetReference(p);
        ref float rg = ref MemoryMarshal.GetReference(g);
        // Without momentum there is no buffer; the kernel never touches it then.
        ref float rb = ref s.UseMomentum ? ref MemoryMarshal.GetReference(buffer) : ref rp;
        nuint i = 0;
        if (Simd.Use512)
            i = Sgd<Lanes512, Vector512<float>, Vector512<uint>>(ref rp, ref rg, ref rb, 0, n, s);
        else if (Simd.Use256)
            i = Sgd<Lanes256, Vector256<float>, Vector256<uint>>(ref rp, ref rg, ref rb, 0, n, s);
        else if (Simd.Use128)
            i = Sgd<Lanes128, Vector128<float>, Vector128<uint>>(ref rp, ref rg, ref rb, 0, n, s);
        Sgd<ScalarLanes, float, uint>(ref rp, ref rg, ref rb, i, n, s);
    }

    private static nuint Sgd<TL, TF, TU>(ref float p, ref float g, ref float b, nuint start, nuint n, in SgdScalars s)
        where TL : struct, ILanes<TF, TU> where TF : struct where TU : struct
    {
        nuint count = (nuint)TL.Count;
        TF gradScale = TL.Splat(s.GradScale);
        TF decay = TL.Splat(s.WeightDecay);
        TF momentum = TL.Splat(s.Momentum);
        TF negLr = TL.Splat(s.NegativeLearningRate);
        bool writeBack = s.WriteBackGradient, useMomentum = s.UseMomentum, nesterov = s.Nesterov;
        nuint i = start;
        for (; i + count <= n; i += count)
        {
            TF grad = TL.Multiply(TL.Load(ref g, i), gradScale);
            if (writeBack)
                TL.Store(grad, ref g, i);
            TF param = TL.Load(ref p, i);
            grad = TL.FusedMultiplyAdd(param, decay, grad);                          // g + λ·p
            if (useMomentum)
            {
                // b ← μ·b + g (b starts at 0, so the first step gives b = g exactly, as torch's clone does)
                TF buffer = TL.FusedMultiplyAdd(TL.Load(ref b, i), momentum, grad);
                TL.Store(buffer, ref b, i);
                grad = nesterov ? TL.FusedMultiplyAdd(buffer, momentum, grad) : buffer; // Nesterov: g + μ·b
            }
            TL.Store(TL.FusedMultiplyAdd(grad, negLr, param), ref p, i);              // p − lr·g
        }
        return i;
    }

    /// <summary>
    /// Σ xᵢ² in double, in a fixed order that does not depend on the vector width: sixteen partial sums,
    /// partial j accumulating elements j, j + 16, j + 32, … in increasing order (each square is exact in double,
    /// so the vector lanes and the scalar loop round identically), then added in order j = 0 … 15.
    /// </summary>
    public static double SumOfSquares(ReadOnlySpan<float> x)
    {
        Span<double> partial = stackalloc double[16];
        partial.Clear();
        int n = x.Length, whole = n & ~15, i = 0;
        ref float r = ref MemoryMarshal.GetReference(x);
        if (whole > 0 && Simd.Use512)
        {
            Vector512<double> a0 = default, a1 = default;
            for (; i < whole; i += 16)
            {
                var v = Vector512.LoadUnsafe(ref r, (nuint)i);
                var lo = Vector512.WidenLower(v);
                var hi = Vector512.WidenUpper(v);
                a0 += lo * lo;
                a1 += hi * hi;
            }
            a0.CopyTo(partial);
            a1.CopyTo(partial[8..]);
        }
        else if (whole > 0 && Simd.Use256)
        {
            Vector256<double> a0 = default, a1 = default, a2 = default, a3 = default;
            for (; i < whole; i += 16)
            {
                var v0 = Vector256.LoadUnsafe(ref r, (nuint)i);
                var v1 = Vector256.LoadUnsafe(ref r, (nuint)i + 8);
                var d0 = Vector256.WidenLower(v0);
                var d1 = Vector256.WidenUpper(v0);
                var d2 = Vector256.WidenLower(v1);
                var d3 = Vector256.WidenUpper(v1);
                a0 += d0 * d0;
                a1 += d1 * d1;
                a2 += d2 * d2;
                a3 += d3 * d3;
            }
            a0.CopyTo(partial);
            a1.CopyTo(partial[4..]);
            a2.CopyTo(partial[8..]);
            a3.CopyTo(partial[12..]);
        }
        else if (whole > 0 && Simd.Use128)
        {
            Vector128<double> a0 = default, a1 = default, a2 = default, a3 = default,
                a4 = default, a5 = default, a6 = default, a7 = default;
            for (; i < whole; i += 16)
            {
                var v0 = Vector128.LoadUnsafe(ref r, (nuint)i);
                var v1 = Vector128.LoadUnsafe(ref r, (nuint)i + 4);
                var v2 = Vector128.LoadUnsafe(ref r, (nuint)i + 8);
                var v3 = Vector128.LoadUnsafe(ref r, (nuint)i + 12);
                a0 = Square(Vector128.WidenLower(v0), a0);
                a1 = Square(Vector128.WidenUpper(v0), a1);
                a2 = Square(Vector128.WidenLower(v1), a2);
                a3 = Square(Vector128.WidenUpper(v1), a3);
                a4 = Square(Vector128.WidenLower(v2), a4);
                a5 = Square(Vector128.WidenUpper(v2), a5);
                a6 = Square(Vector128.WidenLower(v3), a6);
                a7 = Square(Vector128.WidenUpper(v3), a7);
            }
            a0.CopyTo(partial);
            a1.CopyTo(partial[2..]);
            a2.CopyTo(partial[4..]);
            a3.CopyTo(partial[6..]);
            a4.CopyTo(partial[8..]);
            a5.CopyTo(partial[10..]);
            a6.CopyTo(partial[12..]);
            a7.CopyTo(partial[14..]);
        }
        for (; i < n; i++)
        {
            double d = Unsafe.Add(ref r, i);
            partial[i & 15] += d * d;
        }
        double total = 0;
        for (int j = 0; j < 16; j++)
            total += partial[j];
        return total;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<double> Square(Vector128<double> d, Vector128<double> accumulator) => accumulator + d * d;
}
