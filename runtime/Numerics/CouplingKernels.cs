using System.Runtime.CompilerServices;
using CommunityToolkit.HighPerformance;
using static GenDsl.Numerics.ModelKernels;

namespace GenDsl.Numerics;

/// <summary>
/// Whole-batch kernels of a coupling layer (and of a dense layer with a tiny input), called once per
/// layer instead of once per row.
/// <para>
/// A coupling transforms the features <c>T</c> (the <c>columns</c> argument: their indices in the
/// full-width rows u, v) using the network output o = [raw | m] (each rows × d, d = |T|). On 2-D data d
/// is 1, so vectorising along a row would leave 15 of 16 lanes idle: these kernels vectorise ACROSS
/// ROWS instead. For each transformed column they take 16 rows at a time, gather the strided values
/// into small stack buffers, do the math there (lane i = row r0 + i) and scatter the results back.
/// The blocking (16 rows) does not depend on <see cref="Simd.Width"/>, every lane does the same IEEE
/// operations as the scalar path (<see cref="VecMath"/> is lane-for-lane identical to its scalar
/// functions), and sums have a fixed order (see each kernel), so results are bit-identical at every width.
/// </para>
/// <para>Nothing is allocated: the buffers are a few fixed-size stackallocs.</para>
/// </summary>
public static class CouplingKernels
{
    /// <summary>Rows per block (fixed, and a multiple of every vector width).</summary>
    private const int Block = 16;

    /// <summary>Output columns per transposed weight chunk in <see cref="DenseSmallInput"/>.</summary>
    private const int DenseChunk = 64;

    /// <summary>The largest input width <see cref="DenseSmallInput"/> accepts.</summary>
    public const int MaxSmallInput = 4;

    // =====================================================================================
    // Affine coupling
    // =====================================================================================

    /// <summary>
    /// Data → latent of an affine coupling on a whole batch: for every row r and transformed column
    /// c_j = <paramref name="columns"/>[j],
    /// s = scale_j·tanh(raw[r, j]), v[r, c_j] = (u[r, c_j] − m[r, j])·exp(−s), and
    /// <paramref name="logDet"/>[r] −= s (columns in order j = 0, 1, …, so the sum's order is fixed).
    /// Only the transformed columns of <paramref name="v"/> are written (copy u_K into v yourself).
    /// </summary>
    /// <param name="u">The layer input, rows × D.</param>
    /// <param name="columns">Indices (into 0…D−1) of the d transformed features.</param>
    /// <param name="raw">The network's raw scale output, rows × d.</param>
    /// <param name="m">The network's shift output, rows × d.</param>
    /// <param name="scale">The learned per-feature scale, length d.</param>
    /// <param name="v">The layer output, rows × D (same shape as u).</param>
    /// <param name="logDet">Per-row ln|det J|, length rows; this layer's share is subtracted.</param>
    public static void AffineForward(ReadOnlySpan2D<float> u, ReadOnlySpan<int> columns, ReadOnlySpan2D<float> raw, ReadOnlySpan2D<float> m,
        ReadOnlySpan<float> scale, Span2D<float> v, Span<float> logDet)
    {
        CheckCoupling(u, nameof(u), columns, v, nameof(v));
        CheckNetOutput(raw, nameof(raw), u.Height, columns.Length);
        CheckNetOutput(m, nameof(m), u.Height, columns.Length);
        CheckVector(scale, nameof(scale), columns.Length, "one scale per transformed column");
        CheckVector(logDet, nameof(logDet), u.Height, "one value per row");
        if (Simd.Use512) AffineForward<V512>(u, columns, raw, m, scale, v, logDet);
        else if (Simd.Use256) AffineForward<V256>(u, columns, raw, m, scale, v, logDet);
        else if (Simd.Use128) AffineForward<V128>(u, columns, raw, m, scale, v, logDet);
        else AffineForward<V1>(u, columns, raw, m, scale, v, logDet);
    }

