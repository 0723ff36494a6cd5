using System.Runtime.CompilerServices;
using CommunityToolkit.HighPerformance;
using GenDsl.Threading;
using static GenDsl.Numerics.ModelKernels;

namespace GenDsl.Numerics;

/// <summary>
/// Batch normalization (PyTorch's BatchNorm2d / BatchNorm1d) over NCHW rows: statistics per channel over all rows
/// and pixels, <c>y = act(γ·(x − mean)/√(var + eps) + β)</c>. Dense features are the case of one pixel per channel
/// (channels = row length). PyTorch's names: γ = weight, β = bias, running_mean, running_var, momentum, eps.
/// </summary>
/// <remarks>
/// <para><b>Layout.</b> x, y, gy, gx are rows × channels·pixels (pixels = row length / channels); the per-channel
/// vectors have <c>channels</c> floats. γ and β may be empty (affine = false: γ = 1, β = 0).</para>
/// <para><b>Float order (determinism).</b> Each channel is handled by one thread, and its statistics are summed in
/// double in a fixed order: for each row in increasing order, that row's plane is summed with four partial sums
/// (element i goes to partial i mod 4, in increasing i; the plane's sum is (s₀ + s₁) + (s₂ + s₃)), and the plane sums
/// are added in row order. mean = S/N, var = Σ(x − mean)²/N (a second pass, centred, in double), N = rows·pixels.
/// The element-wise passes are the same IEEE float operations at every <see cref="Simd.Width"/>. So results are
/// bit-identical for every thread count and width.</para>
/// <para><b>Aliasing.</b> y may be x itself (in place), gx may be gy itself; other overlaps are not allowed.</para>
/// </remarks>
public static unsafe class BatchNormKernels
{
    /// <summary>PyTorch's default eps.</summary>
    public const float DefaultEps = 1e-5f;
    /// <summary>PyTorch's default momentum.</summary>
    public const float DefaultMomentum = 0.1f;

