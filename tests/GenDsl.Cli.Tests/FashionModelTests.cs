using System.Buffers.Binary;
using System.Text.Json;
using CommunityToolkit.HighPerformance;
using GenDsl.Cli.Commands;
using GenDsl.Cli.Models;
using GenDsl.Data;
using GenDsl.IO;

namespace GenDsl.Cli.Tests;

/// <summary>
/// The convolutional Fashion-MNIST models on the command line: listed, trained, sampled as an image grid, scored, resumed.
/// Training runs use a small file of 64 (labelled) photos, so that the held-out score at the end of train stays quick.
/// </summary>
public class FashionModelTests : CliHarness
{
    private static readonly string[] s_names = ["fashion-conv-vae", "fashion-conv-cvae", "fashion-mlp-vae", "fashion-dcgan", "fashion-cdcgan"];

    /// <summary>The first <paramref name="rows"/> held-out photos as an NPY file; with <paramref name="labels"/>, the label as a 785th column.</summary>
    private string WriteFashionNpy(string name, int rows, bool labels = false)
    {
        var test = FashionMnist.LoadTest();
        int d = 784, columns = labels ? d + 1 : d;
        var table = new float[rows * columns];
        for (int r = 0; r < rows; r++)
        {
            test.Data.AsSpan(r * d, d).CopyTo(table.AsSpan(r * columns, d));
            if (labels) table[r * columns + d] = test.Labels[r];
        }
        string path = P(name);
        NpyWriter.Write(path, new ReadOnlySpan2D<float>(table, rows, columns));
        return path;
    }

