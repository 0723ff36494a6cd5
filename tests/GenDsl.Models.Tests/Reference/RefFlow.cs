namespace GenDsl.Models.Tests.Reference;

/// <summary>
/// A double-precision REFERENCE implementation of a GenDsl normalizing flow, written for clarity,
/// not speed, to check the source-generated float32 code. Semantics: the flow-layer contract FLOW-SPEC.md.
/// <para>
/// PARAMETER ARENA LAYOUT (the assumption to align with the generator): all parameters live in
/// one flat <c>double[] p</c>. Layers are visited in declaration order, and within a layer its
/// tensors in the spec's order (e.g. net.0.weight, net.0.bias, …, net.n.weight, net.n.bias, scale).
/// Each tensor starts at the running offset ROUNDED UP to a multiple of <see cref="AlignmentFloats"/>
/// (default 16 floats = 64 bytes); the gaps are padding (never read, gradient 0). Matrices are
/// row-major [rows, cols] (a weight [out, in] has element (o, i) at offset + o·in + i).
/// <see cref="ParameterCount"/> is the arena length: the end of the last tensor rounded up to the
/// alignment. If the generated arena differs, copy tensor by tensor using <see cref="Layout(string[])"/>.
/// </para>
/// <para>
/// Direction: <see cref="ToLatent"/> applies the layers in declaration order (data x → latent z) and
/// sums their ln|det|; <see cref="FromLatent"/> applies the inverses in reverse order.
/// Loss = mean over rows of −ln p(x) = ½Σz² + (D/2)ln(2π) − logDet.
/// </para>
/// </summary>
public sealed class RefFlow
{
    private readonly RefLayer[] _layers;

    /// <summary>Creates a flow over <paramref name="features"/> features with a condition of <paramref name="condition"/> columns (0 = none).</summary>
    /// <exception cref="ArgumentException">A layer does not fit (mask index out of range, not a permutation, …).</exception>
    public RefFlow(int features, int condition, params RefLayer[] layers)
    {
        if (features < 1) throw new ArgumentException($"features is {features}; a flow needs at least 1.", nameof(features));
        if (condition < 0) throw new ArgumentException($"condition is {condition}; use 0 for an unconditional flow.", nameof(condition));
        ArgumentNullException.ThrowIfNull(layers);
        foreach (var layer in layers) layer.Validate(features, condition);
        Features = features;
        Condition = condition;
        _layers = (RefLayer[])layers.Clone();
    }

    /// <summary>D, the number of features.</summary>
    public int Features { get; }

    /// <summary>k, the number of condition columns (0 if unconditional).</summary>
    public int Condition { get; }

    /// <summary>The layers in declaration (data → latent) order.</summary>
    public IReadOnlyList<RefLayer> Layers => _layers;

    /// <summary>Alignment of every tensor's offset, in elements (default 16: 64 bytes of float32).</summary>
    public int AlignmentFloats { get; init; } = 16;

    /// <summary>Length of the parameter arena <c>p</c> (and of the gradient): padding included.</summary>
    public int ParameterCount
    {
        get
        {
            int end = 0;
            foreach (var t in Tensors()) end = t.Offset + Size(t.Shape);
            return RoundUp(end);
        }
    }

    /// <summary>Number of parameter scalars (sum of the tensor sizes, padding excluded).</summary>
    public int UnpaddedParameterCount
    {
        get
        {
            int count = 0;
            foreach (var t in Tensors()) count += Size(t.Shape);
            return count;
        }
    }

    /// <summary>
    /// The parameter arena layout, in order: checkpoint name (<c>Member.suffix</c>, e.g.
    /// <c>C1.net.0.weight</c>), offset (a multiple of <see cref="AlignmentFloats"/>) and shape.
    /// </summary>
    /// <param name="memberNames">One name per layer, in declaration order (names of layers without parameters are unused).</param>
    public IReadOnlyList<(string Name, int Offset, int[] Shape)> Layout(string[] memberNames)
    {
        ArgumentNullException.ThrowIfNull(memberNames);
        if (memberNames.Length != _layers.Length)
            throw new ArgumentException($"memberNames has {memberNames.Length} names but the flow has {_layers.Length} layers; give one name per layer.", nameof(memberNames));
        var result = new List<(string, int, int[])>();
        foreach (var t in Tensors()) result.Add(($"{memberNames[t.Layer]}.{t.Suffix}", t.Offset, t.Shape));
        return result;
    }

    /// <summary>The layout with member names L0, L1, … (see <see cref="Layout(string[])"/>).</summary>
    public IReadOnlyList<(string Name, int Offset, int[] Shape)> Layout()
    {
        var names = new string[_layers.Length];
        for (int i = 0; i < names.Length; i++) names[i] = "L" + i;
        return Layout(names);
    }

