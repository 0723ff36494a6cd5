using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using CommunityToolkit.HighPerformance;
using GenDsl.Threading;

namespace GenDsl.Numerics;

/// <summary>
/// Single-precision matrix multiply, <c>C = act(alpha·op(A)·op(B) + beta·C + bias)</c>, BLIS style:
/// op(A) and op(B) are copied ("packed") block by block into aligned scratch buffers in the exact order the
/// register-tiled micro-kernel reads them, so the kernel streams memory sequentially whatever the transposes
/// and strides of the inputs; the blocks are sized for the caches; and the tiles of C are spread over a
/// <see cref="WorkerPool"/>.
/// </summary>
/// <remarks>
/// <para><b>Determinism.</b> Each element of C is one float accumulator updated by fused multiply-adds over
/// k = 0, 1, …, K−1 in order, starting from 0; threads split C into row/column blocks and never split K.
/// So the result is bit-identical for every thread count and every <see cref="Simd.Width"/>. Exception: when C
/// has at most four columns (or rows) and the long operand is laid out along K (e.g. <c>X·Wᵀ</c> into a 1- or
/// 2-wide output, or a one-row GEMV), each element is a dot product with 16 fixed partial sums (see
/// GemmNarrow.cs) — still identical for every thread count and width.</para>
/// <para><b>Aliasing.</b> C must not share memory with A or B (checked: overlapping address ranges throw).</para>
/// <para><b>beta = 0</b> means C's old contents are never read (NaN in C is harmless), as in BLAS.</para>
/// </remarks>
public static unsafe partial class Gemm
{
    // ---- Cache blocking (in floats). MC and MS must be multiples of every kernel's MR (8, 6, 4), NC of every NR. ----
    //
    // A task owns an (up to) MS×NC block of C and loops over K in (equal) blocks of at most KC:
    //   pack B[k block, task's columns]      → Bp, KC×NC, stays in L2 while all the task's rows use it;
    //   for each MC rows: pack A[rows, k block] → Ap, MC×KC (or, when C has several column blocks, read the
    //     copy of all of op(A) that the run packed once up front and shares between its tasks);
    //     for each MR-row micro-panel of Ap (it stays in L1): for each NR-column micro-panel of Bp (streamed
    //     from L2): the micro-kernel updates one MR×NR register tile.
    // Between K blocks the tiles are parked, exactly, in a per-thread accumulator buffer (MS×NC); after the last
    // K block the kernel applies the epilogue straight from its registers and writes C.
    // The K blocking is the same at every width, and it does not change the result anyway: a parked float
    // continues the same FMA chain.
    /// <summary>Maximum K block: an MR×KC micro-panel of A stays in L1 while B micro-panels stream past it.</summary>
    internal const int KC = 256;
    /// <summary>Rows of a packed A block.</summary>
    internal const int MC = 120;
    /// <summary>Maximum columns of C per task (and of a packed B block, KC×NC, L2-resident).</summary>
    internal const int NC = 512;
    /// <summary>Maximum rows of C per task: the packed B block is reused by all of them.</summary>
    internal const int MS = 1536;

    /// <summary>Read full panels of an untransposed B in place instead of packing them (see <see cref="RunTask"/>); the
    /// results are the same bits either way. Off only to measure the difference (environment variable
    /// GENDSL_GEMM_PACK_B=1) or in the test that compares the two.</summary>
    internal static bool DirectB = Environment.GetEnvironmentVariable("GENDSL_GEMM_PACK_B") != "1";

    /// <summary>Below this many multiply-adds (M·N·K) a GEMM runs on the calling thread only.</summary>
    internal const long ParallelMinWork = 1L << 19;
    /// <summary>Each extra thread must get at least this many multiply-adds.</summary>
    internal const long MinWorkPerThread = 1L << 18;

    private const int ApFloats = MC * KC;
    private const int BpFloats = KC * NC;
    private const int AccFloats = MS * NC;
    /// <summary>Bytes of one thread's scratch: packed A block, packed B block, parked accumulators.</summary>
    internal const int ScratchBytes = (ApFloats + BpFloats + AccFloats) * sizeof(float);