    private static void AffineForward<T>(ReadOnlySpan2D<float> u, ReadOnlySpan<int> columns, ReadOnlySpan2D<float> raw, ReadOnlySpan2D<float> m,
        ReadOnlySpan<float> scale, Span2D<float> v, Span<float> logDet) where T : struct, IVecOps<T>
    {
        Span<float> bu = stackalloc float[Block], br = stackalloc float[Block], bm = stackalloc float[Block], bl = stackalloc float[Block];
        int rows = u.Height;
        // Row blocks outside, columns inside: a block's rows stay in L1 while every column visits them (with
        // the columns outside, a wide coupling — d = 392 — would stream the whole batch from L2 once per column).
        for (int r0 = 0; r0 < rows; r0 += Block)
        {
            int n = Math.Min(Block, rows - r0);
            Load(logDet, r0, n, bl);
            for (int j = 0; j < columns.Length; j++)
            {
                int c = columns[j];
                var sc = T.Splat(scale[j]);
                Gather(u, r0, c, n, bu);
                Gather(raw, r0, j, n, br);
                Gather(m, r0, j, n, bm);
                for (int i = 0; i < Block; i += T.Count)
                {
                    var s = T.Mul(sc, T.Tanh(T.Load(br, i)));                                     // s = scale·tanh(raw)
                    T.Store(T.Mul(T.Sub(T.Load(bu, i), T.Load(bm, i)), T.Exp(T.Neg(s))), bu, i);  // v = (u − m)·e^(−s)
                    T.Store(T.Sub(T.Load(bl, i), s), bl, i);                                       // ln|det| −= s, columns in order
                }
                Scatter(bu, n, v, r0, c);
            }
            bl.Slice(0, n).CopyTo(logDet.Slice(r0, n));
        }
    }

    /// <summary>
    /// Latent → data of an affine coupling on a whole batch: u[r, c_j] = v[r, c_j]·exp(scale_j·tanh(raw[r, j])) + m[r, j].
    /// Only the transformed columns of <paramref name="u"/> are written (copy v_K into u yourself).
    /// </summary>
    /// <param name="v">The layer output (latent side), rows × D.</param>
    /// <param name="columns">Indices of the d transformed features.</param>
    /// <param name="raw">The network's raw scale output, rows × d.</param>
    /// <param name="m">The network's shift output, rows × d.</param>
    /// <param name="scale">The learned per-feature scale, length d.</param>
    /// <param name="u">The layer input (data side), rows × D.</param>
    public static void AffineInverse(ReadOnlySpan2D<float> v, ReadOnlySpan<int> columns, ReadOnlySpan2D<float> raw, ReadOnlySpan2D<float> m,
        ReadOnlySpan<float> scale, Span2D<float> u)
    {
        CheckCoupling(v, nameof(v), columns, u, nameof(u));
        CheckNetOutput(raw, nameof(raw), v.Height, columns.Length);
        CheckNetOutput(m, nameof(m), v.Height, columns.Length);
        CheckVector(scale, nameof(scale), columns.Length, "one scale per transformed column");
        if (Simd.Use512) AffineInverse<V512>(v, columns, raw, m, scale, u);
        else if (Simd.Use256) AffineInverse<V256>(v, columns, raw, m, scale, u);
        else if (Simd.Use128) AffineInverse<V128>(v, columns, raw, m, scale, u);
        else AffineInverse<V1>(v, columns, raw, m, scale, u);
    }

    private static void AffineInverse<T>(ReadOnlySpan2D<float> v, ReadOnlySpan<int> columns, ReadOnlySpan2D<float> raw, ReadOnlySpan2D<float> m,
        ReadOnlySpan<float> scale, Span2D<float> u) where T : struct, IVecOps<T>
    {
        Span<float> bv = stackalloc float[Block], br = stackalloc float[Block], bm = stackalloc float[Block];
        int rows = v.Height;
        for (int r0 = 0; r0 < rows; r0 += Block) // row blocks outside: see AffineForward
        {
            int n = Math.Min(Block, rows - r0);
            for (int j = 0; j < columns.Length; j++)
            {
                int c = columns[j];
                var sc = T.Splat(scale[j]);
                Gather(v, r0, c, n, bv);
                Gather(raw, r0, j, n, br);
                Gather(m, r0, j, n, bm);
                for (int i = 0; i < Block; i += T.Count)
                {
                    var s = T.Mul(sc, T.Tanh(T.Load(br, i)));
                    T.Store(T.Add(T.Mul(T.Load(bv, i), T.Exp(s)), T.Load(bm, i)), bv, i); // u = v·e^s + m
                }
                Scatter(bv, n, u, r0, c);
            }
        }
    }

