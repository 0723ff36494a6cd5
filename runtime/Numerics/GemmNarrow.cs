using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using GenDsl.Threading;

namespace GenDsl.Numerics;

// The narrow path of Gemm.Multiply: products where C has at most NarrowMax columns (or rows), such as a
// network's 1- or 2-wide output layer, the weight gradient of a 2-wide layer, or one-row sampling (a GEMV).
// The packed path would pad the narrow side to a whole register tile (32 columns with AVX-512: 16× the work)
// and pack the wide operand first; here nothing is packed and nothing is padded.
//
// Call the long side of C "w" (its Wide elements) and the short side "s" (S ≤ NarrowMax). The operand
// that runs along w is X (w × K), the other Y (S × K):
//   N ≤ NarrowMax: w = rows of C,    X = op(A), Y = op(B)ᵀ, C[w, s];
//   M ≤ NarrowMax: w = columns of C, X = op(B)ᵀ, Y = op(A), C[s, w].
// Two forms, chosen from X's layout alone:
//   * axpy (X contiguous along w): C[w.., s] is a vector of accumulators, updated for k = 0 … K−1 in order
//     with fma(Y[s, k], X[w.., k], acc) — the same per-element chain as the packed kernels, so these results
//     are identical to the packed path's;
//   * dot (X contiguous along k, e.g. Y = X·Wᵀ with W stored out × in): each element is a dot product along k
//     with 16 partial sums (element k of every full block of 16 goes to partial k mod 16), reduced by a fixed
//     pairwise tree, then the last K mod 16 terms added in order — the scheme of Reductions.Sum. Not the packed
//     path's chain, but the same at every vector width and thread count (a lane never changes meaning).
// The epilogue (alpha, beta, bias, activation) is applied per element with exactly the IEEE operations of
// GemmEpilogueOps.Apply.
public static unsafe partial class Gemm
{
    /// <summary>Products whose C has at most this many columns (or rows) take the narrow path.</summary>
    internal const int NarrowMax = 4;

    /// <summary>The dot form needs at least one full block of 16 along K; shorter products use the packed path.</summary>
    internal const int DotMinK = 16;

    /// <summary>Narrow products of at least this many multiply-adds split the wide side over the pool.</summary>
    internal const long NarrowParallelMinWork = 1L << 17;

    /// <summary>Elements of w per piece of work (and per raw-sum buffer on the stack).</summary>
    private const int NarrowChunk = 512;

    [ThreadStatic] private static nint t_narrowY;
    [ThreadStatic] private static long t_narrowYFloats;