    [ThreadStatic] private static nint t_fallbackScratch;

    /// <summary>
    /// <c>C = alpha·op(A)·op(B) + beta·C</c>, where op(X) = Xᵀ when the matching transpose flag is set.
    /// op(A) is M×K, op(B) is K×N, C is M×N. Views with a pitch (sub-blocks of larger arrays) are fine.
    /// </summary>
    /// <param name="a">A, stored M×K (or K×M when <paramref name="transposeA"/>).</param>
    /// <param name="transposeA">Use Aᵀ.</param>
    /// <param name="b">B, stored K×N (or N×K when <paramref name="transposeB"/>).</param>
    /// <param name="transposeB">Use Bᵀ.</param>
    /// <param name="c">The M×N output; must not overlap A or B.</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="beta">Scale of C's old contents (0: they are ignored, never read).</param>
    /// <param name="pool">Threads to use; null = <see cref="WorkerPool.Default"/>. Small products run on the caller only.</param>
    public static void Multiply(ReadOnlySpan2D<float> a, bool transposeA, ReadOnlySpan2D<float> b, bool transposeB,
                                Span2D<float> c, float alpha = 1f, float beta = 0f, WorkerPool? pool = null)
        => Multiply(a, transposeA, b, transposeB, c, Epilogue.None, alpha, beta, pool);

    /// <summary>
    /// <c>C = act(alpha·op(A)·op(B) + beta·C + bias)</c> with the bias and activation of <paramref name="epilogue"/>
    /// applied to each element right after its K reduction, in the same pass that writes it.
    /// </summary>
    /// <param name="a">A, stored M×K (or K×M when <paramref name="transposeA"/>).</param>
    /// <param name="transposeA">Use Aᵀ.</param>
    /// <param name="b">B, stored K×N (or N×K when <paramref name="transposeB"/>).</param>
    /// <param name="transposeB">Use Bᵀ.</param>
    /// <param name="c">The M×N output; must not overlap A or B.</param>
    /// <param name="epilogue">Per-column bias (length N or empty) and activation.</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="beta">Scale of C's old contents (0: they are ignored, never read).</param>
    /// <param name="pool">Threads to use; null = <see cref="WorkerPool.Default"/>. Small products run on the caller only.</param>
    /// <exception cref="ArgumentException">Shapes do not fit together, the bias length is not N, or C overlaps A or B.</exception>
    public static void Multiply(ReadOnlySpan2D<float> a, bool transposeA, ReadOnlySpan2D<float> b, bool transposeB,
                                Span2D<float> c, Epilogue epilogue, float alpha = 1f, float beta = 0f, WorkerPool? pool = null)
    {
        int m = transposeA ? a.Width : a.Height;
        int ka = transposeA ? a.Height : a.Width;
        int kb = transposeB ? b.Width : b.Height;
        int n = transposeB ? b.Height : b.Width;
        if (ka != kb)
            throw new ArgumentException(
                $"op(A) is {m}×{ka} but op(B) is {kb}×{n}: inner dimensions must match (columns of op(A) = rows of op(B)); " +
                "check the shapes and the transpose flags.", nameof(b));
        if (c.Height != m || c.Width != n)
            throw new ArgumentException(
                $"C is {c.Height}×{c.Width} but op(A)·op(B) is {m}×{n}: C needs op(A)'s {m} rows and op(B)'s {n} columns.",
                nameof(c));
        var biasSpan = epilogue.Bias;
        if (!biasSpan.IsEmpty && biasSpan.Length != n)
            throw new ArgumentException(
                $"The bias has length {biasSpan.Length} but C has {n} columns: pass one bias value per column of C (or none).",
                nameof(epilogue));
        if (m == 0 || n == 0)
            return;

        pool ??= WorkerPool.Default;
        int k = ka;
        fixed (float* pa = &a.DangerousGetReference())
        fixed (float* pb = &b.DangerousGetReference())
        fixed (float* pc = &c.DangerousGetReference())
        fixed (float* pbias = biasSpan)
        {
            nint lda = Pitch(a), ldb = Pitch(b), ldc = Pitch(c);
            if (k > 0)
            {
                CheckNoOverlap(pc, c.Height, c.Width, ldc, pa, a.Height, a.Width, lda, "A");
                CheckNoOverlap(pc, c.Height, c.Width, ldc, pb, b.Height, b.Width, ldb, "B");
            }
            var job = new GemmJobHeader
            {
                A = pa, Lda = lda, TransA = transposeA,
                B = pb, Ldb = ldb, TransB = transposeB,
                C = pc, Ldc = ldc,
                M = m, N = n, K = k,
                Alpha = alpha, Beta = beta, Bias = biasSpan.IsEmpty ? null : pbias,
            };
            switch (epilogue.Activation)
            {
                case Activation.Identity: Dispatch(ref job, default(IdentityOp), pool); break;
                case Activation.Relu: Dispatch(ref job, default(ReluOp), pool); break;
                case Activation.LeakyRelu: Dispatch(ref job, new LeakyReluOp(epilogue.LeakySlope), pool); break;
                case Activation.Tanh: Dispatch(ref job, default(TanhOp), pool); break;
                case Activation.Sigmoid: Dispatch(ref job, default(SigmoidOp), pool); break;
                case Activation.Softplus: Dispatch(ref job, default(SoftplusOp), pool); break;
                default:
                    throw new ArgumentException(
                        $"Unknown activation {(int)epilogue.Activation}: use a value of the Activation enum.", nameof(epilogue));
            }
        }
    }

