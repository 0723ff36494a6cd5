using CommunityToolkit.HighPerformance;

namespace GenDsl.Models.Tests.Networks;

/// <summary>
/// A generated GAN's TrainStep (with optimizers that do not move, so the gradients can be read):
/// the discriminator's gradients against finite differences of the double-precision discriminator
/// loss on (real, f(z₁)), the generator's against those of the generator loss on f(z₂).
/// </summary>
public class GanGradientTests
{
    private const ulong Seed = 8;

    private delegate GanLosses TrainFn(float[] x, float[]? y, int rows, Optimizer d, Optimizer g);

    [Fact]
    public void NonSaturatingGanMatchesReference()
    {
        var gan = new TinyNsGan(new ModelOptions { MaxBatch = 16, Seed = Seed });
        Check(gan, (x, y, rows, d, g) => gan.TrainStep(new ReadOnlySpan2D<float>(x, rows, 3), d, g), loss: 0, condition: 0, rows: 10,
            (new[] { "G1", "generator.head" }, new[] { Activation.Relu, Activation.Identity }),
            (new[] { "D1", "discriminator.head" }, new[] { Activation.LeakyRelu, Activation.Identity }));
    }

    [Fact]
    public void MinimaxConditionalGanMatchesReference()
    {
        var gan = new TinyMinimaxCgan(new ModelOptions { MaxBatch = 16, Seed = Seed });
        Check(gan, (x, y, rows, d, g) => gan.TrainStep(new ReadOnlySpan2D<float>(x, rows, 3), new ReadOnlySpan2D<float>(y!, rows, 2), d, g), loss: 1, condition: 2, rows: 7,
            (new[] { "G1", "generator.head" }, new[] { Activation.Softplus, Activation.Tanh }),
            (new[] { "D1", "D2", "discriminator.head" }, new[] { Activation.Tanh, Activation.Sigmoid, Activation.Identity }));
    }

    [Fact]
    public void HingeGanMatchesReference()
    {
        var gan = new TinyHingeGan(new ModelOptions { MaxBatch = 16, Seed = Seed });
        Check(gan, (x, y, rows, d, g) => gan.TrainStep(new ReadOnlySpan2D<float>(x, rows, 6), d, g), loss: 2, condition: 0, rows: 12,
            (new[] { "G1", "generator.head" }, new[] { Activation.LeakyRelu, Activation.Identity }),
            (new[] { "D1", "discriminator.head" }, new[] { Activation.Relu, Activation.Identity }));
    }

    [Fact]
    public void WassersteinGradientPenaltyMatchesReference()
    {
        var gan = new TinyWgan(new ModelOptions { MaxBatch = 16, Seed = Seed });
        Check(gan, (x, y, rows, d, g) => gan.TrainStep(new ReadOnlySpan2D<float>(x, rows, 3), new ReadOnlySpan2D<float>(y!, rows, 2), d, g), loss: 3, condition: 2, rows: 9,
            (new[] { "G1", "generator.head" }, new[] { Activation.Tanh, Activation.Identity }),
            (new[] { "D1", "D2", "discriminator.head" }, new[] { Activation.LeakyRelu, Activation.Relu, Activation.Identity }),
            penalty: 5);
    }

