using GenDsl.Models.Tests.Networks;
using GenDsl.Models.Tests.Reference;

namespace GenDsl.Models.Tests.ConvNets;

/// <summary>A tensor shape per row: channels × height × width (a vector is C × 1 × 1).</summary>
internal readonly record struct RefShape(int C, int H, int W)
{
    public int Size => C * H * W;

    public int Pixels => H * W;

    public static RefShape Vector(int n) => new(n, 1, 1);

    public override string ToString() => $"[{C}, {H}, {W}]";
}

/// <summary>
/// The arenas a reference network reads and writes, in double: the parameters (a copy of the model's,
/// same offsets), their gradients (accumulated into) and the buffers (running statistics, same offsets
/// as the model's <see cref="IGenerativeModel.Buffers"/>).
/// </summary>
internal sealed class RefArena
{
    public RefArena(double[] parameters, double[] buffers)
    {
        P = parameters;
        G = new double[parameters.Length];
        Buffers = buffers;
    }

    public double[] P { get; }

    public double[] G { get; }

    public double[] Buffers { get; }

    public static RefArena Of(IGenerativeModel model) => new(RefNet.ToDouble(model.Parameters.Span), RefNet.ToDouble(model.Buffers.Span));
}

/// <summary>How a forward pass normalises: with the batch's statistics (training), and whether it updates the running ones.</summary>
internal readonly record struct RefPass(bool Training, bool UpdateRunning)
{
    /// <summary>Batch statistics, buffers untouched (what finite differences need).</summary>
    public static readonly RefPass Batch = new(true, false);

    /// <summary>A training pass of the model: batch statistics, running ones updated.</summary>
    public static readonly RefPass Train = new(true, true);

    /// <summary>Evaluation: running statistics.</summary>
    public static readonly RefPass Eval = new(false, false);
}

/// <summary>
/// One layer of a reference network, rows × C·H·W (NCHW per row, as the model's activation arena). A
/// forward pass keeps what its backward needs; the backward ADDS parameter gradients into
/// <see cref="RefArena.G"/> (when asked) and returns ∂L/∂input.
/// </summary>
internal abstract class RefLayer
{
    protected RefLayer(RefShape input, RefShape output)
    {
        In = input;
        Out = output;
    }

    public RefShape In { get; }

    public RefShape Out { get; }

    public abstract double[,] Forward(RefArena a, double[,] x, RefPass pass);

    public abstract double[,] Backward(RefArena a, double[,] gy, bool parameterGradients);

    /// <summary>y = act(pre) in place on a copy; returns y.</summary>
    protected static double[,] Activate(Activation act, double[,] pre)
    {
        var y = (double[,])pre.Clone();
        for (int r = 0; r < y.GetLength(0); r++)
            for (int j = 0; j < y.GetLength(1); j++)
                y[r, j] = RefActivation.Apply(act, pre[r, j]);
        return y;
    }

    /// <summary>∂L/∂pre = ∂L/∂y ⊙ f′(pre).</summary>
    protected static double[,] ThroughActivation(Activation act, double[,] pre, double[,] gy)
    {
        var g = new double[gy.GetLength(0), gy.GetLength(1)];
        for (int r = 0; r < g.GetLength(0); r++)
            for (int j = 0; j < g.GetLength(1); j++)
                g[r, j] = gy[r, j] * RefActivation.Derivative(act, pre[r, j]);
        return g;
    }
}

/// <summary>y = act(x·Wᵀ + b), W [out, in] (an image input is read flattened, as torch.flatten).</summary>
internal sealed class RefDense : RefLayer
{
    private readonly int _w, _b;
    private readonly Activation _act;
    private double[,] _x = new double[0, 0], _pre = new double[0, 0];

    public RefDense(RefShape input, int width, int w, int b, Activation act)
        : base(input, RefShape.Vector(width))
    {
        _w = w;
        _b = b;
        _act = act;
    }

    public override double[,] Forward(RefArena a, double[,] x, RefPass pass)
    {
        int rows = x.GetLength(0), nIn = In.Size, nOut = Out.Size;
        var p = a.P;
        _x = x;
        _pre = new double[rows, nOut];
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < nOut; o++)
            {
                double s = p[_b + o];
                for (int i = 0; i < nIn; i++) s += p[_w + o * nIn + i] * x[r, i];
                _pre[r, o] = s;
            }
        return Activate(_act, _pre);
    }

    public override double[,] Backward(RefArena a, double[,] gy, bool parameterGradients)
    {
        int rows = gy.GetLength(0), nIn = In.Size, nOut = Out.Size;
        var g = ThroughActivation(_act, _pre, gy);
        var gx = new double[rows, nIn];
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < nOut; o++)
            {
                double d = g[r, o];
                if (parameterGradients)
                {
                    a.G[_b + o] += d;
                    for (int i = 0; i < nIn; i++) a.G[_w + o * nIn + i] += d * _x[r, i];
                }
                for (int i = 0; i < nIn; i++) gx[r, i] += d * a.P[_w + o * nIn + i];
            }
        return gx;
    }
}

