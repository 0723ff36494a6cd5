using CommunityToolkit.HighPerformance;
using GenDsl.Data;

namespace GenDsl.Cli.Models;

/// <summary>
/// A fixed, invertible map between data rows and the rows a model is trained on. Flows on pixel
/// data need one: pixels take a few discrete values, and a density on discrete points is unbounded,
/// so they are first spread over their bins (dequantisation) and then mapped to the whole real line
/// (logit), where a flow's Gaussian base fits. A GAN whose generator ends in tanh sees pixels
/// rescaled to [−1, 1].
/// </summary>
internal abstract class DataTransform
{
    /// <summary>No transform: the model sees the data as it is.</summary>
    public static readonly DataTransform Identity = new IdentityTransform();

    /// <summary>True for <see cref="Identity"/> (sessions then skip the copy).</summary>
    public virtual bool IsIdentity => false;

    /// <summary>What the transform does, for messages ("model = 2·data − 1").</summary>
    public virtual string Description => "model = data";

    /// <summary>
    /// The transform in Python (torch only): <c>to_model(data, generator=None)</c> → (model rows, ln|det ∂model/∂data| per
    /// row) and <c>to_data(rows)</c>, as <see cref="ToModel"/> and <see cref="ToData"/> compute them; null for the identity.
    /// <c>gendsl export --pytorch</c> writes it next to the module as data_transform.py.
    /// </summary>
    public virtual string? Python => null;

    /// <summary>
    /// Maps data rows to model rows and writes ln|det ∂model/∂data| per row to <paramref name="logDet"/>
    /// (for dequantised data including −D·ln L, so that log p_data ≥ log p_model + logDet: see
    /// <see cref="LogitTransform"/>). <paramref name="rng"/> supplies the dequantisation noise.
    /// </summary>
    public abstract void ToModel(ReadOnlySpan2D<float> data, Span2D<float> model, Span<float> logDet, Rng rng);

    /// <summary>Maps model rows (for example samples) back to data rows.</summary>
    public abstract void ToData(ReadOnlySpan2D<float> model, Span2D<float> data);

    /// <summary>Throws a usage error naming the first value the transform cannot take.</summary>
    public virtual void Validate(Dataset data, string source, string model) { }

    /// <summary>RealNVP's dequantisation + logit (<see cref="LogitTransform"/>, the runtime's) for pixels with <paramref name="levels"/> values.</summary>
    public static DataTransform DequantizeLogit(int levels, float alpha = 0.05f) => new LogitDataTransform(new LogitTransform(levels, alpha));

    /// <summary>model = scale·data + shift, for example [0, 1] → [−1, 1] with (2, −1) for a tanh generator.</summary>
    public static DataTransform Affine(float scale, float shift) => new AffineTransform(scale, shift);

    private sealed class IdentityTransform : DataTransform
    {
        public override bool IsIdentity => true;
        public override void ToModel(ReadOnlySpan2D<float> data, Span2D<float> model, Span<float> logDet, Rng rng)
        {
            data.CopyTo(model);
            logDet.Clear();
        }
        public override void ToData(ReadOnlySpan2D<float> model, Span2D<float> data) => model.CopyTo(data);
    }

    private sealed class LogitDataTransform(LogitTransform transform) : DataTransform
    {
        public override string Description => FormattableString.Invariant(
            $"model = logit(α + (1 − 2α)·(k + u)/{transform.Levels}), pixel k = data·{transform.Levels - 1}, u ~ U[0, 1), α = {transform.Alpha} (GenDsl.Data.LogitTransform)");

        public override string Python => FormattableString.Invariant($$"""
            # GenDsl.Data.LogitTransform(levels={{transform.Levels}}, alpha={{transform.Alpha}}): dequantisation and logit, as gendsl train applies it.
            import math

            import torch

            LEVELS = {{transform.Levels}}
            ALPHA = {{transform.Alpha}}


            def to_model(data, generator=None):
                # data: pixels k/(L − 1) → (y = logit(α + (1 − 2α)(k + u)/L) with u ~ U[0, 1), ln|det ∂y/∂v| per row)
                k = torch.round(data * (LEVELS - 1))
                u = torch.rand(data.shape, generator=generator, dtype=data.dtype, device=data.device)
                s = ALPHA + (1 - 2 * ALPHA) * (k + u) / LEVELS
                y = torch.log(s) - torch.log1p(-s)
                logdet = data.shape[1] * (math.log(1 - 2 * ALPHA) - math.log(LEVELS)) - (torch.log(s) + torch.log1p(-s)).sum(1)
                return y, logdet


            def to_data(y):
                # the continuous inverse: x = (L·u − ½)/(L − 1), u = (σ(y) − α)/(1 − 2α), clamped to [0, 1]
                u = ((torch.sigmoid(y) - ALPHA) / (1 - 2 * ALPHA)).clamp(0, 1)
                return ((u * LEVELS - 0.5) / (LEVELS - 1)).clamp(0, 1)
            """);

        public override void ToModel(ReadOnlySpan2D<float> data, Span2D<float> model, Span<float> logDet, Rng rng) =>
            transform.Forward(data, model, logDet, rng);

        // The continuous inverse (bin centres map back exactly): samples look like images, not like a staircase.
        public override void ToData(ReadOnlySpan2D<float> model, Span2D<float> data) => transform.Inverse(model, data);

        public override void Validate(Dataset data, string source, string model)
        {
            int top = transform.Levels - 1;
            var values = data.Data;
            for (int i = 0; i < values.Length; i++)
            {
                float scaled = values[i] * top, k = MathF.Round(scaled);
                if (!(k >= 0 && k <= top && MathF.Abs(scaled - k) <= 1e-3f))
                    throw CliException.Usage(
                        $"{model} models pixels with {transform.Levels} levels, k/{top} for k = 0 … {top}, but {source} has {values[i]} " +
                        $"at row {i / data.Columns}, column {i % data.Columns}; give data on that grid (the digits data set is).");
            }
        }
    }

    private sealed class AffineTransform(float scale, float shift) : DataTransform
    {
        public override string Description => FormattableString.Invariant($"model = {scale}·data + {shift}");

        public override string Python => FormattableString.Invariant($$"""
            # model = {{scale}}·data + {{shift}}, as gendsl train applies it.
            import math


            def to_model(data, generator=None):
                return data * {{scale}} + {{shift}}, data.new_full((data.shape[0],), data.shape[1] * math.log(abs({{scale}})))


            def to_data(rows):
                return (rows - {{shift}}) / {{scale}}
            """);

        public override void ToModel(ReadOnlySpan2D<float> data, Span2D<float> model, Span<float> logDet, Rng rng)
        {
            float perElement = MathF.Log(MathF.Abs(scale)) * data.Width;
            for (int r = 0; r < data.Height; r++)
            {
                ReadOnlySpan<float> src = data.GetRowSpan(r);
                Span<float> dst = model.GetRowSpan(r);
                for (int c = 0; c < src.Length; c++) dst[c] = MathF.FusedMultiplyAdd(src[c], scale, shift);
                logDet[r] = perElement;
            }
        }

        public override void ToData(ReadOnlySpan2D<float> model, Span2D<float> data)
        {
            for (int r = 0; r < model.Height; r++)
            {
                ReadOnlySpan<float> src = model.GetRowSpan(r);
                Span<float> dst = data.GetRowSpan(r);
                for (int c = 0; c < src.Length; c++) dst[c] = (src[c] - shift) / scale;
            }
        }
    }
}