    private static void Check(IGanModel gan, TrainFn train, int loss, int condition, int rows,
        (string[] Names, Activation[] Acts) generator, (string[] Names, Activation[] Acts) discriminator, double penalty = 0)
    {
        int d = gan.Features, nz = gan.NoiseSize;
        var rng = new Rng(23, 4);
        rng.FillNormal(gan.Parameters.Span, 0f, 0.6f);
        var x = new float[rows * d];
        rng.FillNormal(x, 0.5f, 1f);
        float[]? y = null;
        if (condition > 0)
        {
            y = new float[rows * condition];
            rng.FillUniform(y, 0f, 1f);
        }

        // The model's noise: Rng(Seed, stream 1): z₁ for the discriminator step, then z₂ for the generator step.
        var noise = new Rng(Seed, 1);
        var z1 = new float[rows * nz];
        var z2 = new float[rows * nz];
        var eps = new float[rows];
        noise.FillNormal(z1);
        if (loss == 3) noise.FillUniform(eps); // WGAN-GP: ε of the interpolates, drawn right after z₁
        noise.FillNormal(z2);

        var p = RefNet.ToDouble(gan.Parameters.Span);
        var g = new RefNet(gan, generator.Names, generator.Acts);
        var dis = new RefNet(gan, discriminator.Names, discriminator.Acts);
        var xd = RefNet.To2D(x, rows, d);
        var yd = y is null ? null : RefNet.To2D(y, rows, condition);

        double[,] Fake(double[] q, float[] z) => g.Forward(q, RefNet.Concat(RefNet.To2D(z, rows, nz), yd)).Last();
        double[,] Logits(double[] q, double[,] data) => dis.Forward(q, RefNet.Concat(data, yd)).Last();
        var fake1 = Fake(p, z1);
        double DLoss(double[] q)
        {
            var lr = Logits(q, xd);
            var lf = Logits(q, fake1);
            double s = 0;
            for (int r = 0; r < rows; r++)
                s += loss switch
                {
                    2 => Math.Max(0, 1 - lr[r, 0]) + Math.Max(0, 1 + lf[r, 0]),
                    3 => lf[r, 0] - lr[r, 0],
                    _ => RefNet.Softplus(-lr[r, 0]) + RefNet.Softplus(lf[r, 0]),
                };
            if (loss == 3)
            {
                // λ/B Σ (‖∇ₓD(x̂)‖ − 1)², ∇ₓD by reverse mode in double (the condition's columns are not penalised).
                var xh = new double[rows, d];
                for (int r = 0; r < rows; r++)
                    for (int j = 0; j < d; j++)
                        xh[r, j] = eps[r] * xd[r, j] + (1 - eps[r]) * (float)fake1[r, j];
                var gx = dis.InputGradient(q, dis.Forward(q, RefNet.Concat(xh, yd)));
                for (int r = 0; r < rows; r++)
                {
                    double sq = 0;
                    for (int j = 0; j < d; j++) sq += gx[r, j] * gx[r, j];
                    s += penalty * (Math.Sqrt(sq) - 1) * (Math.Sqrt(sq) - 1);
                }
            }
            return s / rows;
        }
        double GLoss(double[] q)
        {
            var lf = Logits(q, Fake(q, z2));
            double s = 0;
            for (int r = 0; r < rows; r++)
                s += loss switch { 0 => RefNet.Softplus(-lf[r, 0]), 1 => -RefNet.Softplus(lf[r, 0]), _ => -lf[r, 0] }; // hinge and WGAN: −D(f(z))
            return s / rows;
        }

        var l = train(x, y, rows, new NoStep(gan.DiscriminatorPart), new NoStep(gan.GeneratorPart));
        Assert.True(Math.Abs(l.Discriminator - DLoss(p)) <= 1e-4 * Math.Max(1, Math.Abs(DLoss(p))), $"D loss {l.Discriminator} vs {DLoss(p)}");
        Assert.True(Math.Abs(l.Generator - GLoss(p)) <= 1e-4 * Math.Max(1, Math.Abs(GLoss(p))), $"G loss {l.Generator} vs {GLoss(p)}");

        var grad = RefNet.ToDouble(gan.Gradients.Span);
        int split = gan.Tensors.First(t => t.Name.StartsWith(discriminator.Names[0] + ".", StringComparison.Ordinal)).Offset;
        foreach (var t in gan.Tensors)
        {
            bool isDiscriminator = t.Offset >= split;
            var fd = new double[t.Length];
            for (int i = 0; i < t.Length; i++)
                fd[i] = RefNet.FiniteDifference(isDiscriminator ? DLoss : GLoss, p, t.Offset + i);
            RefNet.AssertClose(fd, grad.AsSpan(t.Offset, t.Length).ToArray(), 2e-3, $"gradient of {t.Name}");
        }
    }
}
