using System.Runtime.CompilerServices;
using CommunityToolkit.HighPerformance;
using GenDsl.Threading;

namespace GenDsl.Numerics;

/// <summary>
/// 2-D convolution over a batch of NCHW images (<see cref="ConvShape"/>), forward and backward, by im2col feeding
/// <see cref="Gemm.Multiply(ReadOnlySpan2D{float}, bool, ReadOnlySpan2D{float}, bool, Span2D{float}, Epilogue, float, float, WorkerPool?)"/>.
/// Allocation-free: the caller provides the scratch (<see cref="ScratchFloats"/> floats).
/// </summary>
/// <remarks>
/// <para><b>Layout.</b> x is rows × InFeatures, y is rows × OutFeatures (one image per row, channel-major); the weight
/// is [OutChannels, InChannels, K, K] contiguous, the bias [OutChannels]. Views with a pitch are fine.</para>
/// <para><b>How.</b> The batch is cut into chunks of a fixed number of images (a function of the shape only, never of
/// the thread count). For a chunk of n images, im2col writes the patch matrix X̃ [n·OH·OW, L] (L = InChannels·K·K,
/// ordered (c, ky, kx)); then
/// forward: T = act(X̃·Wᵀ + b) [n·OH·OW, OutChannels] (the GEMM's per-column bias + activation epilogue, with Wᵀ
/// copied once per call into the start of the scratch), transposed into the NCHW rows of y;
/// data gradient: Ĝ = gyᵀ [n·OH·OW, OutChannels] (a transpose), D = Ĝ·W [n·OH·OW, L], col2im of D into gx;
/// weight gradient: gW (+)= Ĝᵀ·X̃ per chunk, chunks in order.
/// Forward and data-gradient chunks run in parallel (one chunk per thread at a time, each with its own part of the
/// scratch and a single-threaded GEMM); a lone chunk uses the pool inside its GEMM; the weight gradient walks the
/// chunks in order, each with a parallel im2col and a parallel GEMM.</para>
/// <para><b>Float order (determinism).</b> Every element is computed by the same operations whatever the thread
/// count and <see cref="Simd.Width"/>, so results are bit-identical for all of them:
/// y[o, p] = act(fl(Σ_{q=0}^{L−1} x̃[p, q]·w[o, q]) + b[o]) with the sum a chain of fused multiply-adds from 0 in
/// increasing q (GEMM order; see <see cref="Gemm"/> for its one exception, C with at most 4 columns or rows, where the
/// sum uses 16 fixed partial sums);
/// gx[c, i, j] = Σ over output pixels p in increasing order of D[p, q] (each D entry a GEMM chain over output
/// channels o = 0, 1, …), added to 0;
/// gW[o, q] = Σ over chunks in order of the chunk's GEMM chain over (image, pixel) in increasing order, each chunk's
/// sum added to the running value (gW = acc₀, then gW = gW + acc₁, …; with <c>accumulate</c> the first chunk is
/// added to the old gW too);
/// gBias[o] = see <see cref="ChannelSums"/>.</para>
/// </remarks>
public static unsafe class Conv2d
{
    /// <summary>Target floats of one chunk's scratch (patch matrix + transposed output) for the forward and data-gradient passes.</summary>
    internal static int ChunkTargetFloats = 1 << 18;
    /// <summary>Target floats of the one chunk of the weight-gradient pass.</summary>
    internal static int WeightChunkTargetFloats = 1 << 20;
    /// <summary>Below this many output elements per chunk a chunk's im2col/transposes are not worth spreading over threads.</summary>
    private const long ParallelPackMinFloats = 1 << 14;

    /// <summary>Images per chunk of the forward / data-gradient passes (depends on the shape only).</summary>
    internal static int ChunkImages(in ConvShape s) => ChunkFor(s, ChunkTargetFloats);

    /// <summary>Images per chunk of the weight-gradient pass (depends on the shape only).</summary>
    internal static int WeightChunkImages(in ConvShape s) => ChunkFor(s, WeightChunkTargetFloats);

    private static int ChunkFor(in ConvShape s, int target) =>
        (int)Math.Max(1, target / ((long)s.OutPixels * (s.PatchLength + s.OutChannels)));

