using CommunityToolkit.HighPerformance;
using GenDsl.Cli.Commands;
using GenDsl.Cli.Data;
using GenDsl.Cli.Models;
using GenDsl.Cli.Training;
using GenDsl.IO;

namespace GenDsl.Cli.Tests;

/// <summary>Checkpoints round-trip, survive interrupted writes, and --resume continues the run exactly.</summary>
public class CheckpointTests : CliHarness
{
    /// <summary>Trains a registry model in-process for a few steps with the CLI's loop (checkpoint at the end).</summary>
    private static ModelSession TrainInProcess(string model, string dir, int steps, int batch, ulong seed = 3)
    {
        var entry = ModelRegistry.Get(model);
        var data = DataCatalog.Load(entry.DefaultData, entry);
        var session = entry.Create(new ModelOptions { MaxBatch = Math.Max(batch, 100), Seed = seed, Pool = new GenDsl.Threading.WorkerPool(1) });
        var result = new TrainingRun(session, data.Train, new TrainSettings
        {
            Steps = steps, Batch = batch, LearningRate = 1e-3f, Seed = seed, OutDir = dir, CheckpointEvery = 1000,
        }).Run(CancellationToken.None);
        Assert.Equal(TrainOutcome.Completed, result.Outcome);
        return session;
    }

    [Theory]
    [InlineData("moons-flow", null)]
    [InlineData("conditional-moons-flow", 1)]
    [InlineData("digits-flow", null)] // with the dequantisation + logit transform
    [InlineData("digits-vae", null)]
    [InlineData("digits-cvae", 7)]
    [InlineData("ring-cgan", 3)]
    [InlineData("mnist-gan", null)] // with the [0, 1] → [−1, 1] transform
    [InlineData("fashion-dcgan", null)] // batch norm: samples use the running statistics, which the checkpoint carries
    [InlineData("fashion-conv-cvae", 4)] // the class as constant channels of the encoder's input
    public void SampleBeforeSaveEqualsSampleAfterLoad(string model, int? condition)
    {
        const int n = 100;
        var session = TrainInProcess(model, P("run"), steps: 5, batch: 16);
        var labels = SampleCommand.Labels(session.Entry, n, condition);
        var before = SampleCommand.Draw(session, n, labels, new Rng(42));

        string[] args = ["sample", P("run", "model.safetensors"), "--n", $"{n}", "--seed", "42", "--out", P("after.npy")];
        if (condition is int k) args = [.. args, "--condition", $"{k}"];
        var r = Run(args);
        AssertExit(ExitCodes.Ok, r);
        Assert.Contains("checkpoint step 5", r.Out);
        var after = NpyReader.Read(P("after.npy"));
        Assert.Equal(n, after.Rows);
        Assert.Equal(session.Entry.Features, after.Columns);
        Assert.Equal(before, after.Data); // bit for bit

        // A different seed gives different samples (the comparison above could not pass by accident).
        AssertExit(ExitCodes.Ok, Run([.. args[..5], "43", "--out", P("other.npy"), .. args[8..]]));
        Assert.NotEqual(before, NpyReader.Read(P("other.npy")).Data);
    }

    [Fact]
    public void CheckpointMetadataNamesTheGeneratedClassOfEachEntry()
    {
        foreach (var entry in ModelRegistry.All)
        {
            var session = entry.Create(new ModelOptions { MaxBatch = 1 });
            string path = P($"{entry.Name}.safetensors");
            session.Save(path, step: 7);
            var file = SafeTensors.Read(path);
            Assert.Equal(entry.ClassName, file.Metadata[GenDsl.Checkpoint.ModelKey]);
            Assert.Same(entry, ModelRegistry.FindByClassName(entry.ClassName));
            // The learned parameters, and beside them the batch norms' running statistics (buffers, not learned).
            static bool IsBuffer(string name) => name.EndsWith(".running_mean", StringComparison.Ordinal) || name.EndsWith(".running_var", StringComparison.Ordinal);
            Assert.Equal(session.ParameterCount, file.Names.Where(n => !IsBuffer(n)).Sum(n => (int)file.ElementCount(n)));
        }
    }