    /// <summary>Runs the product on the narrow path if it qualifies; false = use the packed path.</summary>
    private static bool TryNarrow<TAct>(ref GemmJobHeader h, TAct act, WorkerPool pool)
        where TAct : struct, IActivationOp
    {
        if (h.K == 0 || (h.N > NarrowMax && h.M > NarrowMax))
            return false;
        var job = new NarrowJob<TAct>
        {
            K = h.K,
            Ep = new GemmEpilogueArgs<TAct> { Alpha = h.Alpha, Beta = h.Beta, Bias = h.Bias, Act = act },
        };
        if (h.N <= NarrowMax)
        {
            job.Wide = h.M; job.S = h.N;
            job.X = h.A; job.XW = h.TransA ? 1 : h.Lda; job.XK = h.TransA ? h.Lda : 1;
            job.Y = h.B; job.YS = h.TransB ? h.Ldb : 1; job.YK = h.TransB ? 1 : h.Ldb;
            job.C = h.C; job.CW = h.Ldc; job.CS = 1;
            job.BiasPerW = false;
        }
        else
        {
            job.Wide = h.N; job.S = h.M;
            job.X = h.B; job.XW = h.TransB ? h.Ldb : 1; job.XK = h.TransB ? 1 : h.Ldb;
            job.Y = h.A; job.YS = h.TransA ? 1 : h.Lda; job.YK = h.TransA ? h.Lda : 1;
            job.C = h.C; job.CW = 1; job.CS = h.Ldc;
            job.BiasPerW = true;
        }

        if (job.XW == 1 || job.Wide == 1)
        {
            job.Dot = false;
        }
        else if (job.XK == 1 && job.K >= DotMinK)
        {
            job.Dot = true;
            if (job.YK != 1)
            {
                // The dot form reads Y along k with vector loads: copy its S rows into a contiguous buffer.
                long floats = (long)job.S * job.K;
                if (t_narrowYFloats < floats)
                {
                    if (t_narrowY != 0)
                        NativeMemory.AlignedFree((void*)t_narrowY);
                    t_narrowY = 0;
                    t_narrowYFloats = 0;
                    t_narrowY = (nint)NativeMemory.AlignedAlloc((nuint)(floats * sizeof(float)), 64);
                    t_narrowYFloats = floats;
                }
                float* copy = (float*)t_narrowY;
                for (int s = 0; s < job.S; s++)
                    for (int k = 0; k < job.K; k++)
                        copy[(long)s * job.K + k] = job.Y[s * job.YS + k * job.YK];
                job.Y = copy; job.YS = job.K; job.YK = 1;
            }
        }
        else
        {
            return false;
        }

        int threads = pool.Threads;
        bool parallel = threads > 1 && job.Wide >= 64 && (long)job.Wide * job.S * job.K >= NarrowParallelMinWork;
        if (parallel)
        {
            // Pieces of whole 16-element groups, one per thread when they fit in NarrowChunk: the caller claims the
            // first piece, a spinning worker the next, so from call to call each core reads the same part of X
            // (a GEMV's weights: half of a 784×400 layer stays in each core's L2).
            int per = (job.Wide + threads - 1) / threads;
            job.Chunk = Math.Min(NarrowChunk, (per + 15) & ~15);
        }
        else
        {
            job.Chunk = NarrowChunk;
        }
        job.Pieces = (job.Wide + job.Chunk - 1) / job.Chunk;
        if (parallel && job.Pieces > 1)
        {
            pool.Run(&NarrowBody<TAct>, Unsafe.AsPointer(ref job), job.Pieces);
        }
        else
        {
            for (int p = 0; p < job.Pieces; p++)
                NarrowPiece(ref job, p);
        }
        return true;
    }

    private static void NarrowBody<TAct>(void* state, int piece) where TAct : struct, IActivationOp
        => NarrowPiece(ref Unsafe.AsRef<NarrowJob<TAct>>(state), piece);

    /// <summary>Computes C for w in one piece and every s: raw sums into a stack buffer, then the epilogue.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit] // the raw buffer is written before it is read
    private static void NarrowPiece<TAct>(ref NarrowJob<TAct> job, int piece) where TAct : struct, IActivationOp
    {
        int w0 = piece * job.Chunk;
        int count = Math.Min(job.Chunk, job.Wide - w0);
        float* raw = stackalloc float[2 * NarrowChunk];
        for (int s = 0; s < job.S;)
        {
            int rows = job.Dot || job.S - s < 2 ? 1 : 2;
            switch (Simd.Width)
            {
                case SimdWidth.V512: NarrowRaw<Lanes512, Vector512<float>, Vector512<uint>, TAct>(ref job, s, rows, w0, count, raw); break;
                case SimdWidth.V256: NarrowRaw<Lanes256, Vector256<float>, Vector256<uint>, TAct>(ref job, s, rows, w0, count, raw); break;
                case SimdWidth.V128: NarrowRaw<Lanes128, Vector128<float>, Vector128<uint>, TAct>(ref job, s, rows, w0, count, raw); break;
                default: NarrowRaw<ScalarLanes, float, uint, TAct>(ref job, s, rows, w0, count, raw); break;
            }
            for (int r = 0; r < rows; r++, s++)
            {
                float* c = job.C + s * job.CS + w0 * job.CW;
                float* bias = job.Ep.Bias == null ? null : job.BiasPerW ? job.Ep.Bias + w0 : job.Ep.Bias + s;
                switch (Simd.Width)
                {
                    case SimdWidth.V512: NarrowEpilogue<Lanes512, Vector512<float>, Vector512<uint>, TAct>(raw + r * NarrowChunk, count, c, job.CW, bias, job.BiasPerW, ref job.Ep); break;
                    case SimdWidth.V256: NarrowEpilogue<Lanes256, Vector256<float>, Vector256<uint>, TAct>(raw + r * NarrowChunk, count, c, job.CW, bias, job.BiasPerW, ref job.Ep); break;
                    case SimdWidth.V128: NarrowEpilogue<Lanes128, Vector128<float>, Vector128<uint>, TAct>(raw + r * NarrowChunk, count, c, job.CW, bias, job.BiasPerW, ref job.Ep); break;
                    default: NarrowEpilogue<ScalarLanes, float, uint, TAct>(raw + r * NarrowChunk, count, c, job.CW, bias, job.BiasPerW, ref job.Ep); break;
                }
            }
        }
    }