/// <summary>
/// A convolution-like layer: pre[o, ·] = b[o] + Σ over its taps of W[tap]·x[tap], then act. Subclasses list the
/// taps (input index, weight index, output index) of one row; forward and backward follow from them.
/// </summary>
internal abstract class RefTapLayer : RefLayer
{
    private readonly int _w, _b;
    private readonly Activation _act;
    private double[,] _x = new double[0, 0], _pre = new double[0, 0];

    protected RefTapLayer(RefShape input, RefShape output, int w, int b, Activation act)
        : base(input, output)
    {
        _w = w;
        _b = b;
        _act = act;
    }

    /// <summary>Calls <paramref name="visit"/>(input index, weight index, output index) for every product of one row.</summary>
    protected abstract void Taps(Action<int, int, int> visit);

    public override double[,] Forward(RefArena a, double[,] x, RefPass pass)
    {
        int rows = x.GetLength(0);
        _x = x;
        _pre = new double[rows, Out.Size];
        var p = a.P;
        for (int r = 0; r < rows; r++)
        {
            for (int o = 0; o < Out.C; o++)
                for (int q = 0; q < Out.Pixels; q++) _pre[r, o * Out.Pixels + q] = p[_b + o];
            int row = r;
            Taps((xi, wi, yi) => _pre[row, yi] += p[_w + wi] * x[row, xi]);
        }
        return Activate(_act, _pre);
    }

    public override double[,] Backward(RefArena a, double[,] gy, bool parameterGradients)
    {
        int rows = gy.GetLength(0);
        var g = ThroughActivation(_act, _pre, gy);
        var gx = new double[rows, In.Size];
        for (int r = 0; r < rows; r++)
        {
            int row = r;
            if (parameterGradients)
            {
                for (int o = 0; o < Out.C; o++)
                    for (int q = 0; q < Out.Pixels; q++) a.G[_b + o] += g[r, o * Out.Pixels + q];
                Taps((xi, wi, yi) => a.G[_w + wi] += g[row, yi] * _x[row, xi]);
            }
            Taps((xi, wi, yi) => gx[row, xi] += g[row, yi] * a.P[_w + wi]);
        }
        return gx;
    }
}

/// <summary>
/// torch.nn.Conv2d, naively: y[o, i, j] = act(b[o] + Σ_c,u,v W[o, c, u, v]·x[c, i·s − p + u, j·s − p + v]),
/// zeros outside the input; W [out, in, k, k].
/// </summary>
internal sealed class RefConv2d : RefTapLayer
{
    private readonly int _k, _s, _p;

    public RefConv2d(RefShape input, int channels, int kernel, int stride, int padding, int w, int b, Activation act)
        : base(input, new RefShape(channels, (input.H + 2 * padding - kernel) / stride + 1, (input.W + 2 * padding - kernel) / stride + 1), w, b, act)
    {
        _k = kernel;
        _s = stride;
        _p = padding;
    }

    protected override void Taps(Action<int, int, int> visit)
    {
        for (int o = 0; o < Out.C; o++)
            for (int i = 0; i < Out.H; i++)
                for (int j = 0; j < Out.W; j++)
                    for (int c = 0; c < In.C; c++)
                        for (int u = 0; u < _k; u++)
                        {
                            int yi = i * _s - _p + u;
                            if (yi < 0 || yi >= In.H) continue;
                            for (int v = 0; v < _k; v++)
                            {
                                int xi = j * _s - _p + v;
                                if (xi < 0 || xi >= In.W) continue;
                                visit((c * In.H + yi) * In.W + xi, ((o * In.C + c) * _k + u) * _k + v, (o * Out.H + i) * Out.W + j);
                            }
                        }
    }
}

/// <summary>
/// torch.nn.ConvTranspose2d, naively (a scatter): y[o, i·s − p + u, j·s − p + v] += x[c, i, j]·W[c, o, u, v] for
/// every input pixel and tap that lands inside the output, then + b[o] and act. W [in, out, k, k]; the output
/// side is (side − 1)·s − 2p + k + output padding (the output padding adds rows and columns at the bottom and right).
/// </summary>
internal sealed class RefConvTranspose2d : RefTapLayer
{
    private readonly int _k, _s, _p;

    public RefConvTranspose2d(RefShape input, int channels, int kernel, int stride, int padding, int outputPadding, int w, int b, Activation act)
        : base(input, new RefShape(channels, (input.H - 1) * stride - 2 * padding + kernel + outputPadding, (input.W - 1) * stride - 2 * padding + kernel + outputPadding), w, b, act)
    {
        _k = kernel;
        _s = stride;
        _p = padding;
    }

    protected override void Taps(Action<int, int, int> visit)
    {
        for (int c = 0; c < In.C; c++)
            for (int i = 0; i < In.H; i++)
                for (int j = 0; j < In.W; j++)
                    for (int o = 0; o < Out.C; o++)
                        for (int u = 0; u < _k; u++)
                        {
                            int yi = i * _s - _p + u;
                            if (yi < 0 || yi >= Out.H) continue;
                            for (int v = 0; v < _k; v++)
                            {
                                int xi = j * _s - _p + v;
                                if (xi < 0 || xi >= Out.W) continue;
                                visit((c * In.H + i) * In.W + j, ((c * Out.C + o) * _k + u) * _k + v, (o * Out.H + yi) * Out.W + xi);
                            }
                        }
    }
}

