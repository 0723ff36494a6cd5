using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GenDsl.Numerics;

/// <summary>The epilogue as the kernels see it: raw pointers and the activation operator struct.</summary>
internal unsafe struct GemmEpilogueArgs<TAct> where TAct : struct, IActivationOp
{
    public float Alpha;
    public float Beta;
    /// <summary>Bias for column 0 of C, or null.</summary>
    public float* Bias;
    public TAct Act;
}

/// <summary>
/// A register-tiled GEMM micro-kernel: computes one MR×NR tile of C from a packed A micro-panel
/// (kc steps of MR values: <c>a[k·MR + r] = op(A)[i0 + r, p0 + k]</c>) and a packed B micro-panel
/// (kc steps of NR values: <c>b[k·NR + j] = op(B)[p0 + k, j0 + j]</c>).
/// </summary>
/// <remarks>
/// Every element of the tile is one accumulator updated as <c>acc = fma(a[k], b[k], acc)</c> for k in
/// increasing order — the same chain at every width, which is what makes all widths bit-identical.
/// Between K blocks the accumulator is parked (exactly, as a float) in a scratch tile.
/// </remarks>
internal unsafe interface IGemmKernel
{
    /// <summary>Rows of the register tile.</summary>
    static abstract int MR { get; }
    /// <summary>Columns of the register tile.</summary>
    static abstract int NR { get; }

    /// <summary>
    /// Runs kc steps; step k reads the NR values of B at <paramref name="b"/> + k·<paramref name="ldb"/> (NR for a packed
    /// panel; B's row pitch when the panel is read in place). <paramref name="first"/>: start from 0 rather than from the tile parked in <paramref name="acc"/>
    /// (MR×NR floats, row-major). <paramref name="last"/>: this finishes the K reduction, so apply the epilogue and
    /// write the top-left <paramref name="mr"/>×<paramref name="nr"/> corner of the tile to <paramref name="c"/>
    /// (row pitch <paramref name="ldc"/>); otherwise park the tile in <paramref name="acc"/>.
    /// <paramref name="bias"/> points at the bias of the tile's first column (or is null).
    /// </summary>
    static abstract void Run<TAct>(int kc, float* a, float* b, nint ldb, float* acc, bool first, bool last,
                                   float* c, nint ldc, int mr, int nr, float* bias, ref GemmEpilogueArgs<TAct> ep)
        where TAct : struct, IActivationOp;
}

/// <summary>Shared epilogue code of the micro-kernels.</summary>
internal static unsafe class GemmEpilogueOps
{
    /// <summary>The scalar epilogue of one element; every vector path does exactly these IEEE operations per lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Apply<TAct>(float acc, float* c, float* bias, ref GemmEpilogueArgs<TAct> ep)
        where TAct : struct, IActivationOp
    {
        float v = acc;
        if (ep.Alpha != 1f)
            v *= ep.Alpha;
        if (ep.Beta != 0f)
            v = MathF.FusedMultiplyAdd(ep.Beta, *c, v);
        if (bias != null)
            v += *bias;
        return ep.Act.Forward(v);
    }

