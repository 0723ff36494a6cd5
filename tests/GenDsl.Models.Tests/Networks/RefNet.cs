using GenDsl.Models.Tests.Reference;

namespace GenDsl.Models.Tests.Networks;

/// <summary>
/// Double-precision reference of a fully connected network read from a generated model's parameter
/// arena by tensor name (W [out, in] row-major, b [out]), with a hand-written backward pass.
/// </summary>
internal sealed class RefNet
{
    private readonly (int W, int B, int In, int Out, Activation Act)[] _layers;

    public RefNet(IGenerativeModel model, string[] weightNames, Activation[] activations)
    {
        _layers = new (int, int, int, int, Activation)[weightNames.Length];
        for (int i = 0; i < weightNames.Length; i++)
        {
            var w = model.Tensors.Single(t => t.Name == weightNames[i] + ".weight");
            var b = model.Tensors.Single(t => t.Name == weightNames[i] + ".bias");
            _layers[i] = (w.Offset, b.Offset, w.Shape[1], w.Shape[0], activations[i]);
        }
    }

    public int InputWidth => _layers[0].In;

    /// <summary>Every layer's output (index 0 is the input).</summary>
    public double[][,] Forward(double[] p, double[,] input)
    {
        var outs = new double[_layers.Length + 1][,];
        outs[0] = input;
        int rows = input.GetLength(0);
        for (int l = 0; l < _layers.Length; l++)
        {
            var (w, b, nIn, nOut, act) = _layers[l];
            var y = new double[rows, nOut];
            for (int r = 0; r < rows; r++)
                for (int o = 0; o < nOut; o++)
                {
                    double s = p[b + o];
                    for (int i = 0; i < nIn; i++) s += p[w + o * nIn + i] * outs[l][r, i];
                    y[r, o] = RefActivation.Apply(act, s);
                }
            outs[l + 1] = y;
        }
        return outs;
    }

    /// <summary>∂(output column 0)/∂input for every row, by reverse mode in double (f′ taken from each layer's output).</summary>
    public double[,] InputGradient(double[] p, double[][,] outs)
    {
        int rows = outs[0].GetLength(0);
        var gy = new double[rows, 1];
        for (int r = 0; r < rows; r++) gy[r, 0] = 1;
        for (int l = _layers.Length - 1; l >= 0; l--)
        {
            var (w, _, nIn, nOut, act) = _layers[l];
            var y = outs[l + 1];
            var gx = new double[rows, nIn];
            for (int r = 0; r < rows; r++)
                for (int o = 0; o < nOut; o++)
                {
                    double gPre = gy[r, o] * DerivativeFromOutput(act, y[r, o]);
                    for (int i = 0; i < nIn; i++) gx[r, i] += gPre * p[w + o * nIn + i];
                }
            gy = gx;
        }
        return gy;
    }

    private static double DerivativeFromOutput(Activation act, double y) => act switch
    {
        Activation.Identity => 1,
        Activation.Relu => y > 0 ? 1 : 0,
        Activation.LeakyRelu => y > 0 ? 1 : RefActivation.LeakySlope,
        _ => throw new ArgumentOutOfRangeException(nameof(act), act, "the reference input gradient is for piecewise-linear critics"),
    };

    public static double Softplus(double x) => Math.Max(x, 0) + Math.Log(1 + Math.Exp(-Math.Abs(x)));

    public static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    public static double[,] Concat(double[,] a, double[,]? b)
    {
        if (b is null) return a;
        int rows = a.GetLength(0), n = a.GetLength(1), m = b.GetLength(1);
        var c = new double[rows, n + m];
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < n; j++) c[r, j] = a[r, j];
            for (int j = 0; j < m; j++) c[r, n + j] = b[r, j];
        }
        return c;
    }

    public static double[,] To2D(float[] a, int rows, int cols)
    {
        var m = new double[rows, cols];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                m[r, c] = a[r * cols + c];
        return m;
    }

    public static double[] ToDouble(ReadOnlySpan<float> s)
    {
        var d = new double[s.Length];
        for (int i = 0; i < s.Length; i++) d[i] = s[i];
        return d;
    }

    /// <summary>Max |a − b| ≤ tol · max(1, max |a|).</summary>
    public static void AssertClose(double[] expected, double[] actual, double tol, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = Math.Max(1, expected.Select(Math.Abs).DefaultIfEmpty(0).Max());
        for (int i = 0; i < expected.Length; i++)
        {
            double err = Math.Abs(expected[i] - actual[i]);
            Assert.True(err <= tol * scale, $"{what}[{i}]: expected {expected[i]}, got {actual[i]} (|err| {err:g3} > {tol * scale:g3})");
        }
    }

    /// <summary>Central finite difference of <paramref name="f"/> with respect to p[i].</summary>
    public static double FiniteDifference(Func<double[], double> f, double[] p, int i, double h = 1e-6)
    {
        double saved = p[i];
        p[i] = saved + h;
        double up = f(p);
        p[i] = saved - h;
        double down = f(p);
        p[i] = saved;
        return (up - down) / (2 * h);
    }
}

/// <summary>An optimizer that does nothing: lets a test read the gradients of a whole TrainStep.</summary>
internal sealed class NoStep : Optimizer
{
    public NoStep(IParameterized target) : base(target)
    {
    }

    public override Span<float> State => Span<float>.Empty;

    public override void Step()
    {
    }
}