    /// <summary>
    /// Floats of scratch that <see cref="Forward"/>, <see cref="BackwardData"/> and <see cref="BackwardWeight"/> need for
    /// <paramref name="rows"/> images on a pool of <paramref name="threads"/> threads (pass the pool's
    /// <see cref="WorkerPool.Threads"/>). One buffer of this size serves all three calls (and the same layer's
    /// <see cref="ConvTranspose2d"/> calls with <see cref="ConvTransposeShape.Adjoint"/> = this shape). It is about
    /// min(threads, chunks) · chunk · OutPixels · (PatchLength + OutChannels) + WeightLength floats, where a chunk holds a
    /// fixed number of images (about 1 MB of patches and outputs per chunk); it does not grow with the batch beyond that.
    /// </summary>
    /// <exception cref="ArgumentException">Negative rows, threads &lt; 1, or the size overflows 32 bits.</exception>
    public static int ScratchFloats(in ConvShape shape, int rows, int threads)
    {
        shape.ThrowIfDefault(nameof(shape));
        if (rows < 0 || threads < 1)
            throw new ArgumentException($"Scratch size for {rows} rows on {threads} threads: rows must be ≥ 0 and threads ≥ 1.");
        if (rows == 0)
            return 0;
        long perImage = (long)shape.OutPixels * (shape.PatchLength + shape.OutChannels);
        int chunk = Math.Min(ChunkImages(shape), rows);
        int chunks = (rows + chunk - 1) / chunk;
        long parallel = Math.Min(threads, chunks) * chunk * perImage;
        long weight = Math.Min(WeightChunkImages(shape), rows) * perImage;
        long floats = Math.Max(WeightCopyFloats(shape) + parallel, weight);
        if (floats > int.MaxValue)
            throw new ArgumentException($"{shape} on {rows} rows needs {floats} floats of scratch, more than a span holds.");
        return (int)floats;
    }

    /// <summary>Floats at the start of the scratch that hold Wᵀ [L, OutChannels] during the forward pass (a multiple of 16, so the slots stay 64-byte aligned relative to it).</summary>
    private static long WeightCopyFloats(in ConvShape s) => ((long)s.WeightLength + 15) & ~15L;

    /// <summary><c>y = act(conv(x, weight) + bias)</c> for every image (row).</summary>
    /// <param name="x">Input, rows × <see cref="ConvShape.InFeatures"/>.</param>
    /// <param name="weight">[OutChannels, InChannels, K, K], <see cref="ConvShape.WeightLength"/> floats.</param>
    /// <param name="bias">OutChannels floats, or empty for none.</param>
    /// <param name="y">Output, rows × <see cref="ConvShape.OutFeatures"/>; must not overlap x or the scratch.</param>
    /// <param name="shape">The geometry.</param>
    /// <param name="activation">Applied last (keep y for <see cref="ActivationBackward"/>).</param>
    /// <param name="leakySlope">LeakyReLU's negative slope (ignored by other activations).</param>
    /// <param name="scratch">At least <see cref="ScratchFloats"/>(shape, rows, pool.Threads) floats; contents are overwritten.</param>
    /// <param name="pool">Threads; null = <see cref="WorkerPool.Default"/>.</param>
    /// <exception cref="ArgumentException">A size does not match the shape, or the scratch is too small.</exception>
    public static void Forward(ReadOnlySpan2D<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span2D<float> y,
                               in ConvShape shape, Activation activation, float leakySlope, Span<float> scratch, WorkerPool? pool = null)
    {
        shape.ThrowIfDefault(nameof(shape));
        CheckRows(x, shape.InFeatures, nameof(x), "InChannels·InHeight·InWidth", shape);
        CheckRows(y, shape.OutFeatures, nameof(y), "OutChannels·OutHeight·OutWidth", shape);
        CheckSameHeight(x.Height, nameof(x), y.Height, nameof(y));
        CheckLength(weight.Length, shape.WeightLength, nameof(weight), "OutChannels·InChannels·K·K", shape);
        if (!bias.IsEmpty)
            CheckLength(bias.Length, shape.OutChannels, nameof(bias), "OutChannels (or empty)", shape);
        pool ??= WorkerPool.Default;
        CheckScratch(scratch.Length, shape, x.Height, pool.Threads);
        if (activation == Activation.LeakyRelu)
            _ = new LeakyReluOp(leakySlope); // validate the slope before any work
        fixed (float* px = &x.DangerousGetReference())
        fixed (float* py = &y.DangerousGetReference())
        fixed (float* pw = weight)
        fixed (float* pb = bias)
        fixed (float* ps = scratch)
        {
            var job = new Job
            {
                S = shape, Mode = Mode.Forward,
                In = px, LdIn = Gemm.Pitch(x), Out = py, LdOut = Gemm.Pitch(y),
                W = pw, Bias = bias.IsEmpty ? null : pb, Act = activation, Slope = leakySlope,
                Scratch = ps, Pool = pool,
            };
            RunChunks(ref job, x.Height);
        }
    }