    /// <summary>
    /// Backward of <see cref="AffineForward"/> on a whole batch, given ∂L/∂v (<paramref name="gv"/>), the
    /// forward output v and ∂L/∂ln|det_r| = −1/B (so ∂L/∂s gets +<paramref name="invRows"/> from ln|det| −= s).
    /// With t = tanh(raw), e = exp(−scale·t), g = ∂L/∂v_T:
    /// ∂L/∂u_T = g·e, ∂L/∂m = −g·e, ∂L/∂s = 1/B − g·v_T, ∂L/∂raw = ∂L/∂s·scale·(1 − t²), and
    /// ∂L/∂scale_j = Σ_r ∂L/∂s·t (OVERWRITES <paramref name="gScale"/>; summed strictly sequentially,
    /// row 0 first, whatever the width: the same order, and so the same bits, as a per-row loop).
    /// Only the transformed columns of <paramref name="gu"/> are written (∂L/∂u_K is yours to fill).
    /// </summary>
    /// <param name="gv">∂L/∂v, rows × D.</param>
    /// <param name="v">The forward output v, rows × D.</param>
    /// <param name="columns">Indices of the d transformed features.</param>
    /// <param name="raw">The network's raw scale output, rows × d.</param>
    /// <param name="scale">The learned per-feature scale, length d.</param>
    /// <param name="invRows">1/B, B the number of rows the loss averages over.</param>
    /// <param name="gu">∂L/∂u, rows × D (transformed columns written).</param>
    /// <param name="gRaw">∂L/∂raw, rows × d.</param>
    /// <param name="gM">∂L/∂m, rows × d.</param>
    /// <param name="gScale">∂L/∂scale, length d (overwritten).</param>
    public static void AffineBackward(ReadOnlySpan2D<float> gv, ReadOnlySpan2D<float> v, ReadOnlySpan<int> columns, ReadOnlySpan2D<float> raw,
        ReadOnlySpan<float> scale, float invRows, Span2D<float> gu, Span2D<float> gRaw, Span2D<float> gM, Span<float> gScale)
    {
        CheckCoupling(gv, nameof(gv), columns, gu, nameof(gu));
        CheckSameShape(gv, nameof(gv), v, nameof(v));
        CheckNetOutput(raw, nameof(raw), gv.Height, columns.Length);
        CheckNetOutput(gRaw, nameof(gRaw), gv.Height, columns.Length);
        CheckNetOutput(gM, nameof(gM), gv.Height, columns.Length);
        CheckVector(scale, nameof(scale), columns.Length, "one scale per transformed column");
        CheckVector(gScale, nameof(gScale), columns.Length, "one gradient per transformed column");
        if (Simd.Use512) AffineBackward<V512>(gv, v, columns, raw, scale, invRows, gu, gRaw, gM, gScale);
        else if (Simd.Use256) AffineBackward<V256>(gv, v, columns, raw, scale, invRows, gu, gRaw, gM, gScale);
        else if (Simd.Use128) AffineBackward<V128>(gv, v, columns, raw, scale, invRows, gu, gRaw, gM, gScale);
        else AffineBackward<V1>(gv, v, columns, raw, scale, invRows, gu, gRaw, gM, gScale);
    }

    private static void AffineBackward<T>(ReadOnlySpan2D<float> gv, ReadOnlySpan2D<float> v, ReadOnlySpan<int> columns, ReadOnlySpan2D<float> raw,
        ReadOnlySpan<float> scale, float invRows, Span2D<float> gu, Span2D<float> gRaw, Span2D<float> gM, Span<float> gScale) where T : struct, IVecOps<T>
    {
        Span<float> bg = stackalloc float[Block], bv = stackalloc float[Block], br = stackalloc float[Block];
        Span<float> bm = stackalloc float[Block], bst = stackalloc float[Block];
        var one = T.Splat(1f);
        var invB = T.Splat(invRows);
        int rows = gv.Height;
        gScale.Clear();
        for (int r0 = 0; r0 < rows; r0 += Block) // row blocks outside: see AffineForward
        {
            // Lanes past the last row compute on zeros and are never stored or summed.
            int n = Math.Min(Block, rows - r0);
            for (int j = 0; j < columns.Length; j++)
            {
                int c = columns[j];
                var sc = T.Splat(scale[j]);
                Gather(gv, r0, c, n, bg);
                Gather(v, r0, c, n, bv);
                Gather(raw, r0, j, n, br);
                for (int i = 0; i < Block; i += T.Count)
                {
                    var t = T.Tanh(T.Load(br, i));
                    var e = T.Exp(T.Neg(T.Mul(sc, t)));
                    var g = T.Load(bg, i);
                    var ge = T.Mul(g, e);
                    T.Store(ge, bg, i);                                              // ∂v/∂u = e^(−s)
                    T.Store(T.Neg(ge), bm, i);                                       // ∂v/∂m = −e^(−s)
                    var gs = T.Sub(invB, T.Mul(g, T.Load(bv, i)));                   // ∂v/∂s = −v, plus the log-det term
                    T.Store(T.Mul(gs, t), bst, i);                                   // s = scale·tanh(raw): ∂L/∂scale term
                    T.Store(T.Mul(T.Mul(gs, sc), T.Sub(one, T.Mul(t, t))), br, i);   // ∂s/∂raw = scale·(1 − tanh²)
                }
                Scatter(bg, n, gu, r0, c);
                Scatter(bm, n, gM, r0, j);
                Scatter(br, n, gRaw, r0, j);
                float sumScale = gScale[j];
                for (int i = 0; i < n; i++)
                    sumScale += bst[i]; // rows in order, continuing the previous blocks' sum
                gScale[j] = sumScale;
            }
        }
    }

