using CommunityToolkit.HighPerformance;

namespace GenDsl.Numerics;

/// <summary>
/// The monotonic rational-quadratic spline of a <c>[SplineCoupling]</c> (Durkan et al. 2019, "Neural Spline
/// Flows"; the same parameterisation as nflows' <c>unconstrained_rational_quadratic_spline</c> with linear
/// tails), its exact log-derivative, its inverse through the numerically stable root, and its backward
/// pass with respect to the input and to every spline parameter. docs/flow-layers.md states the math.
/// <para>
/// One transformed feature takes P = 3K − 1 raw values θ from the coupling network (K = bins): θ[0…K−1]
/// the unnormalised bin widths, θ[K…2K−1] the unnormalised heights, θ[2K…3K−2] the unnormalised
/// interior derivatives. Widths w̃ = m + (1 − m·K)·softmax(θ_w) (heights alike), interior derivatives
/// δ = m_d + softplus(θ_d), boundary derivatives δ_0 = δ_K = 1; m = m_d = 1e-3. On [−B, B] the spline
/// maps the knots x_k = −B + 2B·Σ_{i&lt;k} w̃_i to y_k (alike); outside, it is the identity (log-derivative 0).
/// </para>
/// <para>
/// Guards: all arithmetic inside is in double (float inputs and parameters of any finite size: huge or
/// tiny network outputs saturate softmax and softplus but never overflow); the bin of a value is the last
/// knot ≤ it (a value on a knot starts a bin, B itself is in the last bin); ξ is clamped to [0, 1] and the
/// output to its bin; the inverse's discriminant is clamped at 0 and its root taken as
/// ξ = 2c / (−b − √(b² − 4ac)), whose denominator is negative for every value in a bin, then checked against
/// the forward map (|g(ξ) − y| ≤ 10⁻⁹·h_k) and replaced by a 64-step bisection on ξ when huge derivatives
/// made a and b differences of huge terms; gradients beyond float's range are clamped to ±float.MaxValue.
/// So every finite input gives a finite output, log-derivative and gradient.
/// </para>
/// <para>
/// Deterministic (a fixed order of operations, no threads) and allocation-free: the per-feature knots live
/// in one stackalloc of 8·(K + 1) doubles per call (K ≤ <see cref="MaxBins"/>).
/// </para>
/// </summary>
public static class SplineKernels
{
    /// <summary>The minimum bin width m, as a fraction of 2B (nflows' DEFAULT_MIN_BIN_WIDTH).</summary>
    public const double MinBinWidth = 1e-3;

    /// <summary>The minimum bin height, as a fraction of 2B (nflows' DEFAULT_MIN_BIN_HEIGHT).</summary>
    public const double MinBinHeight = 1e-3;

    /// <summary>The minimum interior derivative m_d (nflows' DEFAULT_MIN_DERIVATIVE).</summary>
    public const double MinDerivative = 1e-3;

    /// <summary>The most bins a spline may have (the generator's GD0015 limit; K·m must stay well below 1).</summary>
    public const int MaxBins = 256;

    /// <summary>θ_d = ln(e^(1 − m_d) − 1), the raw derivative that gives δ = m_d + softplus(θ_d) = 1: with zero widths
    /// and heights the spline is then the identity (the initial value of the derivative entries of the output bias).</summary>
    public static readonly float IdentityDerivative = (float)Math.Log(Math.Exp(1 - MinDerivative) - 1);

    /// <summary>P = 3K − 1: the raw network outputs per transformed feature.</summary>
    public static int ParametersPerFeature(int bins) => 3 * bins - 1;

    // =====================================================================================
    // Whole-batch kernels (what the generated code calls)
    // =====================================================================================