    /// <summary><c>gx = ∂L/∂x</c> from <c>gy = ∂L/∂(pre-activation output)</c> (overwrites gx).</summary>
    /// <param name="gy">Gradient w.r.t. the convolution output before the activation, rows × OutFeatures
    /// (see <see cref="ActivationBackward"/>).</param>
    /// <param name="weight">[OutChannels, InChannels, K, K].</param>
    /// <param name="gx">Gradient w.r.t. the input, rows × InFeatures (overwritten); must not overlap gy or the scratch.</param>
    /// <param name="shape">The geometry.</param>
    /// <param name="scratch">At least <see cref="ScratchFloats"/> floats.</param>
    /// <param name="pool">Threads; null = <see cref="WorkerPool.Default"/>.</param>
    public static void BackwardData(ReadOnlySpan2D<float> gy, ReadOnlySpan<float> weight, Span2D<float> gx, in ConvShape shape,
                                    Span<float> scratch, WorkerPool? pool = null)
        => BackwardDataCore(gy, weight, ReadOnlySpan<float>.Empty, gx, shape, Activation.Identity, 0.2f, scratch, pool, "gy", "gx");

    /// <summary>BackwardData plus a per-input-channel bias and an activation: the forward pass of a transposed convolution.</summary>
    internal static void BackwardDataCore(ReadOnlySpan2D<float> gy, ReadOnlySpan<float> weight, ReadOnlySpan<float> inBias, Span2D<float> gx,
                                          in ConvShape shape, Activation activation, float leakySlope, Span<float> scratch, WorkerPool? pool,
                                          string gyName, string gxName)
    {
        shape.ThrowIfDefault(nameof(shape));
        CheckRows(gy, shape.OutFeatures, gyName, "OutChannels·OutHeight·OutWidth", shape);
        CheckRows(gx, shape.InFeatures, gxName, "InChannels·InHeight·InWidth", shape);
        CheckSameHeight(gy.Height, gyName, gx.Height, gxName);
        CheckLength(weight.Length, shape.WeightLength, nameof(weight), "OutChannels·InChannels·K·K", shape);
        if (!inBias.IsEmpty)
            CheckLength(inBias.Length, shape.InChannels, "bias", "one value per output channel of the transposed convolution (or empty)", shape);
        pool ??= WorkerPool.Default;
        CheckScratch(scratch.Length, shape, gy.Height, pool.Threads);
        if (activation == Activation.LeakyRelu)
            _ = new LeakyReluOp(leakySlope);
        fixed (float* pgy = &gy.DangerousGetReference())
        fixed (float* pgx = &gx.DangerousGetReference())
        fixed (float* pw = weight)
        fixed (float* pb = inBias)
        fixed (float* ps = scratch)
        {
            var job = new Job
            {
                S = shape, Mode = Mode.BackwardData,
                In = pgx, LdIn = Gemm.Pitch(gx), Out = pgy, LdOut = Gemm.Pitch(gy),
                W = pw, Bias = inBias.IsEmpty ? null : pb, Act = activation, Slope = leakySlope,
                Scratch = ps, Pool = pool,
            };
            RunChunks(ref job, gy.Height);
        }
    }