    // =====================================================================================
    // Additive coupling (no transcendental functions: strided scalar loops, one call per layer)
    // =====================================================================================

    /// <summary>Data → latent of an additive coupling: v[r, c_j] = u[r, c_j] − m[r, j] (only the transformed columns of v are written).</summary>
    /// <param name="u">The layer input, rows × D.</param>
    /// <param name="columns">Indices of the d transformed features.</param>
    /// <param name="m">The network's shift output, rows × d.</param>
    /// <param name="v">The layer output, rows × D.</param>
    public static void AdditiveForward(ReadOnlySpan2D<float> u, ReadOnlySpan<int> columns, ReadOnlySpan2D<float> m, Span2D<float> v)
    {
        CheckCoupling(u, nameof(u), columns, v, nameof(v));
        CheckNetOutput(m, nameof(m), u.Height, columns.Length);
        for (int r = 0; r < u.Height; r++)
            for (int j = 0; j < columns.Length; j++)
                v[r, columns[j]] = u[r, columns[j]] - m[r, j];
    }

    /// <summary>Latent → data of an additive coupling: u[r, c_j] = v[r, c_j] + m[r, j] (only the transformed columns of u are written).</summary>
    /// <param name="v">The layer output, rows × D.</param>
    /// <param name="columns">Indices of the d transformed features.</param>
    /// <param name="m">The network's shift output, rows × d.</param>
    /// <param name="u">The layer input, rows × D.</param>
    public static void AdditiveInverse(ReadOnlySpan2D<float> v, ReadOnlySpan<int> columns, ReadOnlySpan2D<float> m, Span2D<float> u)
    {
        CheckCoupling(v, nameof(v), columns, u, nameof(u));
        CheckNetOutput(m, nameof(m), v.Height, columns.Length);
        for (int r = 0; r < v.Height; r++)
            for (int j = 0; j < columns.Length; j++)
                u[r, columns[j]] = v[r, columns[j]] + m[r, j];
    }

    /// <summary>
    /// Backward of <see cref="AdditiveForward"/>: ∂L/∂m[r, j] = −∂L/∂v[r, c_j] (∂L/∂u_T = ∂L/∂v_T, which a
    /// whole-row copy of ∂L/∂v into ∂L/∂u already provides).
    /// </summary>
    /// <param name="gv">∂L/∂v, rows × D.</param>
    /// <param name="columns">Indices of the d transformed features.</param>
    /// <param name="gM">∂L/∂m, rows × d.</param>
    public static void AdditiveBackward(ReadOnlySpan2D<float> gv, ReadOnlySpan<int> columns, Span2D<float> gM)
    {
        CheckColumns(columns, gv.Width, nameof(gv));
        CheckNetOutput(gM, nameof(gM), gv.Height, columns.Length);
        for (int r = 0; r < gv.Height; r++)
            for (int j = 0; j < columns.Length; j++)
                gM[r, j] = -gv[r, columns[j]];
    }

    // =====================================================================================
    // Column gather / scatter-add (the network input a = x_K and its gradient)
    // =====================================================================================

    /// <summary>destination[r, j] = source[r, columns[j]]: picks the kept features out of full-width rows.</summary>
    /// <param name="source">Full-width rows, rows × D.</param>
    /// <param name="columns">Indices of the features to pick, length k.</param>
    /// <param name="destination">rows × k (e.g. a column slice of the network input).</param>
    public static void GatherColumns(ReadOnlySpan2D<float> source, ReadOnlySpan<int> columns, Span2D<float> destination)
    {
        CheckColumns(columns, source.Width, nameof(source));
        CheckNetOutput(destination, nameof(destination), source.Height, columns.Length);
        for (int r = 0; r < source.Height; r++)
            for (int j = 0; j < columns.Length; j++)
                destination[r, j] = source[r, columns[j]];
    }