    // ---------------------------------------------------------------- forward, inverse, density

    /// <summary>Data → latent: z = h(x) and logDet_r = ln|det ∂z_r/∂x_r|.</summary>
    /// <param name="p">Parameter arena (length ≥ <see cref="ParameterCount"/>).</param>
    /// <param name="x">B × D data.</param>
    /// <param name="y">B × k condition (null when k = 0).</param>
    /// <param name="z">B × D latent.</param>
    /// <param name="logDet">B log-determinants.</param>
    public void ToLatent(double[] p, double[,] x, double[,]? y, out double[,] z, out double[] logDet)
    {
        double[,] yy = CheckInputs(p, x, y, nameof(x));
        logDet = new double[x.GetLength(0)];
        z = x;
        for (int i = 0; i < _layers.Length; i++)
            z = _layers[i].Forward(Views(p, i), z, yy, logDet);
    }

    /// <summary>The output of every layer in turn on the way x → z (the last one is z): for layer-by-layer comparisons.</summary>
    public double[][,] LayerOutputs(double[] p, double[,] x, double[,]? y)
    {
        double[,] yy = CheckInputs(p, x, y, nameof(x));
        var logDet = new double[x.GetLength(0)];
        var outputs = new double[_layers.Length][,];
        double[,] u = x;
        for (int i = 0; i < _layers.Length; i++)
            outputs[i] = u = _layers[i].Forward(Views(p, i), u, yy, logDet);
        return outputs;
    }

    /// <summary>Latent → data (sampling direction): the layers' inverses in reverse order.</summary>
    /// <param name="p">Parameter arena.</param>
    /// <param name="z">B × D latent.</param>
    /// <param name="y">B × k condition (null when k = 0).</param>
    /// <returns>B × D data x.</returns>
    public double[,] FromLatent(double[] p, double[,] z, double[,]? y)
    {
        double[,] yy = CheckInputs(p, z, y, nameof(z));
        double[,] x = z;
        for (int i = _layers.Length - 1; i >= 0; i--)
            x = _layers[i].Inverse(Views(p, i), x, yy);
        return x;
    }

    /// <summary>ln p(x_r | y_r) per row, in nats: −½Σ_j z_rj² − (D/2)·ln(2π) + logDet_r.</summary>
    public double[] LogProb(double[] p, double[,] x, double[,]? y)
    {
        ToLatent(p, x, y, out var z, out var logDet);
        var logp = new double[x.GetLength(0)];
        for (int r = 0; r < logp.Length; r++)
        {
            double sumSquares = 0;
            for (int j = 0; j < Features; j++) sumSquares += z[r, j] * z[r, j];
            logp[r] = -0.5 * sumSquares - 0.5 * Features * Math.Log(2 * Math.PI) + logDet[r];
        }
        return logp;
    }

    /// <summary>The training loss: mean negative log-likelihood, L = −(1/B)·Σ_r ln p(x_r | y_r).</summary>
    public double Loss(double[] p, double[,] x, double[,]? y)
    {
        double[] logp = LogProb(p, x, y);
        double sum = 0;
        foreach (double v in logp) sum += v;
        return -sum / logp.Length;
    }

    // ---------------------------------------------------------------- backward

    /// <summary>dLoss/dp (same length as p; zero on padding and on unused triangle entries).</summary>
    public double[] Gradient(double[] p, double[,] x, double[,]? y)
    {
        LossGradients(p, x, y, out var dp, out _, out _);
        return dp;
    }

    /// <summary>dLoss/dx (B × D).</summary>
    public double[,] InputGradient(double[] p, double[,] x, double[,]? y)
    {
        LossGradients(p, x, y, out _, out var dx, out _);
        return dx;
    }

    /// <summary>dLoss/dy (B × k; B × 0 when unconditional).</summary>
    public double[,] ConditionGradient(double[] p, double[,] x, double[,]? y)
    {
        LossGradients(p, x, y, out _, out _, out var dy);
        return dy;
    }

    /// <summary>All the gradients of <see cref="Loss"/> at once.</summary>
    public void LossGradients(double[] p, double[,] x, double[,]? y, out double[] dp, out double[,] dx, out double[,] dy)
    {
        ToLatent(p, x, y, out var z, out _);
        int batch = x.GetLength(0);
        // L = (1/B)·Σ_r [½Σ_j z_rj² + (D/2)·ln(2π) − logDet_r]  ⇒  dL/dz = z/B, dL/dlogDet_r = −1/B
        var dz = new double[batch, Features];
        var dLogDet = new double[batch];
        for (int r = 0; r < batch; r++)
        {
            for (int j = 0; j < Features; j++) dz[r, j] = z[r, j] / batch;
            dLogDet[r] = -1.0 / batch;
        }
        Backward(p, x, y, dz, dLogDet, out dp, out dx, out dy);
    }