    /// <summary>
    /// <c>gWeight (+)= ∂L/∂W</c> and <c>gBias (+)= ∂L/∂b</c> from <c>gy = ∂L/∂(pre-activation output)</c> and the layer input x.
    /// </summary>
    /// <param name="gy">Gradient w.r.t. the convolution output before the activation, rows × OutFeatures.</param>
    /// <param name="x">The forward input, rows × InFeatures.</param>
    /// <param name="gWeight">[OutChannels, InChannels, K, K]: overwritten, or added to when <paramref name="accumulate"/>.</param>
    /// <param name="gBias">OutChannels floats (Σ over rows and pixels of gy, see <see cref="ChannelSums"/>), or empty to skip.</param>
    /// <param name="shape">The geometry.</param>
    /// <param name="scratch">At least <see cref="ScratchFloats"/> floats.</param>
    /// <param name="pool">Threads; null = <see cref="WorkerPool.Default"/>.</param>
    /// <param name="accumulate">Add to the gradients' contents instead of overwriting them.</param>
    public static void BackwardWeight(ReadOnlySpan2D<float> gy, ReadOnlySpan2D<float> x, Span<float> gWeight, Span<float> gBias,
                                      in ConvShape shape, Span<float> scratch, WorkerPool? pool = null, bool accumulate = false)
    {
        shape.ThrowIfDefault(nameof(shape));
        CheckRows(gy, shape.OutFeatures, nameof(gy), "OutChannels·OutHeight·OutWidth", shape);
        CheckRows(x, shape.InFeatures, nameof(x), "InChannels·InHeight·InWidth", shape);
        CheckSameHeight(gy.Height, nameof(gy), x.Height, nameof(x));
        CheckLength(gWeight.Length, shape.WeightLength, nameof(gWeight), "OutChannels·InChannels·K·K", shape);
        if (!gBias.IsEmpty)
            CheckLength(gBias.Length, shape.OutChannels, nameof(gBias), "OutChannels (or empty)", shape);
        pool ??= WorkerPool.Default;
        CheckScratch(scratch.Length, shape, x.Height, pool.Threads);
        WeightGradient(gy, x, gWeight, shape, scratch, pool, accumulate);
        if (!gBias.IsEmpty)
            ChannelSums(gy, shape.OutChannels, gBias, accumulate, pool);
    }

    /// <summary>
    /// The activation half of a convolution's backward pass: <c>gradient ← gradient ⊙ f′(output)</c> in place (f′ from
    /// the stored forward output y, as in <see cref="GemmBackward.ActivationAndBias"/>), then, when
    /// <paramref name="biasGradient"/> is not empty, the per-channel bias gradient of the result (<see cref="ChannelSums"/>).
    /// </summary>
    /// <param name="gradient">∂L/∂y on entry, ∂L/∂(pre-activation) on return; rows × channels·pixels (NCHW).</param>
    /// <param name="output">The forward output y, same shape (ignored for Identity).</param>
    /// <param name="activation">The forward activation.</param>
    /// <param name="leakySlope">LeakyReLU's slope.</param>
    /// <param name="channels">Channels per row (the row length must be a multiple).</param>
    /// <param name="biasGradient">channels floats, or empty to skip.</param>
    /// <param name="accumulate">Add to <paramref name="biasGradient"/> instead of overwriting it.</param>
    /// <param name="pool">Threads; null = <see cref="WorkerPool.Default"/>.</param>
    public static void ActivationBackward(Span2D<float> gradient, ReadOnlySpan2D<float> output, Activation activation, float leakySlope,
                                          int channels, Span<float> biasGradient, bool accumulate, WorkerPool? pool = null)
    {
        CheckChannels(gradient.Width, channels, nameof(gradient));
        if (!biasGradient.IsEmpty && biasGradient.Length != channels)
            throw new ArgumentException(
                $"The bias gradient has length {biasGradient.Length} but there are {channels} channels: pass one entry per channel (or an empty span).",
                nameof(biasGradient));
        if (activation != Activation.Identity)
            GemmBackward.ActivationAndBias(gradient, output, activation, leakySlope, Span<float>.Empty, false, pool);
        if (!biasGradient.IsEmpty)
            ChannelSums(gradient, channels, biasGradient, accumulate, pool);
    }

    /// <summary>
    /// <c>sums[c] (+)= Σ_rows Σ_pixels x[row, c·pixels + pixel]</c> (pixels = row length / channels): the bias gradient
    /// of an NCHW layer. Order: per channel, s = 0; for each row in increasing order, s = s + (that row's plane summed
    /// by <see cref="Reductions.Sum"/>, 16 fixed partial sums); then stored or added. Threads split channels only, so
    /// the result is bit-identical for every thread count and width.
    /// </summary>
    /// <param name="x">rows × channels·pixels.</param>
    /// <param name="channels">Channels per row.</param>
    /// <param name="sums">channels floats.</param>
    /// <param name="accumulate">Add to <paramref name="sums"/> instead of overwriting it.</param>
    /// <param name="pool">Threads; null = <see cref="WorkerPool.Default"/>.</param>
    public static void ChannelSums(ReadOnlySpan2D<float> x, int channels, Span<float> sums, bool accumulate, WorkerPool? pool = null)
    {
        CheckChannels(x.Width, channels, nameof(x));
        if (sums.Length != channels)
            throw new ArgumentException($"The sums span has length {sums.Length} but there are {channels} channels: pass one entry per channel.", nameof(sums));
        int rows = x.Height, pixels = x.Width / channels;
        if (rows == 0 || pixels == 0)
        {
            if (!accumulate) sums.Clear();
            return;
        }
        fixed (float* px = &x.DangerousGetReference())
        fixed (float* ps = sums)
        {
            var job = new SumJob { X = px, Ldx = Gemm.Pitch(x), Rows = rows, Pixels = pixels, Channels = channels, Sums = ps, Accumulate = accumulate };
            job.Blocks = (channels + SumBlock - 1) / SumBlock;
            if (job.Blocks == 1 || (long)rows * x.Width < GemmBackward.ParallelMinElements)
            {
                for (int b = 0; b < job.Blocks; b++)
                    SumTask(&job, b);
            }
            else
            {
                (pool ?? WorkerPool.Default).Run(&SumTask, &job, job.Blocks);
            }
        }
    }

