namespace GenDsl.Models.Tests.Reference;

// Layers of image flows ([Flow(Channels = C, Height = H, Width = W)]): each row of D = C·H·W features is an image
// stored channel-major [C, H, W] (feature (c·H + h)·W + w is pixel (h, w) of channel c), the layers' shapes as the
// flow tracks them (docs/flow-layers.md, "Image flows"). Same three methods as the other reference layers.

/// <summary>
/// Squeeze: torch's <c>x.view(B, C, H/2, 2, W/2, 2).permute(0, 1, 3, 5, 2, 4).reshape(B, 4C, H/2, W/2)</c>, computed
/// here literally as a strided view, a permutation of its axes and a row-major read-out (no closed formula);
/// logDet += 0; no parameters.
/// </summary>
/// <param name="Channels">C of the image the layer receives.</param>
/// <param name="Height">H (even).</param>
/// <param name="Width">W (even).</param>
public sealed record RefSqueeze(int Channels, int Height, int Width) : RefLayer
{
    /// <summary>π with v[:, j] = u[:, π[j]]: the contiguous input index behind each element of the permuted view.</summary>
    internal int[] Order()
    {
        // view(C, H/2, 2, W/2, 2) of a contiguous [C, H, W]: row-major strides of that 5-D shape.
        int[] shape = [Channels, Height / 2, 2, Width / 2, 2];
        var stride = new int[5];
        stride[4] = 1;
        for (int d = 3; d >= 0; d--) stride[d] = stride[d + 1] * shape[d + 1];
        // permute(0, 1, 3, 5, 2, 4) on (B, …) is permute(0, 2, 4, 1, 3) on the 5 image axes
        int[] axes = [0, 2, 4, 1, 3];
        var order = new int[Channels * Height * Width];
        var index = new int[5];
        for (int o = 0; o < order.Length; o++)
        {
            int source = 0;
            for (int d = 0; d < 5; d++) source += index[d] * stride[axes[d]];
            order[o] = source; // reshape reads the permuted view in row-major order
            for (int d = 4; d >= 0; d--) // odometer over the permuted shape
            {
                if (++index[d] < shape[axes[d]]) break;
                index[d] = 0;
            }
        }
        return order;
    }

    internal override IReadOnlyList<(string Suffix, int[] Shape)> Tensors(int features, int condition) => [];

    internal override void Validate(int features, int condition)
    {
        if (Height % 2 != 0 || Width % 2 != 0)
            throw new ArgumentException($"A squeeze needs an even height and width, not [{Channels}, {Height}, {Width}].");
        if (features != Channels * Height * Width)
            throw new ArgumentException($"The flow has {features} features but the squeeze receives [{Channels}, {Height}, {Width}].");
    }

    internal override double[,] Forward(TensorView[] w, double[,] u, double[,] y, double[] logDet) =>
        new RefPermutation(Order()).Forward(w, u, y, logDet);

    internal override double[,] Inverse(TensorView[] w, double[,] v, double[,] y) =>
        new RefPermutation(Order()).Inverse(w, v, y);

    internal override double[,] Backward(TensorView[] w, TensorView[] g, double[,] u, double[,] y, double[,] dv, double[] dLogDet, double[,] dy) =>
        new RefPermutation(Order()).Backward(w, g, u, y, dv, dLogDet, dy);

    /// <inheritdoc/>
    public override string ToString() => $"RefSqueeze([{Channels}, {Height}, {Width}])";
}

/// <summary>
/// ActNorm of an image flow: one log-scale and bias per channel of the shape [C, H, W] it receives,
/// v[c, h, w] = u[c, h, w]·exp(ls_c) + b_c; logDet += H·W·Σ_c ls_c. Parameters: logscale [C], bias [C].
/// Its data-dependent initialisation (<see cref="Initialise"/>) takes each channel's statistics over rows and pixels.
/// </summary>
public sealed record RefChannelActNorm(int Channels, int Height, int Width) : RefLayer
{
    private int Pixels => Height * Width;