    /// <summary>Distance in elements between consecutive rows of a 2-D view.</summary>
    internal static nint Pitch(ReadOnlySpan2D<float> x) =>
        x.Height > 1 && x.Width > 0
            ? Unsafe.ByteOffset(ref x.DangerousGetReference(), ref x.DangerousGetReferenceAt(1, 0)) / sizeof(float)
            : x.Width;

    /// <inheritdoc cref="Pitch(ReadOnlySpan2D{float})"/>
    internal static nint Pitch(Span2D<float> x) =>
        x.Height > 1 && x.Width > 0
            ? Unsafe.ByteOffset(ref x.DangerousGetReference(), ref x.DangerousGetReferenceAt(1, 0)) / sizeof(float)
            : x.Width;

    /// <summary>Throws when the elements of C and X may share memory. Views with the same pitch whose columns
    /// interleave without touching (e.g. two column ranges of one array) are accepted.</summary>
    private static void CheckNoOverlap(float* c, int ch, int cw, nint ldc, float* x, int xh, int xw, nint ldx, string name)
    {
        if (ch == 0 || cw == 0 || xh == 0 || xw == 0)
            return;
        float* cEnd = c + (ch - 1) * ldc + cw;
        float* xEnd = x + (xh - 1) * ldx + xw;
        if (cEnd <= x || xEnd <= c)
            return;
        if (ldc == ldx && ldc > 0)
        {
            // Same row grid: X starts d columns into some row of C's grid. X's columns [d, d+xw) hit C's
            // columns [0, cw) of the same row when d < cw, or wrap into the next row's first columns when d+xw > pitch.
            nint d = (nint)(x - c) % ldc;
            if (d < 0) d += ldc;
            if (d >= cw && d + xw <= ldc)
                return;
        }
        throw new ArgumentException(
            $"C ({ch}×{cw}) overlaps {name} ({xh}×{xw}) in memory: the output must not alias an input; write to a separate buffer.",
            "c");
    }

    private static void Dispatch<TAct>(ref GemmJobHeader header, TAct act, WorkerPool pool)
        where TAct : struct, IActivationOp
    {
        if (TryNarrow(ref header, act, pool))
            return;
        switch (Simd.Width)
        {
            case SimdWidth.V512: Execute<GemmKernel512, TAct>(ref header, act, pool); break;
            case SimdWidth.V256: Execute<GemmKernel256, TAct>(ref header, act, pool); break;
            case SimdWidth.V128: Execute<GemmKernel128, TAct>(ref header, act, pool); break;
            default: Execute<GemmKernelScalar, TAct>(ref header, act, pool); break;
        }
    }

