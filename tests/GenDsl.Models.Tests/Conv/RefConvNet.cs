using GenDsl.Models.Tests.Networks;

namespace GenDsl.Models.Tests.ConvNets;

/// <summary>
/// A double-precision reference network built layer by layer from a model's tensor table: each layer
/// finds its tensors by checkpoint name and asserts their shapes (PyTorch's layouts: dense [out, in],
/// conv [out, in, k, k], conv-transpose [in, out, k, k]) against the shapes the reference computes itself.
/// </summary>
internal sealed class RefNetwork
{
    private readonly IGenerativeModel _model;
    private readonly List<RefLayer> _layers = new();
    private RefShape _shape;

    public RefNetwork(IGenerativeModel model, RefShape input)
    {
        _model = model;
        Input = input;
        _shape = input;
    }

    public RefShape Input { get; }

    public RefShape Output => _shape;

    /// <summary>Names of the learned tensors of this network.</summary>
    public List<string> TensorNames { get; } = new();

    private int Tensor(string name, params int[] shape)
    {
        var t = _model.Tensors.SingleOrDefault(t => t.Name == name) ?? throw new InvalidOperationException($"the model has no tensor {name}");
        Assert.True(shape.SequenceEqual(t.Shape), $"{name}: the model's shape [{string.Join(", ", t.Shape)}], the reference's [{string.Join(", ", shape)}]");
        if (!t.IsBuffer) TensorNames.Add(name);
        return t.Offset;
    }

    private RefNetwork Add(RefLayer layer)
    {
        _layers.Add(layer);
        _shape = layer.Out;
        return this;
    }

    public RefNetwork Dense(string name, int width, Activation act) =>
        Add(new RefDense(_shape, width, Tensor(name + ".weight", width, _shape.Size), Tensor(name + ".bias", width), act));

    public RefNetwork Conv(string name, int channels, int kernel, int stride, int padding, Activation act) =>
        Add(new RefConv2d(_shape, channels, kernel, stride, padding,
            Tensor(name + ".weight", channels, _shape.C, kernel, kernel), Tensor(name + ".bias", channels), act));

    public RefNetwork ConvTranspose(string name, int channels, int kernel, int stride, int padding, int outputPadding, Activation act) =>
        Add(new RefConvTranspose2d(_shape, channels, kernel, stride, padding, outputPadding,
            Tensor(name + ".weight", _shape.C, channels, kernel, kernel), Tensor(name + ".bias", channels), act));

    public RefNetwork BatchNorm(string name, Activation act) =>
        Add(new RefBatchNorm(_shape, Tensor(name + ".weight", _shape.C), Tensor(name + ".bias", _shape.C),
            Tensor(name + ".running_mean", _shape.C), Tensor(name + ".running_var", _shape.C), act));

    public RefNetwork Flatten() => Add(new RefReshape(_shape, RefShape.Vector(_shape.Size)));

    public RefNetwork Unflatten(int c, int h, int w) => Add(new RefReshape(_shape, new RefShape(c, h, w)));

    public double[,] Forward(RefArena a, double[,] x, RefPass pass)
    {
        Assert.Equal(Input.Size, x.GetLength(1));
        foreach (var layer in _layers) x = layer.Forward(a, x, pass);
        return x;
    }

    /// <summary>Backward of the last <see cref="Forward"/>: adds parameter gradients (when asked) and returns ∂L/∂input.</summary>
    public double[,] Backward(RefArena a, double[,] gy, bool parameterGradients)
    {
        for (int l = _layers.Count - 1; l >= 0; l--) gy = _layers[l].Backward(a, gy, parameterGradients);
        return gy;
    }
}

/// <summary>An image condition [C, H, W] that the data-reading network sees resized to OutH × OutW (adaptive average pooling).</summary>
internal sealed record RefConditionImage(int C, int H, int W, int OutH, int OutW);

