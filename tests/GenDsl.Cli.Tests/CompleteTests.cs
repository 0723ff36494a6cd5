using System.Text;
using System.Text.Json;

namespace GenDsl.Cli.Tests;

/// <summary><c>gendsl complete MODEL --task superres|inpaint</c>: short runs write the picture, the metrics and checkpoints; bad input is refused by name.</summary>
public class CompleteTests : CliHarness
{
    [Fact]
    public void ARegressorAndACvaeOnInpaintingWriteThePictureMetricsAndCheckpoints()
    {
        var r = Run("complete", "regressor", "--task", "inpaint", "--steps", "20", "--rows", "100", "--classifier-epochs", "0", "--out", P("a"));
        AssertExit(ExitCodes.Ok, r);
        Assert.Contains("inpaint on mnist: 8,000 training and 2,000 held-out images", r.Out);
        Assert.True(File.Exists(P("a", "inpaint-regressor.safetensors")));
        var png = File.ReadAllBytes(P("a", "inpaint.png"));
        Assert.True(png.Length > 1000 && png[1] == (byte)'P' && png[2] == (byte)'N' && png[3] == (byte)'G');
        using var metrics = JsonDocument.Parse(File.ReadAllText(P("a", "inpaint-metrics.json")));
        var regressor = metrics.RootElement.GetProperty("models").GetProperty("regressor");
        double mse = regressor.GetProperty("mse").GetDouble();
        Assert.InRange(mse, 0.001, 0.5);
        Assert.Equal(0, regressor.GetProperty("sample_variance").GetDouble());
        Assert.Equal(JsonValueKind.Null, regressor.GetProperty("true_class").ValueKind);   // --classifier-epochs 0

        // Evaluating the saved checkpoint gives the same numbers (same seed of the draws), and trains nothing.
        var again = Run("complete", "regressor", "--task", "inpaint", "--checkpoint", P("a"), "--rows", "100", "--classifier-epochs", "0", "--out", P("b"));
        AssertExit(ExitCodes.Ok, again);
        Assert.DoesNotContain("step", again.Out);
        using var metrics2 = JsonDocument.Parse(File.ReadAllText(P("b", "inpaint-metrics.json")));
        Assert.Equal(mse, metrics2.RootElement.GetProperty("models").GetProperty("regressor").GetProperty("mse").GetDouble());
        Assert.False(File.Exists(P("b", "inpaint-regressor.safetensors")));
    }

    [Fact]
    public void AllFourModelsOnSuperResolutionWithTheClassScore()
    {
        var r = Run("complete", "all", "--task", "superres", "--steps", "3", "--rows", "64", "--classifier-epochs", "1", "--out", P("all"));
        AssertExit(ExitCodes.Ok, r);
        Assert.Contains("Classifier (1 epochs", r.Out);
        using var metrics = JsonDocument.Parse(File.ReadAllText(P("all", "superres-metrics.json")));
        foreach (var name in new[] { "regressor", "cvae", "cgan", "flow" })
        {
            var m = metrics.RootElement.GetProperty("models").GetProperty(name);
            Assert.InRange(m.GetProperty("true_class").GetDouble(), 0, 1);
            Assert.True(File.Exists(P("all", $"superres-{name}.safetensors")), name);
            if (name != "regressor")
                Assert.True(m.GetProperty("sample_variance").GetDouble() > 0, $"{name}: its draws should differ");
        }
        Assert.InRange(metrics.RootElement.GetProperty("classifier_on_truth").GetDouble(), 0.5, 1);
    }

    [Theory]
    [InlineData(new[] { "complete", "unet", "--task", "superres" }, ExitCodes.Usage, "Unknown model 'unet'")]
    [InlineData(new[] { "complete", "cvae" }, ExitCodes.Usage, "--task superres or --task inpaint")]
    [InlineData(new[] { "complete", "cvae", "--task", "colour" }, ExitCodes.Usage, "Unknown task 'colour'")]
    [InlineData(new[] { "complete", "cvae", "--task", "superres", "--data", "moons" }, ExitCodes.Usage, "complete takes 28×28 images")]
    [InlineData(new[] { "complete", "cvae", "--task", "superres", "--data", "nothing-here.csv" }, ExitCodes.BadFile, "Data file not found")]
    [InlineData(new[] { "complete", "cvae", "--task", "superres", "--checkpoint", "no-such-folder" }, ExitCodes.BadFile, "no such folder")]
    [InlineData(new[] { "complete", "cvae", "--task", "superres", "--steps", "0" }, ExitCodes.Usage, "--steps")]
    public void BadArgumentsAreRefusedByName(string[] args, int code, string message)
    {
        var r = Run(args);
        AssertExit(code, r);
        Assert.Contains(message, r.Err);
    }

    [Fact]
    public void AFileOfTheWrongWidthOrRangeIsRefused()
    {
        var narrow = WriteToyCsv("toy.csv", 50);
        var r = Run("complete", "regressor", "--task", "superres", "--data", narrow, "--out", P("n"));
        AssertExit(ExitCodes.Usage, r);
        Assert.Contains("has rows of 2 values; complete takes 28×28 grey images", r.Err);

        var text = new StringBuilder();
        for (int i = 0; i < 20; i++)
            text.AppendLine(string.Join(",", Enumerable.Range(0, 784).Select(p => p == 5 && i == 3 ? "255" : "0")));
        var bytes = WriteFile("bytes.csv", text.ToString());
        r = Run("complete", "regressor", "--task", "superres", "--data", bytes, "--out", P("b"));
        AssertExit(ExitCodes.Usage, r);
        Assert.Contains("pixel 5 of image 3 is 255", r.Err);
        Assert.Contains("divide 8-bit values by 255", r.Err);
    }

    [Fact]
    public void TheFlowRefusesImagesThatAreNotEightBitAndOtherModelsTakeThem()
    {
        var text = new StringBuilder();
        var rnd = new Random(3);
        for (int i = 0; i < 40; i++)
            text.AppendLine(string.Join(",", Enumerable.Range(0, 784).Select(_ => (rnd.NextDouble() * 0.999 + 0.0005).ToString("R", System.Globalization.CultureInfo.InvariantCulture))) + $",{i % 10}");
        var file = WriteFile("grey.csv", text.ToString());
        var r = Run("complete", "flow", "--task", "inpaint", "--data", file, "--out", P("f"));
        AssertExit(ExitCodes.Usage, r);
        Assert.Contains("not an 8-bit level k/255", r.Err);
        r = Run("complete", "regressor", "--task", "inpaint", "--data", file, "--steps", "2", "--classifier-epochs", "0", "--out", P("g"));
        AssertExit(ExitCodes.Ok, r);
        Assert.Contains("32 training and 8 held-out images", r.Out);
    }

    [Fact]
    public void AnExistingCheckpointIsNeverOverwritten()
    {
        AssertExit(ExitCodes.Ok, Run("complete", "regressor", "--task", "inpaint", "--steps", "2", "--rows", "10", "--classifier-epochs", "0", "--out", P("k")));
        byte[] before = File.ReadAllBytes(P("k", "inpaint-regressor.safetensors"));
        var r = Run("complete", "regressor", "--task", "inpaint", "--steps", "5", "--out", P("k"));
        AssertExit(ExitCodes.Usage, r);
        Assert.Contains("already holds a checkpoint", r.Err);
        Assert.Equal(before, File.ReadAllBytes(P("k", "inpaint-regressor.safetensors")));
    }
}
