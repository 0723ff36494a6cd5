using CommunityToolkit.HighPerformance;

namespace GenDsl.Numerics;

/// <summary>
/// Kernels of a masked autoregressive layer ([MaskedAutoregressive]) beyond what it shares with the affine
/// coupling (<see cref="CouplingKernels"/>): the MADE masks (Germain et al. 2015) and the adjoint step of the
/// IAF's backward pass. The degree rule is docs/flow-layers.md's ("Masked autoregressive"): feature i has
/// degree i + 1, hidden unit j of every hidden layer has degree 1 + (j mod max(1, D − 1)), condition columns
/// connect to every first-layer unit, and output i (both r_i and m_i) sees hidden units of degree &lt; i + 1.
/// Nothing here allocates.
/// </summary>
public static class MadeKernels
{
    /// <summary>The degree of hidden unit <paramref name="unit"/> (any hidden layer) of a MADE over <paramref name="features"/> features.</summary>
    public static int HiddenDegree(int unit, int features) => 1 + unit % Math.Max(1, features - 1);

    /// <summary>
    /// Whether weight [<paramref name="output"/>, <paramref name="input"/>] of linear layer <paramref name="layer"/>
    /// (0 … <paramref name="lastLayer"/>, the output layer) is used. Layer 0's inputs are the D features then the
    /// condition columns; the output layer's outputs are r_0 … r_{D−1}, then m_0 … m_{D−1} (affine transform,
    /// <paramref name="outputsPerFeature"/> = 0), or feature i's P spline parameters at P·i … P·i + P − 1
    /// (spline transform, <paramref name="outputsPerFeature"/> = P = 3K − 1).
    /// </summary>
    public static bool IsConnected(int layer, int lastLayer, int features, int output, int input, int outputsPerFeature = 0)
    {
        if (layer == lastLayer)
        {
            int feature = outputsPerFeature > 0 ? output / outputsPerFeature // feature i's spline parameters share its degree
                : output < features ? output : output - features;           // r_i and m_i share feature i's degree
            return feature + 1 > (layer == 0 ? input + 1 : HiddenDegree(input, features));
        }
        if (layer == 0)
            return input >= features || HiddenDegree(output, features) >= input + 1; // condition columns: every unit
        return HiddenDegree(output, features) >= HiddenDegree(input, features);
    }

    /// <summary>
    /// Sets the masked-out entries of a linear layer's weight (or of its gradient) to exactly 0: after the
    /// initialisation, after every backward pass (so an optimizer never moves them), and after a load.
    /// </summary>
    /// <param name="weight">The weight [outputs, inputs], row-major.</param>
    /// <param name="outputs">Its rows.</param>
    /// <param name="inputs">Its columns.</param>
    /// <param name="layer">Which linear layer (0 = the first).</param>
    /// <param name="lastLayer">The output layer's index (the number of hidden layers).</param>
    /// <param name="features">D.</param>
    /// <param name="outputsPerFeature">0 for the affine transform's [r | m] outputs, P = 3K − 1 for a spline's (see <see cref="IsConnected"/>).</param>
    public static void ApplyMask(Span<float> weight, int outputs, int inputs, int layer, int lastLayer, int features, int outputsPerFeature = 0)
    {
        if ((long)outputs * inputs > weight.Length)
            throw new ArgumentException($"The weight has {weight.Length} values, fewer than {outputs}×{inputs}.", nameof(weight));
        if ((uint)layer > (uint)lastLayer)
            throw new ArgumentOutOfRangeException(nameof(layer), layer, $"A MADE with output layer {lastLayer} has layers 0…{lastLayer}.");
        if (outputsPerFeature < 0)
            throw new ArgumentOutOfRangeException(nameof(outputsPerFeature), outputsPerFeature, "Outputs per feature is 0 (the affine layout) or the spline's 3K − 1.");
        for (int o = 0; o < outputs; o++)
        {
            var row = weight.Slice(o * inputs, inputs);
            for (int i = 0; i < inputs; i++)
            {
                if (!IsConnected(layer, lastLayer, features, o, i, outputsPerFeature))
                    row[i] = 0f;
            }
        }
    }