/// <summary>How the data-reading network sees a row and its condition.</summary>
internal static class RefInput
{
    /// <summary>
    /// [x, y_0 × H·W, y_1 × H·W, …]: y_k fills channel C + k (image data); [x, y] otherwise; with an image condition,
    /// [x, y resized]: output pixel (i, j) of each channel averages y's rows ⌊i·h/H⌋ … ⌈(i+1)·h/H⌉−1 and columns likewise.
    /// </summary>
    public static double[,] WithCondition(double[,] x, double[,]? y, int pixels, RefConditionImage? image = null)
    {
        if (y is null) return x;
        if (image is not null) return RefNet.Concat(x, Resize(y, image));
        int rows = x.GetLength(0), d = x.GetLength(1), k = y.GetLength(1);
        var o = new double[rows, d + k * pixels];
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < d; j++) o[r, j] = x[r, j];
            for (int c = 0; c < k; c++)
                for (int q = 0; q < pixels; q++) o[r, d + c * pixels + q] = y[r, c];
        }
        return o;
    }

    /// <summary>Each row of y, an image [C, H, W], resized to [C, OutH, OutW] by adaptive average pooling.</summary>
    public static double[,] Resize(double[,] y, RefConditionImage image)
    {
        int rows = y.GetLength(0), outPixels = image.OutH * image.OutW;
        var o = new double[rows, image.C * outPixels];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < image.C; c++)
                for (int i = 0; i < image.OutH; i++)
                    for (int j = 0; j < image.OutW; j++)
                    {
                        int r0 = i * image.H / image.OutH, r1 = ((i + 1) * image.H + image.OutH - 1) / image.OutH;
                        int c0 = j * image.W / image.OutW, c1 = ((j + 1) * image.W + image.OutW - 1) / image.OutW;
                        double sum = 0;
                        for (int a = r0; a < r1; a++)
                            for (int b = c0; b < c1; b++) sum += y[r, (c * image.H + a) * image.W + b];
                        o[r, c * outPixels + i * image.OutW + j] = sum / ((r1 - r0) * (c1 - c0));
                    }
        return o;
    }

    /// <summary>The first <paramref name="cols"/> columns.</summary>
    public static double[,] Columns(double[,] a, int cols)
    {
        int rows = a.GetLength(0);
        var o = new double[rows, cols];
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < cols; j++) o[r, j] = a[r, j];
        return o;
    }

    /// <summary>a's rows, then b's.</summary>
    public static double[,] Stack(double[,] a, double[,] b)
    {
        int n = a.GetLength(0), m = b.GetLength(0), cols = a.GetLength(1);
        var o = new double[n + m, cols];
        for (int r = 0; r < n; r++)
            for (int j = 0; j < cols; j++) o[r, j] = a[r, j];
        for (int r = 0; r < m; r++)
            for (int j = 0; j < cols; j++) o[n + r, j] = b[r, j];
        return o;
    }

    public static double[] Flat(double[,] a)
    {
        var o = new double[a.Length];
        int cols = a.GetLength(1);
        for (int r = 0; r < a.GetLength(0); r++)
            for (int j = 0; j < cols; j++) o[r * cols + j] = a[r, j];
        return o;
    }
}

/// <summary>The conv VAE's negative ELBO in double, with its gradient by reverse mode.</summary>
internal sealed class RefConvVae
{
    private readonly int _d, _z, _pixels, _likelihood;
    private readonly double _beta, _sigma;

    public RefConvVae(RefNetwork encoder, RefNetwork decoder, int features, int latent, int pixels, Likelihood likelihood, double beta = 1, double sigma = 1)
    {
        Encoder = encoder;
        Decoder = decoder;
        _d = features;
        _z = latent;
        _pixels = pixels;
        _likelihood = (int)likelihood;
        _beta = beta;
        _sigma = sigma;
        Assert.Equal(2 * latent, encoder.Output.Size);
        Assert.Equal(likelihood == Likelihood.Gaussian ? 2 * features : features, decoder.Output.Size);
    }

    public RefNetwork Encoder { get; }

    public RefNetwork Decoder { get; }

    /// <summary>An image condition the encoder reads resized (null: y as constant channels).</summary>
    public RefConditionImage? ConditionImage { get; init; }

    /// <summary>
    /// mean over rows of rec + β·KL with z = μ + σ ⊙ ε; with <paramref name="gradient"/>, ADDS ∂loss/∂parameters
    /// into <see cref="RefArena.G"/>. The networks run in <paramref name="pass"/> (batch statistics in a training pass).
    /// </summary>
    public (double Loss, double Rec, double Kl) Loss(RefArena a, double[,] x, double[,]? y, double[,] eps, RefPass pass, bool gradient)
    {
        int rows = x.GetLength(0), z = _z, d = _d;
        var head = Encoder.Forward(a, RefInput.WithCondition(x, y, _pixels, ConditionImage), pass);
        var zz = new double[rows, z];
        double kl = 0;
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < z; j++)
            {
                double mu = head[r, j], lv = head[r, z + j];
                zz[r, j] = mu + Math.Exp(0.5 * lv) * eps[r, j];
                kl += 0.5 * (mu * mu + Math.Exp(lv) - lv - 1);
            }
        var o = Decoder.Forward(a, RefNet.Concat(zz, y), pass);
        var go = new double[rows, o.GetLength(1)];
        double rec = 0;
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < d; j++)
            {
                double t = x[r, j], m = o[r, j];
                switch (_likelihood)
                {
                    case 0:
                        rec += RefNet.Softplus(m) - t * m;
                        go[r, j] = (RefNet.Sigmoid(m) - t) / rows;
                        break;
                    case 1:
                        double v = o[r, d + j], e = (t - m) * (t - m) * Math.Exp(-v);
                        rec += 0.5 * (e + v + Math.Log(2 * Math.PI));
                        go[r, j] = -(t - m) * Math.Exp(-v) / rows;
                        go[r, d + j] = 0.5 * (1 - e) / rows;
                        break;
                    default:
                        rec += 0.5 * ((t - m) * (t - m) / (_sigma * _sigma) + Math.Log(_sigma * _sigma) + Math.Log(2 * Math.PI));
                        go[r, j] = -(t - m) / (_sigma * _sigma) / rows;
                        break;
                }
            }
        if (gradient)
        {
            var gIn = Decoder.Backward(a, go, parameterGradients: true);
            var gHead = new double[rows, 2 * z];
            for (int r = 0; r < rows; r++)
                for (int j = 0; j < z; j++)
                {
                    double mu = head[r, j], sigma = Math.Exp(0.5 * head[r, z + j]);
                    gHead[r, j] = gIn[r, j] + _beta * mu / rows;
                    gHead[r, z + j] = 0.5 * (gIn[r, j] * eps[r, j] * sigma + _beta * (sigma * sigma - 1) / rows);
                }
            Encoder.Backward(a, gHead, parameterGradients: true);
        }
        return ((rec + _beta * kl) / rows, rec / rows, kl / rows);
    }
}