    internal override IReadOnlyList<(string Suffix, int[] Shape)> Tensors(int features, int condition) =>
        [("logscale", [Channels]), ("bias", [Channels])];

    internal override void Validate(int features, int condition)
    {
        if (features != Channels * Height * Width)
            throw new ArgumentException($"The flow has {features} features but the ActNorm receives [{Channels}, {Height}, {Width}].");
    }

    internal override double[,] Forward(TensorView[] w, double[,] u, double[,] y, double[] logDet)
    {
        TensorView ls = w[0], b = w[1];
        int batch = u.GetLength(0);
        var v = new double[batch, u.GetLength(1)];
        for (int r = 0; r < batch; r++)
            for (int c = 0; c < Channels; c++)
            {
                for (int p = 0; p < Pixels; p++)
                    v[r, c * Pixels + p] = u[r, c * Pixels + p] * Math.Exp(ls[c]) + b[c];
                logDet[r] += Pixels * ls[c];
            }
        return v;
    }

    internal override double[,] Inverse(TensorView[] w, double[,] v, double[,] y)
    {
        TensorView ls = w[0], b = w[1];
        int batch = v.GetLength(0);
        var u = new double[batch, v.GetLength(1)];
        for (int r = 0; r < batch; r++)
            for (int c = 0; c < Channels; c++)
                for (int p = 0; p < Pixels; p++)
                    u[r, c * Pixels + p] = (v[r, c * Pixels + p] - b[c]) * Math.Exp(-ls[c]);
        return u;
    }

    internal override double[,] Backward(TensorView[] w, TensorView[] g, double[,] u, double[,] y, double[,] dv, double[] dLogDet, double[,] dy)
    {
        TensorView ls = w[0], dls = g[0], db = g[1];
        int batch = u.GetLength(0);
        var du = new double[batch, u.GetLength(1)];
        for (int r = 0; r < batch; r++)
            for (int c = 0; c < Channels; c++)
            {
                double e = Math.Exp(ls[c]);
                // v = u·e^ls + b per pixel ; logDet += H·W·ls
                for (int p = 0; p < Pixels; p++)
                {
                    int j = c * Pixels + p;
                    du[r, j] = dv[r, j] * e;
                    dls[c] += dv[r, j] * u[r, j] * e;
                    db[c] += dv[r, j];
                }
                dls[c] += Pixels * dLogDet[r];
            }
        return du;
    }

