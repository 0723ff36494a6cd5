using System.Text.Json;
using System.Text.RegularExpressions;
using GenDsl.Cli.Models;

namespace GenDsl.Cli.Tests;

/// <summary>demo --quick writes its report; models and data list what exists; the registry follows its naming rule.</summary>
public class DemoAndListTests : CliHarness
{
    [Fact]
    public void QuickDemoWritesPicturesMetricsAndReport()
    {
        var r = Run("demo", "--quick", "--out", P("demo"));
        AssertExit(ExitCodes.Ok, r);

        string[] pictures =
        [
            "moons-flow-samples.png", "moons-flow-density.png", "moons-flow-loss.png",
            "conditional-moons-flow-samples.png", "conditional-moons-flow-loss.png", "regression-vs-generation.png",
            "digits-vae-samples.png", "digits-vae-reconstructions.png", "digits-vae-loss.png",
            "ring-gan-samples.png", "ring-gan-loss.png", "regression-vs-generation-digits.png",
            "fashion-conv-vae-samples.png", "fashion-conv-vae-reconstructions.png", "fashion-conv-vae-loss.png",
            "m2-style-transfer.png",
        ];
        foreach (string picture in pictures)
        {
            var bytes = File.ReadAllBytes(P("demo", picture));
            Assert.True(bytes.Length > 1000, $"{picture} is only {bytes.Length} bytes");
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
        }

        using var metrics = JsonDocument.Parse(File.ReadAllText(P("demo", "metrics.json")));
        var root = metrics.RootElement;
        Assert.True(root.GetProperty("quick").GetBoolean());
        foreach (string model in new[] { "moons-flow", "conditional-moons-flow" })
        {
            var m = root.GetProperty("models").GetProperty(model);
            double nll = m.GetProperty("held_out").GetProperty("nll").GetDouble();
            Assert.True(double.IsFinite(nll) && nll < 2.5, $"{model}: held-out NLL {nll}"); // an untrained flow scores ≈ 2.5 nats
        }
        foreach (string model in new[] { "moons-flow", "conditional-moons-flow", "digits-vae", "ring-gan", "digits-cvae" })
        {
            var m = root.GetProperty("models").GetProperty(model);
            Assert.Equal(40, m.GetProperty("steps").GetInt32());
            Assert.True(File.Exists(P("demo", model, "model.safetensors")));
        }
        // The image part: a few steps of the conv VAE on Fashion-MNIST, scored on part of the held-out photos.
        var conv = root.GetProperty("models").GetProperty("fashion-conv-vae");
        Assert.Equal(5, conv.GetProperty("steps").GetInt32());
        Assert.Equal(50, conv.GetProperty("held_out").GetProperty("rows").GetInt32());
        Assert.True(double.IsFinite(conv.GetProperty("held_out").GetProperty("negative_elbo").GetDouble()));
        Assert.True(File.Exists(P("demo", "fashion-conv-vae", "model.safetensors")));
        foreach (string part in new[] { "flow", "conditional", "vae", "gan", "conv-vae", "regression", "regression-digits", "semi-supervised" })
            Assert.True(root.GetProperty("part_seconds").GetProperty(part).GetDouble() >= 0, part);
        var vae = root.GetProperty("models").GetProperty("digits-vae").GetProperty("held_out");
        Assert.True(vae.GetProperty("iwae_nll").GetDouble() <= vae.GetProperty("negative_elbo").GetDouble() + 0.5, "IWAE should not be looser than the ELBO");
        var gan = root.GetProperty("models").GetProperty("ring-gan").GetProperty("held_out");
        Assert.InRange(gan.GetProperty("modes_covered").GetInt32(), 0, 8);
        Assert.Equal(0.0, root.GetProperty("regression_vs_generation_digits").GetProperty("answer_spread_regressor").GetDouble());
        Assert.True(root.GetProperty("regression_vs_generation_digits").GetProperty("answer_spread_samples").GetDouble() > 0);
        var regression = root.GetProperty("regression_vs_generation");
        // The class mean of a moon lies off that moon, whatever the training budget.
        Assert.True(regression.GetProperty("given_moon").GetProperty("regressor_distance_to_its_moon").GetDouble() > 0.15);
        // The semi-supervised part: M2 on 100 labels and the 7,900 unlabelled training digits, a few steps.
        var m2 = root.GetProperty("semi_supervised");
        Assert.Equal(100, m2.GetProperty("labelled").GetInt32());
        Assert.Equal(7900, m2.GetProperty("unlabelled").GetInt32());
        Assert.InRange(m2.GetProperty("m2_test_error").GetDouble(), 0, 1);
        Assert.InRange(m2.GetProperty("labels_only_test_error").GetDouble(), 0, 1);
        Assert.True(root.GetProperty("total_seconds").GetDouble() > 0);

        // index.html shows every picture, and every picture it shows exists.
        string html = File.ReadAllText(P("demo", "index.html"));
        foreach (string picture in pictures)
            Assert.Contains($"<img src=\"{picture}\"", html);
        foreach (Match m in Regex.Matches(html, "src=\"([^\"]+)\""))
            Assert.True(File.Exists(P("demo", m.Groups[1].Value)), $"index.html shows {m.Groups[1].Value}, which is missing");
        Assert.Contains("metrics.json", html);

        // Running it again in the same folder starts afresh instead of refusing the old checkpoints.
        AssertExit(ExitCodes.Ok, Run("demo", "--quick", "--out", P("demo")));
    }