    // ------------------------------------------------------------------------------------------ implementation

    private const int SumBlock = 8;

    private struct SumJob
    {
        public float* X; public nint Ldx;
        public int Rows, Pixels, Channels, Blocks;
        public float* Sums; public bool Accumulate;
    }

    private static void SumTask(void* state, int block)
    {
        ref var j = ref Unsafe.AsRef<SumJob>(state);
        int c0 = block * SumBlock, c1 = Math.Min(j.Channels, c0 + SumBlock);
        for (int c = c0; c < c1; c++)
        {
            float s = 0f;
            float* p = j.X + (long)c * j.Pixels;
            for (int r = 0; r < j.Rows; r++, p += j.Ldx)
                s += Reductions.Sum(new ReadOnlySpan<float>(p, j.Pixels));
            j.Sums[c] = j.Accumulate ? j.Sums[c] + s : s;
        }
    }

    private enum Mode { Forward, BackwardData }

    private struct Job
    {
        public ConvShape S;
        public Mode Mode;
        public float* In; public nint LdIn;     // the convolution's input side (x, or gx written by BackwardData)
        public float* Out; public nint LdOut;   // the convolution's output side (y written by Forward, or gy)
        public float* W;
        public float* Wt;                        // Forward: Wᵀ [L, OutChannels] in the scratch
        public float* Bias;                      // Forward: per output channel; BackwardData: per input channel (ConvT)
        public Activation Act; public float Slope;
        public float* Scratch; public long SlotFloats;
        public int Rows, Chunk, Chunks, NextChunk;
        public WorkerPool Pool;
    }

    /// <summary>Splits the rows into fixed chunks and runs them, one chunk per thread at a time.</summary>
    private static void RunChunks(ref Job job, int rows)
    {
        if (rows == 0)
            return;
        var s = job.S;
        job.Rows = rows;
        job.Chunk = Math.Min(ChunkImages(s), rows);
        job.Chunks = (rows + job.Chunk - 1) / job.Chunk;
        job.SlotFloats = (long)job.Chunk * s.OutPixels * (s.PatchLength + s.OutChannels);
        if (job.Mode == Mode.Forward)
        {
            // Wᵀ [L, OutChannels], once per call: the GEMM then reads whole column panels of it in place instead of
            // packing W transposed for every chunk.
            job.Wt = job.Scratch;
            Im2Col.Transpose(job.W, s.OutChannels, s.PatchLength, s.PatchLength, job.Wt, s.OutChannels);
        }
        job.Scratch += WeightCopyFloats(s);
        int participants = Math.Min(job.Pool.Threads, job.Chunks);
        if (participants <= 1)
            ChunkBody(Unsafe.AsPointer(ref job), 0);   // a lone chunk: its GEMM may use the whole pool
        else
            job.Pool.Run(&ChunkBody, Unsafe.AsPointer(ref job), participants);
    }

    /// <summary>One participant: claims chunks until none are left, using its own slot of the scratch.</summary>
    private static void ChunkBody(void* state, int participant)
    {
        ref var j = ref Unsafe.AsRef<Job>(state);
        float* slot = j.Scratch + participant * j.SlotFloats;
        while (true)
        {
            int chunk = Interlocked.Increment(ref j.NextChunk) - 1;
            if (chunk >= j.Chunks)
                return;
            if (j.Mode == Mode.Forward)
                ForwardChunk(ref j, chunk, slot);
            else
                BackwardDataChunk(ref j, chunk, slot);
        }
    }

