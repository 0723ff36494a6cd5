using CommunityToolkit.HighPerformance;
using GenDsl.Export;
using GenDsl.Models.Tests.ConvNets;
using GenDsl.Models.Tests.Flows;
using GenDsl.Models.Tests.Networks;
using GenDsl.Models.Tests.Regressors;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xunit.Abstractions;

namespace GenDsl.Models.Tests.Export;

/// <summary>
/// Every exported part of every model family and layer kind, run by ONNX Runtime on a fixed batch and
/// compared with GenDsl's own outputs: relative error ‖onnx − gendsl‖∞ / ‖gendsl‖∞ over the whole output
/// (all rows and columns) ≤ 1e-5. The parameters are perturbed away from their initialisation (coupling
/// output layers start at zero, invertible linear maps at a permutation, running statistics at 0 and 1),
/// so every tensor matters. Each graph runs at two batch sizes (the batch dimension is dynamic).
/// </summary>
public sealed class OnnxExportTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-5;
    private static readonly int[] s_batches = [7, 1];

    private static ModelOptions Options() => new() { MaxBatch = 16, Seed = 11 };

    // ------------------------------------------------------------------------------------ cases

    /// <summary>A model and, per part, GenDsl's computation of the graph's outputs from its inputs (arrays of rows × columns).</summary>
    private sealed record Case(IGenerativeModel Model, Func<OnnxPart, int, (string Name, float[] Data, int Columns)[]> Inputs,
        Func<OnnxPart, int, (string Name, float[] Data, int Columns)[], Dictionary<string, float[]>> Expected);

    private static ReadOnlySpan2D<float> R(float[] a, int rows) => new(a, rows, a.Length / rows);
    private static Span2D<float> W(float[] a, int rows) => new(a, rows, a.Length / rows);

    private static float[] Normal(int n, ulong seed, float std = 1f)
    {
        var a = new float[n];
        new Rng(seed, stream: 7).FillNormal(a, 0f, std);
        return a;
    }

    private static float[] Uniform01(int n, ulong seed)
    {
        var a = new float[n];
        new Rng(seed, stream: 8).FillUniform(a, 0f, 1f);
        return a;
    }

    private static float[] OneHot(int rows, int k)
    {
        var a = new float[rows * k];
        for (int r = 0; r < rows; r++) a[r * k + (r * 3 + 1) % k] = 1f;
        return a;
    }

    /// <summary>Moves every parameter off its initialisation (and the running statistics off 0 and 1).</summary>
    private static T Perturb<T>(T model, float std = 0.15f) where T : IGenerativeModel
    {
        var p = model.Parameters.Span;
        var noise = Normal(p.Length, 99, std);
        for (int i = 0; i < p.Length; i++) p[i] += noise[i];
        var b = model.Buffers.Span;
        foreach (var t in model.Tensors.Where(t => t.IsBuffer))
        {
            int n = t.Shape.Aggregate(1, (x, y) => x * y);
            var values = Uniform01(n, (ulong)t.Offset + 5);
            for (int i = 0; i < n; i++)
                b[t.Offset + i] = t.Name.EndsWith(".running_var", StringComparison.Ordinal) ? 0.5f + values[i] : 0.4f * (values[i] - 0.5f);
        }
        return model;
    }

    /// <summary>
    /// Zeroes the masked-out weights of every masked autoregressive layer again after <see cref="Perturb"/> wrote them
    /// (as the layer's documentation asks after writing Parameters): GenDsl's own passes rely on them being 0.
    /// </summary>
    private static T Masked<T>(T model) where T : IGenerativeModel
    {
        var layers = typeof(T).GetProperties().Where(p => p.PropertyType == typeof(MaskedAutoregressive)).ToList();
        Assert.NotEmpty(layers);
        foreach (var layer in layers)
            ((MaskedAutoregressive)layer.GetValue(model)!).ApplyMasks();
        return model;
    }

    private delegate void FlowLogProb(float[] x, float[] y, float[] logProb, int rows);
    private delegate void FlowFromLatent(float[] z, float[] y, float[] x, int rows);

    private static Case Flow(IGenerativeModel m, FlowLogProb logProb, FlowFromLatent fromLatent) =>
        new(m,
            (part, rows) =>
            {
                var main = (part == OnnxPart.Sample ? "z" : "x", Normal(rows * m.Features, 3), m.Features);
                return m.ConditionSize > 0 ? [main, ("y", OneHot(rows, m.ConditionSize), m.ConditionSize)] : [main];
            },
            (part, rows, inputs) =>
            {
                var y = m.ConditionSize > 0 ? inputs[1].Data : [];
                if (part == OnnxPart.LogProb)
                {
                    var lp = new float[rows];
                    logProb(inputs[0].Data, y, lp, rows);
                    return new() { ["log_prob"] = lp };
                }
                var x = new float[rows * m.Features];
                fromLatent(inputs[0].Data, y, x, rows);
                return new() { ["x"] = x };
            });

    private delegate void VaeEncode(float[] x, float[] y, float[] mu, float[] logVar, int rows);
    private delegate void VaeDecode(float[] z, float[] y, float[] x, int rows);

    private static Case Vae(IVaeModel m, VaeEncode encode, VaeDecode decode) =>
        new(m,
            (part, rows) =>
            {
                var main = part == OnnxPart.Encode ? ("x", Uniform01(rows * m.Features, 4), m.Features) : ("z", Normal(rows * m.LatentSize, 5), m.LatentSize);
                return m.ConditionSize > 0 ? [main, ("y", OneHot(rows, m.ConditionSize), m.ConditionSize)] : [main];
            },
            (part, rows, inputs) =>
            {
                var y = m.ConditionSize > 0 ? inputs[1].Data : [];
                if (part == OnnxPart.Encode)
                {
                    float[] mu = new float[rows * m.LatentSize], lv = new float[rows * m.LatentSize];
                    encode(inputs[0].Data, y, mu, lv, rows);
                    return new() { ["mu"] = mu, ["log_var"] = lv };
                }
                var x = new float[rows * m.Features];
                decode(inputs[0].Data, y, x, rows);
                return new() { ["x"] = x };
            });

    private delegate void GanSample(float[] y, float[] x, int rows, Rng rng);
    private delegate void GanDiscriminate(float[] x, float[] y, float[] probability, int rows);

    /// <summary>GenDsl's Sample draws z row by row from its Rng; the ONNX input is the same z, drawn from an equal Rng.</summary>
    private static Case Gan(IGanModel m, GanSample sample, GanDiscriminate discriminate) =>
        new(m,
            (part, rows) =>
            {
                (string, float[], int) main;
                if (part == OnnxPart.Generate)
                {
                    var z = new float[rows * m.NoiseSize];
                    var rng = new Rng(21);
                    for (int r = 0; r < rows; r++) rng.FillNormal(z.AsSpan(r * m.NoiseSize, m.NoiseSize));
                    main = ("z", z, m.NoiseSize);
                }
                else
                    main = ("x", Normal(rows * m.Features, 6), m.Features);
                return m.ConditionSize > 0 ? [main, ("y", OneHot(rows, m.ConditionSize), m.ConditionSize)] : [main];
            },
            (part, rows, inputs) =>
            {
                var y = m.ConditionSize > 0 ? inputs[1].Data : [];
                if (part == OnnxPart.Generate)
                {
                    var x = new float[rows * m.Features];
                    sample(y, x, rows, new Rng(21));
                    return new() { ["x"] = x };
                }
                var p = new float[rows];
                discriminate(inputs[0].Data, y, p, rows);
                return new() { ["probability"] = p }; // compared with σ(logit) of the graph
            });

    private delegate void M2Encode(float[] x, int[] classes, float[] mu, float[] logVar, int rows);
    private delegate void M2Decode(float[] z, int[] classes, float[] x, int rows);

    /// <summary>An M2: y is fed to encode and decode as one-hot rows, GenDsl gets the same classes as indices; classify is GenDsl's Classify.</summary>
    private static Case M2(ISemiSupervisedModel m, M2Encode encode, M2Decode decode) =>
        new(m,
            (part, rows) => part switch
            {
                OnnxPart.Encode => [("x", Uniform01(rows * m.Features, 4), m.Features), ("y", OneHot(rows, m.ClassCount), m.ClassCount)],
                OnnxPart.Decode => [("z", Normal(rows * m.LatentSize, 5), m.LatentSize), ("y", OneHot(rows, m.ClassCount), m.ClassCount)],
                _ => [("x", Uniform01(rows * m.Features, 4), m.Features)],
            },
            (part, rows, inputs) =>
            {
                int[] classes = part == OnnxPart.Classify ? [] : Classes(inputs[1].Data, m.ClassCount);
                switch (part)
                {
                    case OnnxPart.Encode:
                        float[] mu = new float[rows * m.LatentSize], lv = new float[rows * m.LatentSize];
                        encode(inputs[0].Data, classes, mu, lv, rows);
                        return new() { ["mu"] = mu, ["log_var"] = lv };
                    case OnnxPart.Decode:
                        var x = new float[rows * m.Features];
                        decode(inputs[0].Data, classes, x, rows);
                        return new() { ["x"] = x };
                    default:
                        var probabilities = new float[rows * m.ClassCount];
                        m.Classify(R(inputs[0].Data, rows), W(probabilities, rows));
                        return new() { ["probabilities"] = probabilities };
                }
            });

    /// <summary>A regressor: predict is GenDsl's Predict (running statistics in batch norms).</summary>
    private static Case Regressor(IRegressorModel m) =>
        new(m,
            (part, rows) => [("y", Normal(rows * m.ConditionSize, 4), m.ConditionSize)],
            (part, rows, inputs) =>
            {
                var x = new float[rows * m.Features];
                m.Predict(R(inputs[0].Data, rows), W(x, rows));
                return new() { ["x"] = x };
            });

    /// <summary>The class of each one-hot row.</summary>
    private static int[] Classes(float[] oneHot, int k) =>
        Enumerable.Range(0, oneHot.Length / k).Select(r => Array.IndexOf(oneHot, 1f, r * k, k) - r * k).ToArray();

    private static readonly Dictionary<string, Func<Case>> s_cases = new()
    {
        // flows: every layer kind (MixedFlow: affine, additive, permutations, ActNorm, invertible linear; HiddenLayers 0…2)
        ["MoonsFlow"] = () => { var m = Perturb(new MoonsFlow(Options())); return Flow(m, (x, _, lp, n) => m.LogProb(R(x, n), lp), (z, _, x, n) => m.FromLatent(R(z, n), W(x, n))); },
        ["ConditionalMoonsFlow"] = () => { var m = Perturb(new ConditionalMoonsFlow(Options())); return Flow(m, (x, y, lp, n) => m.LogProb(R(x, n), R(y, n), lp), (z, y, x, n) => m.FromLatent(R(z, n), R(y, n), W(x, n))); },
        ["DigitsFlow"] = () => { var m = Perturb(new DigitsFlow(Options()), 0.05f); return Flow(m, (x, _, lp, n) => m.LogProb(R(x, n), lp), (z, _, x, n) => m.FromLatent(R(z, n), W(x, n))); },
        ["MixedFlow"] = () => { var m = Perturb(new MixedFlow(Options())); return Flow(m, (x, _, lp, n) => m.LogProb(R(x, n), lp), (z, _, x, n) => m.FromLatent(R(z, n), W(x, n))); },
        ["ConditionalSmallFlow"] = () => { var m = Perturb(new ConditionalSmallFlow(Options())); return Flow(m, (x, y, lp, n) => m.LogProb(R(x, n), R(y, n), lp), (z, y, x, n) => m.FromLatent(R(z, n), R(y, n), W(x, n))); },
        ["WideFlow"] = () => { var m = Perturb(new WideFlow(Options())); return Flow(m, (x, _, lp, n) => m.LogProb(R(x, n), lp), (z, _, x, n) => m.FromLatent(R(z, n), W(x, n))); },
        // spline couplings: with every other layer kind, conditional, the ready-made one; tail bounds 1 … 3, so the
        // normal inputs cross into the linear tails
        ["SplineMixedFlow"] = () => { var m = Perturb(new SplineMixedFlow(Options())); return Flow(m, (x, _, lp, n) => m.LogProb(R(x, n), lp), (z, _, x, n) => m.FromLatent(R(z, n), W(x, n))); },
        ["ConditionalSplineFlow"] = () => { var m = Perturb(new ConditionalSplineFlow(Options())); return Flow(m, (x, y, lp, n) => m.LogProb(R(x, n), R(y, n), lp), (z, y, x, n) => m.FromLatent(R(z, n), R(y, n), W(x, n))); },
        ["MoonsSplineFlow"] = () => { var m = Perturb(new MoonsSplineFlow(Options())); return Flow(m, (x, _, lp, n) => m.LogProb(R(x, n), lp), (z, _, x, n) => m.FromLatent(R(z, n), W(x, n))); },
        // masked autoregressive layers (MADE): MAF and IAF, 1 to 3 hidden layers, every activation, between the other layer
        // kinds, conditional; sample unrolls the MAFs' D passes, log_prob the IAFs'
        ["MafMixedFlow"] = () => { var m = Masked(Perturb(new MafMixedFlow(Options()))); return Flow(m, (x, _, lp, n) => m.LogProb(R(x, n), lp), (z, _, x, n) => m.FromLatent(R(z, n), W(x, n))); },
        ["ConditionalMafFlow"] = () => { var m = Masked(Perturb(new ConditionalMafFlow(Options()))); return Flow(m, (x, y, lp, n) => m.LogProb(R(x, n), R(y, n), lp), (z, y, x, n) => m.FromLatent(R(z, n), R(y, n), W(x, n))); },
        ["MoonsMaf"] = () => { var m = Masked(Perturb(new MoonsMaf(Options()), 0.05f)); return Flow(m, (x, _, lp, n) => m.LogProb(R(x, n), lp), (z, _, x, n) => m.FromLatent(R(z, n), W(x, n))); },
        ["DigitsMaf"] = () => { var m = Masked(Perturb(new DigitsMaf(Options()), 0.01f)); return Flow(m, (x, _, lp, n) => m.LogProb(R(x, n), lp), (z, _, x, n) => m.FromLatent(R(z, n), W(x, n))); },
        // masked autoregressive spline layers: MAF and IAF (beside an affine IAF, ActNorm and a permutation), conditional, the
        // ready-made one; tail bounds 1 … 3, so the normal inputs cross into the linear tails; sample unrolls the MAFs' D passes
        // of the spline inverse, log_prob the IAFs' of the spline
        ["SplineMafFlow"] = () => { var m = Masked(Perturb(new SplineMafFlow(Options()))); return Flow(m, (x, _, lp, n) => m.LogProb(R(x, n), lp), (z, _, x, n) => m.FromLatent(R(z, n), W(x, n))); },
        ["ConditionalSplineMafFlow"] = () => { var m = Masked(Perturb(new ConditionalSplineMafFlow(Options()))); return Flow(m, (x, y, lp, n) => m.LogProb(R(x, n), R(y, n), lp), (z, y, x, n) => m.FromLatent(R(z, n), R(y, n), W(x, n))); },
        ["MoonsSplineMaf"] = () => { var m = Masked(Perturb(new MoonsSplineMaf(Options()), 0.05f)); return Flow(m, (x, _, lp, n) => m.LogProb(R(x, n), lp), (z, _, x, n) => m.FromLatent(R(z, n), W(x, n))); },
        // image flows: squeezes, per-channel ActNorm, invertible 1×1 convolutions, convolutional couplings (channel halves and
        // checkerboards, with and without a condition as constant channels), splits (the latent's factored-out channels), and
        // vector layers on the flat row between them; the ready-made FashionGlow
        ["ImageSqueezeFlow"] = () => { var m = Perturb(new ImageSqueezeFlow(Options())); return Flow(m, (x, _, lp, n) => m.LogProb(R(x, n), lp), (z, _, x, n) => m.FromLatent(R(z, n), W(x, n))); },
        ["ConditionalImageSqueezeFlow"] = () => { var m = Perturb(new ConditionalImageSqueezeFlow(Options())); return Flow(m, (x, y, lp, n) => m.LogProb(R(x, n), R(y, n), lp), (z, y, x, n) => m.FromLatent(R(z, n), R(y, n), W(x, n))); },
        ["ImageActNormFlow"] = () => { var m = Perturb(new ImageActNormFlow(Options())); return Flow(m, (x, _, lp, n) => m.LogProb(R(x, n), lp), (z, _, x, n) => m.FromLatent(R(z, n), W(x, n))); },
        ["ImageGlowStepFlow"] = () => { var m = Perturb(new ImageGlowStepFlow(Options())); return Flow(m, (x, _, lp, n) => m.LogProb(R(x, n), lp), (z, _, x, n) => m.FromLatent(R(z, n), W(x, n))); },
        ["ConditionalImageConvFlow"] = () => { var m = Perturb(new ConditionalImageConvFlow(Options())); return Flow(m, (x, y, lp, n) => m.LogProb(R(x, n), R(y, n), lp), (z, y, x, n) => m.FromLatent(R(z, n), R(y, n), W(x, n))); },
        ["ImageConvCouplingFlow"] = () => { var m = Perturb(new ImageConvCouplingFlow(Options())); return Flow(m, (x, _, lp, n) => m.LogProb(R(x, n), lp), (z, _, x, n) => m.FromLatent(R(z, n), W(x, n))); },
        ["ImageCheckerboardFlow"] = () => { var m = Perturb(new ImageCheckerboardFlow(Options())); return Flow(m, (x, _, lp, n) => m.LogProb(R(x, n), lp), (z, _, x, n) => m.FromLatent(R(z, n), W(x, n))); },
        ["ImageConditionFlow"] = () => { var m = Perturb(new ImageConditionFlow(Options())); return Flow(m, (x, y, lp, n) => m.LogProb(R(x, n), R(y, n), lp), (z, y, x, n) => m.FromLatent(R(z, n), R(y, n), W(x, n))); },
        ["ConditionalImageConvCouplingFlow"] = () => { var m = Perturb(new ConditionalImageConvCouplingFlow(Options())); return Flow(m, (x, y, lp, n) => m.LogProb(R(x, n), R(y, n), lp), (z, y, x, n) => m.FromLatent(R(z, n), R(y, n), W(x, n))); },
        ["IdentityImageConvFlow"] = () => { var m = Perturb(new IdentityImageConvFlow(Options())); return Flow(m, (x, _, lp, n) => m.LogProb(R(x, n), lp), (z, _, x, n) => m.FromLatent(R(z, n), W(x, n))); },
        ["ImageSplitFlow"] = () => { var m = Perturb(new ImageSplitFlow(Options())); return Flow(m, (x, _, lp, n) => m.LogProb(R(x, n), lp), (z, _, x, n) => m.FromLatent(R(z, n), W(x, n))); },
        ["FashionGlow"] = () => { var m = Perturb(new FashionGlow(Options()), 0.02f); return Flow(m, (x, _, lp, n) => m.LogProb(R(x, n), lp), (z, _, x, n) => m.FromLatent(R(z, n), W(x, n))); },
        // VAEs: dense, conv, conv transpose, batch norm, flatten, unflatten; Bernoulli, Gaussian, fixed σ; conditional (vector and channels)
        ["DigitsVae"] = () => { var m = Perturb(new DigitsVae(Options())); return Vae(m, (x, _, mu, lv, n) => m.Encode(R(x, n), W(mu, n), W(lv, n)), (z, _, x, n) => m.Decode(R(z, n), W(x, n))); },
        ["MnistVae"] = () => { var m = Perturb(new MnistVae(Options()), 0.02f); return Vae(m, (x, _, mu, lv, n) => m.Encode(R(x, n), W(mu, n), W(lv, n)), (z, _, x, n) => m.Decode(R(z, n), W(x, n))); },
        ["DigitsCvae"] = () => { var m = Perturb(new DigitsCvae(Options())); return Vae(m, (x, y, mu, lv, n) => m.Encode(R(x, n), R(y, n), W(mu, n), W(lv, n)), (z, y, x, n) => m.Decode(R(z, n), R(y, n), W(x, n))); },
        ["FashionConvVae"] = () => { var m = Perturb(new FashionConvVae(Options()), 0.02f); return Vae(m, (x, _, mu, lv, n) => m.Encode(R(x, n), W(mu, n), W(lv, n)), (z, _, x, n) => m.Decode(R(z, n), W(x, n))); },
        ["FashionConvCvae"] = () => { var m = Perturb(new FashionConvCvae(Options()), 0.02f); return Vae(m, (x, y, mu, lv, n) => m.Encode(R(x, n), R(y, n), W(mu, n), W(lv, n)), (z, y, x, n) => m.Decode(R(z, n), R(y, n), W(x, n))); },
        ["FashionMlpVae"] = () => { var m = Perturb(new FashionMlpVae(Options()), 0.02f); return Vae(m, (x, _, mu, lv, n) => m.Encode(R(x, n), W(mu, n), W(lv, n)), (z, _, x, n) => m.Decode(R(z, n), W(x, n))); },
        ["TinyBernoulliVae"] = () => { var m = Perturb(new TinyBernoulliVae(Options())); return Vae(m, (x, _, mu, lv, n) => m.Encode(R(x, n), W(mu, n), W(lv, n)), (z, _, x, n) => m.Decode(R(z, n), W(x, n))); },
        ["TinyGaussianCvae"] = () => { var m = Perturb(new TinyGaussianCvae(Options())); return Vae(m, (x, y, mu, lv, n) => m.Encode(R(x, n), R(y, n), W(mu, n), W(lv, n)), (z, y, x, n) => m.Decode(R(z, n), R(y, n), W(x, n))); },
        ["TinyFixedVae"] = () => { var m = Perturb(new TinyFixedVae(Options())); return Vae(m, (x, _, mu, lv, n) => m.Encode(R(x, n), W(mu, n), W(lv, n)), (z, _, x, n) => m.Decode(R(z, n), W(x, n))); },
        ["ConvBernoulliVae"] = () => { var m = Perturb(new ConvBernoulliVae(Options())); return Vae(m, (x, _, mu, lv, n) => m.Encode(R(x, n), W(mu, n), W(lv, n)), (z, _, x, n) => m.Decode(R(z, n), W(x, n))); },
        ["ConvGaussianVae"] = () => { var m = Perturb(new ConvGaussianVae(Options())); return Vae(m, (x, _, mu, lv, n) => m.Encode(R(x, n), W(mu, n), W(lv, n)), (z, _, x, n) => m.Decode(R(z, n), W(x, n))); },
        ["ConvDenseHeadVae"] = () => { var m = Perturb(new ConvDenseHeadVae(Options())); return Vae(m, (x, _, mu, lv, n) => m.Encode(R(x, n), W(mu, n), W(lv, n)), (z, _, x, n) => m.Decode(R(z, n), W(x, n))); },
        ["ImageConditionCvae"] = () => { var m = Perturb(new ImageConditionCvae(Options())); return Vae(m, (x, y, mu, lv, n) => m.Encode(R(x, n), R(y, n), W(mu, n), W(lv, n)), (z, y, x, n) => m.Decode(R(z, n), R(y, n), W(x, n))); },
        ["ConvCvae"] = () => { var m = Perturb(new ConvCvae(Options())); return Vae(m, (x, y, mu, lv, n) => m.Encode(R(x, n), R(y, n), W(mu, n), W(lv, n)), (z, y, x, n) => m.Decode(R(z, n), R(y, n), W(x, n))); },
        // GANs: every loss, dense and conv (DCGANs with batch norm), conditional (vector and channels)
        ["RingGan"] = () => { var m = Perturb(new RingGan(Options())); return Gan(m, (_, x, n, rng) => m.Sample(W(x, n), rng), (x, _, p, n) => m.Discriminate(R(x, n), p)); },
        ["RingCgan"] = () => { var m = Perturb(new RingCgan(Options())); return Gan(m, (y, x, n, rng) => m.Sample(W(x, n), R(y, n), rng), (x, y, p, n) => m.Discriminate(R(x, n), R(y, n), p)); },
        ["MnistGan"] = () => { var m = Perturb(new MnistGan(Options()), 0.02f); return Gan(m, (_, x, n, rng) => m.Sample(W(x, n), rng), (x, _, p, n) => m.Discriminate(R(x, n), p)); },
        ["FashionDcgan"] = () => { var m = Perturb(new FashionDcgan(Options()), 0.02f); return Gan(m, (_, x, n, rng) => m.Sample(W(x, n), rng), (x, _, p, n) => m.Discriminate(R(x, n), p)); },
        ["FashionCdcgan"] = () => { var m = Perturb(new FashionCdcgan(Options()), 0.02f); return Gan(m, (y, x, n, rng) => m.Sample(W(x, n), R(y, n), rng), (x, y, p, n) => m.Discriminate(R(x, n), R(y, n), p)); },
        ["TinyNsGan"] = () => { var m = Perturb(new TinyNsGan(Options())); return Gan(m, (_, x, n, rng) => m.Sample(W(x, n), rng), (x, _, p, n) => m.Discriminate(R(x, n), p)); },
        ["TinyMinimaxCgan"] = () => { var m = Perturb(new TinyMinimaxCgan(Options())); return Gan(m, (y, x, n, rng) => m.Sample(W(x, n), R(y, n), rng), (x, y, p, n) => m.Discriminate(R(x, n), R(y, n), p)); },
        ["TinyHingeGan"] = () => { var m = Perturb(new TinyHingeGan(Options())); return Gan(m, (_, x, n, rng) => m.Sample(W(x, n), rng), (x, _, p, n) => m.Discriminate(R(x, n), p)); },
        ["TinyWgan"] = () => { var m = Perturb(new TinyWgan(Options())); return Gan(m, (y, x, n, rng) => m.Sample(W(x, n), R(y, n), rng), (x, y, p, n) => m.Discriminate(R(x, n), R(y, n), p)); },
        ["ConvBnGan"] = () => { var m = Perturb(new ConvBnGan(Options())); return Gan(m, (_, x, n, rng) => m.Sample(W(x, n), rng), (x, _, p, n) => m.Discriminate(R(x, n), p)); },
        ["ImageConditionCgan"] = () => { var m = Perturb(new ImageConditionCgan(Options())); return Gan(m, (y, x, n, rng) => m.Sample(W(x, n), R(y, n), rng), (x, y, p, n) => m.Discriminate(R(x, n), R(y, n), p)); },
        ["ConvCgan"] = () => { var m = Perturb(new ConvCgan(Options())); return Gan(m, (y, x, n, rng) => m.Sample(W(x, n), R(y, n), rng), (x, y, p, n) => m.Discriminate(R(x, n), R(y, n), p)); },
        ["ConvHingeGan"] = () => { var m = Perturb(new ConvHingeGan(Options())); return Gan(m, (_, x, n, rng) => m.Sample(W(x, n), rng), (x, _, p, n) => m.Discriminate(R(x, n), p)); },
        // semi-supervised VAEs (M2): dense (the ready-made one), y as constant channels of a conv encoder, a conv classifier
        // with a batch norm, a conv-transpose decoder
        ["TinyM2"] = () => { var m = Perturb(new TinyM2(Options())); return M2(m, (x, c, mu, lv, n) => m.Encode(R(x, n), c, W(mu, n), W(lv, n)), (z, c, x, n) => m.Decode(R(z, n), c, W(x, n))); },
        ["TinyConvM2"] = () => { var m = Perturb(new TinyConvM2(Options())); return M2(m, (x, c, mu, lv, n) => m.Encode(R(x, n), c, W(mu, n), W(lv, n)), (z, c, x, n) => m.Decode(R(z, n), c, W(x, n))); },
        ["MnistM2"] = () => { var m = Perturb(new MnistM2(Options()), 0.02f); return M2(m, (x, c, mu, lv, n) => m.Encode(R(x, n), c, W(mu, n), W(lv, n)), (z, c, x, n) => m.Decode(R(z, n), c, W(x, n))); },
        // regressors: dense with an implied sigmoid head; a batch norm and a conv transpose that makes the image; no layers
        ["DenseRegressor"] = () => Regressor(Perturb(new DenseRegressor(Options()))),
        ["ConvRegressor"] = () => Regressor(Perturb(new ConvRegressor(Options()))),
        ["LinearRegressor"] = () => Regressor(Perturb(new LinearRegressor(Options()))),
    };

    public static TheoryData<string> Models() => new(s_cases.Keys);

    // ------------------------------------------------------------------------------------ the comparison

    [Theory]
    [MemberData(nameof(Models))]
    public void EveryPartMatchesGenDslUnderOnnxRuntime(string name)
    {
        var c = s_cases[name]();
        var exportable = (IOnnxExportable)c.Model;
        Assert.Equal(c.Model switch { ISemiSupervisedModel => 3, IRegressorModel => 1, _ => 2 }, exportable.OnnxExportParts.Count); // M2: encode, decode and classify; a regressor: predict
        foreach (var part in exportable.OnnxExportParts)
        {
            byte[] bytes = exportable.ExportOnnx(part);
            using var session = new InferenceSession(bytes);
            double worst = 0;
            foreach (int rows in s_batches)
            {
                var inputs = c.Inputs(part, rows);
                var expected = c.Expected(part, rows, inputs);
                var feeds = inputs.Select(i => NamedOnnxValue.CreateFromTensor(i.Name, new DenseTensor<float>(i.Data, [rows, i.Columns]))).ToList();
                using var results = session.Run(feeds);
                foreach (var (outputName, want) in expected)
                {
                    float[] got;
                    if (outputName == "probability")
                        got = results.Single(r => r.Name == "logit").AsEnumerable<float>().Select(l => 1f / (1f + MathF.Exp(-l))).ToArray();
                    else
                        got = results.Single(r => r.Name == outputName).AsEnumerable<float>().ToArray();
                    if (rows > 1)
                        Assert.True(want.Max() - want.Min() > 1e-3 * Math.Max(1.0, want.Max(Math.Abs)) && want.All(v => MathF.Abs(v) < 1e30f),
                            $"{name}.{OnnxParts.Name(part)} output {outputName}: GenDsl's rows are (nearly) constant or saturated, so the comparison would prove little");
                    double error = RelativeError(got, want);
                    worst = Math.Max(worst, error);
                    Assert.True(error <= Tolerance, $"{name}.{OnnxParts.Name(part)} output {outputName} at batch {rows}: relative error {error:E2} > {Tolerance:E0}");
                }
            }
            output.WriteLine($"{name}.{OnnxParts.Name(part)}: max relative error {worst:E2}");
        }
    }

    /// <summary>
    /// Huge knot derivatives (θ_d = ±1e20: δ = 1e20 or the minimum 1e-3, alternating) make the inverse's quadratic
    /// coefficients differences of huge numbers, where GenDsl falls back to 64 bisection steps; the graph computes that
    /// fallback for every value and must select it where GenDsl does (the root alone misses by whole bins there).
    /// </summary>
    [Fact]
    public void SplineInverseFallsBackToBisectionWhereGenDslDoes()
    {
        const int rows = 64;
        var m = Perturb(new MoonsSplineFlow(new ModelOptions { MaxBatch = rows, Seed = 11 }));
        const int bins = 8, p = 3 * bins - 1;
        foreach (var t in MoonsSplineFlow.Tensors.Where(t => t.Name.EndsWith(".net.2.bias", StringComparison.Ordinal)))
            for (int i = 2 * bins; i < p; i++)
                m.Parameters.Span[t.Offset + i] = i % 2 == 0 ? 1e20f : -1e20f;
        var z = Normal(rows * 2, 8, std: 1.5f);
        var want = new float[rows * 2];
        m.FromLatent(R(z, rows), W(want, rows));
        using var session = new InferenceSession(m.ExportOnnx(OnnxPart.Sample));
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("z", new DenseTensor<float>(z, [rows, 2]))]);
        var got = results.Single(r => r.Name == "x").AsEnumerable<float>().ToArray();
        double error = RelativeError(got, want);
        output.WriteLine($"MoonsSplineFlow.sample with huge derivatives: max relative error {error:E2}");
        Assert.True(error <= Tolerance, $"relative error {error:E2} > {Tolerance:E0}");
    }

    /// <summary>Every parameter tensor of <paramref name="m"/> is an initialiser of the graph under its checkpoint name, with its shape and values.</summary>
    internal static void AssertInitialisersAreTheTensors(Onnx.ModelProto model, IGenerativeModel m, string part)
    {
        var initializers = model.Graph.Initializer.ToDictionary(t => t.Name);
        foreach (var t in m.Tensors.Where(t => !t.IsBuffer))
        {
            Assert.True(initializers.TryGetValue(t.Name, out var init), $"{part}: no initialiser {t.Name}");
            Assert.Equal(t.Shape.Select(d => (long)d), init.Dims);
            var values = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(init.RawData.Span).ToArray();
            Assert.Equal(m.Parameters.Span.Slice(t.Offset, values.Length).ToArray(), values);
        }
    }

    /// <summary>‖a − b‖∞ / ‖b‖∞ (NaN-safe: a NaN anywhere is an infinite error).</summary>
    internal static double RelativeError(float[] got, float[] want)
    {
        Assert.Equal(want.Length, got.Length);
        double diff = 0, scale = 0;
        for (int i = 0; i < want.Length; i++)
        {
            double d = Math.Abs((double)got[i] - want[i]);
            if (double.IsNaN(d)) return double.PositiveInfinity;
            diff = Math.Max(diff, d);
            scale = Math.Max(scale, Math.Abs(want[i]));
        }
        return diff / Math.Max(scale, 1e-30);
    }

    // ------------------------------------------------------------------------------------ the graph's shape and names

    [Fact]
    public void GraphsUseOpset17ADynamicBatchAndTheDeclarationsNames()
    {
        var m = new ConditionalSmallFlow(Options());
        var model = Onnx.ModelProto.Parser.ParseFrom(m.ExportOnnx(OnnxPart.LogProb));
        Assert.Equal(17, model.OpsetImport.Single(o => o.Domain == "").Version);
        Assert.Equal(new[] { "x", "y" }, model.Graph.Input.Select(i => i.Name));
        Assert.Equal("log_prob", model.Graph.Output.Single().Name);
        Assert.All(model.Graph.Input.Concat(model.Graph.Output), v => Assert.Equal("batch", v.Type.TensorType.Shape.Dim[0].DimParam));
        AssertInitialisersAreTheTensors(model, m, "log_prob"); // every learned tensor, named as in checkpoints, with the model's values
        Assert.Contains("C1.net.0.weight", model.Graph.Initializer.Select(t => t.Name));

        var gan = Onnx.ModelProto.Parser.ParseFrom(new FashionCdcgan(Options()).ExportOnnx(OnnxPart.Generate));
        Assert.Equal(new[] { "z", "y" }, gan.Graph.Input.Select(i => i.Name));
        var names = gan.Graph.Initializer.Select(t => t.Name).ToHashSet();
        Assert.Contains("G2.running_mean", names);
        Assert.Contains("G4.weight", names);
        Assert.DoesNotContain("D1.weight", names); // the discriminator is not part of generate

        var vae = Onnx.ModelProto.Parser.ParseFrom(new DigitsVae(Options()).ExportOnnx(OnnxPart.Encode));
        Assert.Equal(new[] { "mu", "log_var" }, vae.Graph.Output.Select(o => o.Name));
        Assert.Contains("encoder.head.weight", vae.Graph.Initializer.Select(t => t.Name));

        // M2: encode reads x and the one-hot y, classify x alone, with the classifier's tensors only
        Assert.Equal(new[] { "encode", "decode", "classify" }, TinyM2.OnnxParts.Select(OnnxParts.Name));
        var encode = Onnx.ModelProto.Parser.ParseFrom(new TinyM2(Options()).ExportOnnx(OnnxPart.Encode));
        Assert.Equal(new[] { "x", "y" }, encode.Graph.Input.Select(i => i.Name));
        Assert.Equal(new[] { "mu", "log_var" }, encode.Graph.Output.Select(o => o.Name));
        var classify = Onnx.ModelProto.Parser.ParseFrom(new TinyM2(Options()).ExportOnnx(OnnxPart.Classify));
        Assert.Equal("x", classify.Graph.Input.Single().Name);
        Assert.Equal("probabilities", classify.Graph.Output.Single().Name);
        Assert.Equal(TinyM2.ClassCount, classify.Graph.Output.Single().Type.TensorType.Shape.Dim[1].DimValue);
        var classifierTensors = classify.Graph.Initializer.Select(t => t.Name).ToHashSet();
        Assert.Equal(new[] { "C1.bias", "C1.weight", "classifier.head.bias", "classifier.head.weight" }, classifierTensors.Order());
    }

    [Fact]
    public void MadeInitialisersAreTheMaskedWeightsUnderTheirCheckpointNames()
    {
        // The MADE masks are baked into the weights: each M1.net.l.weight initialiser is M_l ⊙ W_l, which is the stored
        // weight (kept masked by the layer) and 0 wherever the mask is 0, even for weights written without ApplyMasks.
        var m = Masked(Perturb(new ConditionalMafFlow(Options())));
        foreach (var part in ConditionalMafFlow.OnnxParts)
        {
            var model = Onnx.ModelProto.Parser.ParseFrom(m.ExportOnnx(part));
            AssertInitialisersAreTheTensors(model, m, OnnxParts.Name(part));
            // the graph reads each network once per pass: sample unrolls M1 (MAF) 3 times, log_prob M2 (IAF) 3 times
            int gemms = model.Graph.Node.Count(n => n.OpType == "Gemm");
            Assert.Equal(part == OnnxPart.Sample ? 3 * 3 + 1 * 2 : 1 * 3 + 3 * 2, gemms);
        }

        // weights written without ApplyMasks: the export still masks them
        var raw = Perturb(new ConditionalMafFlow(Options()));
        var exported = Onnx.ModelProto.Parser.ParseFrom(raw.ExportOnnx(OnnxPart.LogProb)).Graph.Initializer.ToDictionary(t => t.Name);
        for (int l = 0; l < raw.M1.NetLayers; l++)
        {
            var mask = raw.M1.Mask(l);
            var weight = raw.M1.Weight(l);
            var values = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(exported[$"M1.net.{l}.weight"].RawData.Span).ToArray();
            int zeros = 0;
            for (int o = 0; o < mask.GetLength(0); o++)
                for (int i = 0; i < mask.GetLength(1); i++)
                {
                    float want = mask[o, i] == 0f ? 0f : weight[o, i];
                    Assert.Equal(want, values[o * mask.GetLength(1) + i]);
                    if (mask[o, i] == 0f) { zeros++; Assert.NotEqual(0f, weight[o, i]); }
                }
            Assert.True(zeros > 0, $"M1.net.{l}: the mask has no zero, so this check proves nothing");
        }
    }

    [Fact]
    public void ExportWritesAFileThatOnnxRuntimeLoads()
    {
        string folder = Path.Combine(Path.GetTempPath(), "gendsl-onnx-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var m = new MoonsFlow(Options());
            string path = Path.Combine(folder, "moons.onnx");
            m.ExportOnnx(path, "log_prob");
            using var session = new InferenceSession(path);
            Assert.Equal("x", session.InputMetadata.Keys.Single());
            Assert.Equal(-1, session.InputMetadata["x"].Dimensions[0]); // dynamic batch
            Assert.Equal(new[] { path }, Directory.GetFiles(folder)); // no temporary file left behind
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    // ------------------------------------------------------------------------------------ bad input

    [Fact]
    public void AnUnwritablePathIsAnIOExceptionNamingIt()
    {
        var m = new TinyNsGan(Options());
        string missing = Path.Combine(Path.GetTempPath(), "gendsl-no-such-folder-" + Guid.NewGuid().ToString("N"), "gan.onnx");
        var e = Assert.Throws<IOException>(() => m.ExportOnnx(missing, OnnxPart.Generate));
        Assert.Contains(missing, e.Message);
        Assert.Contains("does not exist", e.Message);

        string folder = Path.GetTempPath();
        var e2 = Assert.Throws<IOException>(() => m.ExportOnnx(folder, OnnxPart.Generate));
        Assert.Contains("is a folder", e2.Message);

        Assert.Throws<ArgumentException>(() => m.ExportOnnx("", OnnxPart.Generate));
    }

    [Fact]
    public void AnUnknownPartNamesTheValidOnes()
    {
        var flow = new MoonsFlow(Options());
        var e = Assert.Throws<ArgumentException>(() => flow.ExportOnnx(Path.Combine(Path.GetTempPath(), "x.onnx"), "encode"));
        Assert.Contains("MoonsFlow has no ONNX part 'encode': use 'sample' or 'log_prob'", e.Message);
        var e2 = Assert.Throws<ArgumentException>(() => flow.ExportOnnx(OnnxPart.Discriminate));
        Assert.Contains("'sample' or 'log_prob'", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => new DigitsVae(Options()).ExportOnnx(Path.Combine(Path.GetTempPath(), "x.onnx"), "nonsense"));
        Assert.Contains("use 'encode' or 'decode'", e3.Message);
        var e4 = Assert.Throws<ArgumentException>(() => new TinyM2(Options()).ExportOnnx(OnnxPart.Sample));
        Assert.Contains("TinyM2 has no ONNX part 'sample': use 'encode' or 'decode' or 'classify'", e4.Message);
        Assert.Equal(OnnxPart.Classify, OnnxParts.Parse("Classify", "TinyM2", TinyM2.OnnxParts));
        Assert.Equal(OnnxPart.LogProb, OnnxParts.Parse("LOG-PROB", "MoonsFlow", MoonsFlow.OnnxParts));
    }

    [Fact]
    public void ALayerWithoutAnOnnxFormIsNotSupportedNamingIt()
    {
        // Every flow layer kind has an ONNX form now; a kind added without one refuses (and writes nothing) through
        // the builder's Unsupported rather than emit a wrong graph.
        var g = new OnnxGraphBuilder("SomeFlow", "log_prob", "", "x");
        var e = Assert.Throws<NotSupportedException>(() => g.Unsupported("L1", "NewLayer"));
        Assert.Contains("SomeFlow: layer 'L1' (NewLayer) has no ONNX export yet, so no graph was written.", e.Message);
    }
}