    [Fact]
    public void ModelsListsEveryEntryOnOneLine()
    {
        var r = Run("models");
        AssertExit(ExitCodes.Ok, r);
        var lines = r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(ModelRegistry.All.Count + 1, lines.Length); // + mnist-m2, trained by its own path (M2Train)
        foreach (var entry in ModelRegistry.All)
            Assert.Single(lines, l => l.StartsWith(entry.Name + " ", StringComparison.Ordinal) && l.Contains(entry.Description));
        Assert.Single(lines, l => l.StartsWith("mnist-m2 ", StringComparison.Ordinal));
    }

    [Fact]
    public void DataListsShippedAndToySets()
    {
        var r = Run("data");
        AssertExit(ExitCodes.Ok, r);
        foreach (string name in new[] { "moons", "8gaussians", "digits", "mnist" })
            Assert.Contains(r.Out.Split('\n'), l => l.StartsWith(name + " ", StringComparison.Ordinal));
        Assert.Contains("64 features, 10 classes", r.Out);
    }

    [Fact]
    public void ModelNamesAreTheClassNamesInKebabCase()
    {
        foreach (var entry in ModelRegistry.All)
        {
            string kebab = Regex.Replace(entry.ModelType.Name, "(?<=[a-z0-9])([A-Z])", "-$1").ToLowerInvariant();
            Assert.Equal(kebab, entry.Name);
            Assert.Same(entry, ModelRegistry.Get(entry.Name.ToUpperInvariant()));
        }
    }

    [Fact]
    public void OptionsAcceptNameEqualsValue()
    {
        var r = Run("train", "moons-flow", "--steps=3", "--batch=8", $"--out={P("run")}");
        AssertExit(ExitCodes.Ok, r);
        Assert.Contains("3 steps of 8", r.Out);
        Assert.Contains("Held-out", r.Out);
    }