    /// <summary>
    /// Data → latent of a spline coupling on a whole batch: for every row r and transformed column
    /// c_j = <paramref name="columns"/>[j], v[r, c_j] = g(u[r, c_j]; θ[r, jP … jP + P − 1]) and
    /// <paramref name="logDet"/>[r] += ln g′ (columns in order, so the sum's order is fixed).
    /// Only the transformed columns of <paramref name="v"/> are written (copy u_K into v yourself).
    /// </summary>
    /// <param name="u">The layer input, rows × D.</param>
    /// <param name="columns">Indices (into 0…D−1) of the d transformed features.</param>
    /// <param name="theta">The network output, rows × d·P (feature j's P values contiguous, as nflows reshapes them).</param>
    /// <param name="bins">K, 2 ≤ K ≤ <see cref="MaxBins"/>.</param>
    /// <param name="tailBound">B &gt; 0: the spline acts on [−B, B].</param>
    /// <param name="v">The layer output, rows × D.</param>
    /// <param name="logDet">Per-row ln|det J|, length rows; this layer's share is added.</param>
    public static void Forward(ReadOnlySpan2D<float> u, ReadOnlySpan<int> columns, ReadOnlySpan2D<float> theta, int bins, float tailBound,
        Span2D<float> v, Span<float> logDet)
    {
        CheckShapes(u, nameof(u), columns, theta, bins, tailBound);
        CheckSame(u, nameof(u), v.Height, v.Width, nameof(v));
        if (logDet.Length != u.Height)
            throw new ArgumentException($"logDet has length {logDet.Length} but must have length {u.Height} (one value per row).", nameof(logDet));
        int p = ParametersPerFeature(bins);
        Span<double> work = stackalloc double[WorkLength(bins)];
        for (int r = 0; r < u.Height; r++)
        {
            var ur = u.GetRowSpan(r);
            var vr = v.GetRowSpan(r);
            var tr = theta.GetRowSpan(r);
            float ld = logDet[r];
            for (int j = 0; j < columns.Length; j++)
            {
                int c = columns[j];
                vr[c] = (float)Evaluate(ur[c], tr.Slice(j * p, p), bins, tailBound, work, out double l);
                ld += (float)l;
            }
            logDet[r] = ld;
        }
    }

    /// <summary>
    /// Latent → data of a spline coupling on a whole batch: u[r, c_j] = g⁻¹(v[r, c_j]; θ[r, jP …]).
    /// Only the transformed columns of <paramref name="u"/> are written (copy v_K into u yourself).
    /// </summary>
    /// <param name="v">The layer output (latent side), rows × D.</param>
    /// <param name="columns">Indices of the d transformed features.</param>
    /// <param name="theta">The network output, rows × d·P.</param>
    /// <param name="bins">K.</param>
    /// <param name="tailBound">B.</param>
    /// <param name="u">The layer input (data side), rows × D.</param>
    public static void Inverse(ReadOnlySpan2D<float> v, ReadOnlySpan<int> columns, ReadOnlySpan2D<float> theta, int bins, float tailBound, Span2D<float> u)
    {
        CheckShapes(v, nameof(v), columns, theta, bins, tailBound);
        CheckSame(v, nameof(v), u.Height, u.Width, nameof(u));
        int p = ParametersPerFeature(bins);
        Span<double> work = stackalloc double[WorkLength(bins)];
        for (int r = 0; r < v.Height; r++)
        {
            var vr = v.GetRowSpan(r);
            var ur = u.GetRowSpan(r);
            var tr = theta.GetRowSpan(r);
            for (int j = 0; j < columns.Length; j++)
            {
                int c = columns[j];
                ur[c] = (float)Invert(vr[c], tr.Slice(j * p, p), bins, tailBound, work);
            }
        }
    }