    /// <summary>
    /// Reverse-mode differentiation of the map (x, y, p) ↦ (z, logDet) for ANY upstream gradients
    /// (for chaining the flow into a larger model): given dLoss/dz and dLoss/dlogDet, returns
    /// dLoss/dp, dLoss/dx and dLoss/dy.
    /// </summary>
    public void Backward(double[] p, double[,] x, double[,]? y, double[,] dz, double[] dLogDet, out double[] dp, out double[,] dx, out double[,] dy)
    {
        double[,] yy = CheckInputs(p, x, y, nameof(x));
        int batch = x.GetLength(0);
        if (dz.GetLength(0) != batch || dz.GetLength(1) != Features)
            throw new ArgumentException($"dz is {dz.GetLength(0)}×{dz.GetLength(1)} but z is {batch}×{Features}; pass dLoss/dz of the same shape as z.", nameof(dz));
        if (dLogDet.Length != batch)
            throw new ArgumentException($"dLogDet has {dLogDet.Length} entries but the batch has {batch} rows; pass one per row.", nameof(dLogDet));

        // Forward, remembering each layer's input.
        var inputs = new double[_layers.Length][,];
        var logDet = new double[batch];
        double[,] u = x;
        for (int i = 0; i < _layers.Length; i++)
        {
            inputs[i] = u;
            u = _layers[i].Forward(Views(p, i), u, yy, logDet);
        }

        // Backward, last layer first. Every layer's log-det term enters the total with weight 1,
        // so each layer receives the same dLoss/dlogDet.
        dp = new double[p.Length];
        dy = new double[batch, Condition];
        double[,] dCurrent = dz;
        for (int i = _layers.Length - 1; i >= 0; i--)
            dCurrent = _layers[i].Backward(Views(p, i), Views(dp, i), inputs[i], yy, dCurrent, dLogDet, dy);
        dx = dCurrent;
    }

    // ---------------------------------------------------------------- ActNorm initialisation

    /// <summary>
    /// Glow's data-dependent ActNorm initialisation, as the generated code does it on the first
    /// training batch: runs x through the flow and, at each ActNorm in turn, sets
    /// logscale_j = −ln(std_j + 1e-6) and bias_j = −mean_j·exp(logscale_j) from the batch reaching
    /// that layer (population std; earlier ActNorms are already initialised), so its outputs have
    /// zero mean and unit variance. Modifies <paramref name="p"/>.
    /// </summary>
    public void InitialiseActNorm(double[] p, double[,] x, double[,]? y)
    {
        double[,] yy = CheckInputs(p, x, y, nameof(x));
        var logDet = new double[x.GetLength(0)];
        double[,] u = x;
        for (int i = 0; i < _layers.Length; i++)
        {
            if (_layers[i] is RefActNorm) RefActNorm.Initialise(Views(p, i), u);
            if (_layers[i] is RefChannelActNorm channels) channels.Initialise(Views(p, i), u);
            if (_layers[i] is RefOnPrefix { Inner: RefChannelActNorm inner } prefix) inner.Initialise(Views(p, i), RefOnPrefix.Prefix(u, prefix.Active));
            u = _layers[i].Forward(Views(p, i), u, yy, logDet);
        }
    }

    // ---------------------------------------------------------------- masks and permutations

    /// <summary>
    /// The features a coupling KEEPS (ascending). <paramref name="mask"/> is "Alternating" (coupling
    /// number c even keeps the first half 0…⌊D/2⌋−1, odd the second half ⌊D/2⌋…D−1), "FirstHalf",
    /// "SecondHalf", "Even" (0,2,4,…), "Odd" (1,3,5,…), or a pattern of D characters '0'/'1'
    /// ('1' at j keeps feature j).
    /// </summary>
    /// <param name="mask">The mask kind or pattern.</param>
    /// <param name="features">D.</param>
    /// <param name="couplingNumber">Index of this coupling among the flow's couplings (affine and additive together), from 0.</param>
    public static int[] MaskKept(string mask, int features, int couplingNumber)
    {
        ArgumentNullException.ThrowIfNull(mask);
        int half = features / 2;
        var kept = new List<int>();
        for (int j = 0; j < features; j++)
        {
            bool keep = mask switch
            {
                "Alternating" => couplingNumber % 2 == 0 ? j < half : j >= half,
                "FirstHalf" => j < half,
                "SecondHalf" => j >= half,
                "Even" => j % 2 == 0,
                "Odd" => j % 2 == 1,
                _ => PatternKeeps(mask, features, j),
            };
            if (keep) kept.Add(j);
        }
        return kept.ToArray();
    }