    [Fact]
    public void SampleWritesPngCsvAndNpyAndEvalWritesJson()
    {
        AssertExit(ExitCodes.Ok, Run("train", "conditional-moons-flow", "--steps", "3", "--batch", "8", "--out", P("cond")));
        AssertExit(ExitCodes.Ok, Run("sample", P("cond"), "--n", "50", "--out", P("s.png")));
        Assert.True(new FileInfo(P("s.png")).Length > 2000);
        AssertExit(ExitCodes.Ok, Run("sample", P("cond"), "--n", "6", "--out", P("s.csv")));
        var lines = File.ReadAllLines(P("s.csv"));
        Assert.Equal("x1,x2,label", lines[0]);
        Assert.Equal(new[] { "0", "1", "0", "1", "0", "1" }, lines[1..].Select(l => l.Split(',')[2]));
        AssertExit(ExitCodes.Ok, Run("sample", P("cond"), "--n", "6", "--condition", "1", "--out", P("one.csv")));
        Assert.All(File.ReadAllLines(P("one.csv"))[1..], l => Assert.EndsWith(",1", l));

        var r = Run("eval", P("cond", "model.safetensors"), "--json", P("eval.json"));
        AssertExit(ExitCodes.Ok, r);
        using var json = JsonDocument.Parse(File.ReadAllText(P("eval.json")));
        Assert.Equal("conditional-moons-flow", json.RootElement.GetProperty("model").GetString());
        Assert.Equal(3, json.RootElement.GetProperty("step").GetInt32());
        var metrics = json.RootElement.GetProperty("metrics");
        double accuracy = metrics.GetProperty("bayes_accuracy").GetDouble();
        Assert.InRange(accuracy, 0, 1);
        Assert.Equal(10_000, metrics.GetProperty("rows").GetInt32());
    }

    [Theory]
    [InlineData("digits-vae", new[] { "negative_elbo", "iwae_nll", "elbo_bits_per_dim", "iwae_bits_per_dim", "rows" })]
    [InlineData("digits-cvae", new[] { "negative_elbo", "iwae_nll", "rows" })]
    [InlineData("ring-gan", new[] { "d_real", "d_fake", "modes_covered", "high_quality_share", "samples" })]
    [InlineData("ring-cgan", new[] { "d_real", "d_fake", "modes_covered", "high_quality_share", "asked_for_mode_share", "samples" })]
    public void EachFamilyReportsItsMetrics(string model, string[] keys)
    {
        AssertExit(ExitCodes.Ok, Run("train", model, "--steps", "3", "--batch", "16", "--out", P("run")));
        var r = Run("eval", P("run"), "--json", P("eval.json"));
        AssertExit(ExitCodes.Ok, r);
        using var json = JsonDocument.Parse(File.ReadAllText(P("eval.json")));
        var metrics = json.RootElement.GetProperty("metrics");
        foreach (string key in keys)
        {
            Assert.Contains(key, r.Out);
            Assert.True(double.IsFinite(metrics.GetProperty(key).GetDouble()), $"{model}: {key} is not finite");
        }
        if (model.Contains("gan"))
        {
            Assert.InRange(metrics.GetProperty("d_real").GetDouble(), 0, 1);
            Assert.InRange(metrics.GetProperty("modes_covered").GetDouble(), 0, 8);
        }
        else
            Assert.True(metrics.GetProperty("iwae_nll").GetDouble() <= metrics.GetProperty("negative_elbo").GetDouble() + 0.5);
    }

    [Fact]
    public void DigitsFlowTrainsSamplesImagesAndReportsBitsPerDim()
    {
        var r = Run("train", "digits-flow", "--steps", "3", "--batch", "32", "--out", P("digits"));
        AssertExit(ExitCodes.Ok, r);
        var bits = Regex.Match(r.Out, @"bits per dimension ([0-9.]+)");
        Assert.True(bits.Success, r.Out);
        // Dequantised 17-level pixels: a uniform model scores log2(17) ≈ 4.09 bits; an early flow is of that order, not wildly off.
        Assert.InRange(double.Parse(bits.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), 0.5, 20);
        AssertExit(ExitCodes.Ok, Run("sample", P("digits"), "--n", "16", "--out", P("digits.png")));
        Assert.True(new FileInfo(P("digits.png")).Length > 500);
        AssertExit(ExitCodes.Ok, Run("sample", P("digits"), "--n", "4", "--out", P("digits.csv")));
        // Samples are mapped back from logits to the pixels' [0, 1] scale.
        foreach (string line in File.ReadAllLines(P("digits.csv"))[1..])
            foreach (string v in line.Split(','))
                Assert.InRange(double.Parse(v, System.Globalization.CultureInfo.InvariantCulture), 0, 1);
    }
}