    /// <summary>
    /// Glow's data-dependent initialisation per channel from the batch <paramref name="u"/> reaching this layer:
    /// ls_c = −ln(std_c + 1e-6), b_c = −mean_c·exp(ls_c), mean and population std over every row and pixel of channel c.
    /// </summary>
    internal void Initialise(TensorView[] w, double[,] u)
    {
        TensorView ls = w[0], b = w[1];
        int batch = u.GetLength(0);
        for (int c = 0; c < Channels; c++)
        {
            double mean = 0;
            for (int r = 0; r < batch; r++)
                for (int p = 0; p < Pixels; p++) mean += u[r, c * Pixels + p];
            mean /= batch * Pixels;
            double variance = 0;
            for (int r = 0; r < batch; r++)
                for (int p = 0; p < Pixels; p++) variance += (u[r, c * Pixels + p] - mean) * (u[r, c * Pixels + p] - mean);
            variance /= batch * Pixels;
            ls[c] = -Math.Log(Math.Sqrt(variance) + 1e-6);
            b[c] = -mean * Math.Exp(ls[c]);
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"RefChannelActNorm([{Channels}, {Height}, {Width}])";
}

/// <summary>
/// Glow's invertible 1×1 convolution on the shape [C, H, W] it receives: at every pixel (h, w) the channel vector
/// goes through <see cref="RefInvertibleLinear"/>'s W = P·L·(U + diag(exp(logs))) over the C channels,
/// v[:, :, h, w] = W·u[:, :, h, w]; logDet += H·W·Σ logs. Parameters: lower [C, C], upper [C, C], logs [C].
/// Computed by gathering each pixel's channel vector into its own row and applying the vector layer to those rows.
/// </summary>
/// <param name="Permutation">π over the channels (for [InvertibleConv1x1(Seed = s)]: <c>RefFlow.RandomPermutation(C, s)</c>).</param>
public sealed record RefInvertibleConv1x1(int Channels, int Height, int Width, int[] Permutation) : RefLayer
{
    private int Pixels => Height * Width;

    private RefInvertibleLinear PerPixel => new(Permutation);

    internal override IReadOnlyList<(string Suffix, int[] Shape)> Tensors(int features, int condition) =>
        [("lower", [Channels, Channels]), ("upper", [Channels, Channels]), ("logs", [Channels])];

    internal override void Validate(int features, int condition)
    {
        if (features != Channels * Height * Width)
            throw new ArgumentException($"The flow has {features} features but the 1×1 convolution receives [{Channels}, {Height}, {Width}].");
        ValidatePermutation(Permutation, Channels, nameof(Permutation));
    }

    /// <summary>Row r·H·W + p of the result is pixel p of row r: its C channel values.</summary>
    private double[,] ToPixelRows(double[,] x)
    {
        int batch = x.GetLength(0);
        var t = new double[batch * Pixels, Channels];
        for (int r = 0; r < batch; r++)
            for (int c = 0; c < Channels; c++)
                for (int p = 0; p < Pixels; p++)
                    t[r * Pixels + p, c] = x[r, c * Pixels + p];
        return t;
    }

    private double[,] FromPixelRows(double[,] t, int batch)
    {
        var x = new double[batch, Channels * Pixels];
        for (int r = 0; r < batch; r++)
            for (int c = 0; c < Channels; c++)
                for (int p = 0; p < Pixels; p++)
                    x[r, c * Pixels + p] = t[r * Pixels + p, c];
        return x;
    }

    internal override double[,] Forward(TensorView[] w, double[,] u, double[,] y, double[] logDet)
    {
        int batch = u.GetLength(0);
        var pixelLogDet = new double[batch * Pixels];
        var v = FromPixelRows(PerPixel.Forward(w, ToPixelRows(u), y, pixelLogDet), batch);
        for (int r = 0; r < batch; r++)
            for (int p = 0; p < Pixels; p++) logDet[r] += pixelLogDet[r * Pixels + p]; // H·W·Σ logs
        return v;
    }

    internal override double[,] Inverse(TensorView[] w, double[,] v, double[,] y) =>
        FromPixelRows(PerPixel.Inverse(w, ToPixelRows(v), y), v.GetLength(0));

    internal override double[,] Backward(TensorView[] w, TensorView[] g, double[,] u, double[,] y, double[,] dv, double[] dLogDet, double[,] dy)
    {
        int batch = u.GetLength(0);
        // logDet_r = Σ_p (Σ logs) ⇒ each pixel row's ∂/∂logDet is its image row's
        var pixelDLogDet = new double[batch * Pixels];
        for (int r = 0; r < batch; r++)
            for (int p = 0; p < Pixels; p++) pixelDLogDet[r * Pixels + p] = dLogDet[r];
        var du = PerPixel.Backward(w, g, ToPixelRows(u), y, ToPixelRows(dv), pixelDLogDet, dy);
        return FromPixelRows(du, batch);
    }

    /// <inheritdoc/>
    public override string ToString() => $"RefInvertibleConv1x1([{Channels}, {Height}, {Width}], [{string.Join(",", Permutation)}])";
}

/// <summary>
/// A coupling with an image mask on the shape [C, H, W] it receives, whose network is convolutional (Glow's):
/// conv 3×3 (pad 1) → act → (conv 1×1 → act) × (HiddenLayers − 1) → conv 3×3 (pad 1), torch.nn.Conv2d each
/// (the double-precision <see cref="ConvNets.RefConv2d"/>). Masks: "ChannelsFirstHalf" keeps channels 0 … ⌊C/2⌋−1,
/// "ChannelsSecondHalf" the others (the network reads the kept channels); "CheckerboardEven"/"CheckerboardOdd" keep
/// the pixels with h + w even/odd in every channel (the network reads u ⊙ b, the transformed pixels zeroed, and its
/// outputs are used at the transformed pixels only). A condition y is appended as constant channels, or, with
/// <see cref="ConditionImage"/>, as the channels of the condition image resized to H×W by adaptive average pooling
/// (output pixel (i, j) averages input rows ⌊i·h/H⌋ … ⌈(i+1)·h/H⌉−1 and columns likewise: torch's adaptive_avg_pool2d).
/// Output heads of T channels each (T = transformed channels, or C for a checkerboard): affine [r | m], additive [m];
/// at transformed feature (c, p) with head channel t: s = scale[t]·tanh(r[t, p]), v = (u − m[t, p])·exp(−s), logDet −= s
/// (additive: v = u − m). Parameters: net.l.weight [out, in, k, k], net.l.bias [out], …, then scale [T] (affine).
/// </summary>
public sealed record RefConvCoupling(int Channels, int Height, int Width, string Mask, bool Affine, int Hidden, int HiddenLayers, Activation Act) : RefLayer
{
    private int Pixels => Height * Width;

    /// <summary>The condition's image shape [C_y, H_y, W_y]; null: a vector condition, one constant channel per value.</summary>
    public (int C, int H, int W)? ConditionImage { get; init; }

    /// <summary>The channels the condition adds to the network input.</summary>
    private int ConditionChannels(int condition) => ConditionImage?.C ?? condition;

    /// <summary>The resize's weights: (input pixel, weight) of each output pixel (i, j) of one channel.</summary>
    private List<(int Source, double Weight)>[] ResizeWeights()
    {
        var (_, h, w) = ConditionImage!.Value;
        var weights = new List<(int, double)>[Pixels];
        for (int i = 0; i < Height; i++)
            for (int j = 0; j < Width; j++)
            {
                int r0 = i * h / Height, r1 = ((i + 1) * h + Height - 1) / Height;
                int c0 = j * w / Width, c1 = ((j + 1) * w + Width - 1) / Width;
                var list = new List<(int, double)>();
                for (int r = r0; r < r1; r++)
                    for (int q = c0; q < c1; q++)
                        list.Add((r * w + q, 1.0 / ((r1 - r0) * (c1 - c0))));
                weights[i * Width + j] = list;
            }
        return weights;
    }

    private bool Checkerboard => Mask.StartsWith("Checkerboard", StringComparison.Ordinal);

    /// <summary>Whether feature (c, h, w) is kept.</summary>
    private bool IsKept(int c, int h, int w) => Mask switch
    {
        "ChannelsFirstHalf" => c < Channels / 2,
        "ChannelsSecondHalf" => c >= Channels / 2,
        "CheckerboardEven" => (h + w) % 2 == 0,
        "CheckerboardOdd" => (h + w) % 2 == 1,
        _ => throw new ArgumentException($"Unknown image mask '{Mask}'."),
    };

    private bool IsKept(int feature) => IsKept(feature / Pixels, feature % Pixels / Width, feature % Width);

    /// <summary>Channels the network reads (without the condition): the kept ones, or all C for a checkerboard.</summary>
    private int InChannels => Checkerboard ? Channels : Enumerable.Range(0, Channels).Count(c => IsKept(c, 0, 0));

    /// <summary>T: channels per output head.</summary>
    private int HeadChannels => Checkerboard ? Channels : Channels - InChannels;

    /// <summary>The first transformed channel (channel masks): head channel t is channel FirstTransformed + t.</summary>
    private int FirstTransformed => Enumerable.Range(0, Channels).First(c => !IsKept(c, 0, 0));

    private (int Out, int Kernel, int Padding)[] Convs()
    {
        var convs = new List<(int, int, int)>();
        for (int l = 0; l <= HiddenLayers; l++)
            convs.Add(l == HiddenLayers ? ((Affine ? 2 : 1) * HeadChannels, 3, 1) : l == 0 ? (Hidden, 3, 1) : (Hidden, 1, 0));
        return convs.ToArray();
    }

    internal override IReadOnlyList<(string Suffix, int[] Shape)> Tensors(int features, int condition)
    {
        var list = new List<(string, int[])>();
        int inC = InChannels + ConditionChannels(condition);
        var convs = Convs();
        for (int l = 0; l < convs.Length; l++)
        {
            list.Add(($"net.{l}.weight", [convs[l].Out, inC, convs[l].Kernel, convs[l].Kernel]));
            list.Add(($"net.{l}.bias", [convs[l].Out]));
            inC = convs[l].Out;
        }
        if (Affine) list.Add(("scale", [HeadChannels]));
        return list;
    }

    internal override void Validate(int features, int condition)
    {
        if (features != Channels * Height * Width)
            throw new ArgumentException($"The flow has {features} features but the coupling receives [{Channels}, {Height}, {Width}].");
    }

    /// <summary>The network's layers over a private arena (weights copied from <paramref name="w"/>) and that arena.</summary>
    private (List<ConvNets.RefConv2d> Layers, ConvNets.RefArena Arena) Network(TensorView[] w, int condition)
    {
        var convs = Convs();
        int size = 0;
        for (int i = 0; i < 2 * convs.Length; i++) size += w[i].Rows * w[i].Cols;
        var p = new double[size];
        var layers = new List<ConvNets.RefConv2d>();
        var shape = new ConvNets.RefShape(InChannels + ConditionChannels(condition), Height, Width);
        int offset = 0;
        for (int l = 0; l < convs.Length; l++)
        {
            int wOffset = offset;
            for (int i = 0; i < w[2 * l].Rows * w[2 * l].Cols; i++) p[offset++] = w[2 * l][i];
            int bOffset = offset;
            for (int i = 0; i < w[2 * l + 1].Rows; i++) p[offset++] = w[2 * l + 1][i];
            var conv = new ConvNets.RefConv2d(shape, convs[l].Out, convs[l].Kernel, 1, convs[l].Padding, wOffset, bOffset, l == convs.Length - 1 ? Activation.Identity : Act);
            layers.Add(conv);
            shape = conv.Out;
        }
        return (layers, new ConvNets.RefArena(p, []));
    }

    /// <summary>The network input: kept channels (or u ⊙ b), then y at every pixel.</summary>
    private double[,] NetInput(double[,] u, double[,] y)
    {
        int batch = u.GetLength(0), k = y.GetLength(1), kc = ConditionChannels(k);
        var resize = ConditionImage is null ? null : ResizeWeights();
        var a = new double[batch, (InChannels + kc) * Pixels];
        for (int r = 0; r < batch; r++)
        {
            int column = 0;
            for (int j = 0; j < u.GetLength(1); j++)
            {
                if (Checkerboard) a[r, column++] = IsKept(j) ? u[r, j] : 0;
                else if (IsKept(j)) a[r, column++] = u[r, j];
            }
            if (resize is not null)
            {
                int planeIn = ConditionImage!.Value.H * ConditionImage.Value.W;
                for (int c = 0; c < kc; c++)
                    for (int p = 0; p < Pixels; p++)
                    {
                        double sum = 0;
                        foreach (var (source, weight) in resize[p]) sum += weight * y[r, c * planeIn + source];
                        a[r, column++] = sum;
                    }
            }
            else
                for (int c = 0; c < k; c++)
                    for (int p = 0; p < Pixels; p++) a[r, column++] = y[r, c];
        }
        return a;
    }

    /// <summary>Head channel t and pixel p of transformed feature j: (t·P + p) indexes a head of the network output.</summary>
    private int HeadIndex(int j) => (Checkerboard ? j / Pixels : j / Pixels - FirstTransformed) * Pixels + j % Pixels;

    private double[,] Run(List<ConvNets.RefConv2d> layers, ConvNets.RefArena arena, double[,] a)
    {
        foreach (var layer in layers) a = layer.Forward(arena, a, ConvNets.RefPass.Batch);
        return a;
    }

    internal override double[,] Forward(TensorView[] w, double[,] u, double[,] y, double[] logDet)
    {
        var (layers, arena) = Network(w, y.GetLength(1));
        var o = Run(layers, arena, NetInput(u, y));
        int batch = u.GetLength(0), T = HeadChannels * Pixels;
        var v = (double[,])u.Clone();
        for (int r = 0; r < batch; r++)
            for (int j = 0; j < u.GetLength(1); j++)
            {
                if (IsKept(j)) continue;
                int q = HeadIndex(j);
                if (Affine)
                {
                    double s = w[^1][q / Pixels] * Math.Tanh(o[r, q]), m = o[r, T + q];
                    v[r, j] = (u[r, j] - m) * Math.Exp(-s);
                    logDet[r] -= s;
                }
                else v[r, j] = u[r, j] - o[r, q];
            }
        return v;
    }

    internal override double[,] Inverse(TensorView[] w, double[,] v, double[,] y)
    {
        var (layers, arena) = Network(w, y.GetLength(1));
        var o = Run(layers, arena, NetInput(v, y)); // u_K = v_K
        int batch = v.GetLength(0), T = HeadChannels * Pixels;
        var u = (double[,])v.Clone();
        for (int r = 0; r < batch; r++)
            for (int j = 0; j < v.GetLength(1); j++)
            {
                if (IsKept(j)) continue;
                int q = HeadIndex(j);
                u[r, j] = Affine ? v[r, j] * Math.Exp(w[^1][q / Pixels] * Math.Tanh(o[r, q])) + o[r, T + q] : v[r, j] + o[r, q];
            }
        return u;
    }

    internal override double[,] Backward(TensorView[] w, TensorView[] g, double[,] u, double[,] y, double[,] dv, double[] dLogDet, double[,] dy)
    {
        int k = y.GetLength(1);
        var (layers, arena) = Network(w, k);
        var o = Run(layers, arena, NetInput(u, y));
        int batch = u.GetLength(0), T = HeadChannels * Pixels;
        var du = (double[,])dv.Clone(); // v_K = u_K
        var dO = new double[batch, o.GetLength(1)];
        for (int r = 0; r < batch; r++)
            for (int j = 0; j < u.GetLength(1); j++)
            {
                if (IsKept(j)) continue;
                int q = HeadIndex(j);
                if (Affine)
                {
                    int t = q / Pixels;
                    double tanh = Math.Tanh(o[r, q]), s = w[^1][t] * tanh, e = Math.Exp(-s), m = o[r, T + q];
                    double vj = (u[r, j] - m) * e;
                    du[r, j] = dv[r, j] * e;                          // ∂v/∂u = e^(−s)
                    dO[r, T + q] = -dv[r, j] * e;                      // ∂v/∂m = −e^(−s)
                    double ds = -dv[r, j] * vj - dLogDet[r];          // ∂v/∂s = −v ; logDet −= s
                    g[^1][t] += ds * tanh;                            // s = scale·tanh(r)
                    dO[r, q] = ds * w[^1][t] * (1 - tanh * tanh);
                }
                else dO[r, q] = -dv[r, j];                            // v = u − m
            }
        for (int l = layers.Count - 1; l >= 0; l--) dO = layers[l].Backward(arena, dO, true);
        // dO is now ∂L/∂(network input): back to the kept features of u, and y's channels summed over the pixels
        for (int r = 0; r < batch; r++)
        {
            int column = 0;
            for (int j = 0; j < u.GetLength(1); j++)
            {
                if (Checkerboard) { if (IsKept(j)) du[r, j] += dO[r, column]; column++; }
                else if (IsKept(j)) du[r, j] += dO[r, column++];
            }
            if (ConditionImage is { } image)
            {
                var resize = ResizeWeights();
                for (int c = 0; c < image.C; c++)
                    for (int p = 0; p < Pixels; p++, column++)
                        foreach (var (source, weight) in resize[p]) dy[r, c * image.H * image.W + source] += weight * dO[r, column];
            }
            else
                for (int c = 0; c < k; c++)
                    for (int p = 0; p < Pixels; p++) dy[r, c] += dO[r, column++];
        }
        // the private arena's gradients into g, tensor by tensor
        int offset = 0;
        for (int i = 0; i < 2 * layers.Count; i++)
            for (int e = 0; e < g[i].Rows * g[i].Cols; e++) g[i][e] += arena.G[offset++];
        return du;
    }

    /// <inheritdoc/>
    public override string ToString() => $"RefConvCoupling([{Channels}, {Height}, {Width}], {Mask}, {(Affine ? "affine" : "additive")}, {Hidden}, {HiddenLayers}, {Act})";
}

/// <summary>
/// [Split]: the identity on the row (logDet += 0, no parameters). Its meaning is in what follows: the channels it
/// factors out, the tail of the active prefix, keep their values and places to the latent, and the later layers
/// act on the prefix only (each of them wrapped in a <see cref="RefOnPrefix"/>).
/// </summary>
public sealed record RefSplit() : RefLayer
{
    internal override IReadOnlyList<(string Suffix, int[] Shape)> Tensors(int features, int condition) => [];

    internal override void Validate(int features, int condition) { }

    internal override double[,] Forward(TensorView[] w, double[,] u, double[,] y, double[] logDet) => (double[,])u.Clone();

    internal override double[,] Inverse(TensorView[] w, double[,] v, double[,] y) => (double[,])v.Clone();

    internal override double[,] Backward(TensorView[] w, TensorView[] g, double[,] u, double[,] y, double[,] dv, double[] dLogDet, double[,] dy) =>
        (double[,])dv.Clone();
}

/// <summary>A layer after a [Split]: <paramref name="Inner"/> acts on the first <paramref name="Active"/> features of each row, the rest pass through.</summary>
public sealed record RefOnPrefix(int Active, RefLayer Inner) : RefLayer
{
    internal override IReadOnlyList<(string Suffix, int[] Shape)> Tensors(int features, int condition) => Inner.Tensors(Active, condition);

    internal override void Validate(int features, int condition)
    {
        if (Active > features) throw new ArgumentException($"Active = {Active} is more than the flow's {features} features.");
        Inner.Validate(Active, condition);
    }

    internal static double[,] Prefix(double[,] x, int active)
    {
        var p = new double[x.GetLength(0), active];
        for (int r = 0; r < x.GetLength(0); r++)
            for (int j = 0; j < active; j++) p[r, j] = x[r, j];
        return p;
    }

    private static double[,] WithPrefix(double[,] x, double[,] prefix)
    {
        var result = (double[,])x.Clone();
        for (int r = 0; r < x.GetLength(0); r++)
            for (int j = 0; j < prefix.GetLength(1); j++) result[r, j] = prefix[r, j];
        return result;
    }

    internal override double[,] Forward(TensorView[] w, double[,] u, double[,] y, double[] logDet) =>
        WithPrefix(u, Inner.Forward(w, Prefix(u, Active), y, logDet));

    internal override double[,] Inverse(TensorView[] w, double[,] v, double[,] y) =>
        WithPrefix(v, Inner.Inverse(w, Prefix(v, Active), y));

    internal override double[,] Backward(TensorView[] w, TensorView[] g, double[,] u, double[,] y, double[,] dv, double[] dLogDet, double[,] dy) =>
        WithPrefix(dv, Inner.Backward(w, g, Prefix(u, Active), y, Prefix(dv, Active), dLogDet, dy));
}
