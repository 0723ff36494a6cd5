using CommunityToolkit.HighPerformance;
using GenDsl.Models.Tests.Networks;
using Xunit.Abstractions;

namespace GenDsl.Models.Tests.ConvNets;

/// <summary>
/// The conv VAEs of TestConvNets.cs against the double-precision reference (RefConvLayers.cs): (a) the
/// reference's reverse-mode gradient against central finite differences of its own loss; (b) the generated
/// model's loss terms and every parameter gradient against the reference on the same random parameters,
/// the same batch and the same ε (the model's noise stream Rng(Seed, 1), one fill of rows × Latent).
/// </summary>
public class ConvVaeGradientTests(ITestOutputHelper output)
{
    private const ulong Seed = 5;

    /// <summary>One VAE declaration with its reference and a call of its Backward on flat arrays.</summary>
    internal sealed record Case(IVaeModel Model, RefConvVae Ref, int Rows, bool Binary, Func<float[], float[]?, int, VaeLoss> Backward)
    {
        /// <summary>Keep the model's own (torch-like) initialisation: the production-sized models, whose wide layers random N(0, 0.5) weights would saturate.</summary>
        public bool DefaultInit { get; init; }
    }

    private static ModelOptions Options => new() { MaxBatch = 8, Seed = Seed };

    internal static Case Make(string name)
    {
        switch (name)
        {
            case nameof(ConvBernoulliVae):
            {
                var m = new ConvBernoulliVae(Options);
                return new Case(m, RefConvModels.Of(m), 6, true, (x, y, rows) => m.Backward(new ReadOnlySpan2D<float>(x, rows, ConvBernoulliVae.FeatureCount)));
            }
            case nameof(ConvGaussianVae):
            {
                var m = new ConvGaussianVae(Options);
                return new Case(m, RefConvModels.Of(m), 5, false, (x, y, rows) => m.Backward(new ReadOnlySpan2D<float>(x, rows, ConvGaussianVae.FeatureCount)));
            }
            case nameof(ConvDenseHeadVae):
            {
                var m = new ConvDenseHeadVae(Options);
                return new Case(m, RefConvModels.Of(m), 7, false, (x, y, rows) => m.Backward(new ReadOnlySpan2D<float>(x, rows, ConvDenseHeadVae.FeatureCount)));
            }
            case nameof(ConvCvae):
            {
                var m = new ConvCvae(Options);
                return new Case(m, RefConvModels.Of(m), 6, true, (x, y, rows) => m.Backward(new ReadOnlySpan2D<float>(x, rows, ConvCvae.FeatureCount), new ReadOnlySpan2D<float>(y!, rows, ConvCvae.ConditionCount)));
            }
            case nameof(ImageConditionCvae):
            {
                var m = new ImageConditionCvae(Options);
                return new Case(m, RefConvModels.Of(m), 6, true, (x, y, rows) => m.Backward(new ReadOnlySpan2D<float>(x, rows, ImageConditionCvae.FeatureCount), new ReadOnlySpan2D<float>(y!, rows, ImageConditionCvae.ConditionCount)));
            }
            case nameof(FashionConvCvae):
            {
                var m = new FashionConvCvae(Options);
                return new Case(m, RefConvModels.Of(m), 2, true, (x, y, rows) => m.Backward(new ReadOnlySpan2D<float>(x, rows, FashionConvCvae.FeatureCount), new ReadOnlySpan2D<float>(y!, rows, FashionConvCvae.ConditionCount))) { DefaultInit = true };
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(name), name, "no such test VAE");
        }
    }

    /// <summary>Random non-zero parameters, a batch (binary or Gaussian), conditions and ε as the model will draw it.</summary>
    internal static (float[] X, float[]? Y, double[,] Xd, double[,]? Yd, double[,] Eps) Setup(Case c)
    {
        var vae = c.Model;
        int rows = c.Rows, d = vae.Features, z = vae.LatentSize, k = vae.ConditionSize;
        var rng = new Rng(17, 3);
        if (!c.DefaultInit) rng.FillNormal(vae.Parameters.Span, 0f, 0.5f);
        var x = new float[rows * d];
        if (c.Binary)
            for (int i = 0; i < x.Length; i++) x[i] = rng.NextUniform() < 0.4f ? 1f : 0f;
        else
            rng.FillNormal(x, 0.2f, 1f);
        float[]? y = null;
        if (k > 0)
        {
            y = new float[rows * k];
            rng.FillUniform(y, 0f, 1f);
        }
        var eps = new float[rows * z];
        new Rng(Seed, 1).FillNormal(eps);
        return (x, y, RefNet.To2D(x, rows, d), y is null ? null : RefNet.To2D(y, rows, k), RefNet.To2D(eps, rows, z));
    }

    [Theory]
    [InlineData(nameof(ConvBernoulliVae))]
    [InlineData(nameof(ConvGaussianVae))]
    [InlineData(nameof(ConvDenseHeadVae))]
    [InlineData(nameof(ConvCvae))]
    [InlineData(nameof(ImageConditionCvae))]
    public void ReferenceGradientMatchesFiniteDifferences(string name)
    {
        var c = Make(name);
        var (_, _, xd, yd, eps) = Setup(c);
        ConvCheck.CoversEveryTensor(c.Model, c.Ref.Encoder, c.Ref.Decoder);
        var a = RefArena.Of(c.Model);
        c.Ref.Loss(a, xd, yd, eps, RefPass.Batch, gradient: true);
        var buffers = (double[])a.Buffers.Clone();
        ConvCheck.FiniteDifferences(c.Model, c.Ref.Encoder.TensorNames.Concat(c.Ref.Decoder.TensorNames),
            q => c.Ref.Loss(new RefArena(q, buffers), xd, yd, eps, RefPass.Batch, gradient: false).Loss,
            a.G, (double[])a.P.Clone(), 1e-6, output, name);
    }

    [Theory]
    [InlineData(nameof(ConvBernoulliVae))]
    [InlineData(nameof(ConvGaussianVae))]
    [InlineData(nameof(ConvDenseHeadVae))]
    [InlineData(nameof(ConvCvae))]
    [InlineData(nameof(FashionConvCvae))]
    [InlineData(nameof(ImageConditionCvae))]
    public void GeneratedModelMatchesReference(string name)
    {
        var c = Make(name);
        var (x, y, xd, yd, eps) = Setup(c);
        var a = RefArena.Of(c.Model);
        var expected = c.Ref.Loss(a, xd, yd, eps, RefPass.Train, gradient: true);
        var loss = c.Backward(x, y, c.Rows);

        double worstLoss = Math.Max(ConvCheck.Close(expected.Loss, loss.Loss, 1e-4, "loss"),
            Math.Max(ConvCheck.Close(expected.Rec, loss.Reconstruction, 1e-4, "reconstruction"), ConvCheck.Close(expected.Kl, loss.Kl, 1e-4, "KL")));
        double worst = 0;
        foreach (var t in ConvCheck.Learned(c.Model))
            worst = Math.Max(worst, ConvCheck.Close(ConvCheck.Slice(a.G, t), ConvCheck.Slice(c.Model.Gradients.Span, t), 1e-4, $"{name}: gradient of {t.Name}"));
        output.WriteLine($"{name}: loss {loss.Loss} vs {expected.Loss}, max relative error of the loss terms {worstLoss:g3}, of the gradients {worst:g3}");
    }
}