    private static void Execute<TKernel, TAct>(ref GemmJobHeader header, TAct act, WorkerPool pool)
        where TKernel : struct, IGemmKernel
        where TAct : struct, IActivationOp
    {
        var job = new GemmJob<TAct>
        {
            H = header,
            Ep = new GemmEpilogueArgs<TAct> { Alpha = header.Alpha, Beta = header.Beta, Bias = header.Bias, Act = act },
        };
        int threads = ChooseThreads(header.M, header.N, header.K, pool.Threads);
        job.MPadded = (header.M + TKernel.MR - 1) / TKernel.MR * TKernel.MR;
        bool canShareA = header.K > 0 && (long)job.MPadded * header.K <= SharedAMaxFloats;

        if (Interlocked.CompareExchange(ref pool.ScratchLease, 1, 0) != 0)
        {
            // The pool's scratch is busy (a GEMM running concurrently on another thread, or one nested inside a
            // pool body): run on this thread alone, with its own scratch.
            Plan(header.M, header.N, TKernel.MR, TKernel.NR, 1, false, out job.MBlocks, out job.NBlocks);
            job.Tasks = job.MBlocks * job.NBlocks;
            if (t_fallbackScratch == 0)
                t_fallbackScratch = (nint)NativeMemory.AlignedAlloc((nuint)ScratchBytes, 64);
            float* scratch = (float*)t_fallbackScratch;
            for (int t = 0; t < job.Tasks; t++)
                RunTask<TKernel, TAct>(ref job, t, scratch);
            return;
        }
        try
        {
            Plan(header.M, header.N, TKernel.MR, TKernel.NR, threads, canShareA, out job.MBlocks, out job.NBlocks,
                 smallProduct: (long)header.M * header.N * header.K <= RowSplitMaxWork);
            job.Tasks = job.MBlocks * job.NBlocks;
            if (threads > job.Tasks)
                threads = job.Tasks;
            job.Scratch = pool.Scratch;

            // When several column blocks would each re-pack all of A, pack it once (in parallel, as the first
            // phase of the run) into memory attached to the pool, and let every task read it.
            if (canShareA && job.NBlocks > 1)
            {
                job.SharedA = EnsureSharedA(pool, (long)job.MPadded * header.K);
                job.PackRowChunks = (job.MPadded + MC - 1) / MC;
                job.Pieces = KBlockCount(header.K) * job.PackRowChunks;
            }

            if (threads <= 1)
            {
                for (int piece = 0; piece < job.Pieces; piece++)
                    PackSharedPiece<TKernel, TAct>(ref job, piece);
                float* scratch = SlotScratch(pool.Scratch, 0);
                for (int t = 0; t < job.Tasks; t++)
                    RunTask<TKernel, TAct>(ref job, t, scratch);
            }
            else
            {
                pool.Run(&Body<TKernel, TAct>, Unsafe.AsPointer(ref job), threads);
            }
        }
        finally
        {
            Volatile.Write(ref pool.ScratchLease, 0);
        }
    }

    /// <summary>
    /// One participant of a parallel GEMM. Phase 1 (when A is shared): claim pieces of A to pack until none are
    /// left, then wait until every claimed piece is packed — this only waits for participants that are actually
    /// running, so it cannot deadlock even if some participant never starts. Phase 2: claim C blocks until none are left.
    /// </summary>
    private static void Body<TKernel, TAct>(void* state, int participant)
        where TKernel : struct, IGemmKernel
        where TAct : struct, IActivationOp
    {
        ref var job = ref Unsafe.AsRef<GemmJob<TAct>>(state);
        if (job.Pieces > 0)
        {
            while (true)
            {
                int piece = Interlocked.Increment(ref job.NextPiece) - 1;
                if (piece >= job.Pieces)
                    break;
                PackSharedPiece<TKernel, TAct>(ref job, piece);
                Interlocked.Increment(ref job.PiecesDone);
            }
            var spin = new SpinWait();
            while (Volatile.Read(ref job.PiecesDone) < job.Pieces)
                spin.SpinOnce(sleep1Threshold: -1);
        }
        float* scratch = SlotScratch(job.Scratch, WorkerPool.CurrentSlot);
        while (true)
        {
            int task = Interlocked.Increment(ref job.NextTask) - 1;
            if (task >= job.Tasks)
                return;
            RunTask<TKernel, TAct>(ref job, task, scratch);
        }
    }