    /// <summary>
    /// Backward of <see cref="Forward(ReadOnlySpan2D{float}, ReadOnlySpan{int}, ReadOnlySpan2D{float}, int, float, Span2D{float}, Span{float})"/>
    /// given ∂L/∂v (<paramref name="gv"/>), the forward INPUT u, and ∂L/∂ln|det_r| = −1/B_rows
    /// (<paramref name="invRows"/> = 1/B_rows): ∂L/∂u_T = ∂L/∂v·g′ − (1/B)·∂ln g′/∂u, and ∂L/∂θ for all
    /// P values of every transformed feature (OVERWRITES <paramref name="gTheta"/>: zeros in the tails).
    /// Only the transformed columns of <paramref name="gu"/> are written (∂L/∂u_K is yours to fill).
    /// </summary>
    /// <param name="gv">∂L/∂v, rows × D.</param>
    /// <param name="u">The forward input u, rows × D.</param>
    /// <param name="columns">Indices of the d transformed features.</param>
    /// <param name="theta">The network output, rows × d·P.</param>
    /// <param name="bins">K.</param>
    /// <param name="tailBound">B.</param>
    /// <param name="invRows">1/B_rows, the number of rows the loss averages over.</param>
    /// <param name="gu">∂L/∂u, rows × D (transformed columns written).</param>
    /// <param name="gTheta">∂L/∂θ, rows × d·P (overwritten).</param>
    public static void Backward(ReadOnlySpan2D<float> gv, ReadOnlySpan2D<float> u, ReadOnlySpan<int> columns, ReadOnlySpan2D<float> theta, int bins, float tailBound,
        float invRows, Span2D<float> gu, Span2D<float> gTheta)
    {
        CheckShapes(u, nameof(u), columns, theta, bins, tailBound);
        CheckSame(u, nameof(u), gv.Height, gv.Width, nameof(gv));
        CheckSame(u, nameof(u), gu.Height, gu.Width, nameof(gu));
        if (gTheta.Height != theta.Height || gTheta.Width != theta.Width)
            throw new ArgumentException($"gTheta is {gTheta.Height}×{gTheta.Width} but theta is {theta.Height}×{theta.Width}: pass one gradient per network output.", nameof(gTheta));
        int p = ParametersPerFeature(bins);
        Span<double> work = stackalloc double[WorkLength(bins)];
        for (int r = 0; r < u.Height; r++)
        {
            var ur = u.GetRowSpan(r);
            var gvr = gv.GetRowSpan(r);
            var gur = gu.GetRowSpan(r);
            var tr = theta.GetRowSpan(r);
            var gtr = gTheta.GetRowSpan(r);
            for (int j = 0; j < columns.Length; j++)
            {
                int c = columns[j];
                gur[c] = ToFloat(Differentiate(ur[c], tr.Slice(j * p, p), bins, tailBound, gvr[c], -invRows, gtr.Slice(j * p, p), work));
            }
        }
    }