    /// <summary>
    /// Training-mode forward pass: batch statistics, normalization, optional activation, and the running statistics
    /// update <c>running = (1 − momentum)·running + momentum·batch</c> (running_var gets the unbiased variance
    /// Σ(x − mean)²/(N − 1), as in PyTorch). Per channel: a = γ·invStd (float), y = act(fma(x − mean, a, β)).
    /// </summary>
    /// <param name="x">Input, rows × channels·pixels.</param>
    /// <param name="channels">Channels per row.</param>
    /// <param name="gamma">γ (weight), channels floats, or empty for 1.</param>
    /// <param name="beta">β (bias), channels floats, or empty for 0.</param>
    /// <param name="y">Output, same shape as x (may be x itself).</param>
    /// <param name="mean">Receives the batch mean per channel (save it for <see cref="Backward"/>).</param>
    /// <param name="invStd">Receives 1/√(var + eps) per channel, var the biased batch variance (save it for <see cref="Backward"/>).</param>
    /// <param name="runningMean">running_mean, updated in place; empty to skip tracking.</param>
    /// <param name="runningVar">running_var, updated in place; empty to skip tracking (both or neither).</param>
    /// <param name="momentum">PyTorch's momentum (0.1 by default).</param>
    /// <param name="eps">Added to the variance (1e-5 by default).</param>
    /// <param name="activation">Applied last (Identity for a plain batch norm).</param>
    /// <param name="leakySlope">LeakyReLU's slope.</param>
    /// <param name="pool">Threads; null = <see cref="WorkerPool.Default"/>.</param>
    /// <exception cref="ArgumentException">Sizes do not match, or there is only one value per channel (N = 1).</exception>
    public static void ForwardTraining(ReadOnlySpan2D<float> x, int channels, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span2D<float> y,
                                       Span<float> mean, Span<float> invStd, Span<float> runningMean, Span<float> runningVar,
                                       float momentum = DefaultMomentum, float eps = DefaultEps,
                                       Activation activation = Activation.Identity, float leakySlope = 0.2f, WorkerPool? pool = null)
    {
        int pixels = CheckMatrix(x, nameof(x), channels);
        CheckSame(x, nameof(x), y, nameof(y));
        CheckAffine(gamma, beta, channels);
        CheckVector(mean, nameof(mean), channels);
        CheckVector(invStd, nameof(invStd), channels);
        if (runningMean.IsEmpty != runningVar.IsEmpty)
            throw new ArgumentException(
                $"runningMean has {runningMean.Length} floats and runningVar {runningVar.Length}: pass both (tracking) or neither.", nameof(runningVar));
        if (!runningMean.IsEmpty)
        {
            CheckVector(runningMean, nameof(runningMean), channels);
            CheckVector(runningVar, nameof(runningVar), channels);
        }
        long n = (long)x.Height * pixels;
        if (n < 2)
            throw new ArgumentException(
                $"Batch norm in training mode needs more than one value per channel; got {x.Height} rows × {pixels} pixels = {n} (as PyTorch).", nameof(x));
        if (!(eps >= 0f))
            throw new ArgumentException($"eps is {eps}; it must be ≥ 0 (usually 1e-5).", nameof(eps));
        if (activation == Activation.LeakyRelu)
            _ = new LeakyReluOp(leakySlope);
        fixed (float* px = &x.DangerousGetReference()) fixed (float* py = &y.DangerousGetReference())
        fixed (float* pg = gamma) fixed (float* pb = beta) fixed (float* pm = mean) fixed (float* pi = invStd)
        fixed (float* prm = runningMean) fixed (float* prv = runningVar)
        {
            var job = new Job
            {
                Kind = Kind.Training, X = px, Ldx = Gemm.Pitch(x), Y = py, Ldy = Gemm.Pitch(y), Rows = x.Height, Pixels = pixels, Channels = channels,
                Gamma = gamma.IsEmpty ? null : pg, Beta = beta.IsEmpty ? null : pb, Mean = pm, InvStd = pi,
                RunningMean = runningMean.IsEmpty ? null : prm, RunningVar = runningVar.IsEmpty ? null : prv,
                Momentum = momentum, Eps = eps, Act = activation, Slope = leakySlope,
            };
            Run(ref job, pool);
        }
    }

    /// <summary>
    /// Evaluation-mode forward pass with the running statistics: per channel invStd = 1/√(running_var + eps) (double,
    /// rounded), a = γ·invStd, y = act(fma(x − running_mean, a, β)).
    /// </summary>
    /// <param name="x">Input, rows × channels·pixels.</param>
    /// <param name="channels">Channels per row.</param>
    /// <param name="gamma">γ, channels floats or empty.</param>
    /// <param name="beta">β, channels floats or empty.</param>
    /// <param name="runningMean">running_mean, channels floats.</param>
    /// <param name="runningVar">running_var, channels floats.</param>
    /// <param name="eps">Added to the variance.</param>
    /// <param name="y">Output, same shape as x (may be x itself).</param>
    /// <param name="activation">Applied last.</param>
    /// <param name="leakySlope">LeakyReLU's slope.</param>
    /// <param name="pool">Threads; null = <see cref="WorkerPool.Default"/>.</param>
    public static void ForwardInference(ReadOnlySpan2D<float> x, int channels, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
                                        ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningVar, float eps, Span2D<float> y,
                                        Activation activation = Activation.Identity, float leakySlope = 0.2f, WorkerPool? pool = null)
    {
        int pixels = CheckMatrix(x, nameof(x), channels);
        CheckSame(x, nameof(x), y, nameof(y));
        CheckAffine(gamma, beta, channels);
        CheckVector(runningMean, nameof(runningMean), channels);
        CheckVector(runningVar, nameof(runningVar), channels);
        if (!(eps >= 0f))
            throw new ArgumentException($"eps is {eps}; it must be ≥ 0 (usually 1e-5).", nameof(eps));
        if (activation == Activation.LeakyRelu)
            _ = new LeakyReluOp(leakySlope);
        fixed (float* px = &x.DangerousGetReference()) fixed (float* py = &y.DangerousGetReference())
        fixed (float* pg = gamma) fixed (float* pb = beta) fixed (float* prm = runningMean) fixed (float* prv = runningVar)
        {
            var job = new Job
            {
                Kind = Kind.Inference, X = px, Ldx = Gemm.Pitch(x), Y = py, Ldy = Gemm.Pitch(y), Rows = x.Height, Pixels = pixels, Channels = channels,
                Gamma = gamma.IsEmpty ? null : pg, Beta = beta.IsEmpty ? null : pb,
                RunningMean = prm, RunningVar = prv, Eps = eps, Act = activation, Slope = leakySlope,
            };
            Run(ref job, pool);
        }
    }