    /// <summary>Raw sums (before the epilogue) of rows s … s+rows−1 for w in [w0, w0+count): raw[r·NarrowChunk + i].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void NarrowRaw<TL, TF, TI, TAct>(ref NarrowJob<TAct> job, int s, int rows, int w0, int count, float* raw)
        where TL : struct, ILanes<TF, TI>
        where TF : struct
        where TI : struct
        where TAct : struct, IActivationOp
    {
        float* y = job.Y + s * job.YS;
        if (job.Dot)
        {
            DotRows<TL, TF, TI>(job.X + w0 * job.XW, job.XW, y, job.K, count, raw);
            return;
        }
        float* x = job.X + w0; // XW == 1 (or a single w)
        int v = TL.Count, i = 0;
        if (rows == 1)
        {
            for (; i + 8 * v <= count; i += 8 * v) AxpyTile<TL, TF, TI, One, Eight>(x + i, job.XK, y, job.YS, job.YK, job.K, raw + i);
            for (; i + 4 * v <= count; i += 4 * v) AxpyTile<TL, TF, TI, One, Four>(x + i, job.XK, y, job.YS, job.YK, job.K, raw + i);
            for (; i + 2 * v <= count; i += 2 * v) AxpyTile<TL, TF, TI, One, Two>(x + i, job.XK, y, job.YS, job.YK, job.K, raw + i);
            for (; i + v <= count; i += v) AxpyTile<TL, TF, TI, One, One>(x + i, job.XK, y, job.YS, job.YK, job.K, raw + i);
            for (; i < count; i++) AxpyTile<ScalarLanes, float, uint, One, One>(x + i, job.XK, y, job.YS, job.YK, job.K, raw + i);
        }
        else
        {
            for (; i + 4 * v <= count; i += 4 * v) AxpyTile<TL, TF, TI, Two, Four>(x + i, job.XK, y, job.YS, job.YK, job.K, raw + i);
            for (; i + 2 * v <= count; i += 2 * v) AxpyTile<TL, TF, TI, Two, Two>(x + i, job.XK, y, job.YS, job.YK, job.K, raw + i);
            for (; i + v <= count; i += v) AxpyTile<TL, TF, TI, Two, One>(x + i, job.XK, y, job.YS, job.YK, job.K, raw + i);
            for (; i < count; i++) AxpyTile<ScalarLanes, float, uint, Two, One>(x + i, job.XK, y, job.YS, job.YK, job.K, raw + i);
        }
    }

