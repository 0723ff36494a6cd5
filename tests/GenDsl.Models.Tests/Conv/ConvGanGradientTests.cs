using CommunityToolkit.HighPerformance;
using GenDsl.Models.Tests.Networks;
using Xunit.Abstractions;

namespace GenDsl.Models.Tests.ConvNets;

/// <summary>
/// The conv GANs of TestConvNets.cs against the double-precision reference: (a) the reference's gradients of
/// both losses against central finite differences; (b) one generated TrainStep (optimizers that do not move)
/// against the reference on the same parameters, batch and noise: z₁ (discriminator step) then z₂ (generator
/// step) from Rng(Seed, 1). The discriminator sees [real; f(z₁)] as ONE batch of 2·rows (its batch norms
/// mix them), then f(z₂) alone; every pass uses batch statistics and updates the running ones.
/// </summary>
public class ConvGanGradientTests(ITestOutputHelper output)
{
    private const ulong Seed = 8;

    internal delegate GanLosses TrainFn(float[] x, float[]? y, int rows, Optimizer d, Optimizer g);

    internal sealed record Case(IGanModel Model, RefConvGan Ref, int Rows, TrainFn Train)
    {
        /// <summary>Keep the model's own initialisation (production-sized layers) but draw the batch norms' γ ~ U(0.5, 1.5), β ~ N(0, 0.2).</summary>
        public bool DefaultInit { get; init; }
    }

    private static ModelOptions Options => new() { MaxBatch = 8, Seed = Seed };

    internal static Case Make(string name)
    {
        switch (name)
        {
            case nameof(ConvBnGan):
            {
                var m = new ConvBnGan(Options);
                return new Case(m, RefConvModels.Of(m), 6, (x, y, rows, d, g) => m.TrainStep(new ReadOnlySpan2D<float>(x, rows, ConvBnGan.FeatureCount), d, g));
            }
            case nameof(ConvCgan):
            {
                var m = new ConvCgan(Options);
                return new Case(m, RefConvModels.Of(m), 5, (x, y, rows, d, g) => m.TrainStep(new ReadOnlySpan2D<float>(x, rows, ConvCgan.FeatureCount), new ReadOnlySpan2D<float>(y!, rows, ConvCgan.ConditionCount), d, g));
            }
            case nameof(ConvHingeGan):
            {
                var m = new ConvHingeGan(Options);
                return new Case(m, RefConvModels.Of(m), 5, (x, y, rows, d, g) => m.TrainStep(new ReadOnlySpan2D<float>(x, rows, ConvHingeGan.FeatureCount), d, g));
            }
            case nameof(ConvEdgeBnCgan):
            {
                var m = new ConvEdgeBnCgan(Options);
                return new Case(m, RefConvModels.Of(m), 5, (x, y, rows, d, g) => m.TrainStep(new ReadOnlySpan2D<float>(x, rows, ConvEdgeBnCgan.FeatureCount), new ReadOnlySpan2D<float>(y!, rows, ConvEdgeBnCgan.ConditionCount), d, g));
            }
            case nameof(ImageConditionCgan):
            {
                var m = new ImageConditionCgan(Options);
                return new Case(m, RefConvModels.Of(m), 5, (x, y, rows, d, g) => m.TrainStep(new ReadOnlySpan2D<float>(x, rows, ImageConditionCgan.FeatureCount), new ReadOnlySpan2D<float>(y!, rows, ImageConditionCgan.ConditionCount), d, g));
            }
            case nameof(FashionDcgan):
            {
                var m = new FashionDcgan(Options);
                return new Case(m, RefConvModels.Of(m), 3, (x, y, rows, d, g) => m.TrainStep(new ReadOnlySpan2D<float>(x, rows, FashionDcgan.FeatureCount), d, g)) { DefaultInit = true };
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(name), name, "no such test GAN");
        }
    }

    internal sealed record Data(float[] X, float[]? Y, double[,] Xd, double[,]? Yd, double[,] Z1, double[,] Z2);

    /// <summary>Random non-zero parameters, a batch, conditions, and z₁, z₂ as the model will draw them.</summary>
    internal static Data Setup(Case c)
    {
        var gan = c.Model;
        int rows = c.Rows, d = gan.Features, nz = gan.NoiseSize, k = gan.ConditionSize;
        var rng = new Rng(23, 4);
        if (!c.DefaultInit)
            rng.FillNormal(gan.Parameters.Span, 0f, 0.6f);
        else
            foreach (var norm in gan.Tensors.Where(t => t.Name.EndsWith(".running_mean", StringComparison.Ordinal)).Select(t => t.Name[..^".running_mean".Length]))
            {
                var gamma = gan.Tensors.Single(t => t.Name == norm + ".weight");
                var beta = gan.Tensors.Single(t => t.Name == norm + ".bias");
                rng.FillUniform(gan.Parameters.Span.Slice(gamma.Offset, gamma.Length), 0.5f, 1.5f);
                rng.FillNormal(gan.Parameters.Span.Slice(beta.Offset, beta.Length), 0f, 0.2f);
            }
        var x = new float[rows * d];
        rng.FillNormal(x, 0.5f, 1f);
        float[]? y = null;
        if (k > 0)
        {
            y = new float[rows * k];
            rng.FillUniform(y, 0f, 1f);
        }
        var noise = new Rng(Seed, 1);
        var z1 = new float[rows * nz];
        var z2 = new float[rows * nz];
        noise.FillNormal(z1);
        noise.FillNormal(z2);
        return new Data(x, y, RefNet.To2D(x, rows, d), y is null ? null : RefNet.To2D(y, rows, k), RefNet.To2D(z1, rows, nz), RefNet.To2D(z2, rows, nz));
    }