    [Fact]
    public void APartlyWrittenCheckpointLeavesThePreviousOneLoadable()
    {
        AssertExit(ExitCodes.Ok, Run("train", "moons-flow", "--steps", "4", "--batch", "16", "--out", P("run")));
        string model = P("run", "model.safetensors");
        var good = File.ReadAllBytes(model);

        // A process killed while writing the next checkpoint leaves half a temporary file next to the good one.
        File.WriteAllBytes(model + ".tmp", good.AsSpan(0, good.Length / 2).ToArray());
        File.WriteAllBytes(P("run", "optimizer.safetensors.tmp"), [1, 2, 3]);
        var r = Run("sample", model, "--n", "8", "--out", P("s.csv"));
        AssertExit(ExitCodes.Ok, r);
        Assert.Contains("checkpoint step 4", r.Out);

        // Resuming continues from the good checkpoint; the next write replaces the stale temporary files.
        r = Run("train", "moons-flow", "--out", P("run"), "--resume", "--steps", "6");
        AssertExit(ExitCodes.Ok, r);
        Assert.Contains("Resumed moons-flow", r.Out);
        Assert.Contains("at step 4", r.Out);
        Assert.DoesNotContain("not restored", r.Out);
        Assert.False(File.Exists(model + ".tmp"));
        Assert.False(File.Exists(P("run", "optimizer.safetensors.tmp")));
        Assert.Contains("checkpoint step 6", Run("eval", model).Out);
    }

    [Fact]
    public void AWriteThatFailsPartWayKeepsThePreviousCheckpoint()
    {
        AssertExit(ExitCodes.Ok, Run("train", "moons-flow", "--steps", "4", "--batch", "16", "--out", P("run")));
        string model = P("run", "model.safetensors"), optimizer = P("run", "optimizer.safetensors");
        var good = File.ReadAllBytes(model);
        var goodOptimizer = File.ReadAllBytes(optimizer);

        // The model's temporary file cannot be created (a folder is in the way): the write fails after the
        // optimizer state was written under its temporary name, before anything was renamed.
        Directory.CreateDirectory(model + ".next.tmp");
        var r = Run("train", "moons-flow", "--out", P("run"), "--resume", "--steps", "8");
        AssertExit(ExitCodes.BadFile, r);
        Assert.Equal(good, File.ReadAllBytes(model));
        Assert.Equal(goodOptimizer, File.ReadAllBytes(optimizer));
        Directory.Delete(model + ".next.tmp");

        // Both files are still the step-4 pair, so the resume restores everything.
        r = Run("train", "moons-flow", "--out", P("run"), "--resume", "--steps", "5");
        AssertExit(ExitCodes.Ok, r);
        Assert.Contains("at step 4", r.Out);
        Assert.DoesNotContain("not restored", r.Out);
        Assert.DoesNotContain(Directory.GetFiles(P("run")), f => f.EndsWith(".next", StringComparison.Ordinal));
    }