    /// <summary>Largest op(A) (in floats, 32 MB) packed once and shared by all tasks; larger ones are packed per task.</summary>
    internal const long SharedAMaxFloats = 8L << 20;

    /// <summary>The pool's shared-A buffer, grown (never shrunk) to at least <paramref name="floats"/>.</summary>
    private static float* EnsureSharedA(WorkerPool pool, long floats)
    {
        long bytes = floats * sizeof(float);
        if (pool.SharedABytes < bytes)
        {
            if (pool.SharedA != 0)
                NativeMemory.AlignedFree((void*)pool.SharedA);
            pool.SharedA = 0;
            pool.SharedABytes = 0;
            pool.SharedA = (nint)NativeMemory.AlignedAlloc((nuint)bytes, 64);
            pool.SharedABytes = bytes;
        }
        return (float*)pool.SharedA;
    }

    /// <summary>Number of K blocks: K split evenly into blocks of at most KC (at least one block, even for K = 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int KBlockCount(int k) => Math.Max(1, (k + KC - 1) / KC);

    /// <summary>Start of K block <paramref name="kb"/> of <paramref name="kBlocks"/> over [0, k).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int KBlockStart(int k, int kBlocks, int kb) => (int)((long)k * kb / kBlocks);

    /// <summary>
    /// Packs one piece (one K block × MC rows) of the shared A: K block kb occupies MPadded×kc floats starting at
    /// p0·MPadded, laid out as whole micro-panels exactly like a per-task A block.
    /// </summary>
    private static void PackSharedPiece<TKernel, TAct>(ref GemmJob<TAct> job, int piece)
        where TKernel : struct, IGemmKernel
        where TAct : struct, IActivationOp
    {
        int k = job.H.K, kBlocks = KBlockCount(k);
        int kb = piece / job.PackRowChunks, chunk = piece % job.PackRowChunks;
        int p0 = KBlockStart(k, kBlocks, kb), kc = KBlockStart(k, kBlocks, kb + 1) - p0;
        int r0 = chunk * MC, rows = Math.Min(MC, job.H.M - r0);
        if (rows > 0)
            PackA<TKernel>(ref job.H, r0, rows, p0, kc, job.SharedA + (long)p0 * job.MPadded + (long)r0 * kc);
    }

    /// <summary>The slot's scratch, allocated on first use (only the slot's own thread touches it, under the lease).</summary>
    private static float* SlotScratch(nint* slots, int slot)
    {
        if (slots[slot] == 0)
            slots[slot] = (nint)NativeMemory.AlignedAlloc((nuint)ScratchBytes, 64);
        return (float*)slots[slot];
    }

    /// <summary>How many threads a product of this size deserves.</summary>
    internal static int ChooseThreads(int m, int n, int k, int poolThreads)
    {
        long work = (long)m * n * Math.Max(k, 1);
        if (poolThreads <= 1 || work < ParallelMinWork)
            return 1;
        return (int)Math.Min(poolThreads, Math.Max(1, work / MinWorkPerThread));
    }

    /// <summary>Products of at most this many multiply-adds that fit one block are split by rows only (see <see cref="Plan"/>).</summary>
    internal const long RowSplitMaxWork = 1L << 22;

    /// <summary>Narrowest column block worth a task of its own when splitting for parallelism.</summary>
    internal const int MinTaskColumns = 128;

