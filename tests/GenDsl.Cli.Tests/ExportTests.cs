using GenDsl.Cli.Models;

namespace GenDsl.Cli.Tests;

/// <summary><c>gendsl export CHECKPOINT --onnx OUT</c>: the ONNX parts of a saved model, and its usage errors.</summary>
public class ExportTests : CliHarness
{
    /// <summary>A checkpoint of a fresh registry model (its parameters moved off their initialisation), in a run folder.</summary>
    private string Checkpoint(string model, out ModelSession session)
    {
        var entry = ModelRegistry.Get(model);
        session = entry.Create(new ModelOptions { MaxBatch = 4, Seed = 7, Pool = new GenDsl.Threading.WorkerPool(1) });
        var p = session.GenerativeModel.Parameters.Span;
        for (int i = 0; i < p.Length; i++) p[i] += 0.01f * (i % 7 - 3);
        Directory.CreateDirectory(P("run"));
        session.Save(P("run", "model.safetensors"), 12);
        return P("run");
    }

    [Theory]
    [InlineData("moons-flow", "sample", "log_prob")]
    [InlineData("digits-cvae", "encode", "decode")]
    [InlineData("fashion-dcgan", "generate", "discriminate")]
    [InlineData("fashion-glow", "sample", "log_prob")] // an image flow: squeezes, a split, 1×1 convolutions, conv couplings
    public void EveryPartIsWrittenToTheFolderWithTheCheckpointsWeights(string model, string first, string second)
    {
        string run = Checkpoint(model, out var session);
        var r = Run("export", run, "--onnx", P("onnx"));
        AssertExit(ExitCodes.Ok, r);
        Assert.Contains("checkpoint step 12", r.Out);
        foreach (var part in new[] { first, second })
        {
            var onnx = Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(P("onnx", part + ".onnx")));
            Assert.Equal(session.Entry.ModelType.Name + "." + part, onnx.Graph.Name);
            Assert.Equal(17, onnx.OpsetImport.Single().Version);
            // the initialisers hold the checkpoint's values, under its names
            foreach (var init in onnx.Graph.Initializer)
            {
                var tensor = session.GenerativeModel.Tensors.SingleOrDefault(t => t.Name == init.Name && !t.IsBuffer);
                if (tensor is null) continue;
                var values = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(init.RawData.Span).ToArray();
                Assert.Equal(session.GenerativeModel.Parameters.Span.Slice(tensor.Offset, values.Length).ToArray(), values);
            }
        }
    }

    [Fact]
    public void OnePartToOneFile()
    {
        string run = Checkpoint("ring-gan", out _);
        var r = Run("export", run, "--onnx", P("out", "gen.onnx"), "--part", "generate");
        AssertExit(ExitCodes.Ok, r);
        Assert.True(new FileInfo(P("out", "gen.onnx")).Length > 0);
        Assert.Single(Directory.GetFiles(P("out")));
    }

    [Fact]
    public void UsageErrorsNameTheParts()
    {
        string run = Checkpoint("moons-flow", out _);
        var r = Run("export", run, "--onnx", P("moons.onnx"));
        AssertExit(ExitCodes.Usage, r);
        Assert.Contains("sample, log_prob", r.Err);
        Assert.Contains("--part", r.Err);

        r = Run("export", run, "--onnx", P("moons.onnx"), "--part", "encode");
        AssertExit(ExitCodes.Usage, r);
        Assert.Contains("use 'sample' or 'log_prob'", r.Err);

        r = Run("export", run);
        AssertExit(ExitCodes.Usage, r);
        Assert.Contains("--onnx", r.Err);

        r = Run("export", P("nothing-here"), "--onnx", P("x"));
        AssertExit(ExitCodes.BadFile, r);
    }
}
