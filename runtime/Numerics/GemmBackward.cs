using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using CommunityToolkit.HighPerformance;
using GenDsl.Threading;

namespace GenDsl.Numerics;

/// <summary>
/// The element-wise halves of a dense layer's backward pass, fused into one pass over memory:
/// the activation derivative applied to the incoming gradient, and the bias gradient (column sums).
/// </summary>
/// <remarks>
/// Column sums are computed per column from 0, adding rows in increasing order
/// (<c>s = ((0 + g₀) + g₁) + …</c>), then stored (or added to the existing value when accumulating).
/// Threads split the columns, never the rows of a sum, so results are bit-identical for every thread count
/// and every <see cref="Simd.Width"/>.
/// </remarks>
public static unsafe class GemmBackward
{
    /// <summary>Columns per task (and per stack buffer of partial sums).</summary>
    private const int ColumnBlock = 256;
    /// <summary>Rows per task when no column sums are needed (rows can then be split freely).</summary>
    private const int RowBlock = 64;
    /// <summary>Below this many elements everything runs on the calling thread.</summary>
    internal const long ParallelMinElements = 1L << 16;

    /// <summary>
    /// <c>gradient ← gradient ⊙ f′</c>, with f′ computed from the forward <em>output</em> y = f(x); then, if
    /// <paramref name="biasGradient"/> is not empty, <c>biasGradient[j] (+)= Σ_rows gradient[r, j]</c> of the
    /// updated gradient.
    /// </summary>
    /// <param name="gradient">dL/dy on entry, dL/dx (pre-activation) on return; M×N.</param>
    /// <param name="output">The forward output y (M×N). Ignored (may be empty) for <see cref="Activation.Identity"/>.</param>
    /// <param name="activation">The activation the forward pass applied.</param>
    /// <param name="leakySlope">LeakyReLU's negative slope (ignored by other activations).</param>
    /// <param name="biasGradient">Length N to receive the column sums, or empty to skip them.</param>
    /// <param name="accumulate">Add the sums to <paramref name="biasGradient"/>'s contents instead of overwriting them.</param>
    /// <param name="pool">Threads to use; null = <see cref="WorkerPool.Default"/>.</param>
    public static void ActivationAndBias(Span2D<float> gradient, ReadOnlySpan2D<float> output, Activation activation,
                                         float leakySlope, Span<float> biasGradient, bool accumulate, WorkerPool? pool = null)
    {
        int m = gradient.Height, n = gradient.Width;
        bool needDerivative = activation != Activation.Identity;
        if (needDerivative && (output.Height != m || output.Width != n))
            throw new ArgumentException(
                $"The output is {output.Height}×{output.Width} but the gradient is {m}×{n}: pass the forward output of the same layer (same shape).",
                nameof(output));
        if (!biasGradient.IsEmpty && biasGradient.Length != n)
            throw new ArgumentException(
                $"The bias gradient has length {biasGradient.Length} but the gradient has {n} columns: pass one entry per column (or an empty span).",
                nameof(biasGradient));
        if ((!needDerivative && biasGradient.IsEmpty) || m == 0 || n == 0)
        {
            if (!biasGradient.IsEmpty && !accumulate)
                biasGradient.Clear();   // a sum over zero rows
            return;
        }
        fixed (float* pg = &gradient.DangerousGetReference())
        fixed (float* py = &output.DangerousGetReference())
        fixed (float* ps = biasGradient)
        {
            var job = new Job
            {
                G = pg, Ldg = Gemm.Pitch(gradient),
                Y = needDerivative ? py : null, Ldy = needDerivative ? Gemm.Pitch(output) : 0,
                Sums = biasGradient.IsEmpty ? null : ps, Accumulate = accumulate,
                M = m, N = n, Width = Simd.Width,
            };
            switch (activation)
            {
                case Activation.Identity: Execute(ref job, default(IdentityOp), pool); break;
                case Activation.Relu: Execute(ref job, default(ReluOp), pool); break;
                case Activation.LeakyRelu: Execute(ref job, new LeakyReluOp(leakySlope), pool); break;
                case Activation.Tanh: Execute(ref job, default(TanhOp), pool); break;
                case Activation.Sigmoid: Execute(ref job, default(SigmoidOp), pool); break;
                case Activation.Softplus: Execute(ref job, default(SoftplusOp), pool); break;
                default:
                    throw new ArgumentException($"Unknown activation {(int)activation}: use a value of the Activation enum.", nameof(activation));
            }
        }
    }

    /// <summary><c>sums[j] (+)= Σ_rows x[r, j]</c>: the bias gradient of a layer without activation.</summary>
    /// <param name="x">The M×N matrix to sum down its columns.</param>
    /// <param name="sums">Length N.</param>
    /// <param name="accumulate">Add to <paramref name="sums"/>' contents instead of overwriting them.</param>
    /// <param name="pool">Threads to use; null = <see cref="WorkerPool.Default"/>.</param>
    public static void ColumnSums(ReadOnlySpan2D<float> x, Span<float> sums, bool accumulate, WorkerPool? pool = null)
    {
        int m = x.Height, n = x.Width;
        if (sums.Length != n)
            throw new ArgumentException(
                $"The sums span has length {sums.Length} but the matrix has {n} columns: pass one entry per column.", nameof(sums));
        if (n == 0)
            return;
        if (m == 0)
        {
            if (!accumulate)
                sums.Clear();
            return;
        }
        fixed (float* px = &x.DangerousGetReference())
        fixed (float* ps = sums)
        {
            var job = new Job
            {
                G = px, Ldg = Gemm.Pitch(x), ReadOnly = true,
                Sums = ps, Accumulate = accumulate,
                M = m, N = n, Width = Simd.Width,
            };
            Execute(ref job, default(IdentityOp), pool);
        }
    }