    /// <summary>
    /// Backward of <see cref="ForwardTraining"/> (without its activation: pass ∂L/∂(normalized output before the
    /// activation), e.g. from <see cref="GemmBackward.ActivationAndBias"/> with an empty bias span). With
    /// x̂ = (x − mean)·invStd: gβ (+)= Σ gy, gγ (+)= Σ gy·x̂ (double, the statistics order), and
    /// gx = γ·invStd/N·(N·gy − Σgy − x̂·Σ(gy·x̂)), computed per element in float as
    /// k·fma(−x̂, m₂, gy − m₁) with k = γ·invStd, m₁ = Σgy/N, m₂ = Σ(gy·x̂)/N.
    /// </summary>
    /// <param name="gy">∂L/∂y, rows × channels·pixels.</param>
    /// <param name="x">The forward input.</param>
    /// <param name="channels">Channels per row.</param>
    /// <param name="gamma">γ, or empty for 1.</param>
    /// <param name="mean">The batch mean saved by <see cref="ForwardTraining"/>.</param>
    /// <param name="invStd">The invStd saved by <see cref="ForwardTraining"/>.</param>
    /// <param name="gx">∂L/∂x, same shape (overwritten; may be gy itself).</param>
    /// <param name="gGamma">∂L/∂γ, channels floats, or empty to skip.</param>
    /// <param name="gBeta">∂L/∂β, channels floats, or empty to skip.</param>
    /// <param name="accumulate">Add to gGamma/gBeta instead of overwriting them.</param>
    /// <param name="pool">Threads; null = <see cref="WorkerPool.Default"/>.</param>
    public static void Backward(ReadOnlySpan2D<float> gy, ReadOnlySpan2D<float> x, int channels, ReadOnlySpan<float> gamma,
                                ReadOnlySpan<float> mean, ReadOnlySpan<float> invStd, Span2D<float> gx, Span<float> gGamma, Span<float> gBeta,
                                bool accumulate = false, WorkerPool? pool = null)
    {
        int pixels = CheckMatrix(x, nameof(x), channels);
        CheckSame(x, nameof(x), gy, nameof(gy));
        CheckSame(x, nameof(x), gx, nameof(gx));
        if (!gamma.IsEmpty) CheckVector(gamma, nameof(gamma), channels);
        CheckVector(mean, nameof(mean), channels);
        CheckVector(invStd, nameof(invStd), channels);
        if (!gGamma.IsEmpty) CheckVector(gGamma, nameof(gGamma), channels);
        if (!gBeta.IsEmpty) CheckVector(gBeta, nameof(gBeta), channels);
        fixed (float* px = &x.DangerousGetReference()) fixed (float* pgy = &gy.DangerousGetReference()) fixed (float* pgx = &gx.DangerousGetReference())
        fixed (float* pg = gamma) fixed (float* pm = mean) fixed (float* pi = invStd) fixed (float* pgg = gGamma) fixed (float* pgb = gBeta)
        {
            var job = new Job
            {
                Kind = Kind.Backward, X = px, Ldx = Gemm.Pitch(x), Gy = pgy, Ldgy = Gemm.Pitch(gy), Y = pgx, Ldy = Gemm.Pitch(gx),
                Rows = x.Height, Pixels = pixels, Channels = channels,
                Gamma = gamma.IsEmpty ? null : pg, Mean = pm, InvStd = pi,
                GGamma = gGamma.IsEmpty ? null : pgg, GBeta = gBeta.IsEmpty ? null : pgb, Accumulate = accumulate,
            };
            Run(ref job, pool);
        }
    }

