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