    /// <summary>
    /// TU vectors of w for TS (1 or 2) rows of Y: acc[s][u] = fma(Y[s, k], X[w + u·V, k], acc[s][u]) for k = 0 … K−1.
    /// Results go to raw[s·NarrowChunk + u·V + lane]. Accumulators a0…a7 hold s = 0 (u &lt; 8), or with TS = 2,
    /// s = 0 in a0…a3 and s = 1 in a4…a7.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AxpyTile<TL, TF, TI, TS, TU>(float* x, nint xk, float* y, nint ys, nint yk, int kCount, float* raw)
        where TL : struct, ILanes<TF, TI>
        where TF : struct
        where TI : struct
        where TS : struct, INarrowCount
        where TU : struct, INarrowCount
    {
        nuint v = (nuint)TL.Count;
        TF zero = TL.Splat(0f);
        TF a0 = zero, a1 = zero, a2 = zero, a3 = zero, a4 = zero, a5 = zero, a6 = zero, a7 = zero;
        float* y1 = y + ys;
        for (int k = 0; k < kCount; k++)
        {
            ref float xr = ref *(x + k * xk);
            TF x0 = TL.Load(ref xr, 0);
            TF x1 = TU.Value > 1 ? TL.Load(ref xr, v) : zero;
            TF x2 = TU.Value > 2 ? TL.Load(ref xr, 2 * v) : zero;
            TF x3 = TU.Value > 2 ? TL.Load(ref xr, 3 * v) : zero;
            TF b0 = TL.Splat(y[k * yk]);
            a0 = TL.FusedMultiplyAdd(b0, x0, a0);
            if (TU.Value > 1) a1 = TL.FusedMultiplyAdd(b0, x1, a1);
            if (TU.Value > 2) { a2 = TL.FusedMultiplyAdd(b0, x2, a2); a3 = TL.FusedMultiplyAdd(b0, x3, a3); }
            if (TU.Value > 4)
            {
                a4 = TL.FusedMultiplyAdd(b0, TL.Load(ref xr, 4 * v), a4);
                a5 = TL.FusedMultiplyAdd(b0, TL.Load(ref xr, 5 * v), a5);
                a6 = TL.FusedMultiplyAdd(b0, TL.Load(ref xr, 6 * v), a6);
                a7 = TL.FusedMultiplyAdd(b0, TL.Load(ref xr, 7 * v), a7);
            }
            if (TS.Value == 2)
            {
                TF b1 = TL.Splat(y1[k * yk]);
                a4 = TL.FusedMultiplyAdd(b1, x0, a4);
                if (TU.Value > 1) a5 = TL.FusedMultiplyAdd(b1, x1, a5);
                if (TU.Value > 2) { a6 = TL.FusedMultiplyAdd(b1, x2, a6); a7 = TL.FusedMultiplyAdd(b1, x3, a7); }
            }
        }
        ref float o = ref *raw;
        TL.Store(a0, ref o, 0);
        if (TU.Value > 1) TL.Store(a1, ref o, v);
        if (TU.Value > 2) { TL.Store(a2, ref o, 2 * v); TL.Store(a3, ref o, 3 * v); }
        if (TU.Value > 4) { TL.Store(a4, ref o, 4 * v); TL.Store(a5, ref o, 5 * v); TL.Store(a6, ref o, 6 * v); TL.Store(a7, ref o, 7 * v); }
        if (TS.Value == 2)
        {
            ref float o1 = ref *(raw + NarrowChunk);
            TL.Store(a4, ref o1, 0);
            if (TU.Value > 1) TL.Store(a5, ref o1, v);
            if (TU.Value > 2) { TL.Store(a6, ref o1, 2 * v); TL.Store(a7, ref o1, 3 * v); }
        }
    }