    // ------------------------------------------------------------------------------------------ implementation

    private enum Kind { Training, Inference, Backward }

    private struct Job
    {
        public Kind Kind;
        public float* X; public nint Ldx;
        public float* Y; public nint Ldy;     // y, or gx in Backward
        public float* Gy; public nint Ldgy;
        public int Rows, Pixels, Channels;
        public float* Gamma, Beta, Mean, InvStd, RunningMean, RunningVar, GGamma, GBeta;
        public float Momentum, Eps, Slope;
        public Activation Act;
        public bool Accumulate;
    }

    /// <summary>Below this many elements everything runs on the calling thread.</summary>
    private const long ParallelMinElements = 1L << 15;

    private static void Run(ref Job job, WorkerPool? pool)
    {
        if (job.Rows == 0 && job.Kind != Kind.Training)
        {
            if (job.Kind == Kind.Backward && !job.Accumulate)
            {
                if (job.GGamma != null) new Span<float>(job.GGamma, job.Channels).Clear();
                if (job.GBeta != null) new Span<float>(job.GBeta, job.Channels).Clear();
            }
            return;
        }
        switch (job.Act)
        {
            case Activation.Identity: Run(ref job, default(IdentityOp), pool); break;
            case Activation.Relu: Run(ref job, default(ReluOp), pool); break;
            case Activation.LeakyRelu: Run(ref job, new LeakyReluOp(job.Slope), pool); break;
            case Activation.Tanh: Run(ref job, default(TanhOp), pool); break;
            case Activation.Sigmoid: Run(ref job, default(SigmoidOp), pool); break;
            case Activation.Softplus: Run(ref job, default(SoftplusOp), pool); break;
            default:
                throw new ArgumentException($"Unknown activation {(int)job.Act}: use a value of the Activation enum.", "activation");
        }
    }

    private struct Job<TAct> where TAct : struct, IActivationOp
    {
        public Job J;
        public TAct Act;
    }

    private static void Run<TAct>(ref Job job, TAct act, WorkerPool? pool) where TAct : struct, IActivationOp
    {
        var full = new Job<TAct> { J = job, Act = act };
        long elements = (long)job.Rows * job.Pixels * job.Channels;
        if (job.Channels == 1 || elements < ParallelMinElements)
        {
            for (int c = 0; c < job.Channels; c++)
                ChannelTask<TAct>(Unsafe.AsPointer(ref full), c);
        }
        else
        {
            (pool ?? WorkerPool.Default).Run(&ChannelTask<TAct>, Unsafe.AsPointer(ref full), job.Channels);
        }
    }

