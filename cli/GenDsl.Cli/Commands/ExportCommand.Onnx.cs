using GenDsl.Cli.Models;
using GenDsl.Export;

namespace GenDsl.Cli.Commands;

/// <summary>
/// <c>--onnx OUT [--part P]</c>: the model's parts as ONNX graphs (opset 17, float32, dynamic batch) with the generated
/// <c>ExportOnnx</c>. OUT ending in .onnx is one file (then --part is required when the model has several parts); any
/// other OUT is a folder that receives one <c>&lt;part&gt;.onnx</c> per part.
/// </summary>
internal sealed partial class ExportCommand
{
    private static readonly OptionSpec OnnxOption =
        OptionSpec.Value("--onnx", "OUT", "a FILE.onnx (with --part) or a folder that gets <part>.onnx for every part");

    private static readonly OptionSpec PartOption =
        OptionSpec.Value("--part", "P", "only this ONNX part (sample, log_prob, encode, decode, generate, discriminate, classify)");

    private static void ExportOnnx(ModelSession session, long step, string output, string? part, CliContext context)
    {
        var entry = session.Entry;
        if (session.GenerativeModel is not IOnnxExportable model)
            throw CliException.Usage($"{entry.Name} has no ONNX export.");
        string parts = string.Join(", ", model.OnnxExportParts.Select(OnnxParts.Name));
        IReadOnlyList<OnnxPart> selected = model.OnnxExportParts;
        if (part is not null)
        {
            try
            {
                selected = [OnnxParts.Parse(part, entry.Name, model.OnnxExportParts)];
            }
            catch (ArgumentException e)
            {
                throw CliException.Usage($"--part {part}: {e.Message}");
            }
        }

        bool oneFile = output.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase);
        if (oneFile && selected.Count > 1)
            throw CliException.Usage($"--onnx {output} is one file but {entry.Name} has {selected.Count} parts ({parts}): add --part P, or give a folder for all of them.");
        if (!oneFile)
            Directory.CreateDirectory(output);
        foreach (var p in selected)
        {
            string path = oneFile ? output : Path.Combine(output, OnnxParts.Name(p) + ".onnx");
            string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
            if (folder is not null) Directory.CreateDirectory(folder);
            model.ExportOnnx(path, p);
            context.Out.WriteLine($"Wrote {path}: {entry.Name} (checkpoint step {step}), part {OnnxParts.Name(p)}, ONNX opset {OnnxGraphBuilder.Opset}");
        }
        if (!entry.Transform.IsIdentity)
            context.Out.WriteLine($"Note: {entry.Name} works on transformed data (see gendsl models); the graphs take and give the model's rows, before the CLI's inverse transform.");
    }
}
