using System.Text.Json;

namespace GenDsl.Cli.Tests;

/// <summary><c>gendsl train mnist-m2 --labels 100</c>: a short run writes the checkpoint, the error table and the style-transfer picture.</summary>
public class M2TrainTests : CliHarness
{
    [Fact]
    public void ShortRunWritesCheckpointMetricsAndStyleTransfer()
    {
        var r = Run("train", "mnist-m2", "--labels", "100", "--steps", "30", "--out", P("m2"));
        AssertExit(ExitCodes.Ok, r);
        Assert.Contains("100 labelled and 7,900 unlabelled training images", r.Out);
        Assert.Contains("Held-out test error: M2", r.Out);
        Assert.True(File.Exists(P("m2", "model.safetensors")));
        using var metrics = JsonDocument.Parse(File.ReadAllText(P("m2", "metrics.json")));
        Assert.Equal(100, metrics.RootElement.GetProperty("labelled").GetInt32());
        Assert.InRange(metrics.RootElement.GetProperty("m2_test_error").GetDouble(), 0, 1);
        Assert.InRange(metrics.RootElement.GetProperty("labels_only_test_error").GetDouble(), 0, 0.6);
        Assert.InRange(metrics.RootElement.GetProperty("generative_test_error").GetDouble(), 0, 1);
        var png = File.ReadAllBytes(P("m2", "style-transfer.png"));
        Assert.True(png.Length > 1000 && png[1] == (byte)'P' && png[2] == (byte)'N' && png[3] == (byte)'G');
    }

    [Fact]
    public void LabelsMustSplitEvenlyAndBelongToM2()
    {
        AssertExit(ExitCodes.Usage, Run("train", "mnist-m2", "--labels", "105", "--out", P("bad")));
        var r = Run("train", "mnist-vae", "--labels", "100", "--out", P("bad2"));
        AssertExit(ExitCodes.Usage, r);
        Assert.Contains("--labels is for mnist-m2", r.Err);
    }
}