    /// <summary>destination[r, columns[j]] += source[r, j]: adds the network-input gradient back into ∂L/∂u_K.</summary>
    /// <param name="source">rows × k (e.g. a column slice of ∂L/∂(network input)).</param>
    /// <param name="destination">Full-width rows, rows × D.</param>
    /// <param name="columns">Indices of the features to add into, length k.</param>
    public static void AddToColumns(ReadOnlySpan2D<float> source, Span2D<float> destination, ReadOnlySpan<int> columns)
    {
        CheckColumns(columns, destination.Width, nameof(destination));
        CheckNetOutput(source, nameof(source), destination.Height, columns.Length);
        for (int r = 0; r < destination.Height; r++)
            for (int j = 0; j < columns.Length; j++)
                destination[r, columns[j]] += source[r, j];
    }

    // =====================================================================================
    // Dense layer with a tiny input width
    // =====================================================================================

    /// <summary>
    /// y = act(x · Wᵀ + b) for an input width k ≤ <see cref="MaxSmallInput"/>, where a GEMM is mostly
    /// overhead: vectorised across the output columns, pre = ((b_j + W[j,0]·x_0) + W[j,1]·x_1) + …, each
    /// product and sum rounded separately (no fused multiply-add), the input columns in order; the same
    /// operations as the straight-line scalar code the generator used to emit.
    /// </summary>
    /// <param name="x">The input, rows × k (1 ≤ k ≤ 4).</param>
    /// <param name="weights">W stored [out, in] row-major (as torch.nn.Linear), length out·k.</param>
    /// <param name="bias">b, length out.</param>
    /// <param name="activation">The activation applied to every output.</param>
    /// <param name="y">The output, rows × out.</param>
    /// <param name="leakySlope">The slope of <see cref="Activation.LeakyRelu"/> (ignored otherwise).</param>
    public static void DenseSmallInput(ReadOnlySpan2D<float> x, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Activation activation,
        Span2D<float> y, float leakySlope = 0.2f)
    {
        int k = x.Width, outs = y.Width;
        if (k < 1 || k > MaxSmallInput)
            throw new ArgumentException($"x has {k} columns but DenseSmallInput takes 1 to {MaxSmallInput} input columns: use Gemm.Multiply with an Epilogue for wider inputs.", nameof(x));
        if (y.Height != x.Height)
            throw new ArgumentException($"y has {y.Height} rows but x has {x.Height}: pass one output row per input row.", nameof(y));
        if (weights.Length != outs * k)
            throw new ArgumentException($"weights has length {weights.Length} but must be out × in = {outs} × {k} = {outs * k} (W stored [out, in]).", nameof(weights));
        CheckVector(bias, nameof(bias), outs, "one bias per output column");
        switch (activation)
        {
            case Activation.Identity: Dense(x, weights, bias, y, default(IdentityOp)); break;
            case Activation.Relu: Dense(x, weights, bias, y, default(ReluOp)); break;
            case Activation.LeakyRelu: Dense(x, weights, bias, y, new LeakyReluOp(leakySlope)); break;
            case Activation.Tanh: Dense(x, weights, bias, y, default(TanhOp)); break;
            case Activation.Sigmoid: Dense(x, weights, bias, y, default(SigmoidOp)); break;
            case Activation.Softplus: Dense(x, weights, bias, y, default(SoftplusOp)); break;
            default:
                throw new ArgumentException($"Unknown activation {(int)activation}: use a value of the Activation enum.", nameof(activation));
        }
    }

    private static void Dense<TAct>(ReadOnlySpan2D<float> x, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span2D<float> y, TAct op)
        where TAct : struct, IActivationOp
    {
        if (Simd.Use512) Dense<V512, TAct>(x, weights, bias, y, op);
        else if (Simd.Use256) Dense<V256, TAct>(x, weights, bias, y, op);
        else if (Simd.Use128) Dense<V128, TAct>(x, weights, bias, y, op);
        else Dense<V1, TAct>(x, weights, bias, y, op);
    }