    /// <summary>Epilogue of a partial tile parked in <paramref name="acc"/> (row stride <paramref name="nrFull"/>).</summary>
    public static void Edge<TAct>(float* acc, int nrFull, float* c, nint ldc, int mr, int nr, float* bias,
                                  ref GemmEpilogueArgs<TAct> ep)
        where TAct : struct, IActivationOp
    {
        for (int r = 0; r < mr; r++)
        {
            float* src = acc + r * nrFull;
            float* dst = c + r * ldc;
            for (int j = 0; j < nr; j++)
                dst[j] = Apply(src[j], dst + j, bias == null ? null : bias + j, ref ep);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Out<TAct>(Vector512<float> v, float* c, float* bias, ref GemmEpilogueArgs<TAct> ep)
        where TAct : struct, IActivationOp
    {
        if (ep.Alpha != 1f)
            v *= Vector512.Create(ep.Alpha);
        if (ep.Beta != 0f)
            v = Vector512.FusedMultiplyAdd(Vector512.Create(ep.Beta), Vector512.Load(c), v);
        if (bias != null)
            v += Vector512.Load(bias);
        ep.Act.Forward(v).Store(c);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Out<TAct>(Vector256<float> v, float* c, float* bias, ref GemmEpilogueArgs<TAct> ep)
        where TAct : struct, IActivationOp
    {
        if (ep.Alpha != 1f)
            v *= Vector256.Create(ep.Alpha);
        if (ep.Beta != 0f)
            v = Vector256.FusedMultiplyAdd(Vector256.Create(ep.Beta), Vector256.Load(c), v);
        if (bias != null)
            v += Vector256.Load(bias);
        ep.Act.Forward(v).Store(c);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Out<TAct>(Vector128<float> v, float* c, float* bias, ref GemmEpilogueArgs<TAct> ep)
        where TAct : struct, IActivationOp
    {
        if (ep.Alpha != 1f)
            v *= Vector128.Create(ep.Alpha);
        if (ep.Beta != 0f)
            v = Vector128.FusedMultiplyAdd(Vector128.Create(ep.Beta), Vector128.Load(c), v);
        if (bias != null)
            v += Vector128.Load(bias);
        ep.Act.Forward(v).Store(c);
    }
}

/// <summary>8×32 tile, sixteen 512-bit accumulators (AVX-512): per k, 2 vector loads of B, 8 broadcasts of A, 16 FMAs.</summary>
internal unsafe struct GemmKernel512 : IGemmKernel
{
    public static int MR => 8;
    public static int NR => 32;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<TAct>(int kc, float* a, float* b, nint ldb, float* acc, bool first, bool last,
                                 float* c, nint ldc, int mr, int nr, float* bias, ref GemmEpilogueArgs<TAct> ep)
        where TAct : struct, IActivationOp
    {
        Vector512<float> c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71;
        if (first)
        {
            c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = c60 = c61 = c70 = c71 = Vector512<float>.Zero;
        }
        else
        {
            c00 = Vector512.Load(acc + 0); c01 = Vector512.Load(acc + 16);
            c10 = Vector512.Load(acc + 32); c11 = Vector512.Load(acc + 48);
            c20 = Vector512.Load(acc + 64); c21 = Vector512.Load(acc + 80);
            c30 = Vector512.Load(acc + 96); c31 = Vector512.Load(acc + 112);
            c40 = Vector512.Load(acc + 128); c41 = Vector512.Load(acc + 144);
            c50 = Vector512.Load(acc + 160); c51 = Vector512.Load(acc + 176);
            c60 = Vector512.Load(acc + 192); c61 = Vector512.Load(acc + 208);
            c70 = Vector512.Load(acc + 224); c71 = Vector512.Load(acc + 240);
        }

        // Warm the caches for the next tile (same row strip, next 32 columns) while this one computes: its parked
        // accumulators, or the rows of C its epilogue will write. (Prefetches never fault, even past the end.)
        if (Sse.IsSupported)
        {
            if (!last)
            {
                for (int t = 0; t < 8 * 32; t += 16)
                    Sse.Prefetch0(acc + 8 * 32 + t);
            }
            else
            {
                float* cn = c + 32;
                for (int r = 0; r < 8; r++, cn += ldc)
                {
                    Sse.Prefetch0(cn);
                    Sse.Prefetch0(cn + 16);
                }
            }
        }

        for (int k = 0; k < kc; k++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            var ak = Vector512.Create(a[0]);
            c00 = Vector512.FusedMultiplyAdd(ak, b0, c00); c01 = Vector512.FusedMultiplyAdd(ak, b1, c01);
            ak = Vector512.Create(a[1]);
            c10 = Vector512.FusedMultiplyAdd(ak, b0, c10); c11 = Vector512.FusedMultiplyAdd(ak, b1, c11);
            ak = Vector512.Create(a[2]);
            c20 = Vector512.FusedMultiplyAdd(ak, b0, c20); c21 = Vector512.FusedMultiplyAdd(ak, b1, c21);
            ak = Vector512.Create(a[3]);
            c30 = Vector512.FusedMultiplyAdd(ak, b0, c30); c31 = Vector512.FusedMultiplyAdd(ak, b1, c31);
            ak = Vector512.Create(a[4]);
            c40 = Vector512.FusedMultiplyAdd(ak, b0, c40); c41 = Vector512.FusedMultiplyAdd(ak, b1, c41);
            ak = Vector512.Create(a[5]);
            c50 = Vector512.FusedMultiplyAdd(ak, b0, c50); c51 = Vector512.FusedMultiplyAdd(ak, b1, c51);
            ak = Vector512.Create(a[6]);
            c60 = Vector512.FusedMultiplyAdd(ak, b0, c60); c61 = Vector512.FusedMultiplyAdd(ak, b1, c61);
            ak = Vector512.Create(a[7]);
            c70 = Vector512.FusedMultiplyAdd(ak, b0, c70); c71 = Vector512.FusedMultiplyAdd(ak, b1, c71);
            a += 8;
            b += ldb;
        }

        if (last && mr == 8 && nr == 32)
        {
            float* bias16 = bias == null ? null : bias + 16;
            GemmEpilogueOps.Out(c00, c, bias, ref ep); GemmEpilogueOps.Out(c01, c + 16, bias16, ref ep); c += ldc;
            GemmEpilogueOps.Out(c10, c, bias, ref ep); GemmEpilogueOps.Out(c11, c + 16, bias16, ref ep); c += ldc;
            GemmEpilogueOps.Out(c20, c, bias, ref ep); GemmEpilogueOps.Out(c21, c + 16, bias16, ref ep); c += ldc;
            GemmEpilogueOps.Out(c30, c, bias, ref ep); GemmEpilogueOps.Out(c31, c + 16, bias16, ref ep); c += ldc;
            GemmEpilogueOps.Out(c40, c, bias, ref ep); GemmEpilogueOps.Out(c41, c + 16, bias16, ref ep); c += ldc;
            GemmEpilogueOps.Out(c50, c, bias, ref ep); GemmEpilogueOps.Out(c51, c + 16, bias16, ref ep); c += ldc;
            GemmEpilogueOps.Out(c60, c, bias, ref ep); GemmEpilogueOps.Out(c61, c + 16, bias16, ref ep); c += ldc;
            GemmEpilogueOps.Out(c70, c, bias, ref ep); GemmEpilogueOps.Out(c71, c + 16, bias16, ref ep);
            return;
        }

        c00.Store(acc + 0); c01.Store(acc + 16);
        c10.Store(acc + 32); c11.Store(acc + 48);
        c20.Store(acc + 64); c21.Store(acc + 80);
        c30.Store(acc + 96); c31.Store(acc + 112);
        c40.Store(acc + 128); c41.Store(acc + 144);
        c50.Store(acc + 160); c51.Store(acc + 176);
        c60.Store(acc + 192); c61.Store(acc + 208);
        c70.Store(acc + 224); c71.Store(acc + 240);
        if (last)
            GemmEpilogueOps.Edge(acc, 32, c, ldc, mr, nr, bias, ref ep);
    }
}

/// <summary>6×16 tile, twelve 256-bit accumulators (AVX2 / FMA3).</summary>
internal unsafe struct GemmKernel256 : IGemmKernel
{
    public static int MR => 6;
    public static int NR => 16;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<TAct>(int kc, float* a, float* b, nint ldb, float* acc, bool first, bool last,
                                 float* c, nint ldc, int mr, int nr, float* bias, ref GemmEpilogueArgs<TAct> ep)
        where TAct : struct, IActivationOp
    {
        Vector256<float> c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
        if (first)
        {
            c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = Vector256<float>.Zero;
        }
        else
        {
            c00 = Vector256.Load(acc + 0); c01 = Vector256.Load(acc + 8);
            c10 = Vector256.Load(acc + 16); c11 = Vector256.Load(acc + 24);
            c20 = Vector256.Load(acc + 32); c21 = Vector256.Load(acc + 40);
            c30 = Vector256.Load(acc + 48); c31 = Vector256.Load(acc + 56);
            c40 = Vector256.Load(acc + 64); c41 = Vector256.Load(acc + 72);
            c50 = Vector256.Load(acc + 80); c51 = Vector256.Load(acc + 88);
        }

        for (int k = 0; k < kc; k++)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            var ak = Vector256.Create(a[0]);
            c00 = Vector256.FusedMultiplyAdd(ak, b0, c00); c01 = Vector256.FusedMultiplyAdd(ak, b1, c01);
            ak = Vector256.Create(a[1]);
            c10 = Vector256.FusedMultiplyAdd(ak, b0, c10); c11 = Vector256.FusedMultiplyAdd(ak, b1, c11);
            ak = Vector256.Create(a[2]);
            c20 = Vector256.FusedMultiplyAdd(ak, b0, c20); c21 = Vector256.FusedMultiplyAdd(ak, b1, c21);
            ak = Vector256.Create(a[3]);
            c30 = Vector256.FusedMultiplyAdd(ak, b0, c30); c31 = Vector256.FusedMultiplyAdd(ak, b1, c31);
            ak = Vector256.Create(a[4]);
            c40 = Vector256.FusedMultiplyAdd(ak, b0, c40); c41 = Vector256.FusedMultiplyAdd(ak, b1, c41);
            ak = Vector256.Create(a[5]);
            c50 = Vector256.FusedMultiplyAdd(ak, b0, c50); c51 = Vector256.FusedMultiplyAdd(ak, b1, c51);
            a += 6;
            b += ldb;
        }

        if (last && mr == 6 && nr == 16)
        {
            float* bias8 = bias == null ? null : bias + 8;
            GemmEpilogueOps.Out(c00, c, bias, ref ep); GemmEpilogueOps.Out(c01, c + 8, bias8, ref ep); c += ldc;
            GemmEpilogueOps.Out(c10, c, bias, ref ep); GemmEpilogueOps.Out(c11, c + 8, bias8, ref ep); c += ldc;
            GemmEpilogueOps.Out(c20, c, bias, ref ep); GemmEpilogueOps.Out(c21, c + 8, bias8, ref ep); c += ldc;
            GemmEpilogueOps.Out(c30, c, bias, ref ep); GemmEpilogueOps.Out(c31, c + 8, bias8, ref ep); c += ldc;
            GemmEpilogueOps.Out(c40, c, bias, ref ep); GemmEpilogueOps.Out(c41, c + 8, bias8, ref ep); c += ldc;
            GemmEpilogueOps.Out(c50, c, bias, ref ep); GemmEpilogueOps.Out(c51, c + 8, bias8, ref ep);
            return;
        }

        c00.Store(acc + 0); c01.Store(acc + 8);
        c10.Store(acc + 16); c11.Store(acc + 24);
        c20.Store(acc + 32); c21.Store(acc + 40);
        c30.Store(acc + 48); c31.Store(acc + 56);
        c40.Store(acc + 64); c41.Store(acc + 72);
        c50.Store(acc + 80); c51.Store(acc + 88);
        if (last)
            GemmEpilogueOps.Edge(acc, 16, c, ldc, mr, nr, bias, ref ep);
    }
}

/// <summary>6×8 tile, twelve 128-bit accumulators (SSE / NEON widths).</summary>
internal unsafe struct GemmKernel128 : IGemmKernel
{
    public static int MR => 6;
    public static int NR => 8;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<TAct>(int kc, float* a, float* b, nint ldb, float* acc, bool first, bool last,
                                 float* c, nint ldc, int mr, int nr, float* bias, ref GemmEpilogueArgs<TAct> ep)
        where TAct : struct, IActivationOp
    {
        Vector128<float> c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
        if (first)
        {
            c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = Vector128<float>.Zero;
        }
        else
        {
            c00 = Vector128.Load(acc + 0); c01 = Vector128.Load(acc + 4);
            c10 = Vector128.Load(acc + 8); c11 = Vector128.Load(acc + 12);
            c20 = Vector128.Load(acc + 16); c21 = Vector128.Load(acc + 20);
            c30 = Vector128.Load(acc + 24); c31 = Vector128.Load(acc + 28);
            c40 = Vector128.Load(acc + 32); c41 = Vector128.Load(acc + 36);
            c50 = Vector128.Load(acc + 40); c51 = Vector128.Load(acc + 44);
        }

        for (int k = 0; k < kc; k++)
        {
            var b0 = Vector128.Load(b);
            var b1 = Vector128.Load(b + 4);
            var ak = Vector128.Create(a[0]);
            c00 = Vector128.FusedMultiplyAdd(ak, b0, c00); c01 = Vector128.FusedMultiplyAdd(ak, b1, c01);
            ak = Vector128.Create(a[1]);
            c10 = Vector128.FusedMultiplyAdd(ak, b0, c10); c11 = Vector128.FusedMultiplyAdd(ak, b1, c11);
            ak = Vector128.Create(a[2]);
            c20 = Vector128.FusedMultiplyAdd(ak, b0, c20); c21 = Vector128.FusedMultiplyAdd(ak, b1, c21);
            ak = Vector128.Create(a[3]);
            c30 = Vector128.FusedMultiplyAdd(ak, b0, c30); c31 = Vector128.FusedMultiplyAdd(ak, b1, c31);
            ak = Vector128.Create(a[4]);
            c40 = Vector128.FusedMultiplyAdd(ak, b0, c40); c41 = Vector128.FusedMultiplyAdd(ak, b1, c41);
            ak = Vector128.Create(a[5]);
            c50 = Vector128.FusedMultiplyAdd(ak, b0, c50); c51 = Vector128.FusedMultiplyAdd(ak, b1, c51);
            a += 6;
            b += ldb;
        }

        if (last && mr == 6 && nr == 8)
        {
            float* bias4 = bias == null ? null : bias + 4;
            GemmEpilogueOps.Out(c00, c, bias, ref ep); GemmEpilogueOps.Out(c01, c + 4, bias4, ref ep); c += ldc;
            GemmEpilogueOps.Out(c10, c, bias, ref ep); GemmEpilogueOps.Out(c11, c + 4, bias4, ref ep); c += ldc;
            GemmEpilogueOps.Out(c20, c, bias, ref ep); GemmEpilogueOps.Out(c21, c + 4, bias4, ref ep); c += ldc;
            GemmEpilogueOps.Out(c30, c, bias, ref ep); GemmEpilogueOps.Out(c31, c + 4, bias4, ref ep); c += ldc;
            GemmEpilogueOps.Out(c40, c, bias, ref ep); GemmEpilogueOps.Out(c41, c + 4, bias4, ref ep); c += ldc;
            GemmEpilogueOps.Out(c50, c, bias, ref ep); GemmEpilogueOps.Out(c51, c + 4, bias4, ref ep);
            return;
        }

        c00.Store(acc + 0); c01.Store(acc + 4);
        c10.Store(acc + 8); c11.Store(acc + 12);
        c20.Store(acc + 16); c21.Store(acc + 20);
        c30.Store(acc + 24); c31.Store(acc + 28);
        c40.Store(acc + 32); c41.Store(acc + 36);
        c50.Store(acc + 40); c51.Store(acc + 44);
        if (last)
            GemmEpilogueOps.Edge(acc, 8, c, ldc, mr, nr, bias, ref ep);
    }
}

/// <summary>4×4 tile in scalar code: the reference path every vector kernel must match bit for bit.</summary>
internal unsafe struct GemmKernelScalar : IGemmKernel
{
    public static int MR => 4;
    public static int NR => 4;

    public static void Run<TAct>(int kc, float* a, float* b, nint ldb, float* acc, bool first, bool last,
                                 float* c, nint ldc, int mr, int nr, float* bias, ref GemmEpilogueArgs<TAct> ep)
        where TAct : struct, IActivationOp
    {
        if (first)
        {
            for (int t = 0; t < 16; t++)
                acc[t] = 0f;
        }
        for (int k = 0; k < kc; k++)
        {
            for (int r = 0; r < 4; r++)
            {
                float ar = a[r];
                float* row = acc + r * 4;
                row[0] = MathF.FusedMultiplyAdd(ar, b[0], row[0]);
                row[1] = MathF.FusedMultiplyAdd(ar, b[1], row[1]);
                row[2] = MathF.FusedMultiplyAdd(ar, b[2], row[2]);
                row[3] = MathF.FusedMultiplyAdd(ar, b[3], row[3]);
            }
            a += 4;
            b += ldb;
        }
        if (last)
            GemmEpilogueOps.Edge(acc, 4, c, ldc, mr, nr, bias, ref ep);
    }
}