    private static void ForwardChunk(ref Job j, int chunk, float* slot)
    {
        var s = j.S;
        int n0 = chunk * j.Chunk, n = Math.Min(j.Chunk, j.Rows - n0);
        int pixels = s.OutPixels, len = s.PatchLength, cout = s.OutChannels;
        float* patches = slot;
        float* t = slot + (long)j.Chunk * pixels * len;
        for (int i = 0; i < n; i++)
            Im2Col.Pack(j.In + (n0 + i) * j.LdIn, s, patches + (long)i * pixels * len);
        var bias = j.Bias == null ? ReadOnlySpan<float>.Empty : new ReadOnlySpan<float>(j.Bias, cout);
        Gemm.Multiply(new ReadOnlySpan2D<float>(patches, n * pixels, len, 0), false,
                      new ReadOnlySpan2D<float>(j.Wt, len, cout, 0), false,
                      new Span2D<float>(t, n * pixels, cout, 0), new Epilogue(bias, j.Act, j.Slope), 1f, 0f, j.Pool);
        for (int i = 0; i < n; i++)
            Im2Col.Transpose(t + (long)i * pixels * cout, pixels, cout, cout, j.Out + (n0 + i) * j.LdOut, pixels);
    }

    private static void BackwardDataChunk(ref Job j, int chunk, float* slot)
    {
        var s = j.S;
        int n0 = chunk * j.Chunk, n = Math.Min(j.Chunk, j.Rows - n0);
        int pixels = s.OutPixels, len = s.PatchLength, cout = s.OutChannels;
        float* gt = slot;
        float* cols = slot + (long)j.Chunk * pixels * cout;
        for (int i = 0; i < n; i++)
            Im2Col.Transpose(j.Out + (n0 + i) * j.LdOut, cout, pixels, pixels, gt + (long)i * pixels * cout, cout);
        Gemm.Multiply(new ReadOnlySpan2D<float>(gt, n * pixels, cout, 0), false,
                      new ReadOnlySpan2D<float>(j.W, cout, len, 0), false,
                      new Span2D<float>(cols, n * pixels, len, 0), Epilogue.None, 1f, 0f, j.Pool);
        int inFeatures = s.InFeatures;
        for (int i = 0; i < n; i++)
        {
            float* gx = j.In + (n0 + i) * j.LdIn;
            new Span<float>(gx, inFeatures).Clear();
            Im2Col.AddBack(cols + (long)i * pixels * len, s, gx);
            if (j.Bias != null || j.Act != Activation.Identity)
                Im2Col.BiasActivate(gx, s.InChannels, s.InPixels, j.Bias, j.Act, j.Slope);
        }
    }

    private struct PackJob
    {
        public ConvShape S;
        public float* X; public nint Ldx;
        public float* Gy; public nint Ldgy;
        public float* Patches; public float* Gt;
        public int N0;
    }

    /// <summary>gW (+)= Σ_chunks Ĝᵀ·X̃, the chunks in order (each chunk: parallel im2col + transposes, then a parallel GEMM).</summary>
    internal static void WeightGradient(ReadOnlySpan2D<float> gy, ReadOnlySpan2D<float> x, Span<float> gWeight, in ConvShape s,
                                        Span<float> scratch, WorkerPool pool, bool accumulate)
    {
        int rows = x.Height;
        if (rows == 0)
        {
            if (!accumulate) gWeight.Clear();
            return;
        }
        int pixels = s.OutPixels, len = s.PatchLength, cout = s.OutChannels;
        int chunk = Math.Min(WeightChunkImages(s), rows);
        fixed (float* px = &x.DangerousGetReference())
        fixed (float* pgy = &gy.DangerousGetReference())
        fixed (float* pgw = gWeight)
        fixed (float* ps = scratch)
        {
            var job = new PackJob
            {
                S = s, X = px, Ldx = Gemm.Pitch(x), Gy = pgy, Ldgy = Gemm.Pitch(gy),
                Patches = ps, Gt = ps + (long)chunk * pixels * len,
            };
            var gw = new Span2D<float>(pgw, cout, len, 0);
            for (int n0 = 0; n0 < rows; n0 += chunk)
            {
                int n = Math.Min(chunk, rows - n0);
                job.N0 = n0;
                if (n > 1 && pool.Threads > 1 && (long)n * pixels * (len + cout) >= ParallelPackMinFloats)
                    pool.Run(&PackTask, &job, n);
                else
                    for (int i = 0; i < n; i++)
                        PackTask(&job, i);
                Gemm.Multiply(new ReadOnlySpan2D<float>(job.Gt, n * pixels, cout, 0), true,
                              new ReadOnlySpan2D<float>(job.Patches, n * pixels, len, 0), false,
                              gw, Epilogue.None, 1f, n0 == 0 && !accumulate ? 0f : 1f, pool);
            }
        }
    }