    /// <summary>
    /// One step of the backward pass of an inverse autoregressive spline layer ([MaskedAutoregressive(Transform =
    /// Spline, Inverse = true)]), for feature i = <paramref name="column"/> on every row. There v_i = g(u_i; θ_i) with
    /// θ_i from the network on v_0 … v_{i−1}, so ∂L/∂v_i is the cotangent <paramref name="gv"/> from the layers after
    /// this one plus q_i, the network's vector-Jacobian product (<paramref name="vjp"/>, column i) of the θ cotangents
    /// of the features after i, already found. With λ_i = gv_i + q_i this is the whole-batch Backward on one column:
    /// ∂L/∂u_i = λ_i·g′ − (1/B)·∂ln g′/∂u_i (written to <paramref name="gu"/>), and ∂L/∂θ_i = λ_i·∂g/∂θ_i −
    /// (1/B)·∂ln g′/∂θ_i (<paramref name="gTheta"/>, overwritten; zeros in the tails).
    /// </summary>
    /// <param name="gv">∂L/∂v from the layers after this one, rows × D.</param>
    /// <param name="vjp">The network's input gradient, rows × (D + k): column i is q_i.</param>
    /// <param name="u">The layer input (data side), rows × D.</param>
    /// <param name="column">The feature i.</param>
    /// <param name="theta">Feature i's P = 3K − 1 network outputs, rows × P.</param>
    /// <param name="bins">K.</param>
    /// <param name="tailBound">B.</param>
    /// <param name="invRows">1/B_rows.</param>
    /// <param name="gu">∂L/∂u, rows × D: column i written.</param>
    /// <param name="gTheta">∂L/∂θ_i, rows × P (overwritten).</param>
    public static void AutoregressiveBackwardColumn(ReadOnlySpan2D<float> gv, ReadOnlySpan2D<float> vjp, ReadOnlySpan2D<float> u, int column,
        ReadOnlySpan2D<float> theta, int bins, float tailBound, float invRows, Span2D<float> gu, Span2D<float> gTheta)
    {
        if ((uint)column >= (uint)u.Width)
            throw new ArgumentOutOfRangeException(nameof(column), column, $"u has columns 0…{u.Width - 1}.");
        CheckShapes(u, nameof(u), [column], theta, bins, tailBound);
        CheckSame(u, nameof(u), gv.Height, gv.Width, nameof(gv));
        CheckSame(u, nameof(u), gu.Height, gu.Width, nameof(gu));
        if (vjp.Height != u.Height || vjp.Width < u.Width)
            throw new ArgumentException($"vjp is {vjp.Height}×{vjp.Width} but must have {u.Height} rows and at least {u.Width} columns (the network's input gradient).", nameof(vjp));
        if (gTheta.Height != theta.Height || gTheta.Width != theta.Width)
            throw new ArgumentException($"gTheta is {gTheta.Height}×{gTheta.Width} but theta is {theta.Height}×{theta.Width}: pass one gradient per network output.", nameof(gTheta));
        Span<double> work = stackalloc double[WorkLength(bins)];
        for (int r = 0; r < u.Height; r++)
        {
            float lambda = gv[r, column] + vjp[r, column]; // ∂L/∂v_i: the later layers' share and the later features' θ share
            gu[r, column] = ToFloat(Differentiate(u[r, column], theta.GetRowSpan(r), bins, tailBound, lambda, -invRows, gTheta.GetRowSpan(r), work));
        }
    }

    // =====================================================================================
    // One value (the building blocks; public for tests and for callers with their own loops)
    // =====================================================================================

    /// <summary>y = g(x; θ) and ln g′(x) for one value (identity and 0 outside [−B, B]).</summary>
    /// <param name="x">The input.</param>
    /// <param name="theta">The P = 3K − 1 raw parameters of this feature.</param>
    /// <param name="bins">K.</param>
    /// <param name="tailBound">B.</param>
    /// <param name="logDerivative">ln g′(x).</param>
    public static float Forward(float x, ReadOnlySpan<float> theta, int bins, float tailBound, out float logDerivative)
    {
        CheckSpline(theta, bins, tailBound);
        Span<double> work = stackalloc double[WorkLength(bins)];
        float y = (float)Evaluate(x, theta, bins, tailBound, work, out double l);
        logDerivative = (float)l;
        return y;
    }

    /// <summary>x = g⁻¹(y; θ) for one value (identity outside [−B, B]).</summary>
    /// <param name="y">The output to invert.</param>
    /// <param name="theta">The P raw parameters.</param>
    /// <param name="bins">K.</param>
    /// <param name="tailBound">B.</param>
    public static float Inverse(float y, ReadOnlySpan<float> theta, int bins, float tailBound)
    {
        CheckSpline(theta, bins, tailBound);
        Span<double> work = stackalloc double[WorkLength(bins)];
        return (float)Invert(y, theta, bins, tailBound, work);
    }

    /// <summary>
    /// Backward of one value: given ∂L/∂y and ∂L/∂ln g′, writes ∂L/∂θ (all P values, overwritten) and returns ∂L/∂x.
    /// </summary>
    /// <param name="x">The forward input.</param>
    /// <param name="theta">The P raw parameters.</param>
    /// <param name="bins">K.</param>
    /// <param name="tailBound">B.</param>
    /// <param name="gradY">∂L/∂y.</param>
    /// <param name="gradLogDerivative">∂L/∂ln g′(x).</param>
    /// <param name="gradTheta">∂L/∂θ, length P (overwritten).</param>
    public static float Backward(float x, ReadOnlySpan<float> theta, int bins, float tailBound, float gradY, float gradLogDerivative, Span<float> gradTheta)
    {
        CheckSpline(theta, bins, tailBound);
        if (gradTheta.Length != theta.Length)
            throw new ArgumentException($"gradTheta has length {gradTheta.Length} but theta has {theta.Length}: pass one gradient per parameter.", nameof(gradTheta));
        Span<double> work = stackalloc double[WorkLength(bins)];
        return ToFloat(Differentiate(x, theta, bins, tailBound, gradY, gradLogDerivative, gradTheta, work));
    }

