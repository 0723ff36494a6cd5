using System.Globalization;
using GenDsl.Cli;
using GenDsl.IO;

namespace GenDsl.Cli.Tests;

/// <summary>
/// <c>train --validation F</c>: early stopping on held-out training rows. The 64-D DigitsFlow overfits its 1,438
/// training images within a few hundred steps (docs/metrics.md); early stopping keeps the best parameters.
/// </summary>
public class EarlyStoppingTests : CliHarness
{
    private static (long Step, double Value)[] ReadScores(string path) =>
        File.ReadAllLines(path).Skip(1).Select(l => l.Split(','))
            .Select(p => (long.Parse(p[0], CultureInfo.InvariantCulture), double.Parse(p[1], CultureInfo.InvariantCulture))).ToArray();

    private static double BitsPerDim(CliResult eval) =>
        double.Parse(eval.Out.Split('\n').Single(l => l.TrimStart().StartsWith("bits_per_dim", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);

    [Fact]
    public void AnOverfittingFlowStopsEarlyAndKeepsItsBestParameters()
    {
        var r = Run("train", "digits-flow", "--steps", "3000", "--validation", "0.15", "--validate-every", "50", "--patience", "4", "--out", P("run"));
        AssertExit(ExitCodes.Ok, r);
        Assert.Contains("216 held out for early stopping", r.Out);
        Assert.Contains("Early stop at step", r.Out);

        var scores = ReadScores(P("run", "validation.csv"));
        var best = scores.MinBy(s => s.Value);
        long last = scores[^1].Step;
        Assert.True(last < 3000, $"stopped at {last}");
        Assert.Equal(best.Step + 4 * 50, last);                       // patience 4: four checks after the best, no more
        Assert.Equal(scores.Length, last / 50);                       // a row per check, none lost or repeated
        Assert.Equal(best.Step.ToString(CultureInfo.InvariantCulture), SafeTensors.Read(P("run", "best.safetensors")).Metadata[GenDsl.Checkpoint.StepKey]);
        Assert.Contains($"Best validation nll {best.Value.ToString("0.####", CultureInfo.InvariantCulture)} at step {best.Step}", r.Out);
        Assert.Contains($"best parameters of step {best.Step}", r.Out);

        // The kept parameters beat the last ones on the test split (the reason to stop early).
        double bestBpd = BitsPerDim(Run("eval", P("run", "best.safetensors")));
        double lastBpd = BitsPerDim(Run("eval", P("run")));
        Assert.True(bestBpd < lastBpd, $"best {bestBpd} vs last {lastBpd} bits/dim");
        Assert.InRange(bestBpd, 2.0, 2.3);
    }

    [Fact]
    public void AResumedRunContinuesItsValidationScoresAndPatience()
    {
        string[] common = ["moons-flow", "--batch", "64", "--validation", "0.2", "--validate-every", "10", "--patience", "1000", "--checkpoint-every", "20"];
        AssertExit(ExitCodes.Ok, Run(["train", .. common, "--steps", "80", "--out", P("whole")]));
        AssertExit(ExitCodes.Ok, Run(["train", .. common, "--steps", "40", "--out", P("parts")]));
        // the settings come back from run.json: a plain --resume keeps validating
        var resumed = Run("train", "moons-flow", "--steps", "80", "--resume", "--out", P("parts"));
        AssertExit(ExitCodes.Ok, resumed);
        Assert.Equal(File.ReadAllLines(P("whole", "validation.csv")), File.ReadAllLines(P("parts", "validation.csv")));
        Assert.Equal(File.ReadAllBytes(P("whole", "best.safetensors")), File.ReadAllBytes(P("parts", "best.safetensors")));
    }

    [Fact]
    public void AVaeValidatesOnItsNegativeElbo()
    {
        var r = Run("train", "digits-vae", "--steps", "60", "--validation", "0.1", "--validate-every", "20", "--out", P("vae"));
        AssertExit(ExitCodes.Ok, r);
        Assert.Equal("step,negative_elbo", File.ReadLines(P("vae", "validation.csv")).First());
        Assert.Equal(3, ReadScores(P("vae", "validation.csv")).Length);
        Assert.True(File.Exists(P("vae", "best.safetensors")));
    }

    [Fact]
    public void BadEarlyStoppingOptionsAreUsageErrorsThatSayWhy()
    {
        var r = Run("train", "moons-flow", "--steps", "10", "--patience", "3", "--out", P("a"));
        AssertExit(ExitCodes.Usage, r);
        Assert.Contains("need --validation", r.Err);

        r = Run("train", "ring-gan", "--steps", "10", "--validation", "0.1", "--out", P("b"));
        AssertExit(ExitCodes.Usage, r);
        Assert.Contains("a GAN's losses do not measure", r.Err);

        r = Run("train", "moons-flow", "--steps", "10", "--validation", "0.9", "--out", P("c"));
        AssertExit(ExitCodes.Usage, r);
        Assert.Contains("--validation", r.Err);
    }
}