    private static void Dense<T, TAct>(ReadOnlySpan2D<float> x, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span2D<float> y, TAct op)
        where T : struct, IVecOps<T> where TAct : struct, IActivationOp
    {
        int k = x.Width, outs = y.Width, rows = x.Height;
        // Wᵀ for one chunk of output columns, so that the weights of input column i are contiguous.
        Span<float> wt = stackalloc float[MaxSmallInput * DenseChunk];
        for (int c0 = 0; c0 < outs; c0 += DenseChunk)
        {
            int nc = Math.Min(DenseChunk, outs - c0);
            for (int j = 0; j < nc; j++)
                for (int i = 0; i < k; i++)
                    wt[i * DenseChunk + j] = weights[(c0 + j) * k + i];
            var b = bias.Slice(c0, nc);
            int vecEnd = nc - nc % T.Count;
            for (int r = 0; r < rows; r++)
            {
                var xr = x.GetRowSpan(r);
                var yr = y.GetRowSpan(r).Slice(c0, nc);
                int j = 0;
                for (; j < vecEnd; j += T.Count)
                {
                    var acc = T.Load(b, j);
                    for (int i = 0; i < k; i++)
                        acc = T.Add(acc, T.Mul(T.Load(wt, i * DenseChunk + j), T.Splat(xr[i])));
                    T.Store(T.Activate(op, acc), yr, j);
                }
                for (; j < nc; j++) // the same operations, one column at a time
                {
                    float acc = b[j];
                    for (int i = 0; i < k; i++)
                        acc += wt[i * DenseChunk + j] * xr[i];
                    yr[j] = op.Forward(acc);
                }
            }
        }
    }

    // =====================================================================================
    // Helpers
    // =====================================================================================

    /// <summary>buffer[i] = x[r0 + i, column] for i &lt; n, 0 for the rest of the block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Gather(ReadOnlySpan2D<float> x, int r0, int column, int n, Span<float> buffer)
    {
        nint pitch = Gemm.Pitch(x);
        ref float p = ref x.DangerousGetReferenceAt(r0, column);
        for (int i = 0; i < n; i++)
            buffer[i] = Unsafe.Add(ref p, i * pitch);
        if (n < Block)
            buffer.Slice(n).Clear();
    }

    /// <summary>x[r0 + i, column] = buffer[i] for i &lt; n.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Scatter(ReadOnlySpan<float> buffer, int n, Span2D<float> x, int r0, int column)
    {
        nint pitch = Gemm.Pitch(x);
        ref float p = ref x.DangerousGetReferenceAt(r0, column);
        for (int i = 0; i < n; i++)
            Unsafe.Add(ref p, i * pitch) = buffer[i];
    }

    private static void Load(ReadOnlySpan<float> x, int r0, int n, Span<float> buffer)
    {
        x.Slice(r0, n).CopyTo(buffer);
        if (n < Block)
            buffer.Slice(n).Clear();
    }

    // ---- Argument checks: the parameter, both sizes, and the fix.

    private static void CheckCoupling(ReadOnlySpan2D<float> input, string inputName, ReadOnlySpan<int> columns, Span2D<float> output, string outputName)
    {
        if (output.Height != input.Height || output.Width != input.Width)
            throw new ArgumentException(
                $"{outputName} is {output.Height}×{output.Width} but {inputName} is {input.Height}×{input.Width}: pass full-width rows of the same shape for both.", outputName);
        CheckColumns(columns, input.Width, inputName);
    }

    private static void CheckSameShape(ReadOnlySpan2D<float> a, string aName, ReadOnlySpan2D<float> b, string bName)
    {
        if (a.Height != b.Height || a.Width != b.Width)
            throw new ArgumentException(
                $"{bName} is {b.Height}×{b.Width} but {aName} is {a.Height}×{a.Width}: pass full-width rows of the same shape for both.", bName);
    }

    private static void CheckColumns(ReadOnlySpan<int> columns, int width, string rowsName)
    {
        for (int j = 0; j < columns.Length; j++)
        {
            if ((uint)columns[j] >= (uint)width)
                throw new ArgumentException(
                    $"columns[{j}] = {columns[j]} is outside the {width} columns of {rowsName}: pass feature indices in 0…{width - 1}.", nameof(columns));
        }
    }

    private static void CheckNetOutput(ReadOnlySpan2D<float> x, string name, int rows, int d)
    {
        if (x.Height != rows || x.Width != d)
            throw new ArgumentException(
                $"{name} is {x.Height}×{x.Width} but must be {rows}×{d} (one row per batch row, one column per transformed feature).", name);
    }

    private static void CheckVector(ReadOnlySpan<float> x, string name, int length, string what)
    {
        if (x.Length != length)
            throw new ArgumentException($"{name} has length {x.Length} but must have length {length} ({what}).", name);
    }
}