    /// <summary>
    /// Splits C into MBlocks×NBlocks tasks: at most MS×NC each, whole register tiles, as even as possible.
    /// When parallel, there must be enough tasks to balance the threads: a multiple of the thread count, and —
    /// when A is packed once and shared, which makes column splits nearly free — about four per thread, so a
    /// thread that is slow to start (or shares its core) holds up the others only briefly. Otherwise columns are
    /// still split first: a row split makes each part re-pack all of B.
    /// </summary>
    internal static void Plan(int m, int n, int mr, int nr, int threads, bool sharedA, out int mBlocks, out int nBlocks,
                              bool smallProduct = false)
    {
        int unitsM = (m + mr - 1) / mr, unitsN = (n + nr - 1) / nr;
        mBlocks = (unitsM + MS / mr - 1) / (MS / mr);
        nBlocks = (unitsN + NC / nr - 1) / (NC / nr);
        if (threads <= 1)
            return;
        if (smallProduct && mBlocks * nBlocks == 1 && unitsM >= threads)
        {
            // A small product in one block: one row block per thread. Each re-packs all of B, but B is small, and
            // the threads never wait for each other (a column split would share one packing of A behind a barrier,
            // which costs more than it saves at this size: tn 64×64×512 took 36–76 µs that way, 28 µs by rows).
            mBlocks = threads;
            return;
        }
        int minUnits = Math.Max(1, MinTaskColumns / nr);
        if (sharedA)
        {
            while (mBlocks * nBlocks < 4 * threads && unitsN / (nBlocks + 1) >= minUnits)
                nBlocks++;
        }
        while (true)
        {
            int tasks = mBlocks * nBlocks;
            if (tasks >= threads && (tasks % threads == 0 || tasks >= 4 * threads))
                return;
            bool canM = mBlocks < unitsM, canN = nBlocks < unitsN;
            if (!canM && !canN)
                return;
            bool splitN = canN && (unitsN / (nBlocks + 1) >= 2 || !canM || (double)m / mBlocks < 2.0 * n / nBlocks);
            if (splitN)
                nBlocks++;
            else
                mBlocks++;
        }
    }

    /// <summary>Start and length of block <paramref name="index"/> of <paramref name="blocks"/> over [0, extent) (whole units of <paramref name="unit"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void BlockRange(int extent, int unit, int blocks, int index, out int start, out int length)
    {
        int units = (extent + unit - 1) / unit;
        int u0 = (int)((long)units * index / blocks);
        int u1 = (int)((long)units * (index + 1) / blocks);
        start = u0 * unit;
        length = Math.Min(extent, u1 * unit) - start;
    }

