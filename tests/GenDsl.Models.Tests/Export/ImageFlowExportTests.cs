using CommunityToolkit.HighPerformance;
using GenDsl.Export;
using GenDsl.IO;
using GenDsl.Models.Tests.Flows;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xunit.Abstractions;

namespace GenDsl.Models.Tests.Export;

/// <summary>
/// The image-flow layers ([Squeeze], [Split], [InvertibleConv1x1], convolutional couplings, per-channel [ActNorm]) export to
/// ONNX and PyTorch (the per-model comparisons are in OnnxExportTests and PyTorchExportTests). These tests check what those
/// comparisons do not: the ONNX sample graph inverts GenDsl's own forward map (so a [Split]'s channels come from z at their
/// places) and log_prob agrees with it on the samples; every tensor is an initialiser under its checkpoint name and shape; an
/// ActNorm that GenDsl has data-initialised exports that state (ONNX computes with it, the PyTorch module does not initialise
/// it again on its first loss); and the PyTorch module's inverse puts a split's channels back from the given z.
/// </summary>
public class ImageFlowExportTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-5;
    private const int Rows = 5;

    private static ModelOptions Options => new() { MaxBatch = 16, Seed = 3 };

    private static float[] Normal(int n, ulong seed, float std = 1f)
    {
        var a = new float[n];
        new Rng(seed, stream: 4).FillNormal(a, 0f, std);
        return a;
    }

    /// <summary>Moves every parameter off its initialisation (zero output convolutions, identity ActNorm and LU factors).</summary>
    private static T Perturbed<T>(T model) where T : IGenerativeModel
    {
        var p = model.Parameters.Span;
        var noise = Normal(p.Length, 41, 0.1f);
        for (int i = 0; i < p.Length; i++) p[i] += noise[i];
        return model;
    }

    private static float[] Run(byte[] graph, string input, float[] data, int columns, string outputName)
    {
        using var session = new InferenceSession(graph);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(input, new DenseTensor<float>(data, [data.Length / columns, columns]))]);
        return results.Single(r => r.Name == outputName).AsEnumerable<float>().ToArray();
    }

    private static double RelativeError(float[] got, float[] want) => OnnxExportTests.RelativeError(got, want);

    private delegate void ToLatent(float[] x, float[] z, float[] logDet);

    /// <summary>
    /// x = ONNX sample(z); GenDsl's ToLatent(x) must give back z (every latent feature, the split ones included) and the
    /// ONNX log_prob(x) must be ln N(z; 0, I) + GenDsl's ln|det J_h(x)|.
    /// </summary>
    private void SampleInvertsGenDsl(IOnnxExportable model, int d, ToLatent toLatent, string name)
    {
        var z = Normal(Rows * d, 7);
        var x = Run(model.ExportOnnx(OnnxPart.Sample), "z", z, d, "x");
        var back = new float[Rows * d];
        var logDet = new float[Rows];
        toLatent(x, back, logDet);
        double roundTrip = RelativeError(back, z);
        var want = new float[Rows];
        for (int r = 0; r < Rows; r++)
        {
            double sq = 0;
            for (int j = 0; j < d; j++) sq += (double)z[r * d + j] * z[r * d + j];
            want[r] = (float)(-0.5 * sq - 0.5 * d * Math.Log(2 * Math.PI) + logDet[r]);
        }
        double density = RelativeError(Run(model.ExportOnnx(OnnxPart.LogProb), "x", x, d, "log_prob"), want);
        output.WriteLine($"{name}: GenDsl ToLatent(ONNX sample(z)) vs z {roundTrip:E2}; ONNX log_prob(x) vs ln N(z) + GenDsl ln|det| {density:E2}");
        Assert.True(logDet.Any(v => Math.Abs(v) > 1e-2), $"{name}: the log-determinants are ~0, so the log_prob check proves little");
        Assert.True(roundTrip <= Tolerance, $"{name}: GenDsl's ToLatent of the ONNX sample misses z by {roundTrip:E2}");
        Assert.True(density <= Tolerance, $"{name}: ONNX log_prob of the ONNX sample misses by {density:E2}");
    }

    [Fact]
    public void OnnxSampleInvertsGenDslsForwardAndLogProbAgreesOnTheSamples()
    {
        var split = Perturbed(new ImageSplitFlow(Options));
        SampleInvertsGenDsl(split, ImageSplitFlow.FeatureCount, (x, z, ld) => split.ToLatent(new ReadOnlySpan2D<float>(x, Rows, ImageSplitFlow.FeatureCount), new Span2D<float>(z, Rows, ImageSplitFlow.FeatureCount), ld), nameof(ImageSplitFlow));
        var glow = Perturbed(new ImageGlowStepFlow(Options));
        SampleInvertsGenDsl(glow, ImageGlowStepFlow.FeatureCount, (x, z, ld) => glow.ToLatent(new ReadOnlySpan2D<float>(x, Rows, ImageGlowStepFlow.FeatureCount), new Span2D<float>(z, Rows, ImageGlowStepFlow.FeatureCount), ld), nameof(ImageGlowStepFlow));
        var checkerboard = Perturbed(new ImageCheckerboardFlow(Options));
        SampleInvertsGenDsl(checkerboard, ImageCheckerboardFlow.FeatureCount, (x, z, ld) => checkerboard.ToLatent(new ReadOnlySpan2D<float>(x, Rows, ImageCheckerboardFlow.FeatureCount), new Span2D<float>(z, Rows, ImageCheckerboardFlow.FeatureCount), ld), nameof(ImageCheckerboardFlow));
    }

    [Fact]
    public void OnnxSplitSampleReadsTheFactoredOutChannelsFromZ()
    {
        // ImageSplitFlow's z: [C3's output (features 0 … 3) | X2's channels (4 … 7) | X1's channels (8 … 15)]. Changing only
        // X1's part of z changes x, and x's first layers' inverse moves with it exactly as GenDsl's FromLatent does.
        var m = Perturbed(new ImageSplitFlow(Options));
        const int d = ImageSplitFlow.FeatureCount;
        var z = Normal(Rows * d, 9);
        var z2 = (float[])z.Clone();
        for (int r = 0; r < Rows; r++)
            for (int j = 8; j < 16; j++) z2[r * d + j] += 0.5f;
        var graph = m.ExportOnnx(OnnxPart.Sample);
        var x = Run(graph, "z", z, d, "x");
        var x2 = Run(graph, "z", z2, d, "x");
        var want2 = new float[Rows * d];
        m.FromLatent(new ReadOnlySpan2D<float>(z2, Rows, d), new Span2D<float>(want2, Rows, d));
        Assert.True(RelativeError(x2, x) > 1e-2, "x does not depend on X1's channels of z");
        double error = RelativeError(x2, want2);
        output.WriteLine($"ImageSplitFlow.sample with X1's channels of z moved: relative error {error:E2}");
        Assert.True(error <= Tolerance, $"relative error {error:E2}");
    }

    [Fact]
    public void EveryTensorIsAnInitialiserUnderItsCheckpointNameAndShape()
    {
        var m = Perturbed(new ImageGlowStepFlow(Options));
        foreach (var part in ImageGlowStepFlow.OnnxParts)
        {
            var model = Onnx.ModelProto.Parser.ParseFrom(m.ExportOnnx(part));
            OnnxExportTests.AssertInitialisersAreTheTensors(model, m, OnnxParts.Name(part));
            // the couplings' networks are convolutions (C1: 3, C2: 2), the squeezes transposes (S1, S2)
            Assert.Equal(5, model.Graph.Node.Count(n => n.OpType == "Conv"));
            Assert.Equal(2, model.Graph.Node.Count(n => n.OpType == "Transpose" && n.Output[0].StartsWith("S", StringComparison.Ordinal)));
        }
    }

    /// <summary>A batch whose channels are far from zero mean and unit variance (so the data-dependent init is not ~identity).</summary>
    private static float[] SkewedBatch(int rows, int channels, int pixels)
    {
        var x = Normal(rows * channels * pixels, 13);
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < channels; c++)
                for (int p = 0; p < pixels; p++)
                    x[(r * channels + c) * pixels + p] = 2.5f * (c + 1) * x[(r * channels + c) * pixels + p] + 1.5f - c;
        return x;
    }

    /// <summary>ImageActNormFlow after one TrainStep: its ActNorm layers are data-initialised (and one Adam step on), and the flow knows it.</summary>
    private static (ImageActNormFlow Model, float[] Batch) Trained()
    {
        var m = new ImageActNormFlow(Options);
        var batch = SkewedBatch(12, ImageActNormFlow.ImageChannels, ImageActNormFlow.ImageHeight * ImageActNormFlow.ImageWidth);
        m.TrainStep(new ReadOnlySpan2D<float>(batch, 12, ImageActNormFlow.FeatureCount), new Adam(m, learningRate: 1e-3f));
        var ls = ImageActNormFlow.Tensors.Single(t => t.Name == "N1.logscale");
        Assert.Equal(new[] { ImageActNormFlow.ImageChannels }, ls.Shape.ToArray()); // per channel
        var values = m.Parameters.Span.Slice(ls.Offset, ls.Length).ToArray();
        Assert.True(values.All(v => Math.Abs(v) > 0.5f), $"N1.logscale = [{string.Join(", ", values)}]: not data-initialised");
        return (m, batch);
    }

    [Fact]
    public void ADataInitialisedChannelActNormExportsToOnnx()
    {
        var (m, batch) = Trained();
        var want = new float[12];
        m.LogProb(new ReadOnlySpan2D<float>(batch, 12, ImageActNormFlow.FeatureCount), want);
        var got = Run(m.ExportOnnx(OnnxPart.LogProb), "x", batch, ImageActNormFlow.FeatureCount, "log_prob");
        double error = RelativeError(got, want);
        output.WriteLine($"ImageActNormFlow after TrainStep, ONNX log_prob: relative error {error:E2}");
        Assert.True(error <= Tolerance, $"relative error {error:E2}");
    }

    /// <summary>
    /// Exports <paramref name="model"/> (class <paramref name="className"/>) with ExportPyTorch to a fresh folder, writes
    /// <paramref name="data"/> there and runs <paramref name="check"/> after a prelude that defines module (the exported file),
    /// data (the tensors, as float64) and model (the module in float64 with the exported weights loaded).
    /// </summary>
    private void CheckInPython(IPyTorchExportable model, string className, IReadOnlyList<TensorEntry> data, string check)
    {
        string dir = Path.Combine(Path.GetTempPath(), "gendsl-imageflow-" + className + "-" + Guid.NewGuid().ToString("N"));
        try
        {
            model.ExportPyTorch(dir);
            SafeTensors.Write(Path.Combine(dir, "check.safetensors"), data);
            string script = Path.Combine(dir, "check.py");
            File.WriteAllText(script, $$"""
                import importlib.util, sys, torch
                spec = importlib.util.spec_from_file_location("{{className}}", sys.argv[1] + "/{{className}}.py")
                module = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(module)
                tensors, _ = module.load_safetensors(sys.argv[1] + "/check.safetensors")
                data = {name: t.double() for name, t in tensors.items()}
                model = module.{{className}}().double()
                model.load_safetensors(sys.argv[1] + "/{{className}}.safetensors")

                """ + check);
            PythonTorch.Run(script, dir, output);
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    [TorchFact]
    public void ADataInitialisedChannelActNormIsNotInitialisedAgainInPyTorch()
    {
        // GenDsl has initialised N1 … N3 from its first batch; the exported weights carry that state, and the module loaded from
        // them computes GenDsl's log-densities and its first loss() leaves the ActNorm parameters alone (its initialisation
        // would set them from this other batch). A fresh module does initialise on its first loss, per channel.
        var (m, _) = Trained();
        var x = SkewedBatch(Rows, ImageActNormFlow.ImageChannels, ImageActNormFlow.ImageHeight * ImageActNormFlow.ImageWidth);
        for (int i = 0; i < x.Length; i++) x[i] = 0.5f * x[i] - 1f; // other statistics than the initialising batch
        var logp = new float[Rows];
        m.LogProb(new ReadOnlySpan2D<float>(x, Rows, ImageActNormFlow.FeatureCount), logp);
        CheckInPython(m, nameof(ImageActNormFlow), [new TensorEntry("x", [Rows, ImageActNormFlow.FeatureCount], x), new TensorEntry("logp", [Rows], logp)], """
            x, want = data["x"], data["logp"]
            assert model.actnorm_initialized, "loaded ActNorm parameters are not marked initialised"
            before = {k: v.clone() for k, v in model.state_dict().items()}
            with torch.no_grad():
                got = model.log_prob(x)
            error = ((got - want).abs().max() / want.abs().max()).item()
            loss = model.loss(x)
            moved = max((model.state_dict()[k] - v).abs().max().item() for k, v in before.items())
            print(f"log_prob relative error {error:.2e}; loss {loss.item():.4f}; parameters moved by the first loss {moved:.1e}")
            assert error <= 1e-5, "log_prob differs from GenDsl's"
            assert moved == 0, "the first loss re-initialised the loaded ActNorm layers"
            assert abs(loss.item() + want.mean().item()) <= 1e-5 * abs(want.mean().item()), "loss is not GenDsl's mean NLL"
            fresh = module.ImageActNormFlow().double()
            fresh.loss(x)
            with torch.no_grad():
                h = x.reshape(-1, 2, 16) * torch.exp(fresh.N1.logscale)[:, None] + fresh.N1.bias[:, None]
                mean, std = h.mean((0, 2)), h.std((0, 2), unbiased=False)
            print(f"fresh module after its first loss: N1 output per-channel mean {mean.tolist()}, std {std.tolist()}")
            assert fresh.actnorm_initialized and mean.abs().max() < 1e-6 and (std - 1).abs().max() < 1e-5, "per-channel init"
            """);
    }

    [TorchFact]
    public void PyTorchSplitInverseTakesTheFactoredOutChannelsFromZ()
    {
        // inverse(z) then forward gives z back in every feature (the split channels at their places), and moving X2's part of z
        // (features 4 … 7) moves inverse(z) exactly as GenDsl's FromLatent does.
        var m = Perturbed(new ImageSplitFlow(Options));
        const int d = ImageSplitFlow.FeatureCount;
        var z = Normal(Rows * d, 17);
        for (int r = 0; r < Rows; r++)
            for (int j = 4; j < 8; j++) z[r * d + j] -= 0.75f;
        var x = new float[Rows * d];
        m.FromLatent(new ReadOnlySpan2D<float>(z, Rows, d), new Span2D<float>(x, Rows, d));
        CheckInPython(m, nameof(ImageSplitFlow), [new TensorEntry("z", [Rows, d], z), new TensorEntry("x", [Rows, d], x)], """
            z, want = data["z"], data["x"]
            with torch.no_grad():
                x = model.inverse(z)
                back, _ = model(x)
                moved = z.clone()
                moved[:, 4:8] += 0.75
                changed = (model.inverse(moved) - x).abs().max().item()
            error = ((x - want).abs().max() / want.abs().max()).item()
            trip = (back - z).abs().max().item()
            print(f"inverse(z) vs GenDsl FromLatent {error:.2e}; forward(inverse(z)) - z {trip:.2e}; x moved by X2's channels {changed:.2e}")
            assert error <= 1e-5 and trip <= 1e-9 and changed > 1e-2
            """);
    }
}
