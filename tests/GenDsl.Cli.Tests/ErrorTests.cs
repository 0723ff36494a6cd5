namespace GenDsl.Cli.Tests;

/// <summary>Bad inputs give the documented message and exit code (cli/README.md), never a stack trace.</summary>
public class ErrorTests : CliHarness
{
    [Fact]
    public void NoArgumentsPrintsHelpAndIsAUsageError()
    {
        var r = Run();
        AssertExit(ExitCodes.Usage, r);
        Assert.Contains("Usage: gendsl <command>", r.Err);
    }

    [Fact]
    public void HelpIsNotAnError()
    {
        var r = Run("--help");
        AssertExit(ExitCodes.Ok, r);
        foreach (string command in new[] { "demo", "train", "sample", "eval", "models", "data" })
            Assert.Contains(command, r.Out);
        r = Run("train", "--help");
        AssertExit(ExitCodes.Ok, r);
        Assert.Contains("--resume", r.Out);
        Assert.Contains("--checkpoint-every", r.Out);
    }

    [Fact]
    public void UnknownCommandListsTheCommands()
    {
        var r = Run("trian", "moons-flow");
        AssertExit(ExitCodes.Usage, r);
        Assert.Contains("Unknown command 'trian'", r.Err);
        Assert.Contains("train", r.Err);
        Assert.Contains("sample", r.Err);
    }

    [Fact]
    public void UnknownModelListsTheModels()
    {
        var r = Run("train", "moon-flow", "--out", P("x"));
        AssertExit(ExitCodes.Usage, r);
        Assert.Contains("Unknown model 'moon-flow'", r.Err);
        Assert.Contains("moons-flow, moons-spline-flow, moons-maf, moons-spline-maf, conditional-moons-flow, digits-flow, digits-spline-flow, digits-maf", r.Err);
        Assert.False(Directory.Exists(P("x")), "nothing is written for a failed command line");
    }

    [Fact]
    public void UnknownDataSetListsTheDataSets()
    {
        var r = Run("train", "moons-flow", "--data", "mons", "--out", P("x"));
        AssertExit(ExitCodes.Usage, r);
        Assert.Contains("Unknown data set 'mons'", r.Err);
        Assert.Contains("moons", r.Err);
        Assert.Contains("8gaussians", r.Err);
        Assert.Contains("digits", r.Err);
    }

    [Fact]
    public void UnknownOptionListsTheOptions()
    {
        var r = Run("train", "moons-flow", "--step", "10");
        AssertExit(ExitCodes.Usage, r);
        Assert.Contains("no option --step", r.Err);
        Assert.Contains("--steps", r.Err);
    }

    [Theory]
    [InlineData("--steps", "ten", "--steps must be a whole number")]
    [InlineData("--steps", "0", "--steps must be at least 1")]
    [InlineData("--lr", "-0.1", "--lr must be > 0")]
    [InlineData("--lr", "NaN", "--lr must be a number")]
    [InlineData("--batch", "1.5", "--batch must be a whole number")]
    [InlineData("--seed", "-3", "--seed must be a whole number ≥ 0")]
    public void BadValuesNameTheOption(string option, string value, string message)
    {
        var r = Run("train", "moons-flow", option, value, "--out", P("x"));
        AssertExit(ExitCodes.Usage, r);
        Assert.Contains(message, r.Err);
    }

    [Fact]
    public void StepsAndEpochsAreExclusive()
    {
        var r = Run("train", "moons-flow", "--steps", "5", "--epochs", "1", "--out", P("x"));
        AssertExit(ExitCodes.Usage, r);
        Assert.Contains("either --steps or --epochs", r.Err);
    }

    [Fact]
    public void MissingOptionValueIsAUsageError()
    {
        var r = Run("train", "moons-flow", "--steps");
        AssertExit(ExitCodes.Usage, r);
        Assert.Contains("--steps needs a value", r.Err);
    }

    [Fact]
    public void MalformedDataFileNamesFileAndLine()
    {
        string csv = WriteFile("broken.csv", "a,b\n0.1,0.2\n0.3\n0.5,0.6\n");
        var r = Run("train", "moons-flow", "--data", csv, "--steps", "2", "--batch", "2", "--out", P("x"));
        AssertExit(ExitCodes.BadFile, r);
        Assert.Contains("broken.csv, line 3", r.Err);
        Assert.Contains("expected 2 values, found 1", r.Err);
    }