    /// <summary>
    /// One step of the IAF's adjoint solve, for feature <paramref name="column"/> on every row. The layer maps
    /// data u to latent v through u = G(v) = v ⊙ e^s + m, (s, m) from the network on v. With g = ∂L/∂v from the
    /// layers after it and q = (the network's vector-Jacobian product of the output cotangents found so far)
    /// at input column i (which depends only on features k &gt; i, already done):
    /// λ_i = e^(−s_i)·(g_i + q_i) is ∂L/∂u_i (written to <paramref name="gu"/>), and the network output cotangents
    /// of feature i are c_i = 1/B − λ_i·v_i·e^(s_i) for s_i (∂L/∂r_i = c_i·scale_i·(1 − tanh² r_i), written to
    /// <paramref name="gRaw"/>) and d_i = −λ_i for m_i (<paramref name="gM"/>); ∂L/∂scale_i = Σ_rows c_i·tanh r_i
    /// (overwritten, summed row 0 first).
    /// </summary>
    /// <param name="gv">∂L/∂v from the layers after this one, rows × D.</param>
    /// <param name="vjp">The network's input gradient, rows × (D + k): column i is q_i.</param>
    /// <param name="v">The layer's output (latent side), rows × D.</param>
    /// <param name="raw">The network's raw scale outputs r, rows × D (on the final v).</param>
    /// <param name="scale">The learned scale, length D.</param>
    /// <param name="invRows">1/B.</param>
    /// <param name="column">The feature i.</param>
    /// <param name="gu">∂L/∂u, rows × D: column i written.</param>
    /// <param name="gRaw">∂L/∂r, rows × D: column i written.</param>
    /// <param name="gM">∂L/∂m, rows × D: column i written.</param>
    /// <param name="gScale">∂L/∂scale, length D: entry i overwritten.</param>
    public static void InverseAdjointColumn(ReadOnlySpan2D<float> gv, ReadOnlySpan2D<float> vjp, ReadOnlySpan2D<float> v, ReadOnlySpan2D<float> raw,
        ReadOnlySpan<float> scale, float invRows, int column, Span2D<float> gu, Span2D<float> gRaw, Span2D<float> gM, Span<float> gScale)
    {
        int rows = gv.Height;
        if ((uint)column >= (uint)gv.Width || v.Height != rows || v.Width != gv.Width || raw.Height != rows || raw.Width != gv.Width
            || vjp.Height != rows || vjp.Width < gv.Width || gu.Height != rows || gu.Width != gv.Width
            || gRaw.Height != rows || gRaw.Width != gv.Width || gM.Height != rows || gM.Width != gv.Width
            || scale.Length < gv.Width || gScale.Length < gv.Width)
            throw new ArgumentException($"InverseAdjointColumn: column {column} of rows × {gv.Width} spans that do not all have {rows} rows and {gv.Width} columns (the network input gradient at least {gv.Width}).");
        float sc = scale[column];
        float sum = 0f;
        for (int r = 0; r < rows; r++)
        {
            float t = VecMath.Tanh(raw[r, column]);
            float s = sc * t;
            float lambda = VecMath.Exp(-s) * (gv[r, column] + vjp[r, column]); // λ_i = e^(−s_i)·(g_i + q_i)
            float c = invRows - lambda * v[r, column] * VecMath.Exp(s);        // ∂L/∂s_i: the log-det's 1/B, minus λ_i·∂G_i/∂s_i
            gu[r, column] = lambda;
            gRaw[r, column] = c * sc * (1f - t * t);                             // s = scale·tanh(r)
            gM[r, column] = -lambda;                                             // ∂G_i/∂m_i = 1
            sum += c * t;
        }
        gScale[column] = sum;
    }
}
