using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using CommunityToolkit.HighPerformance;
using GenDsl.IO;
using GenDsl.Models.Tests.ConvNets;
using GenDsl.Models.Tests.Flows;
using GenDsl.Models.Tests.Networks;
using GenDsl.Models.Tests.Regressors;
using Xunit.Abstractions;

namespace GenDsl.Models.Tests.Export;

/// <summary>
/// model.ExportPyTorch (issue #16). In C#: the exported weights load back bit for bit. With /usr/bin/python3 and
/// torch: the exported module, run in float64 on the same float32 weights and inputs, reproduces GenDsl's
/// log-densities, losses, parameter gradients and batch-norm running statistics on a fixed batch, and the
/// weights after one Adam step in PyTorch, saved with the module's save_safetensors, load with model.Load and
/// give PyTorch's outputs. Every family, every network op and every flow layer kind is covered (the ready-made models and
/// the small test models of Flows/, Networks/, Conv/ and Regressors/), 65 models in 74 cases. The error measure, per compared tensor:
/// ‖GenDsl − PyTorch‖∞ / ‖PyTorch‖∞, for a gradient tensor ‖GenDsl − PyTorch‖∞ / max(‖PyTorch‖∞, 0.1·‖the model's
/// whole gradient‖∞) (gradients that are zero in exact arithmetic are float32 rounding in GenDsl); each test starts
/// python once for all its models. The parameters are perturbed by 0.1/√fan-in: at ReLU-sized scales a float32
/// pre-activation within rounding of a kink would flip a mask and change a gradient by design, not by error, and the
/// fixed batch has none (a perturbation of 0.1 regardless of fan-in put one in FashionConvCvae's D3).
/// </summary>
public class PyTorchExportTests(ITestOutputHelper output)
{
    private const ulong Seed = 5;
    private const int Rows = 6;
    private const double Tolerance = 1e-5;
    private const int IwaeSamples = 3;

    // ---------------------------------------------------------------------------------------- the cases

    private static IEnumerable<Case> Flows() =>
    [
        Flow("MoonsFlow", o => new MoonsFlow(o)),
        Flow("ConditionalMoonsFlow", o => new ConditionalMoonsFlow(o)),
        Flow("DigitsFlow", o => new DigitsFlow(o)),
        Flow("MixedFlow", o => new MixedFlow(o)),
        Flow("ConditionalSmallFlow", o => new ConditionalSmallFlow(o)),
        Flow("WideFlow", o => new WideFlow(o)),
        // ActNorm's data-dependent initialisation on the first loss, in both (the weights copied in without Load, which would mark it done)
        Flow("MixedFlow", o => new MixedFlow(o)) with { ActNormInit = true },
        Flow("WideFlow", o => new WideFlow(o)) with { ActNormInit = true },
    ];

    // Spline couplings: unconditional (with every other layer kind) and conditional, and the ready-made one. Row 0 puts the
    // first layer's transformed inputs and the last layer's transformed latents exactly on ±B; the normal rows cross the
    // smaller tail bounds (B = 1, 1.5, 2), so the linear tails are exercised too.
    private static IEnumerable<Case> SplineFlows() =>
    [
        Flow("SplineMixedFlow", o => new SplineMixedFlow(o), (x, z) => { x[2] = 1.5f; x[3] = -1.5f; z[0] = 2.5f; z[1] = -2.5f; }),
        Flow("ConditionalSplineFlow", o => new ConditionalSplineFlow(o), (x, z) => { x[1] = 2f; x[2] = -2f; z[0] = 1f; z[3] = -1f; }),
        Flow("MoonsSplineFlow", o => new MoonsSplineFlow(o), (x, z) => { x[1] = 3f; x[3] = -3f; z[0] = 3f; z[2] = -3f; }),
        Flow("SplineMixedFlow", o => new SplineMixedFlow(o)) with { ActNormInit = true },
    ];

    // Masked autoregressive layers (MADE): MAF and IAF with 1 to 3 hidden layers and every activation between the other
    // layer kinds, conditional, and the ready-made ones; inverse() takes the MAFs' D passes, forward() the IAFs'.
    private static IEnumerable<Case> MadeFlows() =>
    [
        Flow("MafMixedFlow", o => new MafMixedFlow(o)),
        Flow("ConditionalMafFlow", o => new ConditionalMafFlow(o)),
        Flow("MoonsMaf", o => new MoonsMaf(o)),
        Flow("DigitsMaf", o => new DigitsMaf(o)),
        Flow("MafMixedFlow", o => new MafMixedFlow(o)) with { ActNormInit = true },
    ];

    // Masked autoregressive layers with the spline transform: MAF and IAF (beside an affine IAF, ActNorm and a permutation),
    // conditional, and the ready-made one; inverse() takes the spline MAFs' D passes, forward() the spline IAFs'. Row 0 puts
    // the first layer's inputs and (where the last layer is a spline) the latents exactly on ±B; the normal rows cross the
    // tail bounds (B = 1, 1.5, 2, 3), so the linear tails are exercised too.
    private static IEnumerable<Case> SplineMadeFlows() =>
    [
        Flow("SplineMafFlow", o => new SplineMafFlow(o), (x, z) => { x[1] = 2f; x[2] = -2f; }),
        Flow("ConditionalSplineMafFlow", o => new ConditionalSplineMafFlow(o), (x, z) => { x[1] = 2f; x[2] = -2f; z[0] = 1f; z[2] = -1f; }),
        Flow("MoonsSplineMaf", o => new MoonsSplineMaf(o), (x, z) => { x[0] = 3f; x[1] = -3f; z[0] = 3f; z[1] = -3f; }),
        Flow("SplineMafFlow", o => new SplineMafFlow(o)) with { ActNormInit = true },
    ];

    // Image flows ([Flow(Channels, Height, Width)]): squeezes, per-channel ActNorm, invertible 1×1 convolutions, convolutional
    // couplings (channel halves, checkerboards, a condition as constant channels, identity initialisation), splits (forward
    // returns the factored-out channels at their places in z, inverse takes them from the given z), vector layers on the flat
    // row between them, and the ready-made FashionGlow; ActNorm's per-channel data-dependent initialisation on the first loss.
    private static IEnumerable<Case> ImageFlows() =>
    [
        Flow("ImageSqueezeFlow", o => new ImageSqueezeFlow(o)),
        Flow("ConditionalImageSqueezeFlow", o => new ConditionalImageSqueezeFlow(o)),
        Flow("ImageActNormFlow", o => new ImageActNormFlow(o)),
        Flow("ImageGlowStepFlow", o => new ImageGlowStepFlow(o)),
        Flow("ConditionalImageConvFlow", o => new ConditionalImageConvFlow(o)),
        Flow("ImageConvCouplingFlow", o => new ImageConvCouplingFlow(o)),
        Flow("ImageCheckerboardFlow", o => new ImageCheckerboardFlow(o)),
        Flow("ConditionalImageConvCouplingFlow", o => new ConditionalImageConvCouplingFlow(o)),
        Flow("IdentityImageConvFlow", o => new IdentityImageConvFlow(o)),
        Flow("ImageSplitFlow", o => new ImageSplitFlow(o)),
        Flow("FashionGlow", o => new FashionGlow(o)),
        Flow("ImageConditionFlow", o => new ImageConditionFlow(o)),
        Flow("ImageActNormFlow", o => new ImageActNormFlow(o)) with { ActNormInit = true },
        Flow("ImageGlowStepFlow", o => new ImageGlowStepFlow(o)) with { ActNormInit = true },
        // FashionGlow's N3 and N4 are after its split (ImageSplitFlow's N2 is not a case: it reads N1's normalised channels
        // through C1's kept half, so its initial values are float rounding around 0, ~1e-7, with nothing to compare)
        Flow("FashionGlow", o => new FashionGlow(o)) with { ActNormInit = true },
    ];

    private static IEnumerable<Case> DenseVaes() =>
    [
        Vae("DigitsVae", o => new DigitsVae(o)),
        Vae("DigitsCvae", o => new DigitsCvae(o)),
        Vae("MnistVae", o => new MnistVae(o)),
        Vae("TinyBernoulliVae", o => new TinyBernoulliVae(o)),
        Vae("TinyGaussianCvae", o => new TinyGaussianCvae(o)),
        Vae("TinyFixedVae", o => new TinyFixedVae(o)),
    ];

    private static IEnumerable<Case> ConvVaes() =>
    [
        Vae("FashionConvVae", o => new FashionConvVae(o)),
        Vae("FashionConvCvae", o => new FashionConvCvae(o)),
        Vae("ConvBernoulliVae", o => new ConvBernoulliVae(o)),
        Vae("ConvGaussianVae", o => new ConvGaussianVae(o)),
        Vae("ConvDenseHeadVae", o => new ConvDenseHeadVae(o)),
        Vae("ConvCvae", o => new ConvCvae(o)),
        Vae("ImageConditionCvae", o => new ImageConditionCvae(o)),
    ];

    private static IEnumerable<Case> DenseGans() =>
    [
        Gan("RingGan", o => new RingGan(o)),
        Gan("RingCgan", o => new RingCgan(o)),
        Gan("MnistGan", o => new MnistGan(o)),
        Gan("TinyNsGan", o => new TinyNsGan(o)),
        Gan("TinyMinimaxCgan", o => new TinyMinimaxCgan(o)),
        Gan("TinyHingeGan", o => new TinyHingeGan(o)),
        Gan("TinyWgan", o => new TinyWgan(o)),
    ];