    [Fact]
    public void MissingDataFileIsABadFile()
    {
        var r = Run("train", "moons-flow", "--data", P("absent.csv"), "--out", P("x"));
        AssertExit(ExitCodes.BadFile, r);
        Assert.Contains("not found", r.Err);
        Assert.Contains("absent.csv", r.Err);
    }

    [Fact]
    public void DataWithTheWrongColumnCountGivesBothNumbers()
    {
        string csv = WriteFile("three.csv", "1,2,3\n4,5,6\n");
        var r = Run("train", "moons-flow", "--data", csv, "--out", P("x"));
        AssertExit(ExitCodes.Usage, r);
        Assert.Contains("three.csv has 3 columns", r.Err);
        Assert.Contains("2 features", r.Err);

        r = Run("train", "moons-flow", "--data", "digits", "--out", P("x"));
        AssertExit(ExitCodes.Usage, r);
        Assert.Contains("has 64", r.Err);
    }

    [Fact]
    public void ConditionalModelNeedsLabels()
    {
        string csv = WriteToyCsv("unlabelled.csv", 50);
        var r = Run("train", "conditional-moons-flow", "--data", csv, "--out", P("x"));
        AssertExit(ExitCodes.Usage, r);
        Assert.Contains("no labels", r.Err);

        r = Run("train", "conditional-moons-flow", "--data", "8gaussians", "--out", P("x"));
        AssertExit(ExitCodes.Usage, r);
        Assert.Contains("labels 0 … 7", r.Err);
        Assert.Contains("2 classes", r.Err);
    }

    [Fact]
    public void BatchLargerThanTheDataIsRefused()
    {
        string csv = WriteToyCsv("small.csv", 100);
        var r = Run("train", "moons-flow", "--data", csv, "--batch", "500", "--out", P("x"));
        AssertExit(ExitCodes.Usage, r);
        Assert.Contains("--batch 500 is larger than the 100 training rows", r.Err);
    }

    [Fact]
    public void ResumeWithoutACheckpointAndOverwritingACheckpointAreRefused()
    {
        var r = Run("train", "moons-flow", "--resume", "--out", P("empty"));
        AssertExit(ExitCodes.Usage, r);
        Assert.Contains("Nothing to resume", r.Err);

        AssertExit(ExitCodes.Ok, Run("train", "moons-flow", "--steps", "2", "--batch", "8", "--out", P("run")));
        r = Run("train", "moons-flow", "--steps", "2", "--batch", "8", "--out", P("run"));
        AssertExit(ExitCodes.Usage, r);
        Assert.Contains("already holds a checkpoint", r.Err);
        Assert.Contains("--resume", r.Err);
    }

    [Fact]
    public void SampleChecksItsOptions()
    {
        AssertExit(ExitCodes.Ok, Run("train", "moons-flow", "--steps", "2", "--batch", "8", "--out", P("run")));
        string checkpoint = P("run", "model.safetensors");

        var r = Run("sample", checkpoint, "--n", "10", "--out", P("s.txt"));
        AssertExit(ExitCodes.Usage, r);
        Assert.Contains(".png, .csv or .npy", r.Err);

        r = Run("sample", checkpoint, "--n", "10");
        AssertExit(ExitCodes.Usage, r);
        Assert.Contains("--out FILE is required", r.Err);

        r = Run("sample", checkpoint, "--n", "10", "--out", P("s.csv"), "--condition", "1");
        AssertExit(ExitCodes.Usage, r);
        Assert.Contains("unconditional", r.Err);

        AssertExit(ExitCodes.Ok, Run("train", "conditional-moons-flow", "--steps", "2", "--batch", "8", "--out", P("cond")));
        r = Run("sample", P("cond"), "--n", "10", "--out", P("s.csv"), "--condition", "2");
        AssertExit(ExitCodes.Usage, r);
        Assert.Contains("--condition must be between 0 and 1", r.Err);
    }

    [Fact]
    public void MissingOrMalformedCheckpointIsABadFile()
    {
        var r = Run("sample", P("nope.safetensors"), "--n", "4", "--out", P("s.csv"));
        AssertExit(ExitCodes.BadFile, r);
        Assert.Contains("Checkpoint not found", r.Err);

        string junk = WriteFile("junk.safetensors", "this is not a checkpoint at all");
        r = Run("eval", junk);
        AssertExit(ExitCodes.BadFile, r);
        Assert.Contains("junk.safetensors", r.Err);
        Assert.Contains("offset", r.Err);
    }

