using GenDsl.Cli.Data;
using GenDsl.Cli.Models;
using GenDsl.Cli.Training;
using GenDsl.IO;

namespace GenDsl.Cli.Tests;

/// <summary><c>gendsl export RUN --pytorch DIR</c> writes the model's Python module and weights (the numbers are checked in GenDsl.Models.Tests' PyTorchExportTests).</summary>
public class ExportPyTorchTests : CliHarness
{
    [Theory]
    [InlineData("moons-flow", "MoonsFlow")]
    [InlineData("digits-cvae", "DigitsCvae")]
    [InlineData("fashion-dcgan", "FashionDcgan")]
    [InlineData("digits-flow", "DigitsFlow")] // trained on dequantised logits: data_transform.py comes along
    [InlineData("fashion-glow", "FashionGlow")] // an image flow (squeezes, a split, 1×1 convolutions, conv couplings)
    public void ExportWritesTheModuleAndTheCheckpointsWeights(string model, string className)
    {
        var entry = ModelRegistry.Get(model);
        var data = DataCatalog.Load(entry.DefaultData, entry);
        var session = entry.Create(new ModelOptions { MaxBatch = 100, Seed = 3, Pool = new GenDsl.Threading.WorkerPool(1) });
        var result = new TrainingRun(session, data.Train, new TrainSettings
        {
            Steps = 2, Batch = 16, LearningRate = 1e-3f, Seed = 3, OutDir = P("run"), CheckpointEvery = 1000,
        }).Run(CancellationToken.None);
        Assert.Equal(TrainOutcome.Completed, result.Outcome);

        var r = Run(["export", P("run"), "--pytorch", P("py")]);
        AssertExit(ExitCodes.Ok, r);
        Assert.Contains($"{className}.py", r.Out);
        Assert.Contains($"class {className}(nn.Module):", File.ReadAllText(P("py", className + ".py")));
        var exported = SafeTensors.Read(P("py", className + ".safetensors"));
        var saved = SafeTensors.Read(P("run", TrainingRun.ModelFile));
        Assert.Equal(saved.Names.OrderBy(n => n, StringComparer.Ordinal), exported.Names.OrderBy(n => n, StringComparer.Ordinal));
        foreach (var name in saved.Names)
            Assert.Equal(saved.ToArray(name), exported.ToArray(name));
        Assert.Equal(!entry.Transform.IsIdentity, File.Exists(P("py", "data_transform.py")));

        // The exported file records the trained model's state, not a fresh one's: the checkpoint's step (2 here, not 0)
        // and its noise-stream position, under the keys the Python module's load_safetensors and model.Load read.
        Assert.Equal("2", saved.Metadata[Checkpoint.StepKey]);
        Assert.Equal(saved.Metadata[Checkpoint.StepKey], exported.Metadata[Checkpoint.StepKey]);
        Assert.Equal(saved.Metadata.GetValueOrDefault(Checkpoint.NoiseKey), exported.Metadata.GetValueOrDefault(Checkpoint.NoiseKey));
        Assert.Contains("checkpoint step 2", r.Out);
    }

    [Fact]
    public void ExportWithoutAFormatIsAUsageError()
    {
        AssertExit(ExitCodes.Usage, Run(["export", P("nothing-here")]));
    }
}