    /// <summary>raw[i] = Σ_k X[i, k]·y[k] for i in [0, count) (X rows <paramref name="xw"/> apart, contiguous in k),
    /// in the fixed order described at the top of this file.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DotRows<TL, TF, TI>(float* x, nint xw, float* y, int kCount, int count, float* raw)
        where TL : struct, ILanes<TF, TI>
        where TF : struct
        where TI : struct
    {
        int full = kCount & ~15;
        int i = 0;
        if (typeof(TF) == typeof(Vector512<float>))
        {
            // Eight rows at a time: eight independent chains, and eight streams of X in flight (a GEMV is bound by
            // how fast X arrives from the caches); the last few rows one by one.
            for (; i + 8 <= count; i += 8)
            {
                float* x0 = x + i * xw, x1 = x0 + xw, x2 = x1 + xw, x3 = x2 + xw;
                float* x4 = x3 + xw, x5 = x4 + xw, x6 = x5 + xw, x7 = x6 + xw;
                Vector512<float> p0 = default, p1 = default, p2 = default, p3 = default;
                Vector512<float> p4 = default, p5 = default, p6 = default, p7 = default;
                for (int k = 0; k < full; k += 16)
                {
                    var yv = Vector512.Load(y + k);
                    p0 = Vector512.FusedMultiplyAdd(Vector512.Load(x0 + k), yv, p0);
                    p1 = Vector512.FusedMultiplyAdd(Vector512.Load(x1 + k), yv, p1);
                    p2 = Vector512.FusedMultiplyAdd(Vector512.Load(x2 + k), yv, p2);
                    p3 = Vector512.FusedMultiplyAdd(Vector512.Load(x3 + k), yv, p3);
                    p4 = Vector512.FusedMultiplyAdd(Vector512.Load(x4 + k), yv, p4);
                    p5 = Vector512.FusedMultiplyAdd(Vector512.Load(x5 + k), yv, p5);
                    p6 = Vector512.FusedMultiplyAdd(Vector512.Load(x6 + k), yv, p6);
                    p7 = Vector512.FusedMultiplyAdd(Vector512.Load(x7 + k), yv, p7);
                }
                raw[i] = DotTail(Tree(p0), x0, y, full, kCount);
                raw[i + 1] = DotTail(Tree(p1), x1, y, full, kCount);
                raw[i + 2] = DotTail(Tree(p2), x2, y, full, kCount);
                raw[i + 3] = DotTail(Tree(p3), x3, y, full, kCount);
                raw[i + 4] = DotTail(Tree(p4), x4, y, full, kCount);
                raw[i + 5] = DotTail(Tree(p5), x5, y, full, kCount);
                raw[i + 6] = DotTail(Tree(p6), x6, y, full, kCount);
                raw[i + 7] = DotTail(Tree(p7), x7, y, full, kCount);
            }
            for (; i < count; i++)
            {
                float* xi = x + i * xw;
                Vector512<float> p = default;
                for (int k = 0; k < full; k += 16)
                    p = Vector512.FusedMultiplyAdd(Vector512.Load(xi + k), Vector512.Load(y + k), p);
                raw[i] = DotTail(Tree(p), xi, y, full, kCount);
            }
        }
        else if (typeof(TF) == typeof(Vector256<float>))
        {
            for (; i + 2 <= count; i += 2)
            {
                float* x0 = x + i * xw, x1 = x0 + xw;
                Vector256<float> p0 = default, q0 = default, p1 = default, q1 = default;
                for (int k = 0; k < full; k += 16)
                {
                    var ya = Vector256.Load(y + k);
                    var yb = Vector256.Load(y + k + 8);
                    p0 = Vector256.FusedMultiplyAdd(Vector256.Load(x0 + k), ya, p0);
                    q0 = Vector256.FusedMultiplyAdd(Vector256.Load(x0 + k + 8), yb, q0);
                    p1 = Vector256.FusedMultiplyAdd(Vector256.Load(x1 + k), ya, p1);
                    q1 = Vector256.FusedMultiplyAdd(Vector256.Load(x1 + k + 8), yb, q1);
                }
                raw[i] = DotTail(Tree(p0 + q0), x0, y, full, kCount);
                raw[i + 1] = DotTail(Tree(p1 + q1), x1, y, full, kCount);
            }
            for (; i < count; i++)
            {
                float* xi = x + i * xw;
                Vector256<float> p = default, q = default;
                for (int k = 0; k < full; k += 16)
                {
                    p = Vector256.FusedMultiplyAdd(Vector256.Load(xi + k), Vector256.Load(y + k), p);
                    q = Vector256.FusedMultiplyAdd(Vector256.Load(xi + k + 8), Vector256.Load(y + k + 8), q);
                }
                raw[i] = DotTail(Tree(p + q), xi, y, full, kCount);
            }
        }
        else if (typeof(TF) == typeof(Vector128<float>))
        {
            for (; i < count; i++)
            {
                float* xi = x + i * xw;
                Vector128<float> p0 = default, p1 = default, p2 = default, p3 = default;
                for (int k = 0; k < full; k += 16)
                {
                    p0 = Vector128.FusedMultiplyAdd(Vector128.Load(xi + k), Vector128.Load(y + k), p0);
                    p1 = Vector128.FusedMultiplyAdd(Vector128.Load(xi + k + 4), Vector128.Load(y + k + 4), p1);
                    p2 = Vector128.FusedMultiplyAdd(Vector128.Load(xi + k + 8), Vector128.Load(y + k + 8), p2);
                    p3 = Vector128.FusedMultiplyAdd(Vector128.Load(xi + k + 12), Vector128.Load(y + k + 12), p3);
                }
                // Partials j and j + 8 first (p0 + p2, p1 + p3), then j and j + 4: the tree of the wider widths.
                raw[i] = DotTail(Tree((p0 + p2) + (p1 + p3)), xi, y, full, kCount);
            }
        }
        else
        {
            float* p = stackalloc float[16];
            for (; i < count; i++)
            {
                float* xi = x + i * xw;
                for (int j = 0; j < 16; j++)
                    p[j] = 0f;
                for (int k = 0; k < full; k += 16)
                    for (int j = 0; j < 16; j++)
                        p[j] = MathF.FusedMultiplyAdd(xi[k + j], y[k + j], p[j]);
                for (int half = 8; half >= 1; half >>= 1)
                    for (int j = 0; j < half; j++)
                        p[j] += p[j + half];
                raw[i] = DotTail(p[0], xi, y, full, kCount);
            }
        }
    }