    [Fact]
    public void CheckpointOfAnotherModelNamesTheFirstMismatchingTensor()
    {
        AssertExit(ExitCodes.Ok, Run("train", "moons-flow", "--steps", "2", "--batch", "8", "--out", P("run")));
        string checkpoint = P("run", "model.safetensors");

        // The same tensors, but the metadata claims another model: loading it into that model must fail on the first tensor.
        var file = GenDsl.IO.SafeTensors.Read(checkpoint);
        var tensors = file.Names.Select(n => new GenDsl.IO.TensorEntry(n, file.Shape(n), file.ToArray(n))).ToList();
        var metadata = file.Metadata.ToDictionary(p => p.Key, p => p.Value);
        metadata[GenDsl.Checkpoint.ModelKey] = typeof(GenDsl.Models.ConditionalMoonsFlow).FullName!;
        string relabelled = P("relabelled.safetensors");
        GenDsl.IO.SafeTensors.Write(relabelled, tensors, metadata);
        var r = Run("sample", relabelled, "--n", "4", "--out", P("s.csv"));
        AssertExit(ExitCodes.CheckpointMismatch, r);
        Assert.Contains("C1.net.0.weight", r.Err);

        // A model the CLI does not know.
        metadata[GenDsl.Checkpoint.ModelKey] = "Somebody.ElsesModel";
        GenDsl.IO.SafeTensors.Write(relabelled, tensors, metadata);
        r = Run("eval", relabelled);
        AssertExit(ExitCodes.CheckpointMismatch, r);
        Assert.Contains("Somebody.ElsesModel", r.Err);
        Assert.Contains("moons-flow", r.Err);

        // A safetensors file that no GenDsl model wrote.
        GenDsl.IO.SafeTensors.Write(relabelled, tensors);
        r = Run("sample", relabelled, "--n", "4", "--out", P("s.csv"));
        AssertExit(ExitCodes.CheckpointMismatch, r);
        Assert.Contains("gendsl.model", r.Err);

        // Resuming a folder of one model as another.
        r = Run("train", "conditional-moons-flow", "--out", P("run"), "--resume");
        AssertExit(ExitCodes.CheckpointMismatch, r);
        Assert.Contains("moons-flow", r.Err);
    }

    [Fact]
    public void InfiniteLossStopsWithAdviceAndWritesNoCheckpoint()
    {
        // Finite values whose squares overflow float: the NLL is +∞ at the first step.
        string csv = WriteToyCsv("huge.csv", 64, scale: 1e30);
        var r = Run("train", "moons-flow", "--data", csv, "--steps", "20", "--batch", "16", "--out", P("run"));
        AssertExit(ExitCodes.Diverged, r);
        Assert.Contains("diverged at step 1", r.Err);
        Assert.Contains("--lr", r.Err);
        Assert.Contains("--clip", r.Err);
        Assert.Contains("No checkpoint was written", r.Err);
        Assert.False(File.Exists(P("run", "model.safetensors")));
    }

    [Fact]
    public void DivergenceAfterACheckpointKeepsTheLastGoodOne()
    {
        AssertExit(ExitCodes.Ok, Run("train", "moons-flow", "--steps", "6", "--batch", "16", "--out", P("run")));
        var before = File.ReadAllBytes(P("run", "model.safetensors"));

        // Continue on data that makes the loss infinite: training stops, the step-6 checkpoint stays as it was.
        string csv = WriteToyCsv("huge.csv", 64, scale: 1e30);
        var r = Run("train", "moons-flow", "--resume", "--data", csv, "--steps", "20", "--out", P("run"));
        AssertExit(ExitCodes.Diverged, r);
        Assert.Contains("diverged at step 7", r.Err);
        Assert.Contains("(step 6), is kept", r.Err);
        Assert.Equal(before, File.ReadAllBytes(P("run", "model.safetensors")));
        r = Run("eval", P("run"));
        AssertExit(ExitCodes.Ok, r);
        Assert.Contains("checkpoint step 6", r.Out);
    }
}
