using GenDsl.Cli.Data;

namespace GenDsl.Cli.Tests;

/// <summary>--data fashion: the shipped Fashion-MNIST subset, its own test images held out.</summary>
public class DataFashionTests : CliHarness
{
    [Fact]
    public void FashionTrainsAnMnistModelAndEvaluatesOnItsTestImages()
    {
        var info = Assert.Single(DataCatalog.All, d => d.Name == "fashion");
        Assert.Equal((784, 10), (info.Features, info.Classes));
        var (train, test) = info.Load();
        Assert.Equal((10000, 2000), (train.Rows, test.Rows));

        var list = Run("data");
        AssertExit(ExitCodes.Ok, list);
        Assert.Contains(list.Out.Split('\n'), l => l.StartsWith("fashion ", StringComparison.Ordinal) && l.Contains("784 features, 10 classes"));

        AssertExit(ExitCodes.Ok, Run("train", "mnist-vae", "--data", "fashion", "--steps", "2", "--batch", "16", "--out", P("run")));
        var eval = Run("eval", P("run"), "--data", "fashion");
        AssertExit(ExitCodes.Ok, eval);
        Assert.Contains("on fashion (held-out rows)", eval.Out);
        Assert.Matches(@"\brows\s+2000\s", eval.Out); // the 2,000 test images, not a split of the training ones
    }
}