    private static IEnumerable<Case> ConvGans() =>
    [
        Gan("FashionDcgan", o => new FashionDcgan(o)),
        Gan("FashionCdcgan", o => new FashionCdcgan(o)),
        Gan("ConvBnGan", o => new ConvBnGan(o)),
        Gan("ConvCgan", o => new ConvCgan(o)),
        Gan("ImageConditionCgan", o => new ImageConditionCgan(o)),
        Gan("ConvHingeGan", o => new ConvHingeGan(o)),
        Gan("ConvEdgeBnCgan", o => new ConvEdgeBnCgan(o)),
    ];

    // Semi-supervised VAEs (M2): dense, with the classifier's training noise, convolutional (y as constant channels of the
    // conv encoder, a conv classifier with a batch norm, a conv-transpose decoder), and the ready-made MnistM2 (noise σ = 0.7).
    private static IEnumerable<Case> SemiSupervised() =>
    [
        M2("TinyM2", o => new TinyM2(o)),
        M2("TinyNoisyM2", o => new TinyNoisyM2(o)),
        M2("TinyConvM2", o => new TinyConvM2(o)),
        M2("MnistM2", o => new MnistM2(o)),
    ];

    // Regressors: dense with an implied sigmoid head, a batch norm and a conv transpose that makes the image from an image
    // input read flat, and no layers at all.
    private static IEnumerable<Case> Regressors() =>
    [
        Regressor("DenseRegressor", o => new DenseRegressor(o)),
        Regressor("ConvRegressor", o => new ConvRegressor(o)),
        Regressor("LinearRegressor", o => new LinearRegressor(o)),
    ];

    // Members named like torch.nn.Module attributes and methods, the module's own methods, attributes and constants, and
    // Python keywords (Export/ClashingNames.cs): a flow of every layer kind with tensors (also with ActNorm's first-batch
    // initialisation, which assigns actnorm_initialized), a conditional VAE with a batch norm, an M2.
    private static IEnumerable<Case> ClashingNames() =>
    [
        Flow("ClashFlow", o => new ClashFlow(o)),
        Flow("ClashFlow", o => new ClashFlow(o)) with { ActNormInit = true },
        Vae("ClashVae", o => new ClashVae(o)),
        M2("ClashM2", o => new ClashM2(o)),
    ];

    // ---------------------------------------------------------------------------------------- C# only

