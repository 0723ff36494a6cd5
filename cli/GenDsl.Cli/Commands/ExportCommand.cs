using GenDsl.Export;

namespace GenDsl.Cli.Commands;

/// <summary>
/// <c>gendsl export &lt;checkpoint&gt; --onnx OUT [--part P]</c>: writes a trained model's parts as ONNX graphs
/// (opset 17, float32, dynamic batch) with the generated <c>ExportOnnx</c>. OUT ending in .onnx is one file
/// (then --part is required); any other OUT is a folder that
/// receives one <c>&lt;part&gt;.onnx</c> per part.
/// </summary>
internal sealed class ExportCommand : Command
{
    public override string Name => "export";
    public override string Summary => "Export a checkpoint's parts as ONNX graphs (flows: sample, log_prob; VAEs: encode, decode; GANs: generate, discriminate).";
    public override string Usage => "gendsl export <checkpoint> --onnx OUT [--part P]";

    public override IReadOnlyList<OptionSpec> Options { get; } =
    [
        OptionSpec.Value("--onnx", "OUT", "a FILE.onnx (with --part) or a folder that gets <part>.onnx for every part"),
        OptionSpec.Value("--part", "P", "only this part (sample, log_prob, encode, decode, generate, discriminate)"),
    ];

    public override int Execute(CommandLine line, CliContext context)
    {
        line.ExpectPositionals(1, 1, Usage);
        string output = line.GetString("--onnx") ?? throw CliException.Usage($"--onnx OUT is required. Usage: {Usage}");
        using var pool = new GenDsl.Threading.WorkerPool(1);
        var (session, step) = Shared.OpenCheckpoint(line.Positionals[0], 1, pool);
        var entry = session.Entry;
        var model = (IOnnxExportable)session.GenerativeModel;
        string parts = string.Join(", ", model.OnnxExportParts.Select(OnnxParts.Name));
        IReadOnlyList<OnnxPart> selected = model.OnnxExportParts;
        if (line.GetString("--part") is { } part)
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
        return ExitCodes.Ok;
    }
}