    /// <summary>Sum of 16 partials: p[j] + p[j+8], then + p[j+4] (the same pairs at every width).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Tree(Vector512<float> p) => Tree(p.GetLower() + p.GetUpper());

    /// <summary>Sum of 8 partials (already p[j] + p[j+8]).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Tree(Vector256<float> p) => Tree(p.GetLower() + p.GetUpper());

    /// <summary>Sum of 4 partials: (p0 + p2) + (p1 + p3).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Tree(Vector128<float> p) =>
        (p.GetElement(0) + p.GetElement(2)) + (p.GetElement(1) + p.GetElement(3));

    /// <summary>Adds the last K mod 16 terms to the reduced sum, in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float DotTail(float sum, float* x, float* y, int full, int kCount)
    {
        for (int k = full; k < kCount; k++)
            sum = MathF.FusedMultiplyAdd(x[k], y[k], sum);
        return sum;
    }

    /// <summary>
    /// c[i·cw] = act(alpha·raw[i] + beta·c[i·cw] + bias) for i in [0, count): vectors when C is contiguous along w,
    /// otherwise element by element (<see cref="GemmEpilogueOps.Apply"/>: the same IEEE operations).
    /// <paramref name="bias"/> is per w (consecutive) when <paramref name="biasPerW"/>, else one value for the row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void NarrowEpilogue<TL, TF, TI, TAct>(float* raw, int count, float* c, nint cw, float* bias, bool biasPerW,
                                                     ref GemmEpilogueArgs<TAct> ep)
        where TL : struct, ILanes<TF, TI>
        where TF : struct
        where TI : struct
        where TAct : struct, IActivationOp
    {
        int i = 0;
        if (cw == 1 && TL.Count > 1)
        {
            TF alpha = TL.Splat(ep.Alpha), beta = TL.Splat(ep.Beta);
            TF biasAll = bias != null && !biasPerW ? TL.Splat(*bias) : default;
            for (; i + TL.Count <= count; i += TL.Count)
            {
                TF t = TL.Load(ref raw[i], 0);
                if (ep.Alpha != 1f)
                    t = TL.Multiply(t, alpha);
                if (ep.Beta != 0f)
                    t = TL.FusedMultiplyAdd(beta, TL.Load(ref c[i], 0), t);
                if (bias != null)
                    t = TL.Add(t, biasPerW ? TL.Load(ref bias[i], 0) : biasAll);
                TL.Store(Activate<TF, TAct>(t, ref ep.Act), ref c[i], 0);
            }
        }
        for (; i < count; i++)
        {
            float* ci = c + i * cw;
            *ci = GemmEpilogueOps.Apply(raw[i], ci, bias == null ? null : biasPerW ? bias + i : bias, ref ep);
        }
    }

    /// <summary>The activation of a vector of lanes of type <typeparamref name="TF"/> (resolved when the JIT specialises).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TF Activate<TF, TAct>(TF v, ref TAct act)
        where TF : struct
        where TAct : struct, IActivationOp
    {
        if (typeof(TF) == typeof(Vector512<float>))
        {
            var r = act.Forward(Unsafe.As<TF, Vector512<float>>(ref v));
            return Unsafe.As<Vector512<float>, TF>(ref r);
        }
        if (typeof(TF) == typeof(Vector256<float>))
        {
            var r = act.Forward(Unsafe.As<TF, Vector256<float>>(ref v));
            return Unsafe.As<Vector256<float>, TF>(ref r);
        }
        if (typeof(TF) == typeof(Vector128<float>))
        {
            var r = act.Forward(Unsafe.As<TF, Vector128<float>>(ref v));
            return Unsafe.As<Vector128<float>, TF>(ref r);
        }
        float f = act.Forward(Unsafe.As<TF, float>(ref v));
        return Unsafe.As<float, TF>(ref f);
    }
}

