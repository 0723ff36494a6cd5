namespace GenDsl.Models.Tests.Reference;

/// <summary>
/// A view of one parameter tensor (or of its gradient) inside a flat arena of doubles: element
/// <c>[i]</c> of a vector, or <c>[row, col]</c> of a row-major matrix. Indices are checked.
/// </summary>
internal readonly struct TensorView
{
    private readonly double[] _arena;
    private readonly int _offset;

    public TensorView(double[] arena, int offset, int rows, int cols)
    {
        _arena = arena;
        _offset = offset;
        Rows = rows;
        Cols = cols;
    }

    /// <summary>Rows of the matrix (the length, for a vector).</summary>
    public int Rows { get; }

    /// <summary>Columns of the matrix (1 for a vector).</summary>
    public int Cols { get; }

    public ref double this[int i]
    {
        get
        {
            if ((uint)i >= (uint)(Rows * Cols)) throw new InvalidOperationException($"index {i} outside a tensor of {Rows * Cols} elements");
            return ref _arena[_offset + i];
        }
    }

    public ref double this[int row, int col]
    {
        get
        {
            if ((uint)row >= (uint)Rows || (uint)col >= (uint)Cols) throw new InvalidOperationException($"[{row}, {col}] outside a {Rows}×{Cols} tensor");
            return ref _arena[_offset + row * Cols + col];
        }
    }
}

/// <summary>The activation functions in double precision, and their derivatives.</summary>
internal static class RefActivation
{
    /// <summary>Slope of LeakyRelu for negative inputs, as the flow spec fixes it.</summary>
    public const double LeakySlope = 0.2;

    public static double Apply(Activation act, double x) => act switch
    {
        Activation.Identity => x,
        Activation.Relu => x > 0 ? x : 0,
        Activation.LeakyRelu => x > 0 ? x : LeakySlope * x,
        Activation.Tanh => Math.Tanh(x),
        Activation.Sigmoid => 1 / (1 + Math.Exp(-x)),
        // ln(1 + e^x) = max(x, 0) + ln(1 + e^(−|x|)), which never overflows.
        Activation.Softplus => Math.Max(x, 0) + Math.Log(1 + Math.Exp(-Math.Abs(x))),
        _ => throw new ArgumentOutOfRangeException(nameof(act), act, "unknown activation"),
    };

    /// <summary>d act(x) / dx from the pre-activation x (at the kink x = 0 of Relu/LeakyRelu: the left slope).</summary>
    public static double Derivative(Activation act, double x)
    {
        switch (act)
        {
            case Activation.Identity: return 1;
            case Activation.Relu: return x > 0 ? 1 : 0;
            case Activation.LeakyRelu: return x > 0 ? 1 : LeakySlope;
            case Activation.Tanh: { double t = Math.Tanh(x); return 1 - t * t; }
            case Activation.Sigmoid: { double s = 1 / (1 + Math.Exp(-x)); return s * (1 - s); }
            case Activation.Softplus: return 1 / (1 + Math.Exp(-x)); // softplus' = sigmoid
            default: throw new ArgumentOutOfRangeException(nameof(act), act, "unknown activation");
        }
    }
}

/// <summary>
/// The small MLP inside a coupling layer: h_0 = a; h_l = act(h_{l−1}·W_{l−1}ᵀ + b_{l−1}) for
/// l = 1..n; o = h_n·W_nᵀ + b_n (no activation on the output). Its parameters are the views
/// w[2l] = W_l [out, in] and w[2l+1] = b_l [out], l = 0..n.
/// </summary>
internal static class RefMlp
{
    /// <summary>Forward. <paramref name="h"/>[l] is h_l (h[0] = a); <paramref name="pre"/>[l] is the pre-activation of h_l (pre[0] unused).</summary>
    public static double[,] Forward(TensorView[] w, int hiddenLayers, Activation act, double[,] a, out double[][,] pre, out double[][,] h)
    {
        int n = hiddenLayers;
        pre = new double[n + 1][,];
        h = new double[n + 1][,];
        h[0] = a;
        for (int l = 1; l <= n; l++)
        {
            pre[l] = Dense(h[l - 1], w[2 * (l - 1)], w[2 * (l - 1) + 1]);
            h[l] = new double[pre[l].GetLength(0), pre[l].GetLength(1)];
            for (int r = 0; r < pre[l].GetLength(0); r++)
                for (int c = 0; c < pre[l].GetLength(1); c++)
                    h[l][r, c] = RefActivation.Apply(act, pre[l][r, c]);
        }
        return Dense(h[n], w[2 * n], w[2 * n + 1]);
    }

    /// <summary>
    /// Backward: given dLoss/do, ADDS dLoss/dW_l and dLoss/db_l into the gradient views
    /// <paramref name="g"/> (same order as <paramref name="w"/>) and returns dLoss/da.
    /// </summary>
    public static double[,] Backward(TensorView[] w, TensorView[] g, int hiddenLayers, Activation act, double[][,] pre, double[][,] h, double[,] dOut)
    {
        double[,] dCur = dOut; // dLoss/d(output of linear layer l): of o, then of pre[l]
        for (int l = hiddenLayers; ; l--)
        {
            TensorView W = w[2 * l], dW = g[2 * l], db = g[2 * l + 1];
            double[,] input = h[l];
            int batch = input.GetLength(0), nIn = W.Cols, nOut = W.Rows;
            // forward: out[r,o] = Σ_i input[r,i]·W[o,i] + b[o]
            var dInput = new double[batch, nIn];
            for (int r = 0; r < batch; r++)
            {
                for (int o = 0; o < nOut; o++)
                {
                    double d = dCur[r, o];
                    db[o] += d;
                    for (int i = 0; i < nIn; i++)
                    {
                        dW[o, i] += d * input[r, i];
                        dInput[r, i] += d * W[o, i];
                    }
                }
            }
            if (l == 0) return dInput;
            // forward: h_l = act(pre_l)  ⇒  dLoss/dpre_l = dLoss/dh_l ⊙ act'(pre_l)
            dCur = new double[batch, nIn];
            for (int r = 0; r < batch; r++)
                for (int i = 0; i < nIn; i++)
                    dCur[r, i] = dInput[r, i] * RefActivation.Derivative(act, pre[l][r, i]);
        }
    }

    /// <summary>out[r,o] = Σ_i x[r,i]·W[o,i] + b[o].</summary>
    private static double[,] Dense(double[,] x, TensorView W, TensorView b)
    {
        int batch = x.GetLength(0), nIn = W.Cols, nOut = W.Rows;
        if (x.GetLength(1) != nIn) throw new InvalidOperationException($"layer expects {nIn} inputs, got {x.GetLength(1)}");
        var result = new double[batch, nOut];
        for (int r = 0; r < batch; r++)
            for (int o = 0; o < nOut; o++)
            {
                double sum = b[o];
                for (int i = 0; i < nIn; i++) sum += x[r, i] * W[o, i];
                result[r, o] = sum;
            }
        return result;
    }
}
