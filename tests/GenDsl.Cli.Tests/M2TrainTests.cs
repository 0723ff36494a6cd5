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

    /// <summary>Every general train option mnist-m2 does not use is refused, naming the option and what to do instead; nothing is written.</summary>
    [Theory]
    [InlineData("--validation", "0.1", "does not stop early")]
    [InlineData("--validate-every", "50", "drop --validate-every")]
    [InlineData("--patience", "3", "drop --patience")]
    [InlineData("--clip", "1", "without gradient clipping")]
    [InlineData("--lr-drop", "0.5", "constant --lr")]
    [InlineData("--checkpoint-every", "10", "once, at the end")]
    [InlineData("--resume", null, "run again without --resume")]
    public void UnusedTrainOptionsAreRefused(string option, string? value, string instead)
    {
        var args = new List<string> { "train", "mnist-m2", "--steps", "5", "--out", P("refused") };
        args.Add(option);
        if (value is not null) args.Add(value);
        var r = Run(args.ToArray());
        AssertExit(ExitCodes.Usage, r);
        Assert.Contains($"{option} is not supported by mnist-m2", r.Err);
        Assert.Contains(instead, r.Err);
        Assert.False(Directory.Exists(P("refused")));
    }

    /// <summary>Every option of <c>gendsl train</c> is either honoured by mnist-m2 or in its refused list: a new general option cannot be silently ignored.</summary>
    [Fact]
    public void EveryTrainOptionIsHonouredOrRefused()
    {
        string[] honoured = ["--data", "--steps", "--epochs", "--batch", "--lr", "--seed", "--threads", "--out", "--labels"];
        var refused = GenDsl.Cli.Commands.M2Train.Refused.Select(r => r.Option).ToArray();
        foreach (var option in new GenDsl.Cli.Commands.TrainCommand().Options.Select(o => o.Name))
            Assert.True(honoured.Contains(option) ^ refused.Contains(option), $"{option}: neither honoured nor refused by mnist-m2 (or both)");
    }

    /// <summary>--batch sets the labelled and unlabelled rows per step; --epochs counts passes over the 7,900 unlabelled images.</summary>
    [Fact]
    public void BatchAndEpochsAreHonoured()
    {
        var r = Run("train", "mnist-m2", "--batch", "40", "--epochs", "1", "--threads", "1", "--out", P("b40"));
        AssertExit(ExitCodes.Ok, r);
        Assert.Contains("197 steps of 40 labelled + 40 unlabelled rows", r.Out); // ⌊7,900 / 40⌋ = 197
        Assert.Contains("1 thread →", r.Out);
        using var metrics = JsonDocument.Parse(File.ReadAllText(P("b40", "metrics.json")));
        Assert.Equal(197, metrics.RootElement.GetProperty("steps").GetInt32());

        var tooBig = Run("train", "mnist-m2", "--batch", "1001", "--out", P("big"));
        AssertExit(ExitCodes.Usage, tooBig);
        Assert.Contains("--batch", tooBig.Err);
    }
}