    // =====================================================================================
    // The math (double inside)
    // =====================================================================================

    private static int WorkLength(int bins) => 8 * (bins + 1);

    /// <summary>
    /// Knots from θ: xs[0…K] (x_0 = −B, x_K = B), ys[0…K], and the softmax probabilities pw[0…K−1], ph[0…K−1]
    /// (kept for the backward pass). The derivatives δ are computed only where needed (<see cref="KnotDerivative"/>):
    /// a value uses the two of its bin, so the other K − 2 softplus would be wasted.
    /// </summary>
    private static void Knots(ReadOnlySpan<float> theta, int k, double b, Span<double> work,
        out Span<double> xs, out Span<double> ys, out Span<double> pw, out Span<double> ph)
    {
        xs = work.Slice(0, k + 1);
        ys = work.Slice(k + 1, k + 1);
        pw = work.Slice(3 * (k + 1), k);
        ph = work.Slice(4 * (k + 1), k);
        Softmax(theta.Slice(0, k), pw);
        Softmax(theta.Slice(k, k), ph);
        Cumulative(pw, MinBinWidth, b, xs);
        Cumulative(ph, MinBinHeight, b, ys);
    }

    /// <summary>δ_i: 1 at the end knots (i = 0, K), m_d + softplus(θ_d[i − 1]) inside.</summary>
    private static double KnotDerivative(ReadOnlySpan<float> theta, int k, int i) =>
        i == 0 || i == k ? 1 : MinDerivative + Softplus(theta[2 * k + i - 1]);

    /// <summary>p = softmax(θ), with the maximum subtracted (huge and tiny θ saturate instead of overflowing).</summary>
    private static void Softmax(ReadOnlySpan<float> theta, Span<double> p)
    {
        double max = theta[0];
        for (int i = 1; i < theta.Length; i++)
            max = Math.Max(max, theta[i]);
        double sum = 0;
        for (int i = 0; i < theta.Length; i++)
        {
            p[i] = Math.Exp(theta[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < theta.Length; i++)
            p[i] /= sum;
    }

    /// <summary>knots[0] = −B, knots[i] = −B + 2B·Σ_{j&lt;i} (min + (1 − min·K)·p_j) for 0 &lt; i &lt; K, knots[K] = B.</summary>
    private static void Cumulative(ReadOnlySpan<double> p, double min, double b, Span<double> knots)
    {
        int k = p.Length;
        double scale = 1 - min * k, sum = 0;
        knots[0] = -b;
        for (int i = 1; i < k; i++)
        {
            sum += min + scale * p[i - 1];
            knots[i] = -b + 2 * b * sum;
        }
        knots[k] = b;
    }

    /// <summary>ln(1 + e^θ) = max(θ, 0) + ln(1 + e^(−|θ|)): never overflows.</summary>
    private static double Softplus(double theta) => Math.Max(theta, 0) + Math.Log(1 + Math.Exp(-Math.Abs(theta)));

    /// <summary>σ(θ) = softplus′(θ), stable for both signs.</summary>
    private static double Sigmoid(double theta)
    {
        if (theta >= 0)
            return 1 / (1 + Math.Exp(-theta));
        double e = Math.Exp(theta);
        return e / (1 + e);
    }

    /// <summary>The bin of <paramref name="value"/> ∈ [knots[0], knots[K]]: the last k ≤ K − 1 with knots[k] ≤ value (binary search).</summary>
    private static int Bin(ReadOnlySpan<double> knots, int k, double value)
    {
        int lo = 0, hi = k - 1;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) >> 1;
            if (knots[mid] <= value) lo = mid;
            else hi = mid - 1;
        }
        return lo;
    }