    /// <summary>Computes one (up to) MS×NC block of C over the whole K range.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunTask<TKernel, TAct>(ref GemmJob<TAct> job, int task, float* scratch)
        where TKernel : struct, IGemmKernel
        where TAct : struct, IActivationOp
    {
        int mr = TKernel.MR, nr = TKernel.NR;
        ref GemmJobHeader h = ref job.H;
        BlockRange(h.M, mr, job.MBlocks, task / job.NBlocks, out int i0, out int ms);
        BlockRange(h.N, nr, job.NBlocks, task % job.NBlocks, out int j0, out int nc);
        if (ms <= 0 || nc <= 0)
            return;
        int ncPadded = (nc + nr - 1) / nr * nr;
        float* ap = scratch;
        float* bp = ap + ApFloats;
        float* acc = bp + BpFloats;
        float* biasBlock = h.Bias == null ? null : h.Bias + j0;

        // K blocks of equal size (at most KC), so no block is a sliver.
        int k = h.K;
        int kBlocks = KBlockCount(k);
        for (int kb = 0; kb < kBlocks; kb++)
        {
            int p0 = KBlockStart(k, kBlocks, kb);
            int kc = KBlockStart(k, kBlocks, kb + 1) - p0;
            bool first = kb == 0, last = kb == kBlocks - 1;
            // When op(B) = B, a whole NR-column panel is already laid out as the kernel reads it — NR consecutive
            // floats per k, one row of B apart — so it is read in place; only a partial last panel (fewer than NR
            // columns, padded with zeros) is packed. Bᵀ is always packed (the kernel needs it transposed).
            int fullCols = DirectB && !h.TransB ? nc / nr * nr : 0;
            if (fullCols < nc)
                PackB<TKernel>(ref h, j0 + fullCols, nc - fullCols, p0, kc, bp + fullCols * kc);
            float* bDirect = h.B + p0 * h.Ldb + j0;
            for (int ic = 0; ic < ms; ic += MC)
            {
                int mc = Math.Min(MC, ms - ic);
                if (job.SharedA != null)
                    ap = job.SharedA + (long)p0 * job.MPadded + (long)(i0 + ic) * kc;
                else
                    PackA<TKernel>(ref h, i0 + ic, mc, p0, kc, ap);
                float* cBlock = h.C + (i0 + ic) * h.Ldc + j0;
                for (int ir = 0; ir < mc; ir += mr)
                {
                    int mrr = Math.Min(mr, mc - ir);
                    float* aPanel = ap + ir * kc;
                    float* cRow = cBlock + ir * h.Ldc;
                    float* accRow = acc + (ic + ir) * ncPadded;
                    for (int jr = 0; jr < nc; jr += nr)
                    {
                        int nrr = Math.Min(nr, nc - jr);
                        bool inPlace = jr < fullCols;
                        TKernel.Run(kc, aPanel, inPlace ? bDirect + jr : bp + jr * kc, inPlace ? h.Ldb : nr, accRow + jr * mr, first, last,
                                    cRow + jr, h.Ldc, mrr, nrr, biasBlock == null ? null : biasBlock + jr, ref job.Ep);
                    }
                }
            }
        }
    }

    /// <summary>
    /// Packs rows [i0, i0+mc) × k [p0, p0+kc) of op(A) into micro-panels of MR rows:
    /// <c>dst[(i/MR)·MR·kc + k·MR + i%MR] = op(A)[i0+i, p0+k]</c>, rows past mc zero.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void PackA<TKernel>(ref GemmJobHeader h, int i0, int mc, int p0, int kc, float* dst)
        where TKernel : struct, IGemmKernel
    {
        int mr = TKernel.MR;
        nint lda = h.Lda;
        for (int ir = 0; ir < mc; ir += mr)
        {
            int rows = Math.Min(mr, mc - ir);
            float* d = dst + ir * kc;
            if (!h.TransA)
            {
                // op(A)[i, k] = A[i, k]: MR rows, each contiguous in k; interleave them (a transpose).
                float* src = h.A + (i0 + ir) * lda + p0;
                int kk = 0;
                if (mr == 8 && rows == 8 && GemmPacking.CanTranspose8x8)
                {
                    for (; kk + 8 <= kc; kk += 8)
                        GemmPacking.Transpose8x8(src + kk, lda, d + kk * 8, 8);
                }
                for (int r = 0; r < rows; r++)
                {
                    float* s = src + r * lda;
                    float* o = d + r;
                    for (int t = kk; t < kc; t++)
                        o[t * mr] = s[t];
                }
                for (int r = rows; r < mr; r++)
                {
                    float* o = d + r;
                    for (int t = 0; t < kc; t++)
                        o[t * mr] = 0f;
                }
            }
            else
            {
                // op(A)[i, k] = A[k, i]: for each k the MR values are contiguous in row k of A.
                float* src = h.A + p0 * lda + i0 + ir;
                if (rows == mr)
                {
                    for (int kk = 0; kk < kc; kk++)
                        Unsafe.CopyBlockUnaligned(d + kk * mr, src + kk * lda, (uint)(mr * sizeof(float)));
                }
                else
                {
                    for (int kk = 0; kk < kc; kk++)
                    {
                        float* s = src + kk * lda;
                        float* o = d + kk * mr;
                        int r = 0;
                        for (; r < rows; r++)
                            o[r] = s[r];
                        for (; r < mr; r++)
                            o[r] = 0f;
                    }
                }
            }
        }
    }