    private static void PackTask(void* state, int i)
    {
        ref var j = ref Unsafe.AsRef<PackJob>(state);
        var s = j.S;
        int pixels = s.OutPixels, cout = s.OutChannels;
        int n = j.N0 + i;
        Im2Col.Pack(j.X + n * j.Ldx, s, j.Patches + (long)i * pixels * s.PatchLength);
        Im2Col.Transpose(j.Gy + n * j.Ldgy, cout, pixels, pixels, j.Gt + (long)i * pixels * cout, cout);
    }

    // ------------------------------------------------------------------------------------------ argument checks

    internal static void CheckRows(ReadOnlySpan2D<float> m, int width, string name, string what, in ConvShape s)
    {
        if (m.Width != width)
            throw new ArgumentException(
                $"{name} has {m.Width} columns but {s} needs {width} ({what}) per row (one image per row, NCHW).", name);
    }

    internal static void CheckRows(Span2D<float> m, int width, string name, string what, in ConvShape s) =>
        CheckRows((ReadOnlySpan2D<float>)m, width, name, what, s);

    internal static void CheckSameHeight(int a, string aName, int b, string bName)
    {
        if (a != b)
            throw new ArgumentException($"{aName} has {a} rows but {bName} has {b}: both hold one image per row of the same batch.", bName);
    }

    internal static void CheckLength(int length, int expected, string name, string what, in ConvShape s)
    {
        if (length != expected)
            throw new ArgumentException($"{name} has {length} floats but {s} needs {expected} ({what}).", name);
    }

    internal static void CheckScratch(int length, in ConvShape s, int rows, int threads)
    {
        int needed = ScratchFloats(s, rows, threads);
        if (length < needed)
            throw new ArgumentException(
                $"The scratch has {length} floats but {s} on {rows} rows and {threads} threads needs {needed} (Conv2d.ScratchFloats).", "scratch");
    }

    private static void CheckChannels(int width, int channels, string name)
    {
        if (channels < 1 || width % channels != 0)
            throw new ArgumentException(
                $"{name} has {width} columns, which is not a whole number of planes for {channels} channels: pass the layer's channel count (≥ 1).", name);
    }
}

/// <summary>
/// 2-D transposed convolution (PyTorch's ConvTranspose2d) over NCHW rows, as the adjoint of
/// <see cref="Conv2d"/> on <see cref="ConvTransposeShape.Adjoint"/>: the same code, with the roles swapped. Weight
/// [InChannels, OutChannels, K, K], bias [OutChannels]. Same scratch, determinism and allocation guarantees as
/// <see cref="Conv2d"/>.
/// </summary>
/// <remarks>
/// Float order: forward y[c, i, j] = act(fl(Σ over the adjoint's output pixels p (= this layer's input pixels) in
/// increasing order of D[p, q]) + b[c]) with D = xᵀ·W (GEMM chains over input channels in order);
/// data gradient = <see cref="Conv2d.Forward"/> of gy on the adjoint shape (no bias, identity);
/// weight gradient = <see cref="Conv2d.BackwardWeight"/> on the adjoint shape with gy and x swapped; bias gradient =
/// <see cref="Conv2d.ChannelSums"/> of gy.
/// </remarks>
public static class ConvTranspose2d
{
    /// <summary>Scratch floats for <paramref name="rows"/> images on <paramref name="threads"/> threads (all three calls).</summary>
    public static int ScratchFloats(in ConvTransposeShape shape, int rows, int threads)
    {
        shape.ThrowIfDefault(nameof(shape));
        return Conv2d.ScratchFloats(shape.Adjoint, rows, threads);
    }