    private static double Evaluate(double x, ReadOnlySpan<float> theta, int k, double b, Span<double> work, out double logDerivative)
    {
        if (!(x >= -b && x <= b)) // the linear tails: identity
        {
            logDerivative = 0;
            return x;
        }
        Knots(theta, k, b, work, out var xs, out var ys, out _, out _);
        int bin = Bin(xs, k, x);
        double w = xs[bin + 1] - xs[bin], h = ys[bin + 1] - ys[bin], s = h / w, d0 = KnotDerivative(theta, k, bin), d1 = KnotDerivative(theta, k, bin + 1);
        double xi = Math.Clamp((x - xs[bin]) / w, 0, 1), om = 1 - xi, t = xi * om;
        // s + (δ_{k+1} + δ_k − 2s)·ξ(1 − ξ), written as a sum of non-negative terms (no cancellation, never 0)
        double den = s * (om * om + xi * xi) + (d0 + d1) * t;
        double num = h * (s * xi * xi + d0 * t);
        double e = d1 * xi * xi + 2 * s * t + d0 * om * om;
        logDerivative = Math.Log(s * s * e / (den * den)); // g′ = s²·[δ_{k+1}ξ² + 2sξ(1−ξ) + δ_k(1−ξ)²] / den²
        return Math.Clamp(ys[bin] + num / den, ys[bin], ys[bin + 1]);
    }

    private static double Invert(double y, ReadOnlySpan<float> theta, int k, double b, Span<double> work)
    {
        if (!(y >= -b && y <= b))
            return y;
        Knots(theta, k, b, work, out var xs, out var ys, out _, out _);
        int bin = Bin(ys, k, y);
        double w = xs[bin + 1] - xs[bin], h = ys[bin + 1] - ys[bin], s = h / w, d0 = KnotDerivative(theta, k, bin), d1 = KnotDerivative(theta, k, bin + 1);
        double dy = y - ys[bin], sum = d0 + d1 - 2 * s;
        // a ξ² + b ξ + c = 0 with a + b = h·s > 0 and c = −s·(y − y_k) ≤ 0: one root in [0, 1]
        double qa = h * (s - d0) + dy * sum;
        double qb = h * d0 - dy * sum;
        double qc = -s * dy;
        double disc = Math.Max(qb * qb - 4 * qa * qc, 0); // ≥ 0 in exact arithmetic; float round-off clamped
        double den = -qb - Math.Sqrt(disc);              // < 0 for every y in the bin
        double xi = den < 0 ? Math.Clamp(2 * qc / den, 0, 1) : 0;
        // Check the root against the forward map (a sum of non-negative terms, no cancellation). With huge
        // derivatives (δ ≫ 1) a and b are differences of huge terms and the root can be wrong by a whole bin:
        // then bisect on ξ ∈ [0, 1], where y_k + h·[sξ² + δ_kξ(1−ξ)]/den(ξ) increases, to the nearest double.
        if (!(Math.Abs(Residual(xi, h, s, d0, d1, dy)) <= 1e-9 * h))
        {
            double lo = 0, hi = 1;
            for (int i = 0; i < 64; i++)
            {
                double mid = 0.5 * (lo + hi);
                if (Residual(mid, h, s, d0, d1, dy) < 0) lo = mid;
                else hi = mid;
            }
            xi = 0.5 * (lo + hi);
        }
        return Math.Clamp(xs[bin] + xi * w, xs[bin], xs[bin + 1]);
    }

    /// <summary>g(ξ) − y within the bin: h·[sξ² + δ_kξ(1−ξ)] / [s((1−ξ)² + ξ²) + (δ_k + δ_{k+1})ξ(1−ξ)] − (y − y_k).</summary>
    private static double Residual(double xi, double h, double s, double d0, double d1, double dy)
    {
        double om = 1 - xi, t = xi * om;
        return h * (s * xi * xi + d0 * t) / (s * (om * om + xi * xi) + (d0 + d1) * t) - dy;
    }