    private static bool PatternKeeps(string pattern, int features, int j)
    {
        if (pattern.Length != features)
            throw new ArgumentException($"mask \"{pattern}\" is neither a mask kind nor a pattern of {features} characters (it has {pattern.Length}); use Alternating, FirstHalf, SecondHalf, Even, Odd or a 0/1 string of length D.", "mask");
        return pattern[j] switch
        {
            '1' => true,
            '0' => false,
            _ => throw new ArgumentException($"mask pattern \"{pattern}\" has '{pattern[j]}' at {j}; use only '0' and '1'.", "mask"),
        };
    }

    /// <summary>π[j] = D−1−j (Permutation.Reverse).</summary>
    public static int[] ReversePermutation(int d)
    {
        var order = new int[d];
        for (int j = 0; j < d; j++) order[j] = d - 1 - j;
        return order;
    }

    /// <summary>
    /// Permutation.Random with Seed = <paramref name="seed"/> (also InvertibleLinear's P): start from the
    /// identity; for i = d−1 down to 1, j = next() mod (i+1), swap π[i] and π[j]; next() = SplitMix64.
    /// </summary>
    public static int[] RandomPermutation(int d, ulong seed)
    {
        var order = new int[d];
        for (int j = 0; j < d; j++) order[j] = j;
        ulong state = seed;
        for (int i = d - 1; i >= 1; i--)
        {
            int j = (int)(SplitMix64Next(ref state) % (ulong)(i + 1));
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    /// <summary>One step of SplitMix64: advances <paramref name="state"/> and returns the next 64-bit output.</summary>
    public static ulong SplitMix64Next(ref ulong state)
    {
        state += 0x9E3779B97F4A7C15UL;
        ulong z = state;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    // ---------------------------------------------------------------- plumbing

    private int RoundUp(int offset) => (offset + AlignmentFloats - 1) / AlignmentFloats * AlignmentFloats;

    private static int Size(int[] shape)
    {
        int size = 1;
        foreach (int s in shape) size *= s;
        return size;
    }

    /// <summary>Every tensor of every layer, in arena order, with its aligned offset.</summary>
    private List<(int Layer, string Suffix, int Offset, int[] Shape)> Tensors()
    {
        if (AlignmentFloats < 1) throw new InvalidOperationException($"AlignmentFloats is {AlignmentFloats}; it must be ≥ 1.");
        var result = new List<(int, string, int, int[])>();
        int offset = 0;
        for (int i = 0; i < _layers.Length; i++)
            foreach (var (suffix, shape) in _layers[i].Tensors(Features, Condition))
            {
                offset = RoundUp(offset);
                result.Add((i, suffix, offset, shape));
                offset += Size(shape);
            }
        return result;
    }

    /// <summary>Views of layer <paramref name="layer"/>'s tensors inside <paramref name="arena"/> (parameters or gradient).</summary>
    private TensorView[] Views(double[] arena, int layer)
    {
        var views = new List<TensorView>();
        foreach (var t in Tensors())
            if (t.Layer == layer)
                views.Add(new TensorView(arena, t.Offset, t.Shape[0], t.Shape.Length >= 2 ? Size(t.Shape) / t.Shape[0] : 1)); // a conv weight [out, in, k, k] as out × (in·k·k)
        return views.ToArray();
    }

    /// <summary>Validates p, x (B×D) and y (B×k or null when k = 0); returns y as a B×k matrix.</summary>
    private double[,] CheckInputs(double[] p, double[,] x, double[,]? y, string xName)
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(x, xName);
        if (p.Length < ParameterCount)
            throw new ArgumentException($"p has {p.Length} entries but the flow's arena needs {ParameterCount}; allocate new double[flow.ParameterCount].", nameof(p));
        int batch = x.GetLength(0);
        if (batch < 1 || x.GetLength(1) != Features)
            throw new ArgumentException($"{xName} is {batch}×{x.GetLength(1)} but the flow needs B×{Features} with B ≥ 1; pass one row per example, D = {Features} columns.", xName);
        if (y is null)
        {
            if (Condition != 0)
                throw new ArgumentException($"the flow is conditional (k = {Condition}) but y is null; pass a {batch}×{Condition} condition.", nameof(y));
            return new double[batch, 0];
        }
        if (y.GetLength(0) != batch || y.GetLength(1) != Condition)
            throw new ArgumentException($"y is {y.GetLength(0)}×{y.GetLength(1)} but must be {batch}×{Condition} (batch × condition).", nameof(y));
        return y;
    }
}
