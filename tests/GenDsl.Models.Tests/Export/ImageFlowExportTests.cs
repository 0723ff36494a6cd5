using GenDsl.Export;
using GenDsl.Models.Tests.Flows;

namespace GenDsl.Models.Tests.Export;

/// <summary>
/// The image-flow layers have no ONNX or PyTorch form yet: exporting refuses clearly (ONNX throws naming the layer and
/// writes nothing; the PyTorch module's forward and inverse raise NotImplementedError), while the weights still export
/// and load back (the checkpoint names are GenDsl's).
/// </summary>
public class ImageFlowExportTests
{
    [Theory]
    [InlineData(OnnxPart.LogProb, "S1", "Squeeze")]
    [InlineData(OnnxPart.Sample, "C2", "AdditiveCoupling")] // the inverse graph meets the last layers first (C3, a dense coupling, has a form)
    public void OnnxExportNamesTheFirstLayerWithoutAnOnnxForm(OnnxPart part, string layer, string kind)
    {
        var flow = new ImageGlowStepFlow(new ModelOptions { MaxBatch = 4, Seed = 1 });
        var error = Assert.Throws<NotSupportedException>(() => flow.ExportOnnx(part));
        Assert.Contains($"layer '{layer}' ({kind})", error.Message);
    }

    [Fact]
    public void PyTorchModuleRaisesForEveryImageLayerAndTheWeightsLoadBack()
    {
        var flow = new ImageSplitFlow(new ModelOptions { MaxBatch = 4, Seed = 1 });
        string dir = Path.Combine(Path.GetTempPath(), "gendsl-imageflow-export-" + Guid.NewGuid().ToString("N"));
        try
        {
            flow.ExportPyTorch(dir);
            string py = File.ReadAllText(Path.Combine(dir, nameof(ImageSplitFlow) + ".py"));
            foreach (var (name, kind) in new[] { ("S1", "Squeeze"), ("N1", "ActNorm"), ("C1", "AffineCoupling"), ("X1", "Split"), ("W1", "InvertibleConv1x1"), ("C2", "AdditiveCoupling") })
                Assert.Contains($"raise NotImplementedError(\"{name} ({kind}) has no PyTorch export yet\")", py);
            var copy = new ImageSplitFlow(new ModelOptions { MaxBatch = 4, Seed = 2 });
            copy.Load(Path.Combine(dir, nameof(ImageSplitFlow) + ".safetensors"));
            Assert.Equal(flow.Parameters.ToArray(), copy.Parameters.ToArray());
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }
}