    /// <summary>A PNG's width and height (from its IHDR chunk).</summary>
    private static (int Width, int Height) PngSize(string path)
    {
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
        return (BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));
    }

    [Fact]
    public void ModelsListsTheFashionModelsWithTheirData()
    {
        var r = Run("models");
        AssertExit(ExitCodes.Ok, r);
        var lines = r.Out.Split('\n');
        foreach (string name in s_names)
            Assert.Single(lines, l => l.StartsWith(name + " ", StringComparison.Ordinal) && l.Contains("data: fashion"));
        Assert.Contains(lines, l => l.StartsWith("fashion-cdcgan ", StringComparison.Ordinal) && l.Contains("784 features | 10 classes"));
        // The DCGAN recipe: Adam 2e-4, β = (0.5, 0.999), batches of 64.
        var dcgan = ModelRegistry.Get("fashion-dcgan").Training;
        Assert.Equal(64, dcgan.Batch);
        Assert.Equal(2e-4f, dcgan.LearningRate);
        Assert.Equal(0.5f, dcgan.Beta1);
        Assert.Equal(0.999f, dcgan.Beta2);
        Assert.Equal(1.0, dcgan.LearningRateDropAt);
    }

    [Fact]
    public void DcganTrainsThenSamplesAnImageGridAndEvalScoresIt()
    {
        string data = WriteFashionNpy("photos.npy", 64);
        var r = Run("train", "fashion-dcgan", "--data", data, "--steps", "3", "--batch", "8", "--out", P("gan"));
        AssertExit(ExitCodes.Ok, r);
        Assert.Contains("3 steps of 8, Adam lr 0.0002", r.Out);
        Assert.Contains("mean D(x) on held-out data", r.Out);

        // 20 samples of 28×28 at 2 screen pixels a pixel: a 5 × 4 grid of 58-pixel cells (56 + a 2-pixel gap), framed by 2 pixels.
        r = Run("sample", P("gan"), "--n", "20", "--out", P("grid.png"));
        AssertExit(ExitCodes.Ok, r);
        Assert.Contains("Wrote 20 samples of fashion-dcgan (checkpoint step 3)", r.Out);
        Assert.Equal((5 * 58 + 2, 4 * 58 + 2), PngSize(P("grid.png")));

        r = Run("eval", P("gan"), "--data", data, "--json", P("eval.json"));
        AssertExit(ExitCodes.Ok, r);
        using var json = JsonDocument.Parse(File.ReadAllText(P("eval.json")));
        var metrics = json.RootElement.GetProperty("metrics");
        foreach (string key in new[] { "d_real", "d_fake" })
        {
            Assert.Contains(key, r.Out);
            Assert.InRange(metrics.GetProperty(key).GetDouble(), 0, 1);
        }
        Assert.Equal(64, metrics.GetProperty("samples").GetInt32());
    }

    [Fact]
    public void ConditionalGridHasOneLabelledRowPerClass()
    {
        string data = WriteFashionNpy("labelled.npy", 64, labels: true);
        AssertExit(ExitCodes.Ok, Run("train", "fashion-conv-cvae", "--data", data, "--steps", "2", "--batch", "8", "--out", P("cvae")));

        // 30 samples cycle through the 10 classes: 10 rows of 3, after a 100-pixel column of class names.
        var r = Run("sample", P("cvae"), "--n", "30", "--out", P("classes.png"));
        AssertExit(ExitCodes.Ok, r);
        Assert.Equal((Output.Plots.RowLabelWidth + 3 * 58 + 2, 10 * 58 + 2), PngSize(P("classes.png")));
        // One class: a square grid under a caption naming it (at least 200 pixels wide, for the caption).
        AssertExit(ExitCodes.Ok, Run("sample", P("cvae"), "--n", "16", "--condition", "9", "--out", P("boots.png")));
        Assert.Equal((4 * 58 + 2, 4 * 58 + 2 + Output.Plots.CaptionHeight), PngSize(P("boots.png")));

        // The layout itself: row k holds the samples of class k, in the order drawn, and is labelled with its name.
        var entry = ModelRegistry.Get("fashion-conv-cvae");
        int n = 25;
        var labels = SampleCommand.Labels(entry, n, condition: null);
        var samples = new float[n * 784];
        for (int i = 0; i < n; i++) samples[i * 784] = i; // the first pixel tells which sample it is
        var grid = SampleCommand.ImageGrid(entry, samples, n, labels);
        Assert.Equal(3, grid.Columns); // 3 samples of classes 0-4, 2 of classes 5-9
        Assert.Equal<string?>(FashionMnist.ClassNames, grid.RowLabels!);
        float[] firstPixels = [.. Enumerable.Range(0, 6).Select(c => grid.Images[(c < 3 ? c : 3 * 5 + c - 3) * 784])];
        Assert.Equal(new float[] { 0, 10, 20, 5, 15, float.NaN }, firstPixels); // row 0: class 0; row 5: class 5, one cell empty

        // Many samples a class wrap onto balanced rows: 100 a class → 4 rows of 25, the name on the first.
        labels = SampleCommand.Labels(entry, 1000, condition: null);
        grid = SampleCommand.ImageGrid(entry, new float[1000 * 784], 1000, labels);
        Assert.Equal(25, grid.Columns);
        Assert.Equal(40, grid.RowLabels!.Count);
        Assert.Equal(new string?[] { "Trouser", null, null, null }, grid.RowLabels.Skip(4).Take(4));
    }

    [Fact]
    public void ConvVaeEvalPrintsTheHeldOutElboAndIwae()
    {
        AssertExit(ExitCodes.Ok, Run("train", "fashion-conv-vae", "--data", WriteFashionNpy("photos.npy", 64), "--steps", "2", "--batch", "8", "--out", P("vae")));
        var r = Run("eval", P("vae"), "--json", P("eval.json")); // the model's own data: the 2,000 official test photos
        AssertExit(ExitCodes.Ok, r);
        Assert.Contains("fashion-conv-vae (checkpoint step 2) on fashion (held-out rows):", r.Out);
        using var json = JsonDocument.Parse(File.ReadAllText(P("eval.json")));
        var metrics = json.RootElement.GetProperty("metrics");
        Assert.Equal(FashionMnist.TestCount, metrics.GetProperty("rows").GetInt32());
        double elbo = metrics.GetProperty("negative_elbo").GetDouble(), iwae = metrics.GetProperty("iwae_nll").GetDouble();
        Assert.Contains("negative_elbo", r.Out);
        Assert.Contains("iwae_nll", r.Out);
        // 784 Bernoulli pixels: a barely trained model scores a few hundred nats (784 · ln 2 ≈ 543 for p = ½ everywhere).
        Assert.InRange(elbo, 100, 2000);
        Assert.InRange(iwae, 100, elbo + 0.5);
    }

    [Fact]
    public void DcganResumeWithBatchNormIsBitIdentical()
    {
        string data = WriteFashionNpy("photos.npy", 64);
        string[] common = ["--data", data, "--batch", "8", "--seed", "5", "--checkpoint-every", "3"];
        AssertExit(ExitCodes.Ok, Run(["train", "fashion-dcgan", "--steps", "6", "--out", P("straight"), .. common]));
        AssertExit(ExitCodes.Ok, Run(["train", "fashion-dcgan", "--steps", "3", "--out", P("pieces"), .. common]));
        var r = Run("train", "fashion-dcgan", "--steps", "6", "--out", P("pieces"), "--resume");
        AssertExit(ExitCodes.Ok, r);
        Assert.Contains("at step 3", r.Out);
        Assert.DoesNotContain("not restored", r.Out);

        Assert.Equal(File.ReadAllLines(P("straight", "losses.csv")), File.ReadAllLines(P("pieces", "losses.csv")));
        Assert.Equal(File.ReadAllBytes(P("straight", "model.safetensors")), File.ReadAllBytes(P("pieces", "model.safetensors")));
        Assert.Equal(File.ReadAllBytes(P("straight", "optimizer.safetensors")), File.ReadAllBytes(P("pieces", "optimizer.safetensors")));

        // The running statistics are in the checkpoint and have moved off their start (mean 0, variance 1) in 6 steps.
        var model = SafeTensors.Read(P("pieces", "model.safetensors"));
        Assert.Contains(model.ToArray("G2.running_mean"), v => v != 0);
        Assert.Contains(model.ToArray("G5.running_var"), v => v != 1);
        Assert.Equal("6", SafeTensors.Read(P("pieces", "optimizer.safetensors")).Metadata["generator.adam.step_count"]);
    }
}