    /// <summary><c>y = act(convT(x, weight) + bias)</c> for every image (row).</summary>
    /// <param name="x">Input, rows × <see cref="ConvTransposeShape.InFeatures"/>.</param>
    /// <param name="weight">[InChannels, OutChannels, K, K].</param>
    /// <param name="bias">OutChannels floats, or empty.</param>
    /// <param name="y">Output, rows × <see cref="ConvTransposeShape.OutFeatures"/> (overwritten).</param>
    /// <param name="shape">The geometry.</param>
    /// <param name="activation">Applied last.</param>
    /// <param name="leakySlope">LeakyReLU's slope.</param>
    /// <param name="scratch">At least <see cref="ScratchFloats"/> floats.</param>
    /// <param name="pool">Threads; null = <see cref="WorkerPool.Default"/>.</param>
    public static void Forward(ReadOnlySpan2D<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span2D<float> y,
                               in ConvTransposeShape shape, Activation activation, float leakySlope, Span<float> scratch, WorkerPool? pool = null)
    {
        shape.ThrowIfDefault(nameof(shape));
        CheckOwnShapes(shape, x, nameof(x), shape.InFeatures, "InChannels·InHeight·InWidth", y, nameof(y), shape.OutFeatures, "OutChannels·OutHeight·OutWidth", weight.Length);
        if (!bias.IsEmpty && bias.Length != shape.OutChannels)
            throw new ArgumentException($"bias has {bias.Length} floats but {shape} needs {shape.OutChannels} (OutChannels, or empty).", nameof(bias));
        Conv2d.BackwardDataCore(x, weight, bias, y, shape.Adjoint, activation, leakySlope, scratch, pool, nameof(x), nameof(y));
    }

    /// <summary><c>gx = ∂L/∂x</c> from the pre-activation output gradient gy (overwrites gx).</summary>
    public static void BackwardData(ReadOnlySpan2D<float> gy, ReadOnlySpan<float> weight, Span2D<float> gx, in ConvTransposeShape shape,
                                    Span<float> scratch, WorkerPool? pool = null)
    {
        shape.ThrowIfDefault(nameof(shape));
        CheckOwnShapes(shape, gy, nameof(gy), shape.OutFeatures, "OutChannels·OutHeight·OutWidth", gx, nameof(gx), shape.InFeatures, "InChannels·InHeight·InWidth", weight.Length);
        Conv2d.Forward(gy, weight, ReadOnlySpan<float>.Empty, gx, shape.Adjoint, Activation.Identity, 0.2f, scratch, pool);
    }

    /// <summary>The size checks in this layer's own terms (the adjoint convolution would name its own sizes).</summary>
    private static void CheckOwnShapes(in ConvTransposeShape s, ReadOnlySpan2D<float> input, string inputName, int inputWidth, string inputWhat,
                                       ReadOnlySpan2D<float> output, string outputName, int outputWidth, string outputWhat, int weightLength)
    {
        if (input.Width != inputWidth)
            throw new ArgumentException($"{inputName} has {input.Width} columns but {s} needs {inputWidth} ({inputWhat}) per row.", inputName);
        if (output.Width != outputWidth)
            throw new ArgumentException($"{outputName} has {output.Width} columns but {s} needs {outputWidth} ({outputWhat}) per row.", outputName);
        Conv2d.CheckSameHeight(input.Height, inputName, output.Height, outputName);
        if (weightLength != s.WeightLength)
            throw new ArgumentException($"weight has {weightLength} floats but {s} needs {s.WeightLength} (InChannels·OutChannels·K·K).", "weight");
    }

    /// <summary><c>gWeight (+)= ∂L/∂W</c>, <c>gBias (+)= ∂L/∂b</c> from the pre-activation output gradient gy and the input x.</summary>
    public static void BackwardWeight(ReadOnlySpan2D<float> gy, ReadOnlySpan2D<float> x, Span<float> gWeight, Span<float> gBias,
                                      in ConvTransposeShape shape, Span<float> scratch, WorkerPool? pool = null, bool accumulate = false)
    {
        shape.ThrowIfDefault(nameof(shape));
        var a = shape.Adjoint;
        // In the adjoint convolution, this layer's output is the input and this layer's input is the output.
        CheckOwnShapes(shape, x, nameof(x), shape.InFeatures, "InChannels·InHeight·InWidth", gy, nameof(gy), shape.OutFeatures, "OutChannels·OutHeight·OutWidth", gWeight.Length);
        if (!gBias.IsEmpty && gBias.Length != shape.OutChannels)
            throw new ArgumentException($"gBias has {gBias.Length} floats but {shape} needs {shape.OutChannels} (OutChannels, or empty).", nameof(gBias));
        pool ??= WorkerPool.Default;
        Conv2d.CheckScratch(scratch.Length, a, x.Height, pool.Threads);
        Conv2d.WeightGradient(x, gy, gWeight, a, scratch, pool, accumulate);
        if (!gBias.IsEmpty)
            Conv2d.ChannelSums(gy, shape.OutChannels, gBias, accumulate, pool);
    }
}