    private static void ChannelTask<TAct>(void* state, int c) where TAct : struct, IActivationOp
    {
        ref var full = ref Unsafe.AsRef<Job<TAct>>(state);
        if (Simd.Use512) Channel<V512, TAct>(ref full.J, full.Act, c);
        else if (Simd.Use256) Channel<V256, TAct>(ref full.J, full.Act, c);
        else if (Simd.Use128) Channel<V128, TAct>(ref full.J, full.Act, c);
        else Channel<V1, TAct>(ref full.J, full.Act, c);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Channel<T, TAct>(ref Job j, TAct act, int c)
        where T : struct, IVecOps<T>
        where TAct : struct, IActivationOp
    {
        int rows = j.Rows, pixels = j.Pixels;
        long offset = (long)c * pixels;
        double n = (double)rows * pixels;
        float gamma = j.Gamma == null ? 1f : j.Gamma[c];
        if (j.Kind == Kind.Backward)
        {
            float meanF = j.Mean[c], inv = j.InvStd[c];
            double sg = 0, sgx = 0;
            for (int r = 0; r < rows; r++)
            {
                PlaneGradSums(j.Gy + r * j.Ldgy + offset, j.X + r * j.Ldx + offset, pixels, meanF, inv, out double a, out double b);
                sg += a;
                sgx += b;
            }
            if (j.GBeta != null) j.GBeta[c] = j.Accumulate ? j.GBeta[c] + (float)sg : (float)sg;
            if (j.GGamma != null) j.GGamma[c] = j.Accumulate ? j.GGamma[c] + (float)sgx : (float)sgx;
            float k = gamma * inv, m1 = (float)(sg / n), m2 = (float)(sgx / n);
            var vk = T.Splat(k); var vm1 = T.Splat(m1); var vm2 = T.Splat(m2); var vmean = T.Splat(meanF); var vinv = T.Splat(inv);
            for (int r = 0; r < rows; r++)
            {
                var gyp = new ReadOnlySpan<float>(j.Gy + r * j.Ldgy + offset, pixels);
                var xp = new ReadOnlySpan<float>(j.X + r * j.Ldx + offset, pixels);
                var gxp = new Span<float>(j.Y + r * j.Ldy + offset, pixels);
                int i = 0;
                for (; i <= pixels - T.Count; i += T.Count)
                {
                    var xh = T.Mul(T.Sub(T.Load(xp, i), vmean), vinv);
                    T.Store(T.Mul(vk, T.FusedMultiplyAdd(T.Neg(xh), vm2, T.Sub(T.Load(gyp, i), vm1))), gxp, i);
                }
                for (; i < pixels; i++)
                {
                    float xh = (xp[i] - meanF) * inv;
                    gxp[i] = k * MathF.FusedMultiplyAdd(-xh, m2, gyp[i] - m1);
                }
            }
            return;
        }

        float meanUsed, invUsed;
        if (j.Kind == Kind.Training)
        {
            double s = 0;
            for (int r = 0; r < rows; r++)
                s += PlaneSum(j.X + r * j.Ldx + offset, pixels);
            double mean = s / n;
            double q = 0;
            for (int r = 0; r < rows; r++)
                q += PlaneCentredSquares(j.X + r * j.Ldx + offset, pixels, mean);
            double var = q / n;
            meanUsed = (float)mean;
            invUsed = (float)(1.0 / Math.Sqrt(var + j.Eps));
            j.Mean[c] = meanUsed;
            j.InvStd[c] = invUsed;
            if (j.RunningMean != null)
            {
                double m = j.Momentum;
                j.RunningMean[c] = (float)((1 - m) * j.RunningMean[c] + m * mean);
                j.RunningVar[c] = (float)((1 - m) * j.RunningVar[c] + m * (q / (n - 1)));
            }
        }
        else
        {
            meanUsed = j.RunningMean[c];
            invUsed = (float)(1.0 / Math.Sqrt((double)j.RunningVar[c] + j.Eps));
        }
        float scale = gamma * invUsed, shift = j.Beta == null ? 0f : j.Beta[c];
        var va = T.Splat(scale); var vb = T.Splat(shift); var vm = T.Splat(meanUsed);
        for (int r = 0; r < rows; r++)
        {
            var xp = new ReadOnlySpan<float>(j.X + r * j.Ldx + offset, pixels);
            var yp = new Span<float>(j.Y + r * j.Ldy + offset, pixels);
            int i = 0;
            for (; i <= pixels - T.Count; i += T.Count)
                T.Store(T.Activate(act, T.FusedMultiplyAdd(T.Sub(T.Load(xp, i), vm), va, vb)), yp, i);
            for (; i < pixels; i++)
                yp[i] = act.Forward(MathF.FusedMultiplyAdd(xp[i] - meanUsed, scale, shift));
        }
    }

    /// <summary>Σ p[i] in double: four partials (i mod 4), then (s₀ + s₁) + (s₂ + s₃).</summary>
    private static double PlaneSum(float* p, int n)
    {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int i = 0;
        for (; i + 4 <= n; i += 4)
        {
            s0 += p[i]; s1 += p[i + 1]; s2 += p[i + 2]; s3 += p[i + 3];
        }
        if (i < n) s0 += p[i++];
        if (i < n) s1 += p[i++];
        if (i < n) s2 += p[i];
        return (s0 + s1) + (s2 + s3);
    }

    /// <summary>Σ (p[i] − mean)² in double, the order of <see cref="PlaneSum"/>.</summary>
    private static double PlaneCentredSquares(float* p, int n, double mean)
    {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int i = 0;
        for (; i + 4 <= n; i += 4)
        {
            double d0 = p[i] - mean, d1 = p[i + 1] - mean, d2 = p[i + 2] - mean, d3 = p[i + 3] - mean;
            s0 += d0 * d0; s1 += d1 * d1; s2 += d2 * d2; s3 += d3 * d3;
        }
        if (i < n) { double d = p[i++] - mean; s0 += d * d; }
        if (i < n) { double d = p[i++] - mean; s1 += d * d; }
        if (i < n) { double d = p[i] - mean; s2 += d * d; }
        return (s0 + s1) + (s2 + s3);
    }

    /// <summary>Σ gy and Σ gy·x̂ (x̂ = (x − mean)·invStd, in double) over one plane, the order of <see cref="PlaneSum"/>.</summary>
    private static void PlaneGradSums(float* gy, float* x, int n, float mean, float invStd, out double sumG, out double sumGx)
    {
        double a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
        double m = mean, inv = invStd;
        int i = 0;
        for (; i + 4 <= n; i += 4)
        {
            double g0 = gy[i], g1 = gy[i + 1], g2 = gy[i + 2], g3 = gy[i + 3];
            a0 += g0; a1 += g1; a2 += g2; a3 += g3;
            b0 += g0 * ((x[i] - m) * inv); b1 += g1 * ((x[i + 1] - m) * inv);
            b2 += g2 * ((x[i + 2] - m) * inv); b3 += g3 * ((x[i + 3] - m) * inv);
        }
        if (i < n) { double g = gy[i]; a0 += g; b0 += g * ((x[i] - m) * inv); i++; }
        if (i < n) { double g = gy[i]; a1 += g; b1 += g * ((x[i] - m) * inv); i++; }
        if (i < n) { double g = gy[i]; a2 += g; b2 += g * ((x[i] - m) * inv); }
        sumG = (a0 + a1) + (a2 + a3);
        sumGx = (b0 + b1) + (b2 + b3);
    }

    // ------------------------------------------------------------------------------------------ argument checks

    private static int CheckMatrix(ReadOnlySpan2D<float> x, string name, int channels)
    {
        if (channels < 1 || x.Width % channels != 0 || (x.Width == 0))
            throw new ArgumentException(
                $"{name} has {x.Width} columns, which is not a whole number of planes for {channels} channels: pass the layer's channel count (≥ 1).", name);
        return x.Width / channels;
    }

    private static void CheckSame(ReadOnlySpan2D<float> a, string aName, ReadOnlySpan2D<float> b, string bName)
    {
        if (a.Height != b.Height || a.Width != b.Width)
            throw new ArgumentException($"{bName} is {b.Height}×{b.Width} but {aName} is {a.Height}×{a.Width}: they must have the same shape.", bName);
    }

    private static void CheckSame(ReadOnlySpan2D<float> a, string aName, Span2D<float> b, string bName) =>
        CheckSame(a, aName, (ReadOnlySpan2D<float>)b, bName);

    private static void CheckVector(ReadOnlySpan<float> v, string name, int channels)
    {
        if (v.Length != channels)
            throw new ArgumentException($"{name} has {v.Length} floats but there are {channels} channels: pass one value per channel.", name);
    }

    private static void CheckAffine(ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, int channels)
    {
        if (!gamma.IsEmpty) CheckVector(gamma, nameof(gamma), channels);
        if (!beta.IsEmpty) CheckVector(beta, nameof(beta), channels);
    }
}