    /// <summary>
    /// Packs k [p0, p0+kc) × columns [j0, j0+nc) of op(B) into micro-panels of NR columns:
    /// <c>dst[(j/NR)·NR·kc + k·NR + j%NR] = op(B)[p0+k, j0+j]</c>, columns past nc zero.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void PackB<TKernel>(ref GemmJobHeader h, int j0, int nc, int p0, int kc, float* dst)
        where TKernel : struct, IGemmKernel
    {
        int nr = TKernel.NR;
        nint ldb = h.Ldb;
        for (int jr = 0; jr < nc; jr += nr)
        {
            int cols = Math.Min(nr, nc - jr);
            float* d = dst + jr * kc;
            if (!h.TransB)
            {
                // op(B)[k, j] = B[k, j]: each k is a contiguous run of NR values.
                float* src = h.B + p0 * ldb + j0 + jr;
                if (cols == nr)
                {
                    for (int kk = 0; kk < kc; kk++)
                        Unsafe.CopyBlockUnaligned(d + kk * nr, src + kk * ldb, (uint)(nr * sizeof(float)));
                }
                else
                {
                    for (int kk = 0; kk < kc; kk++)
                    {
                        float* s = src + kk * ldb;
                        float* o = d + kk * nr;
                        int j = 0;
                        for (; j < cols; j++)
                            o[j] = s[j];
                        for (; j < nr; j++)
                            o[j] = 0f;
                    }
                }
            }
            else
            {
                // op(B)[k, j] = B[j, k]: NR rows of B, each contiguous in k; interleave them (a transpose).
                float* src = h.B + (j0 + jr) * ldb + p0;
                int j = 0;
                if (nr % 8 == 0 && GemmPacking.CanTranspose8x8)
                {
                    int kEnd = kc & ~7;
                    for (; j + 8 <= cols; j += 8)
                    {
                        for (int kk = 0; kk < kEnd; kk += 8)
                            GemmPacking.Transpose8x8(src + j * ldb + kk, ldb, d + kk * nr + j, nr);
                        for (int jj = j; jj < j + 8; jj++)
                        {
                            float* s = src + jj * ldb;
                            for (int kk = kEnd; kk < kc; kk++)
                                d[kk * nr + jj] = s[kk];
                        }
                    }
                }
                for (; j < cols; j++)
                {
                    float* s = src + j * ldb;
                    float* o = d + j;
                    for (int kk = 0; kk < kc; kk++)
                        o[kk * nr] = s[kk];
                }
                for (; j < nr; j++)
                {
                    float* o = d + j;
                    for (int kk = 0; kk < kc; kk++)
                        o[kk * nr] = 0f;
                }
            }
        }
    }
}

/// <summary>The operands of one GEMM call as raw pointers (the spans are pinned for the call).</summary>
internal unsafe struct GemmJobHeader
{
    public float* A; public nint Lda; public bool TransA;
    public float* B; public nint Ldb; public bool TransB;
    public float* C; public nint Ldc;
    public int M, N, K;
    public float Alpha, Beta;
    public float* Bias;
}

/// <summary>One GEMM call as shared by the threads: operands, epilogue, task grid, work counter, scratch slots.</summary>
internal unsafe struct GemmJob<TAct> where TAct : struct, IActivationOp
{
    public GemmJobHeader H;
    public GemmEpilogueArgs<TAct> Ep;
    public int MBlocks, NBlocks, Tasks;
    public int NextTask;
    public nint* Scratch;
    /// <summary>All of op(A), packed once for every task (null: each task packs its own A blocks).</summary>
    public float* SharedA;
    /// <summary>M rounded up to whole micro-panels (the row count of each K block's region of <see cref="SharedA"/>).</summary>
    public int MPadded;
    /// <summary>Row chunks (of MC rows) per K block in the shared A packing.</summary>
    public int PackRowChunks;
    /// <summary>Pieces of the shared A packing (K blocks × row chunks; 0 when A is not shared), next to claim, done.</summary>
    public int Pieces, NextPiece, PiecesDone;
}