    private struct Job
    {
        public float* G; public nint Ldg;
        public float* Y; public nint Ldy;      // null: no derivative to apply
        public float* Sums; public bool Accumulate;
        public bool ReadOnly;                  // G is only summed, never written
        public int M, N;
        public SimdWidth Width;
        public int RowBlocks, ColBlocks;
    }

    private struct Job<TAct> where TAct : struct, IActivationOp
    {
        public Job J;
        public TAct Act;
    }

    private static void Execute<TAct>(ref Job job, TAct act, WorkerPool? pool) where TAct : struct, IActivationOp
    {
        job.ColBlocks = (job.N + ColumnBlock - 1) / ColumnBlock;
        job.RowBlocks = job.Sums == null ? (job.M + RowBlock - 1) / RowBlock : 1;
        var full = new Job<TAct> { J = job, Act = act };
        int tasks = job.RowBlocks * job.ColBlocks;
        if (tasks == 1 || (long)job.M * job.N < ParallelMinElements)
        {
            for (int t = 0; t < tasks; t++)
                Task<TAct>(Unsafe.AsPointer(ref full), t);
            return;
        }
        (pool ?? WorkerPool.Default).Run(&Task<TAct>, Unsafe.AsPointer(ref full), tasks);
    }

    private static void Task<TAct>(void* state, int task) where TAct : struct, IActivationOp
    {
        ref var full = ref Unsafe.AsRef<Job<TAct>>(state);
        ref Job j = ref full.J;
        int rb = task / j.ColBlocks, cb = task % j.ColBlocks;
        int c0 = cb * ColumnBlock, cols = Math.Min(ColumnBlock, j.N - c0);
        int r0 = j.Sums == null ? rb * RowBlock : 0;
        int rows = j.Sums == null ? Math.Min(RowBlock, j.M - r0) : j.M;
        float* partial = stackalloc float[ColumnBlock];
        float* sums = j.Sums == null ? null : partial;
        if (sums != null)
            new Span<float>(sums, cols).Clear();

        float* g = j.G + r0 * j.Ldg + c0;
        float* y = j.Y == null ? null : j.Y + r0 * j.Ldy + c0;
        switch (j.Width)
        {
            case SimdWidth.V512: Block<TAct, W512>(g, j.Ldg, y, j.Ldy, rows, cols, sums, !j.ReadOnly, full.Act); break;
            case SimdWidth.V256: Block<TAct, W256>(g, j.Ldg, y, j.Ldy, rows, cols, sums, !j.ReadOnly, full.Act); break;
            case SimdWidth.V128: Block<TAct, W128>(g, j.Ldg, y, j.Ldy, rows, cols, sums, !j.ReadOnly, full.Act); break;
            default: Block<TAct, W0>(g, j.Ldg, y, j.Ldy, rows, cols, sums, !j.ReadOnly, full.Act); break;
        }

        if (sums != null)
        {
            float* dst = j.Sums + c0;
            if (j.Accumulate)
            {
                for (int c = 0; c < cols; c++)
                    dst[c] += sums[c];
            }
            else
            {
                for (int c = 0; c < cols; c++)
                    dst[c] = sums[c];
            }
        }
    }

    // Width markers: the JIT specialises Block per marker and drops the dead branches.
    private struct W0;
    private struct W128;
    private struct W256;
    private struct W512;

    /// <summary>
    /// For each row: g ← g·f′(y) (when <paramref name="y"/> is not null), stored back when <paramref name="write"/>;
    /// sums[c] += g (when <paramref name="sums"/> is not null). Vector lanes first, then the scalar tail — the same
    /// IEEE operations per element either way.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block<TAct, TW>(float* g, nint ldg, float* y, nint ldy, int rows, int cols, float* sums, bool write, TAct act)
        where TAct : struct, IActivationOp
        where TW : struct
    {
        for (int r = 0; r < rows; r++, g += ldg, y += ldy)
        {
            int c = 0;
            if (typeof(TW) == typeof(W512))
            {
                for (; c + 16 <= cols; c += 16)
                {
                    var v = Vector512.Load(g + c);
                    if (y != null)
                    {
                        v *= act.DerivativeFromOutput(Vector512.Load(y + c));
                        if (write) v.Store(g + c);
                    }
                    if (sums != null)
                        (Vector512.Load(sums + c) + v).Store(sums + c);
                }
            }
            if (typeof(TW) == typeof(W512) || typeof(TW) == typeof(W256))
            {
                for (; c + 8 <= cols; c += 8)
                {
                    var v = Vector256.Load(g + c);
                    if (y != null)
                    {
                        v *= act.DerivativeFromOutput(Vector256.Load(y + c));
                        if (write) v.Store(g + c);
                    }
                    if (sums != null)
                        (Vector256.Load(sums + c) + v).Store(sums + c);
                }
            }
            if (typeof(TW) != typeof(W0))
            {
                for (; c + 4 <= cols; c += 4)
                {
                    var v = Vector128.Load(g + c);
                    if (y != null)
                    {
                        v *= act.DerivativeFromOutput(Vector128.Load(y + c));
                        if (write) v.Store(g + c);
                    }
                    if (sums != null)
                        (Vector128.Load(sums + c) + v).Store(sums + c);
                }
            }
            for (; c < cols; c++)
            {
                float v = g[c];
                if (y != null)
                {
                    v *= act.DerivativeFromOutput(y[c]);
                    if (write) g[c] = v;
                }
                if (sums != null)
                    sums[c] += v;
            }
        }
    }
}