    /// <summary>A double gradient as a float, clamped to ±float.MaxValue: near a knot with a huge derivative the exact
    /// gradient of ln g′ can exceed float's range, and ±∞ would turn the optimizer's state into NaN.</summary>
    private static float ToFloat(double gradient) => (float)Math.Clamp(gradient, -float.MaxValue, float.MaxValue);

    private static double Differentiate(double x, ReadOnlySpan<float> theta, int k, double b, double gy, double gl, Span<float> gTheta, Span<double> work)
    {
        gTheta.Clear();
        if (!(x >= -b && x <= b))
            return gy; // identity: ∂y/∂x = 1, no parameter gradient
        Knots(theta, k, b, work, out var xs, out var ys, out var pw, out var ph);
        var gX = work.Slice(5 * (k + 1), k + 1); // ∂L/∂x_i (knots)
        var gY = work.Slice(6 * (k + 1), k + 1); // ∂L/∂y_i
        var gD = work.Slice(7 * (k + 1), k + 1); // ∂L/∂δ_i
        gX.Clear();
        gY.Clear();
        gD.Clear();

        // ---- forward quantities of the bin (as in Evaluate)
        int bin = Bin(xs, k, x);
        double w = xs[bin + 1] - xs[bin], h = ys[bin + 1] - ys[bin], s = h / w, d0 = KnotDerivative(theta, k, bin), d1 = KnotDerivative(theta, k, bin + 1);
        double xi = Math.Clamp((x - xs[bin]) / w, 0, 1), om = 1 - xi, t = xi * om;
        double den = s * (om * om + xi * xi) + (d0 + d1) * t;
        double a = s * xi * xi + d0 * t;               // num = h·a
        double ratio = h * a / den;                     // y = y_k + ratio
        double e = d1 * xi * xi + 2 * s * t + d0 * om * om;

        // ---- y = y_k + h·a/den and ln g′ = 2 ln s + ln e − 2 ln den, as functions of (ξ, s, h, y_k, δ_k, δ_{k+1})
        double dDenXi = (d0 + d1 - 2 * s) * (1 - 2 * xi), dDenS = om * om + xi * xi;
        double dNumXi = h * (2 * s * xi + d0 * (1 - 2 * xi));
        double dEXi = 2 * d1 * xi + 2 * s * (1 - 2 * xi) - 2 * d0 * om;
        double gXi = gy * (dNumXi - ratio * dDenXi) / den + gl * (dEXi / e - 2 * dDenXi / den);
        double gS = gy * (h * xi * xi - ratio * dDenS) / den + gl * (2 / s + 2 * t / e - 2 * dDenS / den);
        double gH = gy * a / den;
        double gD0 = gy * (h * t - ratio * t) / den + gl * (om * om / e - 2 * t / den);
        double gD1 = gy * (-ratio * t) / den + gl * (xi * xi / e - 2 * t / den);

        // ---- s = h/w, ξ = (x − x_k)/w, w = x_{k+1} − x_k, h = y_{k+1} − y_k
        gH += gS / w;
        double gW = -gS * s / w - gXi * xi / w;
        double gx = gXi / w;
        gX[bin + 1] += gW;
        gX[bin] += -gXi / w - gW;
        gY[bin + 1] += gH;
        gY[bin] += gy - gH;
        gD[bin] += gD0;
        gD[bin + 1] += gD1;

        // ---- knots → softmax inputs; δ_i = m_d + softplus(θ_d[i−1]) for the interior knots
        KnotsBackward(gX, pw, MinBinWidth, b, gTheta.Slice(0, k));
        KnotsBackward(gY, ph, MinBinHeight, b, gTheta.Slice(k, k));
        // ∂L/∂δ is non-zero only at the bin's two knots (gTheta was cleared above)
        for (int i = Math.Max(bin, 1); i <= Math.Min(bin + 1, k - 1); i++)
            gTheta[2 * k + i - 1] = ToFloat(gD[i] * Sigmoid(theta[2 * k + i - 1]));
        return gx;
    }