    [Fact]
    public void AKillBetweenTheTwoRenamesResumesWithTheMatchingOptimizerState()
    {
        string[] common = ["--batch", "16", "--seed", "2"];
        AssertExit(ExitCodes.Ok, Run(["train", "moons-flow", "--steps", "4", "--out", P("run"), .. common]));
        AssertExit(ExitCodes.Ok, Run(["train", "moons-flow", "--steps", "8", "--out", P("later"), .. common]));
        AssertExit(ExitCodes.Ok, Run(["train", "moons-flow", "--steps", "10", "--out", P("straight"), .. common]));

        // The state between renames 3 and 4 of a checkpoint at step 8: the optimizer file is new, the old one
        // is optimizer.safetensors.prev, the model is still the step-4 one, model.safetensors.next is complete.
        File.Move(P("run", "optimizer.safetensors"), P("run", "optimizer.safetensors.prev"));
        File.Copy(P("later", "optimizer.safetensors"), P("run", "optimizer.safetensors"));
        File.Copy(P("later", "model.safetensors"), P("run", "model.safetensors.next"));
        Assert.Contains("checkpoint step 4", Run("eval", P("run")).Out);

        var r = Run("train", "moons-flow", "--out", P("run"), "--resume", "--steps", "10");
        AssertExit(ExitCodes.Ok, r);
        Assert.Contains("at step 4", r.Out);
        Assert.DoesNotContain("not restored", r.Out);
        Assert.Equal(File.ReadAllLines(P("straight", "losses.csv")), File.ReadAllLines(P("run", "losses.csv")));
        Assert.Equal(File.ReadAllBytes(P("straight", "model.safetensors")), File.ReadAllBytes(P("run", "model.safetensors")));
        Assert.Equal(["loss.png", "losses.csv", "model.safetensors", "optimizer.safetensors", "run.json"],
            Directory.GetFiles(P("run")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void AnOptimizerFileOfAnotherStepIsNotUsed()
    {
        AssertExit(ExitCodes.Ok, Run("train", "moons-flow", "--steps", "4", "--batch", "16", "--out", P("run")));
        AssertExit(ExitCodes.Ok, Run("train", "moons-flow", "--steps", "8", "--batch", "16", "--out", P("other")));
        File.Copy(P("other", "optimizer.safetensors"), P("run", "optimizer.safetensors"), overwrite: true);

        var r = Run("train", "moons-flow", "--out", P("run"), "--resume", "--steps", "5");
        AssertExit(ExitCodes.Ok, r);
        Assert.Contains("at step 4", r.Out);
        Assert.Contains("Optimizer state not restored", r.Out);
        Assert.Contains("from step 8", r.Out);
    }

    [Fact]
    public void ResumeContinuesTheLossCurveExactly()
    {
        string[] common = ["--batch", "32", "--seed", "9", "--checkpoint-every", "5"];
        AssertExit(ExitCodes.Ok, Run(["train", "moons-flow", "--steps", "16", "--out", P("straight"), .. common]));

        // Stop at step 7 (the loss log then runs to 7), then continue to 16 in two more runs.
        AssertExit(ExitCodes.Ok, Run(["train", "moons-flow", "--steps", "7", "--out", P("pieces"), .. common]));
        var r = Run("train", "moons-flow", "--steps", "12", "--out", P("pieces"), "--resume");
        AssertExit(ExitCodes.Ok, r);
        Assert.Contains("at step 7", r.Out);
        AssertExit(ExitCodes.Ok, Run("train", "moons-flow", "--steps", "16", "--out", P("pieces"), "--resume"));

        var straight = File.ReadAllLines(P("straight", "losses.csv"));
        var pieces = File.ReadAllLines(P("pieces", "losses.csv"));
        Assert.Equal(17, straight.Length); // header + 16 steps
        Assert.Equal("step,nll,span,nll_min,nll_max", straight[0]); // the first 1,000 steps have a row each
        Assert.Equal(straight, pieces); // same steps, same losses bit for bit: parameters, Adam moments and batches all continued
        Assert.Equal(File.ReadAllBytes(P("straight", "model.safetensors")), File.ReadAllBytes(P("pieces", "model.safetensors")));

        // The optimizer state is saved with its step count.
        var optimizer = SafeTensors.Read(P("pieces", "optimizer.safetensors"));
        Assert.Equal("16", optimizer.Metadata["adam.step_count"]);
        Assert.Contains(optimizer.ToArray("adam.state"), v => v != 0);
    }

    [Fact]
    public void WithoutTheOptimizerStateTheCurveWouldDiffer()
    {
        // The control for the test above: resuming with fresh Adam moments changes the losses.
        string[] common = ["--batch", "32", "--seed", "9"];
        AssertExit(ExitCodes.Ok, Run(["train", "moons-flow", "--steps", "10", "--out", P("straight"), .. common]));
        AssertExit(ExitCodes.Ok, Run(["train", "moons-flow", "--steps", "5", "--out", P("pieces"), .. common]));
        File.Delete(P("pieces", "optimizer.safetensors"));
        var r = Run("train", "moons-flow", "--steps", "10", "--out", P("pieces"), "--resume");
        AssertExit(ExitCodes.Ok, r);
        Assert.Contains("Optimizer state not restored", r.Out);
        var straight = File.ReadAllLines(P("straight", "losses.csv"));
        var pieces = File.ReadAllLines(P("pieces", "losses.csv"));
        Assert.Equal(straight[..6], pieces[..6]);
        Assert.NotEqual(straight[7..], pieces[7..]);
    }

    [Fact]
    public void GanResumeRestoresBothOptimizers()
    {
        AssertExit(ExitCodes.Ok, Run("train", "ring-gan", "--steps", "6", "--batch", "32", "--out", P("gan")));
        var optimizer = SafeTensors.Read(P("gan", "optimizer.safetensors"));
        Assert.Equal("6", optimizer.Metadata["discriminator.adam.step_count"]);
        Assert.Equal("6", optimizer.Metadata["generator.adam.step_count"]);
        Assert.Contains(optimizer.ToArray("discriminator.adam.state"), v => v != 0);
        Assert.Contains(optimizer.ToArray("generator.adam.state"), v => v != 0);

        var r = Run("train", "ring-gan", "--steps", "10", "--out", P("gan"), "--resume");
        AssertExit(ExitCodes.Ok, r);
        Assert.Contains("at step 6", r.Out);
        Assert.DoesNotContain("not restored", r.Out);
        var log = File.ReadAllLines(P("gan", "losses.csv"));
        Assert.Equal("step,discriminator,generator,span,discriminator_min,discriminator_max,generator_min,generator_max", log[0]);
        Assert.Equal(Enumerable.Range(1, 10).Select(i => i.ToString()), log[1..].Select(l => l.Split(',')[0]));
        optimizer = SafeTensors.Read(P("gan", "optimizer.safetensors"));
        Assert.Equal("10", optimizer.Metadata["generator.adam.step_count"]);
    }

    [Fact]
    public void LearningRateDropFollowsTheStepAcrossResume()
    {
        // --lr-drop 0.5 with 8 steps: updates 5 … 8 (0-based steps ≥ 4) use lr × 0.1.
        AssertExit(ExitCodes.Ok, Run("train", "moons-flow", "--out", P("straight"), "--batch", "32", "--steps", "8", "--lr-drop", "0.5"));
        AssertExit(ExitCodes.Ok, Run("train", "moons-flow", "--out", P("nodrop"), "--batch", "32", "--steps", "8"));
        var straight = File.ReadAllLines(P("straight", "losses.csv"));
        var noDrop = File.ReadAllLines(P("nodrop", "losses.csv"));
        Assert.Equal(noDrop[..6], straight[..6]);       // the loss of step 5 is computed before update 5: same so far
        Assert.NotEqual(noDrop[6..], straight[6..]);    // afterwards the smaller steps show

        // A run stopped at step 6 (same drop point: ⌊0.667 · 6⌋ = 4) and resumed to 8 follows the schedule by step.
        AssertExit(ExitCodes.Ok, Run("train", "moons-flow", "--out", P("pieces"), "--batch", "32", "--steps", "6", "--lr-drop", "0.667"));
        AssertExit(ExitCodes.Ok, Run("train", "moons-flow", "--out", P("pieces"), "--resume", "--steps", "8", "--lr-drop", "0.5"));
        Assert.Equal(straight, File.ReadAllLines(P("pieces", "losses.csv")));
    }

    [Fact]
    public void CtrlCSavesACheckpointAndResumeFinishesTheSameRun()
    {
        string[] common = ["--batch", "32", "--seed", "4"];
        AssertExit(ExitCodes.Ok, Run(["train", "moons-flow", "--steps", "12", "--out", P("straight"), .. common]));

        // Ctrl+C arrives when the first progress line is printed (after step 1).
        using var cancellation = new CancellationTokenSource();
        var r = RunWith(cancellation.Token, new CancelOnProgressWriter(cancellation),
            ["train", "moons-flow", "--steps", "12", "--out", P("interrupted"), .. common, "--threads", "1"]);
        AssertExit(ExitCodes.Interrupted, r);
        Assert.Contains("Interrupted at step 1: checkpoint saved", r.Out);
        Assert.Contains("--resume", r.Out);
        Assert.Contains("checkpoint step 1", Run("eval", P("interrupted")).Out);

        AssertExit(ExitCodes.Ok, Run("train", "moons-flow", "--out", P("interrupted"), "--resume", "--steps", "12"));
        Assert.Equal(File.ReadAllLines(P("straight", "losses.csv")), File.ReadAllLines(P("interrupted", "losses.csv")));
    }

    [Fact]
    public void EpochsCountPassesOverTheData()
    {
        string csv = WriteToyCsv("small.csv", 100);
        var r = Run("train", "moons-flow", "--data", csv, "--epochs", "3", "--batch", "32", "--out", P("run"));
        AssertExit(ExitCodes.Ok, r);
        Assert.Contains("9 steps of 32", r.Out); // ⌊100 / 32⌋ = 3 full batches per epoch
        Assert.Equal(10, File.ReadAllLines(P("run", "losses.csv")).Length);
        Assert.True(File.Exists(P("run", "loss.png")));
    }
}
