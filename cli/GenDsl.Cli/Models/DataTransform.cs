using CommunityToolkit.HighPerformance;

namespace GenDsl.Cli.Models;

/// <summary>
/// A fixed, invertible map between data rows and the rows a model is trained on. Flows on pixel
/// data need one: pixels take a few discrete values, and a density on discrete points is unbounded,
/// so they are first spread over their bins (dequantisation) and then mapped to the whole real line
/// (logit), where a flow's Gaussian base fits.
/// </summary>
internal abstract class DataTransform
{
    /// <summary>No transform: the model sees the data as it is.</summary>
    public static readonly DataTransform Identity = new IdentityTransform();

    /// <summary>True for <see cref="Identity"/> (the session then skips the copy).</summary>
    public virtual bool IsIdentity => false;

    /// <summary>
    /// Maps data rows to model rows and ADDS ln|det ∂model/∂data| per row to <paramref name="logDet"/>,
    /// minus the log of the bin volume for dequantised data, so that
    /// log p_data(x) ≥ log p_model(ToModel(x)) + logDet (equality for continuous transforms).
    /// <paramref name="rng"/> supplies the dequantisation noise.
    /// </summary>
    public abstract void ToModel(ReadOnlySpan2D<float> data, Span2D<float> model, Span<float> logDet, Rng rng);

    /// <summary>Maps model rows (for example samples) back to data rows.</summary>
    public abstract void ToData(ReadOnlySpan2D<float> model, Span2D<float> data);

    /// <summary>
    /// Uniform dequantisation of values k/(levels − 1), k = 0 … levels − 1 (pixels scaled to [0, 1]),
    /// followed by a logit with a margin α (RealNVP's preprocessing, Dinh et al. 2017).
    /// </summary>
    public static DataTransform DequantizeLogit(int levels, float alpha = 0.05f) => new DequantizeLogitTransform(levels, alpha);

    private sealed class IdentityTransform : DataTransform
    {
        public override bool IsIdentity => true;
        public override void ToModel(ReadOnlySpan2D<float> data, Span2D<float> model, Span<float> logDet, Rng rng) => data.CopyTo(model);
        public override void ToData(ReadOnlySpan2D<float> model, Span2D<float> data) => model.CopyTo(data);
    }

    /// <summary>
    /// v = (k + u)/L with u ~ U[0, 1) (L = levels) spreads each value k over its bin [k/L, (k+1)/L);
    /// s = α + (1 − 2α)·v keeps away from 0 and 1; z = logit(s) = ln s − ln(1 − s).
    /// The discrete probability of k is the mass of its bin: P(k) = ∫ p_v dv over a cell of volume L^−D,
    /// and by Jensen E_u[ln p_v(v)] − D·ln L ≤ ln P(k), so the logDet written is
    /// Σ_d [ln(1 − 2α) − ln s_d − ln(1 − s_d)] − D·ln L (the change of variables v → z, then the cell volume).
    /// </summary>
    private sealed class DequantizeLogitTransform(int levels, float alpha) : DataTransform
    {
        public override void ToModel(ReadOnlySpan2D<float> data, Span2D<float> model, Span<float> logDet, Rng rng)
        {
            double logScale = Math.Log(1 - 2.0 * alpha), logLevels = Math.Log(levels);
            for (int r = 0; r < data.Height; r++)
            {
                ReadOnlySpan<float> src = data.GetRowSpan(r);
                Span<float> dst = model.GetRowSpan(r);
                rng.FillUniform(dst); // the noise u, then overwritten in place by z
                double sum = 0;
                for (int c = 0; c < src.Length; c++)
                {
                    int k = Math.Clamp((int)MathF.Round(src[c] * (levels - 1)), 0, levels - 1);
                    double v = (k + (double)dst[c]) / levels;
                    double s = alpha + (1 - 2.0 * alpha) * v;
                    dst[c] = (float)(Math.Log(s) - Math.Log(1 - s));
                    sum += logScale - Math.Log(s) - Math.Log(1 - s) - logLevels;
                }
                logDet[r] += (float)sum;
            }
        }

        public override void ToData(ReadOnlySpan2D<float> model, Span2D<float> data)
        {
            for (int r = 0; r < model.Height; r++)
            {
                ReadOnlySpan<float> src = model.GetRowSpan(r);
                Span<float> dst = data.GetRowSpan(r);
                for (int c = 0; c < src.Length; c++)
                {
                    double s = 1 / (1 + Math.Exp(-src[c]));
                    double v = (s - alpha) / (1 - 2.0 * alpha);
                    int k = Math.Clamp((int)Math.Floor(v * levels), 0, levels - 1); // the bin v falls in
                    dst[c] = (float)k / (levels - 1);
                }
            }
        }
    }
}