/// <summary>
/// torch.nn.BatchNorm2d/1d then an activation: per channel (over rows and pixels, N values) training uses
/// the batch mean and biased variance, x̂ = (x − μ)/√(σ² + ε), y = act(γ·x̂ + β), and (when asked) updates
/// running = 0.9·running + 0.1·batch with the unbiased variance σ²·N/(N − 1); evaluation uses the running ones.
/// </summary>
internal sealed class RefBatchNorm : RefLayer
{
    public const double Eps = 1e-5, Momentum = 0.1;
    private readonly int _gamma, _beta, _mean, _var;
    private readonly Activation _act;
    private double[,] _xhat = new double[0, 0], _pre = new double[0, 0];
    private double[] _invStd = Array.Empty<double>();
    private bool _training;

    public RefBatchNorm(RefShape input, int gamma, int beta, int runningMean, int runningVar, Activation act)
        : base(input, input)
    {
        _gamma = gamma;
        _beta = beta;
        _mean = runningMean;
        _var = runningVar;
        _act = act;
    }

    public override double[,] Forward(RefArena a, double[,] x, RefPass pass)
    {
        int rows = x.GetLength(0), C = In.C, P = In.Pixels, n = rows * P;
        _training = pass.Training;
        _xhat = new double[rows, In.Size];
        _pre = new double[rows, In.Size];
        _invStd = new double[C];
        for (int c = 0; c < C; c++)
        {
            double mean, variance;
            if (pass.Training)
            {
                double s = 0;
                for (int r = 0; r < rows; r++)
                    for (int q = 0; q < P; q++) s += x[r, c * P + q];
                mean = s / n;
                double v = 0;
                for (int r = 0; r < rows; r++)
                    for (int q = 0; q < P; q++) v += (x[r, c * P + q] - mean) * (x[r, c * P + q] - mean);
                variance = v / n;
                if (pass.UpdateRunning)
                {
                    a.Buffers[_mean + c] = (1 - Momentum) * a.Buffers[_mean + c] + Momentum * mean;
                    a.Buffers[_var + c] = (1 - Momentum) * a.Buffers[_var + c] + Momentum * v / (n - 1);
                }
            }
            else
            {
                mean = a.Buffers[_mean + c];
                variance = a.Buffers[_var + c];
            }
            double invStd = 1 / Math.Sqrt(variance + Eps);
            _invStd[c] = invStd;
            for (int r = 0; r < rows; r++)
                for (int q = 0; q < P; q++)
                {
                    int j = c * P + q;
                    _xhat[r, j] = (x[r, j] - mean) * invStd;
                    _pre[r, j] = a.P[_gamma + c] * _xhat[r, j] + a.P[_beta + c];
                }
        }
        return Activate(_act, _pre);
    }

    public override double[,] Backward(RefArena a, double[,] gy, bool parameterGradients)
    {
        int rows = gy.GetLength(0), C = In.C, P = In.Pixels, n = rows * P;
        var g = ThroughActivation(_act, _pre, gy);
        var gx = new double[rows, In.Size];
        for (int c = 0; c < C; c++)
        {
            double sumG = 0, sumGx = 0;
            for (int r = 0; r < rows; r++)
                for (int q = 0; q < P; q++)
                {
                    sumG += g[r, c * P + q];
                    sumGx += g[r, c * P + q] * _xhat[r, c * P + q];
                }
            if (parameterGradients)
            {
                a.G[_gamma + c] += sumGx;
                a.G[_beta + c] += sumG;
            }
            double gamma = a.P[_gamma + c], invStd = _invStd[c];
            for (int r = 0; r < rows; r++)
                for (int q = 0; q < P; q++)
                {
                    int j = c * P + q;
                    // training: x̂ depends on the batch's μ and σ²: ∂L/∂x = γ·invStd/N·(N·g − Σg − x̂·Σ(g·x̂)); evaluation: γ·invStd·g
                    gx[r, j] = _training
                        ? gamma * invStd / n * (n * g[r, j] - sumG - _xhat[r, j] * sumGx)
                        : gamma * invStd * g[r, j];
                }
        }
        return gx;
    }
}

/// <summary>Flatten or Unflatten: the rows are already flat (NCHW), so only the shape changes.</summary>
internal sealed class RefReshape : RefLayer
{
    public RefReshape(RefShape input, RefShape output)
        : base(input, output)
    {
        if (input.Size != output.Size) throw new InvalidOperationException($"cannot reshape {input} to {output}");
    }

    public override double[,] Forward(RefArena a, double[,] x, RefPass pass) => x;

    public override double[,] Backward(RefArena a, double[,] gy, bool parameterGradients) => gy;
}