    /// <summary>
    /// Backward of knots[i] = −B + 2B·Σ_{j&lt;i} (min + (1 − min·K)·p_j) (0 &lt; i &lt; K; the end knots are fixed) and p = softmax(θ):
    /// ∂L/∂p_j = 2B·(1 − min·K)·Σ_{j &lt; i &lt; K} ∂L/∂knots[i], ∂L/∂θ_j = p_j·(∂L/∂p_j − Σ_l p_l·∂L/∂p_l).
    /// </summary>
    private static void KnotsBackward(ReadOnlySpan<double> gKnots, ReadOnlySpan<double> p, double min, double b, Span<float> gTheta)
    {
        int k = p.Length;
        double scale = 2 * b * (1 - min * k), suffix = 0, dot = 0;
        // ∂L/∂p_j = scale·suffix_j with suffix_j = Σ_{i=j+1}^{K−1} ∂L/∂knots[i]: first Σ_j p_j·∂L/∂p_j, then each ∂L/∂θ_j
        for (int j = k - 1; j >= 0; j--)
        {
            if (j + 1 < k)
                suffix += gKnots[j + 1];
            dot += p[j] * scale * suffix;
        }
        suffix = 0;
        for (int j = k - 1; j >= 0; j--)
        {
            if (j + 1 < k)
                suffix += gKnots[j + 1];
            gTheta[j] = ToFloat(p[j] * (scale * suffix - dot));
        }
    }

    // =====================================================================================
    // Argument checks
    // =====================================================================================

    private static void CheckSpline(ReadOnlySpan<float> theta, int bins, float tailBound)
    {
        if (bins < 2 || bins > MaxBins)
            throw new ArgumentOutOfRangeException(nameof(bins), bins, $"A spline needs 2 to {MaxBins} bins.");
        if (!(tailBound > 0) || float.IsInfinity(tailBound))
            throw new ArgumentOutOfRangeException(nameof(tailBound), tailBound, "The tail bound B must be positive and finite.");
        if (theta.Length != ParametersPerFeature(bins))
            throw new ArgumentException($"theta has length {theta.Length} but a spline of {bins} bins takes 3K − 1 = {ParametersPerFeature(bins)} values.", nameof(theta));
    }

    private static void CheckShapes(ReadOnlySpan2D<float> x, string name, ReadOnlySpan<int> columns, ReadOnlySpan2D<float> theta, int bins, float tailBound)
    {
        if (bins < 2 || bins > MaxBins)
            throw new ArgumentOutOfRangeException(nameof(bins), bins, $"A spline needs 2 to {MaxBins} bins.");
        if (!(tailBound > 0) || float.IsInfinity(tailBound))
            throw new ArgumentOutOfRangeException(nameof(tailBound), tailBound, "The tail bound B must be positive and finite.");
        for (int j = 0; j < columns.Length; j++)
        {
            if ((uint)columns[j] >= (uint)x.Width)
                throw new ArgumentException($"columns[{j}] = {columns[j]} is outside the {x.Width} columns of {name}: pass feature indices in 0…{x.Width - 1}.", nameof(columns));
        }
        int p = ParametersPerFeature(bins);
        if (theta.Height != x.Height || theta.Width != columns.Length * p)
            throw new ArgumentException(
                $"theta is {theta.Height}×{theta.Width} but must be {x.Height}×{columns.Length * p} (one row per batch row, 3K − 1 = {p} values per transformed feature).", nameof(theta));
    }

    private static void CheckSame(ReadOnlySpan2D<float> x, string name, int height, int width, string otherName)
    {
        if (height != x.Height || width != x.Width)
            throw new ArgumentException($"{otherName} is {height}×{width} but {name} is {x.Height}×{x.Width}: pass full-width rows of the same shape for both.", otherName);
    }
}
