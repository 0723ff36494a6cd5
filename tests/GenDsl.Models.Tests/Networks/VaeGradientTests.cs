using CommunityToolkit.HighPerformance;

namespace GenDsl.Models.Tests.Networks;

/// <summary>
/// Each generated VAE's loss and every parameter gradient against a double-precision reference of
/// the same ELBO (same parameters, same ε), differentiated by central finite differences.
/// </summary>
public class VaeGradientTests
{
    private const ulong Seed = 5;

    [Fact]
    public void BernoulliVaeMatchesReference()
    {
        var vae = new TinyBernoulliVae(new ModelOptions { MaxBatch = 16, Seed = Seed });
        Check(vae, likelihood: 0, beta: 1, sigma: 1, condition: 0,
            encoder: (new[] { "E1", "E2", "encoder.head" }, new[] { Activation.Tanh, Activation.Relu, Activation.Identity }),
            decoder: (new[] { "D1", "decoder.head" }, new[] { Activation.Sigmoid, Activation.Identity }),
            (x, y, rows) => vae.Backward(Of(x, rows, 5)), rows: 11, binaryData: true);
    }

    [Fact]
    public void GaussianConditionalVaeMatchesReference()
    {
        var vae = new TinyGaussianCvae(new ModelOptions { MaxBatch = 16, Seed = Seed });
        Check(vae, likelihood: 1, beta: 1, sigma: 1, condition: 2,
            encoder: (new[] { "E1", "encoder.head" }, new[] { Activation.LeakyRelu, Activation.Identity }),
            decoder: (new[] { "D1", "decoder.head" }, new[] { Activation.Softplus, Activation.Identity }),
            (x, y, rows) => vae.Backward(Of(x, rows, 5), Of(y!, rows, 2)), rows: 9, binaryData: false);
    }

    [Fact]
    public void FixedSigmaBetaVaeMatchesReference()
    {
        var vae = new TinyFixedVae(new ModelOptions { MaxBatch = 16, Seed = Seed });
        Check(vae, likelihood: 2, beta: 0.7, sigma: 0.5, condition: 0,
            encoder: (new[] { "E1", "encoder.head" }, new[] { Activation.Relu, Activation.Identity }),
            decoder: (new[] { "D1", "decoder.head" }, new[] { Activation.Tanh, Activation.Identity }),
            (x, y, rows) => vae.Backward(Of(x, rows, 6)), rows: 13, binaryData: false);
    }

    private static Span2D<float> Of(float[] a, int rows, int cols) => new(a, rows, cols);

    private static void Check(IVaeModel vae, int likelihood, double beta, double sigma, int condition,
        (string[] Names, Activation[] Acts) encoder, (string[] Names, Activation[] Acts) decoder,
        Func<float[], float[]?, int, VaeLoss> backward, int rows, bool binaryData)
    {
        int d = vae.Features, z = vae.LatentSize;
        var rng = new Rng(17, 3);
        // Moderate random parameters everywhere (the default init is fine too, but larger weights exercise the nonlinearities).
        rng.FillNormal(vae.Parameters.Span, 0f, 0.5f);
        var x = new float[rows * d];
        if (binaryData)
            for (int i = 0; i < x.Length; i++) x[i] = rng.NextUniform() < 0.4f ? 1f : 0f;
        else
            rng.FillNormal(x, 0.2f, 1f);
        float[]? y = null;
        if (condition > 0)
        {
            y = new float[rows * condition];
            rng.FillUniform(y, 0f, 1f);
        }

        // ε as the model will draw it: its noise generator is Rng(Seed, stream 1), one fill of rows × Latent.
        var eps = new float[rows * z];
        new Rng(Seed, 1).FillNormal(eps);

        var p = RefNet.ToDouble(vae.Parameters.Span);
        var enc = new RefNet(vae, encoder.Names, encoder.Acts);
        var dec = new RefNet(vae, decoder.Names, decoder.Acts);
        var xd = RefNet.To2D(x, rows, d);
        var yd = y is null ? null : RefNet.To2D(y, rows, condition);
        var ed = RefNet.To2D(eps, rows, z);

        (double Loss, double Rec, double Kl) Reference(double[] q)
        {
            var head = enc.Forward(q, RefNet.Concat(xd, yd)).Last();
            var zz = new double[rows, z];
            double kl = 0;
            for (int r = 0; r < rows; r++)
                for (int j = 0; j < z; j++)
                {
                    double mu = head[r, j], lv = head[r, z + j];
                    zz[r, j] = mu + Math.Exp(0.5 * lv) * ed[r, j];
                    kl += 0.5 * (mu * mu + Math.Exp(lv) - lv - 1);
                }
            var o = dec.Forward(q, RefNet.Concat(zz, yd)).Last();
            double rec = 0;
            for (int r = 0; r < rows; r++)
                for (int j = 0; j < d; j++)
                {
                    double t = xd[r, j];
                    rec += likelihood switch
                    {
                        0 => RefNet.Softplus(o[r, j]) - t * o[r, j],
                        1 => 0.5 * ((t - o[r, j]) * (t - o[r, j]) * Math.Exp(-o[r, d + j]) + o[r, d + j] + Math.Log(2 * Math.PI)),
                        _ => 0.5 * ((t - o[r, j]) * (t - o[r, j]) / (sigma * sigma) + Math.Log(sigma * sigma) + Math.Log(2 * Math.PI)),
                    };
                }
            return ((rec + beta * kl) / rows, rec / rows, kl / rows);
        }

        var loss = backward(x, y, rows);
        var expected = Reference(p);
        Assert.True(Math.Abs(loss.Loss - expected.Loss) <= 1e-4 * Math.Max(1, Math.Abs(expected.Loss)), $"loss {loss.Loss} vs {expected.Loss}");
        Assert.True(Math.Abs(loss.Reconstruction - expected.Rec) <= 1e-4 * Math.Max(1, Math.Abs(expected.Rec)), $"reconstruction {loss.Reconstruction} vs {expected.Rec}");
        Assert.True(Math.Abs(loss.Kl - expected.Kl) <= 1e-4 * Math.Max(1, Math.Abs(expected.Kl)), $"KL {loss.Kl} vs {expected.Kl}");

        var g = RefNet.ToDouble(vae.Gradients.Span);
        foreach (var t in vae.Tensors)
        {
            var fd = new double[t.Length];
            for (int i = 0; i < t.Length; i++)
                fd[i] = RefNet.FiniteDifference(q => Reference(q).Loss, p, t.Offset + i);
            RefNet.AssertClose(fd, g.AsSpan(t.Offset, t.Length).ToArray(), 2e-3, $"gradient of {t.Name}");
        }
    }
}
