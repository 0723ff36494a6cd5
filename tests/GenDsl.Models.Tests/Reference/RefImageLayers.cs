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