    [Fact]
    public void ExportedWeightsLoadBackBitForBit()
    {
        foreach (var c in Flows().Concat(ImageFlows()).Concat(SplineFlows()).Concat(MadeFlows()).Concat(SplineMadeFlows()).Concat(DenseVaes()).Concat(ConvVaes()).Concat(DenseGans()).Concat(ConvGans()).Concat(SemiSupervised()).Concat(Regressors()).Concat(ClashingNames()))
        {
            string dir = TempDir(c.Name);
            var model = c.Create();
            Perturb(model);
            ((IPyTorchExportable)model).ExportPyTorch(dir);
            string py = File.ReadAllText(Path.Combine(dir, c.Name + ".py"));
            Assert.Contains($"class {c.Name}(nn.Module):", py);
            var copy = c.Create();
            copy.Load(Path.Combine(dir, c.Name + ".safetensors"));
            foreach (var t in model.Tensors)
            {
                var a = Arena(model, t).Span.Slice(t.Offset, t.Length);
                var b = Arena(copy, t).Span.Slice(t.Offset, t.Length);
                Assert.True(a.SequenceEqual(b), $"{c.Name}: tensor {t.Name} differs after export → Load");
            }
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void ClashingMemberNamesLiveInModulesUnderTheirCheckpointNames()
    {
        // Members that are not capitalised identifiers, or are the module's constants, are reached through self._modules
        // (never assigned as attributes, which would shadow nn.Module's or the module's own); capitalised ones stay attributes.
        string dir = TempDir("Clash");
        new ClashVae(Options).ExportPyTorch(dir);
        new TinyBernoulliVae(Options).ExportPyTorch(dir);
        string clash = File.ReadAllText(Path.Combine(dir, "ClashVae.py"));
        foreach (var member in new[] { "encode", "training", "pass", "to", "BETA", "_like", "T_destination" })
        {
            Assert.Contains($"self._modules[\"{member}\"] = nn.Module()", clash);
            Assert.DoesNotContain($"self.{member} = ", clash);
        }
        Assert.Contains("self.encoder = nn.Module()", clash); // GenDsl's own head container
        Assert.Contains("def __setattr__(self, name, value):", clash); // eval() assigns self.training beside the member
        string plain = File.ReadAllText(Path.Combine(dir, "TinyBernoulliVae.py"));
        Assert.Contains("self.E1 = nn.Module()", plain);
        Assert.DoesNotContain("_modules[", plain);
        Assert.DoesNotContain("__setattr__", plain);
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void ExportRecordsTheOptimizersStep()
    {
        // A trained model's export records how far it trained (the optimizer's step count, not 0), as Save does.
        var model = new MoonsFlow(Options);
        var adam = new Adam(model, learningRate: 1e-3f);
        var rng = new Rng(Seed, 7);
        var batch = new float[Rows * model.Features];
        for (int step = 0; step < 3; step++)
        {
            for (int i = 0; i < batch.Length; i++) batch[i] = rng.NextNormal();
            model.TrainStep(new ReadOnlySpan2D<float>(batch, Rows, model.Features), adam);
        }
        string dir = TempDir("MoonsFlowStep");
        model.ExportPyTorch(dir, adam);
        var copy = new MoonsFlow(Options);
        Assert.Equal(adam.StepCount, copy.Load(Path.Combine(dir, "MoonsFlow.safetensors")));
        Assert.Equal(3, adam.StepCount);
        ((IPyTorchExportable)model).ExportPyTorch(dir, step: 42);
        Assert.Equal(42, copy.Load(Path.Combine(dir, "MoonsFlow.safetensors")));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.ExportPyTorch(dir, step: -1));
        Directory.Delete(dir, recursive: true);
    }

    // ---------------------------------------------------------------------------------------- against torch

    /// <summary>
    /// A freshly constructed exported module starts as GenDsl's declaration says (docs/flow-layers.md, "Initialisation"):
    /// under FlowInitialization.Identity every layer is the identity (z = x reversed, log-det 0, the spline derivative
    /// biases filled as in GenDsl); under the Linear default it is not.
    /// </summary>
    [TorchFact]
    public void FreshModulesStartAsTheirInitialization()
    {
        string dir = TempDir("Initialization");
        new Flows.IdentityInitFlow(Options).ExportPyTorch(dir);
        new Flows.LinearInitFlow(Options).ExportPyTorch(dir);
        string script = Path.Combine(dir, "fresh.py");
        File.WriteAllText(script, """
            import importlib.util, sys, torch
            def module(name):
                spec = importlib.util.spec_from_file_location(name, sys.argv[1] + "/" + name + ".py")
                m = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(m)
                return getattr(m, name)()
            torch.manual_seed(0)
            x = 1.5 * torch.randn(64, 3, dtype=torch.float64)
            with torch.no_grad():
                identity, linear = module("IdentityInitFlow").double(), module("LinearInitFlow").double()
                z, ld = identity(x)
                off = (z - x.flip(1)).abs().max().item()
                print(f"Identity: max |z - reversed x| = {off:.2e}, max |log-det| = {ld.abs().max().item():.2e}")
                assert off < 1e-6 and ld.abs().max().item() < 1e-6, "IdentityInitFlow's fresh module is not the identity"
                z, ld = linear(x)
                moved = (z - x.flip(1)).abs().max().item()
                back = (linear.inverse(z) - x).abs().max().item()
                print(f"Linear: max |z - reversed x| = {moved:.2e}, inverse error {back:.2e}")
                assert moved > 1e-2, "LinearInitFlow's fresh module is the identity: its output layers were not drawn"
                assert back < 1e-6, "LinearInitFlow's fresh module does not invert"
            """);
        PythonTorch.Run(script, dir, output);
        Directory.Delete(dir, recursive: true);
    }

    [TorchFact]
    public void FlowsMatchPyTorch() => Compare(Flows());

    [TorchFact]
    public void ImageFlowsMatchPyTorch() => Compare(ImageFlows());

    [TorchFact]
    public void SplineFlowsMatchPyTorch() => Compare(SplineFlows());

    [TorchFact]
    public void MadeFlowsMatchPyTorch() => Compare(MadeFlows());

    [TorchFact]
    public void SplineMadeFlowsMatchPyTorch() => Compare(SplineMadeFlows());

    [TorchFact]
    public void DenseVaesMatchPyTorch() => Compare(DenseVaes());

    [TorchFact]
    public void ConvVaesMatchPyTorch() => Compare(ConvVaes());

    [TorchFact]
    public void DenseGansMatchPyTorch() => Compare(DenseGans());

    [TorchFact]
    public void ConvGansMatchPyTorch() => Compare(ConvGans());

    [TorchFact]
    public void SemiSupervisedVaesMatchPyTorch() => Compare(SemiSupervised());

    [TorchFact]
    public void RegressorsMatchPyTorch() => Compare(Regressors());

    [TorchFact]
    public void MembersNamedLikeModuleAttributesOrKeywordsMatchPyTorch() => Compare(ClashingNames());

    private void Compare(IEnumerable<Case> cases)
    {
        string root = TempDir("compare");
        var list = cases.ToList();
        var manifest = new List<Dictionary<string, object>>();
        var expected = new List<(Case Case, IGenerativeModel Model, Dictionary<string, float[]> Values, string Outputs, string Trained, Dictionary<string, float[]> Inputs)>();
        foreach (var c in list)
        {
            string dir = Path.Combine(root, c.Label);
            var model = c.Create();
            Perturb(model);
            ((IPyTorchExportable)model).ExportPyTorch(dir);
            model = c.Create();
            string weights = Path.Combine(dir, c.Name + ".safetensors");
            if (c.ActNormInit)
            {
                var file = SafeTensors.Read(weights);
                foreach (var t in model.Tensors)
                    file.CopyTo(t.Name, Arena(model, t).Span.Slice(t.Offset, t.Length));
            }
            else
                model.Load(weights);   // as a user would: the exported file is the truth
            var inputs = c.Inputs(model);
            SafeTensors.Write(Path.Combine(dir, "inputs.safetensors"), inputs.Select(kv => new TensorEntry(kv.Key, Shape(kv.Key, kv.Value, model), kv.Value)).ToList());
            var values = c.Run(model, inputs);
            SafeTensors.Write(Path.Combine(dir, "gendsl.safetensors"), values.Select(kv => new TensorEntry(kv.Key, [kv.Value.Length], kv.Value)).ToList()); // for a look when a case fails
            string outputs = Path.Combine(dir, "outputs.safetensors"), trained = Path.Combine(dir, "trained.safetensors");
            var entry = new Dictionary<string, object>
            {
                ["class"] = c.Name, ["family"] = c.Family,
                ["python"] = Path.Combine(dir, c.Name + ".py"), ["weights"] = Path.Combine(dir, c.Name + ".safetensors"),
                ["inputs"] = Path.Combine(dir, "inputs.safetensors"), ["outputs"] = outputs, ["trained"] = trained,
                ["actnorm_init"] = c.ActNormInit, ["iwae_samples"] = IwaeSamples,
            };
            if (model is IGanModel gan)
                entry["generator"] = model.Tensors.Where(t => !t.IsBuffer && t.Offset < gan.GeneratorPart.Parameters.Length).Select(t => t.Name).ToArray();
            manifest.Add(entry);
            expected.Add((c, model, values, outputs, trained, inputs));
        }
        string manifestPath = Path.Combine(root, "manifest.json");
        File.WriteAllText(manifestPath, JsonSerializer.Serialize(manifest));
        PythonTorch.Run(Path.Combine(AppContext.BaseDirectory, "Export", "check_export.py"), manifestPath, output);

        var report = new StringBuilder();
        var failures = new List<string>();
        foreach (var (c, model, values, outputs, trained, inputs) in expected)
        {
            var torch = SafeTensors.Read(outputs);
            var worst = new Dictionary<string, (double Error, string Name)>();
            // A gradient that is zero in exact arithmetic (a convolution's bias before a batch norm, a hinge loss's bias with as many
            // active real as fake rows) is float32 rounding in GenDsl (1e-8): each gradient tensor is measured against
            // max(‖that tensor‖∞, 0.1·‖the model's whole gradient‖∞).
            double gradientScale = values.Where(kv => kv.Key.StartsWith("grad.", StringComparison.Ordinal))
                .Select(kv => torch.ToArray(kv.Key).Select(v => Math.Abs((double)v)).DefaultIfEmpty(0).Max()).DefaultIfEmpty(0).Max();
            void Check(string group, string name, float[] actual, string torchName)
            {
                Assert.True(torch.Contains(torchName), $"{c.Label}: PyTorch wrote no '{torchName}'");
                double e = RelativeError(actual, torch.ToArray(torchName), group == "gradients" ? 0.1 * gradientScale : 0);
                if (!worst.TryGetValue(group, out var w) || e > w.Error) worst[group] = (e, name);
                if (!(e <= Tolerance)) failures.Add($"{c.Label} {name}: relative error {e:g3} > {Tolerance:g1}");
            }
            foreach (var (name, v) in values)
            {
                string group = name.StartsWith("grad.", StringComparison.Ordinal) ? "gradients"
                    : name.StartsWith("buffer.", StringComparison.Ordinal) ? "running stats"
                    : name.StartsWith("param.", StringComparison.Ordinal) ? "parameters after the pass"
                    : name == "loss" ? "losses" : "densities/outputs";
                Check(group, name, v, name);
            }
            foreach (var t in model.Tensors.Where(t => !t.IsBuffer))
                Assert.True(values.ContainsKey("grad." + t.Name), $"{c.Label}: no gradient compared for {t.Name}");

            // The weights after PyTorch's Adam step load into GenDsl and give PyTorch's outputs.
            var stepped = c.Create();
            Assert.Equal(1, stepped.Load(trained));
            foreach (var (name, v) in c.After(stepped, inputs))
                Check("after PyTorch's step", name, v, name);
            report.Append(CultureInfo.InvariantCulture, $"{c.Label,-22}");
            foreach (var (group, (e, n)) in worst)
                report.Append(CultureInfo.InvariantCulture, $"  {group} {e:0.0e+0} ({n})");
            report.AppendLine();
        }
        output.WriteLine($"max relative error ‖GenDsl − PyTorch(float64)‖∞ / ‖PyTorch‖∞ per group, worst tensor in parentheses:");
        output.WriteLine(report.ToString());
        Assert.True(failures.Count == 0, string.Join("\n", failures) + "\n" + report);
        Directory.Delete(root, recursive: true);
    }

    /// <summary>‖a − b‖∞ / max(‖b‖∞, <paramref name="floor"/>); for an all-zero b and no floor, ‖a‖∞ / 1e-2 (so |a| ≤ 1e-7 passes).</summary>
    private static double RelativeError(float[] actual, float[] expected, double floor)
    {
        Assert.Equal(expected.Length, actual.Length);
        double diff = 0, scale = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            diff = Math.Max(diff, Math.Abs((double)actual[i] - expected[i]));
            scale = Math.Max(scale, Math.Abs((double)expected[i]));
            if (double.IsNaN(actual[i]) || double.IsNaN(expected[i])) return double.NaN;
        }
        scale = Math.Max(scale, floor);
        return diff / (scale > 0 ? scale : 1e-2);
    }

    // ---------------------------------------------------------------------------------------- helpers

    private static Memory<float> Arena(IGenerativeModel m, TensorInfo t) => t.IsBuffer ? m.Buffers : m.Parameters;

    /// <summary>
    /// Moves every tensor off its initial value (zero output layers, identity ActNorm and LU factors, unit γ, 0/1 running
    /// statistics): noise of standard deviation 0.1/√(fan-in) for a matrix or kernel (its size over its first dimension), 0.1 for a vector.
    /// </summary>
    private static void Perturb(IGenerativeModel model)
    {
        var rng = new Rng(17, 3);
        foreach (var t in model.Tensors)
        {
            var s = Arena(model, t).Span.Slice(t.Offset, t.Length);
            var noise = new float[t.Length];
            if (t.Name.EndsWith("running_var", StringComparison.Ordinal)) rng.FillUniform(noise, -0.4f, 0.4f);
            else rng.FillNormal(noise, 0f, t.Shape.Length > 1 ? 0.1f / MathF.Sqrt(t.Length / t.Shape[0]) : 0.1f);
            for (int i = 0; i < s.Length; i++) s[i] += noise[i];
        }
        // masked autoregressive layers: the masked-out weights back to 0, as after any write of Parameters (GenDsl's Load
        // would drop them, so the weights would not load back bit for bit; the PyTorch module reads them through its masks)
        foreach (var layer in model.GetType().GetProperties().Where(p => p.PropertyType == typeof(MaskedAutoregressive)))
            ((MaskedAutoregressive)layer.GetValue(model)!).ApplyMasks();
    }

    private static int[] Shape(string name, float[] values, IGenerativeModel model) =>
        name is "eps_gp" or "labels" or "classes" ? [values.Length] : [Rows, values.Length / Rows];

    private static string TempDir(string name)
    {
        string dir = Path.Combine(Path.GetTempPath(), "gendsl-pytorch-" + Environment.ProcessId, name + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static ReadOnlySpan2D<float> R(float[] a, int width) => new(a, a.Length / width, width);
    private static Span2D<float> W(float[] a, int width) => new(a, a.Length / width, width);

    private static float[] Normal(Rng rng, int n, float std = 1f)
    {
        var a = new float[n];
        rng.FillNormal(a, 0f, std);
        return a;
    }

    private static float[] Uniform(Rng rng, int n)
    {
        var a = new float[n];
        rng.FillUniform(a, 0f, 1f);
        return a;
    }

    private static float[] Grad(IGenerativeModel m, TensorInfo t) => m.Gradients.Span.Slice(t.Offset, t.Length).ToArray();

    private static void AddState(IGenerativeModel m, Dictionary<string, float[]> values)
    {
        foreach (var t in m.Tensors)
            if (t.IsBuffer) values["buffer." + t.Name] = m.Buffers.Span.Slice(t.Offset, t.Length).ToArray();
            else
            {
                values["grad." + t.Name] = Grad(m, t);
                values["param." + t.Name] = m.Parameters.Span.Slice(t.Offset, t.Length).ToArray(); // ActNorm's are set by the first loss
            }
    }

    private delegate void FlowCall(IGenerativeModel m, float[] x, float[]? y, float[] output, float[]? output2);
    private delegate float FlowBackward(IGenerativeModel m, float[] x, float[]? y);

    /// <summary>A model, how to make its inputs, what GenDsl computes on them, and what it computes after PyTorch's step.</summary>
    private sealed record Case(string Name, string Family, Func<IGenerativeModel> Create,
        Func<IGenerativeModel, Dictionary<string, float[]>> Inputs,
        Func<IGenerativeModel, Dictionary<string, float[]>, Dictionary<string, float[]>> Run,
        Func<IGenerativeModel, Dictionary<string, float[]>, Dictionary<string, float[]>> After)
    {
        /// <summary>Start from weights whose ActNorm layers are not initialised yet: the first loss initialises them.</summary>
        public bool ActNormInit { get; init; }

        public string Label => ActNormInit ? Name + "+init" : Name;
    }

    private static ModelOptions Options => new() { MaxBatch = 3 * Rows, Seed = Seed };

    // Generated methods take Span2D arguments (ref structs), so the cases reach them through the model's own type.

    /// <param name="edges">Sets chosen entries of x and of the latents given to FromLatent (exact values such as ±B).</param>
    private static Case Flow<T>(string name, Func<ModelOptions, T> make, Action<float[], float[]>? edges = null) where T : class, IFlowModel
    {
        var api = FlowApi.For(typeof(T));
        return new Case(name, "flow", () => make(Options),
            m =>
            {
                var rng = new Rng(31, 1);
                var d = new Dictionary<string, float[]> { ["x"] = Normal(rng, Rows * m.Features), ["zin"] = Normal(rng, Rows * m.Features) };
                edges?.Invoke(d["x"], d["zin"]);
                if (m.ConditionSize > 0) d["y"] = Uniform(rng, Rows * m.ConditionSize);
                return d;
            },
            (m, i) =>
            {
                i.TryGetValue("y", out var y);
                int f = m.Features;
                var logp = new float[Rows];
                var z = new float[Rows * f];
                var logdet = new float[Rows];
                var inv = new float[Rows * f];
                api.LogProb(m, i["x"], y, logp);
                api.ToLatent(m, i["x"], y, z, logdet);
                api.FromLatent(m, i["zin"], y, inv);
                float loss = api.Backward(m, i["x"], y);
                var v = new Dictionary<string, float[]> { ["logp"] = logp, ["z"] = z, ["logdet"] = logdet, ["inverse"] = inv, ["loss"] = [loss] };
                AddState(m, v);
                return v;
            },
            (m, i) =>
            {
                i.TryGetValue("y", out var y);
                var logp = new float[Rows];
                api.LogProb(m, i["x"], y, logp);
                return new() { ["after.logp"] = logp };
            });
    }

    private static Case Vae<T>(string name, Func<ModelOptions, T> make) where T : class, IVaeModel
    {
        var api = VaeApi.For(typeof(T));
        return new Case(name, "vae", () => make(Options),
            m =>
            {
                var vae = (IVaeModel)m;
                var rng = new Rng(37, 1);
                var d = new Dictionary<string, float[]> { ["x"] = Uniform(rng, Rows * m.Features), ["zin"] = Normal(rng, Rows * vae.LatentSize) };
                if (m.ConditionSize > 0) d["y"] = Uniform(rng, Rows * m.ConditionSize);
                // the model's own noise: ε of Elbo, then of ImportanceLogLikelihood, from its evaluation stream
                // (stream 2 of its seed, unused so far by this fresh model); ε of Backward from its training stream
                // (stream 1, from its position)
                var evalNoise = new Rng(Seed, 2);
                d["eps_elbo"] = Normal(evalNoise, Rows * vae.LatentSize);
                d["eps_iwae"] = Normal(evalNoise, IwaeSamples * Rows * vae.LatentSize); // sample i: rows i·B … (i + 1)·B − 1
                var noise = new Rng(Seed, 1) { Position = vae.NoisePosition };
                d["eps_loss"] = Normal(noise, Rows * vae.LatentSize);
                return d;
            },
            (m, i) =>
            {
                var vae = (IVaeModel)m;
                i.TryGetValue("y", out var y);
                var v = Deterministic(api, vae, i, y, "");
                var elbo = new float[Rows];
                api.Elbo(m, i["x"], y, elbo);
                var iwae = new float[Rows];
                api.Iwae(m, i["x"], y, IwaeSamples, iwae);
                var loss = api.Backward(m, i["x"], y);
                v["elbo"] = elbo;
                v["iwae"] = iwae;
                v["loss"] = [loss.Loss, loss.Reconstruction, loss.Kl];
                AddState(m, v);
                return v;
            },
            (m, i) =>
            {
                i.TryGetValue("y", out var y);
                return Deterministic(api, (IVaeModel)m, i, y, "after.");
            });
    }

    private static Dictionary<string, float[]> Deterministic(VaeApi api, IVaeModel m, Dictionary<string, float[]> i, float[]? y, string prefix)
    {
        var mu = new float[Rows * m.LatentSize];
        var lv = new float[Rows * m.LatentSize];
        var dec = new float[Rows * m.Features];
        api.Encode(m, i["x"], y, mu, lv);
        api.Decode(m, i["zin"], y, dec);
        return new() { [prefix + "mu"] = mu, [prefix + "logvar"] = lv, [prefix + "decode"] = dec };
    }

    private static Case Gan<T>(string name, Func<ModelOptions, T> make) where T : class, IGanModel
    {
        var api = GanApi.For(typeof(T));
        bool wgan = typeof(T) == typeof(TinyWgan);
        return new Case(name, "gan", () => make(Options),
            m =>
            {
                var gan = (IGanModel)m;
                var rng = new Rng(41, 1);
                var d = new Dictionary<string, float[]> { ["x"] = Uniform(rng, Rows * m.Features) };
                if (m.ConditionSize > 0) d["y"] = Uniform(rng, Rows * m.ConditionSize);
                d["zs"] = Normal(new Rng(43, 0), Rows * gan.NoiseSize); // Sample's own stream
                // the model's noise: z₁ of the discriminator step, (WGAN-GP: ε of the interpolates), z₂ of the generator step
                var noise = new Rng(Seed, 1) { Position = gan.NoisePosition };
                d["z1"] = Normal(noise, Rows * gan.NoiseSize);
                if (wgan) d["eps_gp"] = Uniform(noise, Rows);
                d["z2"] = Normal(noise, Rows * gan.NoiseSize);
                return d;
            },
            (m, i) =>
            {
                var gan = (IGanModel)m;
                i.TryGetValue("y", out var y);
                var v = GanOutputs(api, gan, y, i, "");
                var losses = api.TrainStep(m, i["x"], y, new NoStep(gan.DiscriminatorPart), new NoStep(gan.GeneratorPart));
                v["loss"] = [losses.Discriminator, losses.Generator];
                AddState(m, v);
                return v;
            },
            (m, i) =>
            {
                i.TryGetValue("y", out var y);
                return GanOutputs(api, (IGanModel)m, y, i, "after.");
            });
    }

    private static Dictionary<string, float[]> GanOutputs(GanApi api, IGanModel m, float[]? y, Dictionary<string, float[]> i, string prefix)
    {
        var prob = new float[Rows];
        var gen = new float[Rows * m.Features];
        api.Discriminate(m, i["x"], y, prob);
        api.Sample(m, gen, y, new Rng(43, 0));
        return new() { [prefix + "prob"] = prob, [prefix + "generate"] = gen };
    }

    /// <summary>
    /// An M2 on a labelled batch x (labels r mod K) and an unlabelled batch u of Rows each. Its randomness is replayed from the
    /// model's own streams: ε of the two Elbo calls from the evaluation stream (stream 2), then from the training stream
    /// (stream 1, at its position) the classifier's noise n of Backward (labelled rows, then unlabelled ones; drawn only when
    /// ClassifierNoise > 0), Backward's ε (the rows (x, y), then each unlabelled row once per class), and TrainClassifier's n.
    /// </summary>
    private static Case M2<T>(string name, Func<ModelOptions, T> make) where T : class, ISemiSupervisedModel
    {
        var api = M2Api.For(typeof(T));
        return new Case(name, "m2", () => make(Options),
            m =>
            {
                var m2 = (ISemiSupervisedModel)m;
                int k = m2.ClassCount, z = m2.LatentSize, f = m.Features;
                var rng = new Rng(47, 1);
                var d = new Dictionary<string, float[]>
                {
                    ["x"] = Uniform(rng, Rows * f), ["u"] = Uniform(rng, Rows * f), ["zin"] = Normal(rng, Rows * z),
                    ["labels"] = Enumerable.Range(0, Rows).Select(r => (float)(r % k)).ToArray(),
                    ["classes"] = Enumerable.Range(0, Rows).Select(r => (float)((2 * r + 1) % k)).ToArray(),
                };
                var evalNoise = new Rng(Seed, 2);
                d["eps_elbo"] = Normal(evalNoise, Rows * z);
                d["eps_elbo_u"] = Normal(evalNoise, k * Rows * z); // row u's class y at u·K + y
                var noise = new Rng(Seed, 1) { Position = m2.NoisePosition };
                if (m2.ClassifierNoise > 0) d["noise"] = Normal(noise, 2 * Rows * f);
                d["eps_loss"] = Normal(noise, (Rows + k * Rows) * z);
                if (m2.ClassifierNoise > 0) d["noise_cls"] = Normal(noise, Rows * f);
                return d;
            },
            (m, i) =>
            {
                var m2 = (ISemiSupervisedModel)m;
                int k = m2.ClassCount, f = m.Features;
                var labels = Ints(i["labels"]);
                var v = M2Deterministic(api, m2, i, "");
                var elbo = new float[Rows];
                m2.Elbo(R(i["x"], f), labels, elbo);
                var elboU = new float[Rows];
                api.UnlabelledElbo(m, i["u"], elboU);
                var loss = api.Backward(m, i["x"], labels, i["u"]);
                v["elbo"] = elbo;
                v["elbo_u"] = elboU;
                v["loss"] = [loss.Loss, loss.Labelled, loss.Classification, loss.Unlabelled];
                AddState(m, v); // the gradients and running statistics of Backward
                v["classifier_loss"] = [m2.TrainClassifier(R(i["x"], f), labels, new NoStep(m2.ClassifierPart))];
                return v;
            },
            (m, i) => M2Deterministic(api, (ISemiSupervisedModel)m, i, "after."));
    }

    private static int[] Ints(float[] a) => a.Select(v => (int)v).ToArray();

    /// <summary>A regressor on a target batch x and inputs y: Predict (running statistics), then TrainStep's loss and gradients.</summary>
    private static Case Regressor<T>(string name, Func<ModelOptions, T> make) where T : class, IRegressorModel =>
        new(name, "regressor", () => make(Options),
            m =>
            {
                var rng = new Rng(53, 1);
                return new() { ["x"] = Uniform(rng, Rows * m.Features), ["y"] = Normal(rng, Rows * m.ConditionSize) };
            },
            (m, i) =>
            {
                var r = (IRegressorModel)m;
                var v = new Dictionary<string, float[]> { ["predict"] = RegressorPredict(r, i["y"]) };
                v["loss"] = [r.TrainStep(R(i["x"], m.Features), R(i["y"], m.ConditionSize), new NoStep(m))];
                AddState(m, v);
                return v;
            },
            (m, i) => new() { ["after.predict"] = RegressorPredict((IRegressorModel)m, i["y"]) });

    private static float[] RegressorPredict(IRegressorModel m, float[] y)
    {
        var x = new float[Rows * m.Features];
        m.Predict(R(y, m.ConditionSize), W(x, m.Features));
        return x;
    }

    /// <summary>The randomness-free outputs: encode and decode (for the given classes), classify, predict and transfer (z = μ).</summary>
    private static Dictionary<string, float[]> M2Deterministic(M2Api api, ISemiSupervisedModel m, Dictionary<string, float[]> i, string prefix)
    {
        int f = m.Features, z = m.LatentSize, k = m.ClassCount;
        var classes = Ints(i["classes"]);
        var mu = new float[Rows * z];
        var lv = new float[Rows * z];
        var dec = new float[Rows * f];
        var probabilities = new float[Rows * k];
        var predicted = new int[Rows];
        var transfer = new float[Rows * f];
        api.Encode(m, i["x"], classes, mu, lv);
        api.Decode(m, i["zin"], classes, dec);
        m.Classify(R(i["x"], f), W(probabilities, k));
        m.Predict(R(i["x"], f), predicted);
        m.Transfer(R(i["x"], f), classes, W(transfer, f));
        return new()
        {
            [prefix + "mu"] = mu, [prefix + "logvar"] = lv, [prefix + "decode"] = dec, [prefix + "classify"] = probabilities,
            [prefix + "predict"] = predicted.Select(c => (float)c).ToArray(), [prefix + "transfer"] = transfer,
        };
    }

    // The generated members reached by name: one small adapter per family, built by reflection over delegates
    // that take arrays (a Span2D cannot be boxed, so each call is compiled as a typed lambda per model type).

    private sealed class FlowApi
    {
        public required Action<IGenerativeModel, float[], float[]?, float[]> LogProb;
        public required Action<IGenerativeModel, float[], float[]?, float[], float[]> ToLatent;
        public required Action<IGenerativeModel, float[], float[]?, float[]> FromLatent;
        public required Func<IGenerativeModel, float[], float[]?, float> Backward;

        public static FlowApi For(Type t) => t.Name switch
        {
            nameof(MoonsFlow) => Plain<MoonsFlow>((m, x, lp) => m.LogProb(R(x, 2), lp), (m, x, z, ld) => m.ToLatent(R(x, 2), W(z, 2), ld), (m, z, x) => m.FromLatent(R(z, 2), W(x, 2)), (m, x) => m.Backward(R(x, 2))),
            nameof(DigitsFlow) => Plain<DigitsFlow>((m, x, lp) => m.LogProb(R(x, 64), lp), (m, x, z, ld) => m.ToLatent(R(x, 64), W(z, 64), ld), (m, z, x) => m.FromLatent(R(z, 64), W(x, 64)), (m, x) => m.Backward(R(x, 64))),
            nameof(MixedFlow) => Plain<MixedFlow>((m, x, lp) => m.LogProb(R(x, 4), lp), (m, x, z, ld) => m.ToLatent(R(x, 4), W(z, 4), ld), (m, z, x) => m.FromLatent(R(z, 4), W(x, 4)), (m, x) => m.Backward(R(x, 4))),
            nameof(WideFlow) => Plain<WideFlow>((m, x, lp) => m.LogProb(R(x, 12), lp), (m, x, z, ld) => m.ToLatent(R(x, 12), W(z, 12), ld), (m, z, x) => m.FromLatent(R(z, 12), W(x, 12)), (m, x) => m.Backward(R(x, 12))),
            nameof(MoonsSplineFlow) => Plain<MoonsSplineFlow>((m, x, lp) => m.LogProb(R(x, 2), lp), (m, x, z, ld) => m.ToLatent(R(x, 2), W(z, 2), ld), (m, z, x) => m.FromLatent(R(z, 2), W(x, 2)), (m, x) => m.Backward(R(x, 2))),
            nameof(SplineMixedFlow) => Plain<SplineMixedFlow>((m, x, lp) => m.LogProb(R(x, 4), lp), (m, x, z, ld) => m.ToLatent(R(x, 4), W(z, 4), ld), (m, z, x) => m.FromLatent(R(z, 4), W(x, 4)), (m, x) => m.Backward(R(x, 4))),
            nameof(ConditionalSplineFlow) => Cond<ConditionalSplineFlow>(3, 2, (m, x, y, lp) => m.LogProb(x, y, lp), (m, x, y, z, ld) => m.ToLatent(x, y, z, ld), (m, z, y, x) => m.FromLatent(z, y, x), (m, x, y) => m.Backward(x, y)),
            nameof(MafMixedFlow) => Plain<MafMixedFlow>((m, x, lp) => m.LogProb(R(x, 4), lp), (m, x, z, ld) => m.ToLatent(R(x, 4), W(z, 4), ld), (m, z, x) => m.FromLatent(R(z, 4), W(x, 4)), (m, x) => m.Backward(R(x, 4))),
            nameof(MoonsMaf) => Plain<MoonsMaf>((m, x, lp) => m.LogProb(R(x, 2), lp), (m, x, z, ld) => m.ToLatent(R(x, 2), W(z, 2), ld), (m, z, x) => m.FromLatent(R(z, 2), W(x, 2)), (m, x) => m.Backward(R(x, 2))),
            nameof(DigitsMaf) => Plain<DigitsMaf>((m, x, lp) => m.LogProb(R(x, 64), lp), (m, x, z, ld) => m.ToLatent(R(x, 64), W(z, 64), ld), (m, z, x) => m.FromLatent(R(z, 64), W(x, 64)), (m, x) => m.Backward(R(x, 64))),
            nameof(SplineMafFlow) => Plain<SplineMafFlow>((m, x, lp) => m.LogProb(R(x, 4), lp), (m, x, z, ld) => m.ToLatent(R(x, 4), W(z, 4), ld), (m, z, x) => m.FromLatent(R(z, 4), W(x, 4)), (m, x) => m.Backward(R(x, 4))),
            nameof(MoonsSplineMaf) => Plain<MoonsSplineMaf>((m, x, lp) => m.LogProb(R(x, 2), lp), (m, x, z, ld) => m.ToLatent(R(x, 2), W(z, 2), ld), (m, z, x) => m.FromLatent(R(z, 2), W(x, 2)), (m, x) => m.Backward(R(x, 2))),
            nameof(ConditionalSplineMafFlow) => Cond<ConditionalSplineMafFlow>(3, 2, (m, x, y, lp) => m.LogProb(x, y, lp), (m, x, y, z, ld) => m.ToLatent(x, y, z, ld), (m, z, y, x) => m.FromLatent(z, y, x), (m, x, y) => m.Backward(x, y)),
            nameof(ConditionalMafFlow) => Cond<ConditionalMafFlow>(3, 2, (m, x, y, lp) => m.LogProb(x, y, lp), (m, x, y, z, ld) => m.ToLatent(x, y, z, ld), (m, z, y, x) => m.FromLatent(z, y, x), (m, x, y) => m.Backward(x, y)),
            nameof(ConditionalMoonsFlow) => Cond<ConditionalMoonsFlow>(2, 2, (m, x, y, lp) => m.LogProb(x, y, lp), (m, x, y, z, ld) => m.ToLatent(x, y, z, ld), (m, z, y, x) => m.FromLatent(z, y, x), (m, x, y) => m.Backward(x, y)),
            nameof(ClashFlow) => Plain<ClashFlow>((m, x, lp) => m.LogProb(R(x, 4), lp), (m, x, z, ld) => m.ToLatent(R(x, 4), W(z, 4), ld), (m, z, x) => m.FromLatent(R(z, 4), W(x, 4)), (m, x) => m.Backward(R(x, 4))),
            nameof(ConditionalSmallFlow) => Cond<ConditionalSmallFlow>(3, 2, (m, x, y, lp) => m.LogProb(x, y, lp), (m, x, y, z, ld) => m.ToLatent(x, y, z, ld), (m, z, y, x) => m.FromLatent(z, y, x), (m, x, y) => m.Backward(x, y)),
            nameof(ImageSqueezeFlow) => Plain<ImageSqueezeFlow>((m, x, lp) => m.LogProb(R(x, ImageSqueezeFlow.FeatureCount), lp), (m, x, z, ld) => m.ToLatent(R(x, ImageSqueezeFlow.FeatureCount), W(z, ImageSqueezeFlow.FeatureCount), ld), (m, z, x) => m.FromLatent(R(z, ImageSqueezeFlow.FeatureCount), W(x, ImageSqueezeFlow.FeatureCount)), (m, x) => m.Backward(R(x, ImageSqueezeFlow.FeatureCount))),
            nameof(ImageActNormFlow) => Plain<ImageActNormFlow>((m, x, lp) => m.LogProb(R(x, ImageActNormFlow.FeatureCount), lp), (m, x, z, ld) => m.ToLatent(R(x, ImageActNormFlow.FeatureCount), W(z, ImageActNormFlow.FeatureCount), ld), (m, z, x) => m.FromLatent(R(z, ImageActNormFlow.FeatureCount), W(x, ImageActNormFlow.FeatureCount)), (m, x) => m.Backward(R(x, ImageActNormFlow.FeatureCount))),
            nameof(ImageGlowStepFlow) => Plain<ImageGlowStepFlow>((m, x, lp) => m.LogProb(R(x, ImageGlowStepFlow.FeatureCount), lp), (m, x, z, ld) => m.ToLatent(R(x, ImageGlowStepFlow.FeatureCount), W(z, ImageGlowStepFlow.FeatureCount), ld), (m, z, x) => m.FromLatent(R(z, ImageGlowStepFlow.FeatureCount), W(x, ImageGlowStepFlow.FeatureCount)), (m, x) => m.Backward(R(x, ImageGlowStepFlow.FeatureCount))),
            nameof(ImageConvCouplingFlow) => Plain<ImageConvCouplingFlow>((m, x, lp) => m.LogProb(R(x, ImageConvCouplingFlow.FeatureCount), lp), (m, x, z, ld) => m.ToLatent(R(x, ImageConvCouplingFlow.FeatureCount), W(z, ImageConvCouplingFlow.FeatureCount), ld), (m, z, x) => m.FromLatent(R(z, ImageConvCouplingFlow.FeatureCount), W(x, ImageConvCouplingFlow.FeatureCount)), (m, x) => m.Backward(R(x, ImageConvCouplingFlow.FeatureCount))),
            nameof(ImageCheckerboardFlow) => Plain<ImageCheckerboardFlow>((m, x, lp) => m.LogProb(R(x, ImageCheckerboardFlow.FeatureCount), lp), (m, x, z, ld) => m.ToLatent(R(x, ImageCheckerboardFlow.FeatureCount), W(z, ImageCheckerboardFlow.FeatureCount), ld), (m, z, x) => m.FromLatent(R(z, ImageCheckerboardFlow.FeatureCount), W(x, ImageCheckerboardFlow.FeatureCount)), (m, x) => m.Backward(R(x, ImageCheckerboardFlow.FeatureCount))),
            nameof(IdentityImageConvFlow) => Plain<IdentityImageConvFlow>((m, x, lp) => m.LogProb(R(x, IdentityImageConvFlow.FeatureCount), lp), (m, x, z, ld) => m.ToLatent(R(x, IdentityImageConvFlow.FeatureCount), W(z, IdentityImageConvFlow.FeatureCount), ld), (m, z, x) => m.FromLatent(R(z, IdentityImageConvFlow.FeatureCount), W(x, IdentityImageConvFlow.FeatureCount)), (m, x) => m.Backward(R(x, IdentityImageConvFlow.FeatureCount))),
            nameof(ImageSplitFlow) => Plain<ImageSplitFlow>((m, x, lp) => m.LogProb(R(x, ImageSplitFlow.FeatureCount), lp), (m, x, z, ld) => m.ToLatent(R(x, ImageSplitFlow.FeatureCount), W(z, ImageSplitFlow.FeatureCount), ld), (m, z, x) => m.FromLatent(R(z, ImageSplitFlow.FeatureCount), W(x, ImageSplitFlow.FeatureCount)), (m, x) => m.Backward(R(x, ImageSplitFlow.FeatureCount))),
            nameof(FashionGlow) => Plain<FashionGlow>((m, x, lp) => m.LogProb(R(x, FashionGlow.FeatureCount), lp), (m, x, z, ld) => m.ToLatent(R(x, FashionGlow.FeatureCount), W(z, FashionGlow.FeatureCount), ld), (m, z, x) => m.FromLatent(R(z, FashionGlow.FeatureCount), W(x, FashionGlow.FeatureCount)), (m, x) => m.Backward(R(x, FashionGlow.FeatureCount))),
            nameof(ConditionalImageSqueezeFlow) => Cond<ConditionalImageSqueezeFlow>(ConditionalImageSqueezeFlow.FeatureCount, ConditionalImageSqueezeFlow.ConditionCount, (m, x, y, lp) => m.LogProb(x, y, lp), (m, x, y, z, ld) => m.ToLatent(x, y, z, ld), (m, z, y, x) => m.FromLatent(z, y, x), (m, x, y) => m.Backward(x, y)),
            nameof(ConditionalImageConvFlow) => Cond<ConditionalImageConvFlow>(ConditionalImageConvFlow.FeatureCount, ConditionalImageConvFlow.ConditionCount, (m, x, y, lp) => m.LogProb(x, y, lp), (m, x, y, z, ld) => m.ToLatent(x, y, z, ld), (m, z, y, x) => m.FromLatent(z, y, x), (m, x, y) => m.Backward(x, y)),
            nameof(ImageConditionFlow) => Cond<ImageConditionFlow>(ImageConditionFlow.FeatureCount, ImageConditionFlow.ConditionCount, (m, x, y, lp) => m.LogProb(x, y, lp), (m, x, y, z, ld) => m.ToLatent(x, y, z, ld), (m, z, y, x) => m.FromLatent(z, y, x), (m, x, y) => m.Backward(x, y)),
            nameof(ConditionalImageConvCouplingFlow) => Cond<ConditionalImageConvCouplingFlow>(ConditionalImageConvCouplingFlow.FeatureCount, ConditionalImageConvCouplingFlow.ConditionCount, (m, x, y, lp) => m.LogProb(x, y, lp), (m, x, y, z, ld) => m.ToLatent(x, y, z, ld), (m, z, y, x) => m.FromLatent(z, y, x), (m, x, y) => m.Backward(x, y)),
            _ => throw new ArgumentException(t.Name),
        };

        private static FlowApi Plain<T>(Action<T, float[], float[]> lp, Action<T, float[], float[], float[]> tl, Action<T, float[], float[]> fl, Func<T, float[], float> bw) => new()
        {
            LogProb = (m, x, _, o) => lp((T)(object)m, x, o),
            ToLatent = (m, x, _, z, ld) => tl((T)(object)m, x, z, ld),
            FromLatent = (m, z, _, x) => fl((T)(object)m, z, x),
            Backward = (m, x, _) => bw((T)(object)m, x),
        };

        internal delegate void LogProbC<T>(T m, ReadOnlySpan2D<float> x, ReadOnlySpan2D<float> y, Span<float> lp);
        internal delegate void ToLatentC<T>(T m, ReadOnlySpan2D<float> x, ReadOnlySpan2D<float> y, Span2D<float> z, Span<float> ld);
        internal delegate void FromLatentC<T>(T m, ReadOnlySpan2D<float> z, ReadOnlySpan2D<float> y, Span2D<float> x);
        internal delegate float BackwardC<T>(T m, ReadOnlySpan2D<float> x, ReadOnlySpan2D<float> y);

        private static FlowApi Cond<T>(int d, int k, LogProbC<T> lp, ToLatentC<T> tl, FromLatentC<T> fl, BackwardC<T> bw) => new()
        {
            LogProb = (m, x, y, o) => lp((T)(object)m, R(x, d), R(y!, k), o),
            ToLatent = (m, x, y, z, ld) => tl((T)(object)m, R(x, d), R(y!, k), W(z, d), ld),
            FromLatent = (m, z, y, x) => fl((T)(object)m, R(z, d), R(y!, k), W(x, d)),
            Backward = (m, x, y) => bw((T)(object)m, R(x, d), R(y!, k)),
        };
    }

    private sealed class VaeApi
    {
        public required Action<IGenerativeModel, float[], float[]?, float[], float[]> Encode;
        public required Action<IGenerativeModel, float[], float[]?, float[]> Decode;
        public required Action<IGenerativeModel, float[], float[]?, float[]> Elbo;
        public required Func<IGenerativeModel, float[], float[]?, VaeLoss> Backward;
        public required Action<IGenerativeModel, float[], float[]?, int, float[]> Iwae;

        internal delegate void IwaeC<T>(T m, ReadOnlySpan2D<float> x, ReadOnlySpan2D<float> y, int k, Span<float> e);
        internal delegate void EncodeC<T>(T m, ReadOnlySpan2D<float> x, ReadOnlySpan2D<float> y, Span2D<float> mu, Span2D<float> lv);
        internal delegate void DecodeC<T>(T m, ReadOnlySpan2D<float> z, ReadOnlySpan2D<float> y, Span2D<float> x);
        internal delegate void ElboC<T>(T m, ReadOnlySpan2D<float> x, ReadOnlySpan2D<float> y, Span<float> e);
        internal delegate VaeLoss BackwardC<T>(T m, ReadOnlySpan2D<float> x, ReadOnlySpan2D<float> y);

        /// <summary>y is an empty 0-column span for unconditional models (ignored by their lambdas).</summary>
        private static VaeApi Make<T>(int d, int z, int k, EncodeC<T> en, DecodeC<T> de, ElboC<T> el, BackwardC<T> bw, IwaeC<T> iw) => new()
        {
            Iwae = (m, x, y, samples, e) => iw((T)(object)m, R(x, d), Y(y, k), samples, e),
            Encode = (m, x, y, mu, lv) => en((T)(object)m, R(x, d), Y(y, k), W(mu, z), W(lv, z)),
            Decode = (m, zz, y, x) => de((T)(object)m, R(zz, z), Y(y, k), W(x, d)),
            Elbo = (m, x, y, e) => el((T)(object)m, R(x, d), Y(y, k), e),
            Backward = (m, x, y) => bw((T)(object)m, R(x, d), Y(y, k)),
        };

        public static VaeApi For(Type t) => t.Name switch
        {
            nameof(DigitsVae) => Make<DigitsVae>(64, 8, 0, (m, x, y, mu, lv) => m.Encode(x, mu, lv), (m, z, y, x) => m.Decode(z, x), (m, x, y, e) => m.Elbo(x, e), (m, x, y) => m.Backward(x), (m, x, y, n, e) => m.ImportanceLogLikelihood(x, n, e)),
            nameof(DigitsCvae) => Make<DigitsCvae>(64, 8, 10, (m, x, y, mu, lv) => m.Encode(x, y, mu, lv), (m, z, y, x) => m.Decode(z, y, x), (m, x, y, e) => m.Elbo(x, y, e), (m, x, y) => m.Backward(x, y), (m, x, y, n, e) => m.ImportanceLogLikelihood(x, y, n, e)),
            nameof(MnistVae) => Make<MnistVae>(784, 20, 0, (m, x, y, mu, lv) => m.Encode(x, mu, lv), (m, z, y, x) => m.Decode(z, x), (m, x, y, e) => m.Elbo(x, e), (m, x, y) => m.Backward(x), (m, x, y, n, e) => m.ImportanceLogLikelihood(x, n, e)),
            nameof(TinyBernoulliVae) => Make<TinyBernoulliVae>(5, 3, 0, (m, x, y, mu, lv) => m.Encode(x, mu, lv), (m, z, y, x) => m.Decode(z, x), (m, x, y, e) => m.Elbo(x, e), (m, x, y) => m.Backward(x), (m, x, y, n, e) => m.ImportanceLogLikelihood(x, n, e)),
            nameof(TinyGaussianCvae) => Make<TinyGaussianCvae>(5, 3, 2, (m, x, y, mu, lv) => m.Encode(x, y, mu, lv), (m, z, y, x) => m.Decode(z, y, x), (m, x, y, e) => m.Elbo(x, y, e), (m, x, y) => m.Backward(x, y), (m, x, y, n, e) => m.ImportanceLogLikelihood(x, y, n, e)),
            nameof(TinyFixedVae) => Make<TinyFixedVae>(6, 2, 0, (m, x, y, mu, lv) => m.Encode(x, mu, lv), (m, z, y, x) => m.Decode(z, x), (m, x, y, e) => m.Elbo(x, e), (m, x, y) => m.Backward(x), (m, x, y, n, e) => m.ImportanceLogLikelihood(x, n, e)),
            nameof(FashionConvVae) => Make<FashionConvVae>(784, 16, 0, (m, x, y, mu, lv) => m.Encode(x, mu, lv), (m, z, y, x) => m.Decode(z, x), (m, x, y, e) => m.Elbo(x, e), (m, x, y) => m.Backward(x), (m, x, y, n, e) => m.ImportanceLogLikelihood(x, n, e)),
            nameof(FashionConvCvae) => Make<FashionConvCvae>(784, 16, 10, (m, x, y, mu, lv) => m.Encode(x, y, mu, lv), (m, z, y, x) => m.Decode(z, y, x), (m, x, y, e) => m.Elbo(x, y, e), (m, x, y) => m.Backward(x, y), (m, x, y, n, e) => m.ImportanceLogLikelihood(x, y, n, e)),
            nameof(ConvBernoulliVae) => Make<ConvBernoulliVae>(36, 3, 0, (m, x, y, mu, lv) => m.Encode(x, mu, lv), (m, z, y, x) => m.Decode(z, x), (m, x, y, e) => m.Elbo(x, e), (m, x, y) => m.Backward(x), (m, x, y, n, e) => m.ImportanceLogLikelihood(x, n, e)),
            nameof(ConvGaussianVae) => Make<ConvGaussianVae>(50, 2, 0, (m, x, y, mu, lv) => m.Encode(x, mu, lv), (m, z, y, x) => m.Decode(z, x), (m, x, y, e) => m.Elbo(x, e), (m, x, y) => m.Backward(x), (m, x, y, n, e) => m.ImportanceLogLikelihood(x, n, e)),
            nameof(ConvDenseHeadVae) => Make<ConvDenseHeadVae>(36, 2, 0, (m, x, y, mu, lv) => m.Encode(x, mu, lv), (m, z, y, x) => m.Decode(z, x), (m, x, y, e) => m.Elbo(x, e), (m, x, y) => m.Backward(x), (m, x, y, n, e) => m.ImportanceLogLikelihood(x, n, e)),
            nameof(ClashVae) => Make<ClashVae>(5, 2, 2, (m, x, y, mu, lv) => m.Encode(x, y, mu, lv), (m, z, y, x) => m.Decode(z, y, x), (m, x, y, e) => m.Elbo(x, y, e), (m, x, y) => m.Backward(x, y), (m, x, y, n, e) => m.ImportanceLogLikelihood(x, y, n, e)),
            nameof(ImageConditionCvae) => Make<ImageConditionCvae>(25, 2, 9, (m, x, y, mu, lv) => m.Encode(x, y, mu, lv), (m, z, y, x) => m.Decode(z, y, x), (m, x, y, e) => m.Elbo(x, y, e), (m, x, y) => m.Backward(x, y), (m, x, y, n, e) => m.ImportanceLogLikelihood(x, y, n, e)),
            nameof(ConvCvae) => Make<ConvCvae>(25, 2, 2, (m, x, y, mu, lv) => m.Encode(x, y, mu, lv), (m, z, y, x) => m.Decode(z, y, x), (m, x, y, e) => m.Elbo(x, y, e), (m, x, y) => m.Backward(x, y), (m, x, y, n, e) => m.ImportanceLogLikelihood(x, y, n, e)),
            _ => throw new ArgumentException(t.Name),
        };
    }

    private sealed class GanApi
    {
        public required Action<IGenerativeModel, float[], float[]?, float[]> Discriminate;
        public required Action<IGenerativeModel, float[], float[]?, Rng> Sample;
        public required Func<IGenerativeModel, float[], float[]?, Optimizer, Optimizer, GanLosses> TrainStep;

        internal delegate void DiscriminateC<T>(T m, ReadOnlySpan2D<float> x, ReadOnlySpan2D<float> y, Span<float> p);
        internal delegate void SampleC<T>(T m, Span2D<float> x, ReadOnlySpan2D<float> y, Rng rng);
        internal delegate GanLosses TrainC<T>(T m, ReadOnlySpan2D<float> x, ReadOnlySpan2D<float> y, Optimizer d, Optimizer g);

        private static GanApi Make<T>(int d, int k, DiscriminateC<T> di, SampleC<T> sa, TrainC<T> tr) => new()
        {
            Discriminate = (m, x, y, p) => di((T)(object)m, R(x, d), Y(y, k), p),
            Sample = (m, x, y, rng) => sa((T)(object)m, W(x, d), Y(y, k), rng),
            TrainStep = (m, x, y, dOpt, gOpt) => tr((T)(object)m, R(x, d), Y(y, k), dOpt, gOpt),
        };

        public static GanApi For(Type t) => t.Name switch
        {
            nameof(RingGan) => Make<RingGan>(2, 0, (m, x, y, p) => m.Discriminate(x, p), (m, x, y, r) => m.Sample(x, r), (m, x, y, d, g) => m.TrainStep(x, d, g)),
            nameof(RingCgan) => Make<RingCgan>(2, 8, (m, x, y, p) => m.Discriminate(x, y, p), (m, x, y, r) => m.Sample(x, y, r), (m, x, y, d, g) => m.TrainStep(x, y, d, g)),
            nameof(MnistGan) => Make<MnistGan>(784, 0, (m, x, y, p) => m.Discriminate(x, p), (m, x, y, r) => m.Sample(x, r), (m, x, y, d, g) => m.TrainStep(x, d, g)),
            nameof(TinyNsGan) => Make<TinyNsGan>(3, 0, (m, x, y, p) => m.Discriminate(x, p), (m, x, y, r) => m.Sample(x, r), (m, x, y, d, g) => m.TrainStep(x, d, g)),
            nameof(TinyMinimaxCgan) => Make<TinyMinimaxCgan>(3, 2, (m, x, y, p) => m.Discriminate(x, y, p), (m, x, y, r) => m.Sample(x, y, r), (m, x, y, d, g) => m.TrainStep(x, y, d, g)),
            nameof(TinyHingeGan) => Make<TinyHingeGan>(6, 0, (m, x, y, p) => m.Discriminate(x, p), (m, x, y, r) => m.Sample(x, r), (m, x, y, d, g) => m.TrainStep(x, d, g)),
            nameof(TinyWgan) => Make<TinyWgan>(3, 2, (m, x, y, p) => m.Discriminate(x, y, p), (m, x, y, r) => m.Sample(x, y, r), (m, x, y, d, g) => m.TrainStep(x, y, d, g)),
            nameof(FashionDcgan) => Make<FashionDcgan>(784, 0, (m, x, y, p) => m.Discriminate(x, p), (m, x, y, r) => m.Sample(x, r), (m, x, y, d, g) => m.TrainStep(x, d, g)),
            nameof(FashionCdcgan) => Make<FashionCdcgan>(784, 10, (m, x, y, p) => m.Discriminate(x, y, p), (m, x, y, r) => m.Sample(x, y, r), (m, x, y, d, g) => m.TrainStep(x, y, d, g)),
            nameof(ConvBnGan) => Make<ConvBnGan>(36, 0, (m, x, y, p) => m.Discriminate(x, p), (m, x, y, r) => m.Sample(x, r), (m, x, y, d, g) => m.TrainStep(x, d, g)),
            nameof(ImageConditionCgan) => Make<ImageConditionCgan>(16, 16, (m, x, y, p) => m.Discriminate(x, y, p), (m, x, y, r) => m.Sample(x, y, r), (m, x, y, d, g) => m.TrainStep(x, y, d, g)),
            nameof(ConvCgan) => Make<ConvCgan>(25, 2, (m, x, y, p) => m.Discriminate(x, y, p), (m, x, y, r) => m.Sample(x, y, r), (m, x, y, d, g) => m.TrainStep(x, y, d, g)),
            nameof(ConvHingeGan) => Make<ConvHingeGan>(25, 0, (m, x, y, p) => m.Discriminate(x, p), (m, x, y, r) => m.Sample(x, r), (m, x, y, d, g) => m.TrainStep(x, d, g)),
            nameof(ConvEdgeBnCgan) => Make<ConvEdgeBnCgan>(16, 1, (m, x, y, p) => m.Discriminate(x, y, p), (m, x, y, r) => m.Sample(x, y, r), (m, x, y, d, g) => m.TrainStep(x, y, d, g)),
            _ => throw new ArgumentException(t.Name),
        };
    }

    /// <summary>The M2 members outside ISemiSupervisedModel (Encode, Decode, Backward and the unlabelled Elbo), typed per model.</summary>
    private sealed class M2Api
    {
        public required Action<IGenerativeModel, float[], int[], float[], float[]> Encode;
        public required Action<IGenerativeModel, float[], int[], float[]> Decode;
        public required Action<IGenerativeModel, float[], float[]> UnlabelledElbo;
        public required Func<IGenerativeModel, float[], int[], float[], SemiSupervisedLoss> Backward;

        internal delegate void EncodeC<T>(T m, ReadOnlySpan2D<float> x, ReadOnlySpan<int> classes, Span2D<float> mu, Span2D<float> lv);
        internal delegate void DecodeC<T>(T m, ReadOnlySpan2D<float> z, ReadOnlySpan<int> classes, Span2D<float> x);
        internal delegate void ElboC<T>(T m, ReadOnlySpan2D<float> x, Span<float> e);
        internal delegate SemiSupervisedLoss BackwardC<T>(T m, ReadOnlySpan2D<float> labelled, ReadOnlySpan<int> labels, ReadOnlySpan2D<float> unlabelled);

        private static M2Api Make<T>(int d, int z, EncodeC<T> en, DecodeC<T> de, ElboC<T> el, BackwardC<T> bw) => new()
        {
            Encode = (m, x, c, mu, lv) => en((T)(object)m, R(x, d), c, W(mu, z), W(lv, z)),
            Decode = (m, zz, c, x) => de((T)(object)m, R(zz, z), c, W(x, d)),
            UnlabelledElbo = (m, x, e) => el((T)(object)m, R(x, d), e),
            Backward = (m, x, labels, u) => bw((T)(object)m, R(x, d), labels, R(u, d)),
        };

        public static M2Api For(Type t) => t.Name switch
        {
            nameof(TinyM2) => Make<TinyM2>(6, 3, (m, x, c, mu, lv) => m.Encode(x, c, mu, lv), (m, z, c, x) => m.Decode(z, c, x), (m, x, e) => m.Elbo(x, e), (m, x, l, u) => m.Backward(x, l, u)),
            nameof(TinyNoisyM2) => Make<TinyNoisyM2>(6, 3, (m, x, c, mu, lv) => m.Encode(x, c, mu, lv), (m, z, c, x) => m.Decode(z, c, x), (m, x, e) => m.Elbo(x, e), (m, x, l, u) => m.Backward(x, l, u)),
            nameof(TinyConvM2) => Make<TinyConvM2>(36, 2, (m, x, c, mu, lv) => m.Encode(x, c, mu, lv), (m, z, c, x) => m.Decode(z, c, x), (m, x, e) => m.Elbo(x, e), (m, x, l, u) => m.Backward(x, l, u)),
            nameof(ClashM2) => Make<ClashM2>(6, 2, (m, x, c, mu, lv) => m.Encode(x, c, mu, lv), (m, z, c, x) => m.Decode(z, c, x), (m, x, e) => m.Elbo(x, e), (m, x, l, u) => m.Backward(x, l, u)),
            nameof(MnistM2) => Make<MnistM2>(784, 32, (m, x, c, mu, lv) => m.Encode(x, c, mu, lv), (m, z, c, x) => m.Decode(z, c, x), (m, x, e) => m.Elbo(x, e), (m, x, l, u) => m.Backward(x, l, u)),
            _ => throw new ArgumentException(t.Name),
        };
    }

    private static ReadOnlySpan2D<float> Y(float[]? y, int k) => k == 0 || y is null ? default : new ReadOnlySpan2D<float>(y, y.Length / k, k);
}

/// <summary>A fact that runs only when /usr/bin/python3 can import torch (CI installs Debian's python3-torch).</summary>
public sealed class TorchFactAttribute : FactAttribute
{
    public TorchFactAttribute()
    {
        if (!PythonTorch.Available)
            Skip = PythonTorch.Reason;
    }
}

/// <summary>/usr/bin/python3 with torch: probed once; scripts run with a timeout, their output echoed to the test log.</summary>
internal static class PythonTorch
{
    public const string Python = "/usr/bin/python3";
    private static readonly Lazy<(bool Ok, string Reason)> s_probe = new(Probe);

    public static bool Available => s_probe.Value.Ok;
    public static string Reason => s_probe.Value.Reason;

    private static (bool, string) Probe()
    {
        if (!File.Exists(Python))
            return (false, $"{Python} is missing: install python3 and python3-torch (apt-get install -y python3-torch) to run the PyTorch exchange tests");
        try
        {
            var (code, text) = Exec(["-c", "import torch; print(torch.__version__)"], TimeSpan.FromSeconds(120));
            return code == 0 ? (true, "") : (false, $"{Python} cannot import torch (apt-get install -y python3-torch): {text.Trim()}");
        }
        catch (Exception e)
        {
            return (false, $"{Python} could not be started: {e.Message}");
        }
    }

    public static void Run(string script, string argument, ITestOutputHelper output)
    {
        var (code, text) = Exec([script, argument], TimeSpan.FromSeconds(300));
        output.WriteLine(text);
        Assert.True(code == 0, $"python3 {Path.GetFileName(script)} exited with {code}:\n{text}");
    }

    private static (int Code, string Output) Exec(string[] arguments, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        start.Environment["OMP_NUM_THREADS"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            return (-1, $"timed out after {timeout.TotalSeconds} s\n{stdout.Result}{stderr.Result}");
        }
        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