    /// <summary>The reference TrainStep: returns both losses; gradients in a.G, running statistics in a.Buffers.</summary>
    internal static (double D, double G) ReferenceStep(Case c, Data s, RefArena a)
    {
        var fake1 = c.Ref.Generate(a, s.Z1, s.Yd, RefPass.Train);
        double dLoss = c.Ref.DiscriminatorLoss(a, s.Xd, fake1, s.Yd, RefPass.Train, gradient: true);
        double gLoss = c.Ref.GeneratorLoss(a, s.Z2, s.Yd, RefPass.Train, gradient: true);
        return (dLoss, gLoss);
    }

    [Theory]
    [InlineData(nameof(ConvBnGan))]
    [InlineData(nameof(ConvCgan))]
    [InlineData(nameof(ConvHingeGan))]
    [InlineData(nameof(ConvEdgeBnCgan))]
    [InlineData(nameof(ImageConditionCgan))]
    public void ReferenceGradientsMatchFiniteDifferences(string name)
    {
        var c = Make(name);
        var s = Setup(c);
        ConvCheck.CoversEveryTensor(c.Model, c.Ref.Generator, c.Ref.Discriminator);
        var a = RefArena.Of(c.Model);
        var buffers = (double[])a.Buffers.Clone();
        var fake1 = c.Ref.Generate(a, s.Z1, s.Yd, RefPass.Batch);
        c.Ref.DiscriminatorLoss(a, s.Xd, fake1, s.Yd, RefPass.Batch, gradient: true);
        c.Ref.GeneratorLoss(a, s.Z2, s.Yd, RefPass.Batch, gradient: true);
        var p = (double[])a.P.Clone();
        ConvCheck.FiniteDifferences(c.Model, c.Ref.Discriminator.TensorNames,
            q => c.Ref.DiscriminatorLoss(new RefArena(q, buffers), s.Xd, fake1, s.Yd, RefPass.Batch, gradient: false), a.G, p, 1e-6, output, name + " discriminator loss");
        ConvCheck.FiniteDifferences(c.Model, c.Ref.Generator.TensorNames,
            q => c.Ref.GeneratorLoss(new RefArena(q, buffers), s.Z2, s.Yd, RefPass.Batch, gradient: false), a.G, p, 1e-6, output, name + " generator loss");
    }

    [Theory]
    [InlineData(nameof(ConvBnGan))]
    [InlineData(nameof(ConvCgan))]
    [InlineData(nameof(ConvHingeGan))]
    [InlineData(nameof(ConvEdgeBnCgan))]
    [InlineData(nameof(FashionDcgan))]
    [InlineData(nameof(ImageConditionCgan))]
    public void GeneratedTrainStepMatchesReference(string name)
    {
        var c = Make(name);
        var s = Setup(c);
        var a = RefArena.Of(c.Model);
        var expected = ReferenceStep(c, s, a);
        var l = c.Train(s.X, s.Y, c.Rows, new NoStep(c.Model.DiscriminatorPart), new NoStep(c.Model.GeneratorPart));

        double worstLoss = Math.Max(ConvCheck.Close(expected.D, l.Discriminator, 1e-4, "discriminator loss"), ConvCheck.Close(expected.G, l.Generator, 1e-4, "generator loss"));
        double worst = 0;
        foreach (var t in ConvCheck.Learned(c.Model))
            worst = Math.Max(worst, ConvCheck.Close(ConvCheck.Slice(a.G, t), ConvCheck.Slice(c.Model.Gradients.Span, t), 1e-4, $"{name}: gradient of {t.Name}"));
        double worstBuffer = 0;
        foreach (var t in ConvCheck.Buffers(c.Model))
            worstBuffer = Math.Max(worstBuffer, ConvCheck.Close(ConvCheck.Slice(a.Buffers, t), ConvCheck.Slice(c.Model.Buffers.Span, t), 1e-4, $"{name}: {t.Name} after the step"));
        output.WriteLine($"{name}: losses D {l.Discriminator} vs {expected.D}, G {l.Generator} vs {expected.G} (max relative error {worstLoss:g3}); gradients {worst:g3}; running statistics {worstBuffer:g3}");
    }
}