/// <summary>The conv GAN's two losses in double, with their gradients by reverse mode, as the generated TrainStep computes them.</summary>
internal sealed class RefConvGan
{
    private readonly int _d, _pixels;
    private readonly GanLoss _loss;

    public RefConvGan(RefNetwork generator, RefNetwork discriminator, int features, int pixels, GanLoss loss)
    {
        Generator = generator;
        Discriminator = discriminator;
        _d = features;
        _pixels = pixels;
        _loss = loss;
        Assert.Equal(features, generator.Output.Size);
        Assert.Equal(1, discriminator.Output.Size);
        Assert.NotEqual(GanLoss.Wasserstein, loss); // the penalty needs a dense critic (GD0014)
    }

    public RefNetwork Generator { get; }

    public RefNetwork Discriminator { get; }

    /// <summary>An image condition the discriminator reads resized (null: y as constant channels).</summary>
    public RefConditionImage? ConditionImage { get; init; }

    public double[,] Generate(RefArena a, double[,] z, double[,]? y, RefPass pass) => Generator.Forward(a, RefNet.Concat(z, y), pass);

    /// <summary>
    /// The discriminator's loss on real and fake rows, which it sees as ONE batch of 2·rows (real first: batch
    /// statistics mix them); with <paramref name="gradient"/>, ADDS ∂/∂(discriminator parameters).
    /// </summary>
    public double DiscriminatorLoss(RefArena a, double[,] real, double[,] fake, double[,]? y, RefPass pass, bool gradient)
    {
        int rows = real.GetLength(0);
        var input = RefInput.Stack(RefInput.WithCondition(real, y, _pixels, ConditionImage), RefInput.WithCondition(fake, y, _pixels, ConditionImage));
        var logit = Discriminator.Forward(a, input, pass);
        var g = new double[2 * rows, 1];
        double s = 0;
        for (int r = 0; r < rows; r++)
        {
            double lr = logit[r, 0], lf = logit[rows + r, 0];
            if (_loss == GanLoss.Hinge)
            {
                s += Math.Max(0, 1 - lr) + Math.Max(0, 1 + lf);
                g[r, 0] = lr < 1 ? -1.0 / rows : 0;
                g[rows + r, 0] = lf > -1 ? 1.0 / rows : 0;
            }
            else
            {
                s += RefNet.Softplus(-lr) + RefNet.Softplus(lf);
                g[r, 0] = (RefNet.Sigmoid(lr) - 1) / rows;
                g[rows + r, 0] = RefNet.Sigmoid(lf) / rows;
            }
        }
        if (gradient) Discriminator.Backward(a, g, parameterGradients: true);
        return s / rows;
    }

    /// <summary>
    /// The generator's loss on f(z) (the discriminator sees the fake rows alone); with <paramref name="gradient"/>,
    /// ADDS ∂/∂(generator parameters) only, through the discriminator's input gradient.
    /// </summary>
    public double GeneratorLoss(RefArena a, double[,] z, double[,]? y, RefPass pass, bool gradient)
    {
        int rows = z.GetLength(0);
        var fake = Generate(a, z, y, pass);
        var logit = Discriminator.Forward(a, RefInput.WithCondition(fake, y, _pixels, ConditionImage), pass);
        var g = new double[rows, 1];
        double s = 0;
        for (int r = 0; r < rows; r++)
        {
            double l = logit[r, 0];
            switch (_loss)
            {
                case GanLoss.NonSaturating:
                    s += RefNet.Softplus(-l);
                    g[r, 0] = (RefNet.Sigmoid(l) - 1) / rows;
                    break;
                case GanLoss.Minimax:
                    s -= RefNet.Softplus(l);
                    g[r, 0] = -RefNet.Sigmoid(l) / rows;
                    break;
                default:
                    s -= l;
                    g[r, 0] = -1.0 / rows;
                    break;
            }
        }
        if (gradient)
        {
            var gIn = Discriminator.Backward(a, g, parameterGradients: false);
            Generator.Backward(a, RefInput.Columns(gIn, _d), parameterGradients: true);
        }
        return s / rows;
    }
}