/// <summary>A small count fixed at compile time (the JIT folds the branches on it when it specialises).</summary>
internal interface INarrowCount
{
    static abstract int Value { get; }
}

internal readonly struct One : INarrowCount { public static int Value => 1; }
internal readonly struct Two : INarrowCount { public static int Value => 2; }
internal readonly struct Four : INarrowCount { public static int Value => 4; }
internal readonly struct Eight : INarrowCount { public static int Value => 8; }

/// <summary>One narrow product as its pieces see it (see the comment at the top of GemmNarrow.cs).</summary>
internal unsafe struct NarrowJob<TAct> where TAct : struct, IActivationOp
{
    /// <summary>Extent of the long side of C, of the short side (≤ <see cref="Gemm.NarrowMax"/>), and of K.</summary>
    public int Wide, S, K;
    /// <summary>X[w, k] = X[w·XW + k·XK].</summary>
    public float* X; public nint XW, XK;
    /// <summary>Y[s, k] = Y[s·YS + k·YK].</summary>
    public float* Y; public nint YS, YK;
    /// <summary>C[w, s] = C[w·CW + s·CS].</summary>
    public float* C; public nint CW, CS;
    /// <summary>Bias along w (M ≤ NarrowMax: one per column of C) or along s (N ≤ NarrowMax).</summary>
    public bool BiasPerW;
    /// <summary>Dot form (X contiguous along k) rather than axpy form (X contiguous along w).</summary>
    public bool Dot;
    /// <summary>Elements of w per piece, and the number of pieces.</summary>
    public int Chunk, Pieces;
    public GemmEpilogueArgs<TAct> Ep;
}
