namespace GenDsl.Cli.Commands;

/// <summary>
/// <c>gendsl export &lt;checkpoint&gt; [--onnx OUT [--part P]] [--pytorch DIR]</c>: writes a trained model for another
/// runtime. Each format is one option and one method in a file of its own (ExportCommand.Onnx.cs,
/// ExportCommand.PyTorch.cs); the command opens the checkpoint once and runs every format asked for.
/// </summary>
internal sealed partial class ExportCommand : Command
{
    public override string Name => "export";
    public override string Summary => "Export a checkpoint: ONNX graphs of its parts (--onnx OUT) and/or a PyTorch module with its weights (--pytorch DIR).";
    public override string Usage => "gendsl export <checkpoint> [--onnx OUT [--part P]] [--pytorch DIR]";

    public override IReadOnlyList<OptionSpec> Options { get; } = [OnnxOption, PartOption, PyTorchOption];

    public override int Execute(CommandLine line, CliContext context)
    {
        line.ExpectPositionals(1, 1, Usage);
        if (!line.Has(OnnxOption.Name) && !line.Has(PyTorchOption.Name))
            throw CliException.Usage($"Say what to export: {OnnxOption.Name} {OnnxOption.ValueName} and/or {PyTorchOption.Name} {PyTorchOption.ValueName} ({Usage}).");
        if (line.Has(PartOption.Name) && !line.Has(OnnxOption.Name))
            throw CliException.Usage($"{PartOption.Name} selects an ONNX part: it needs {OnnxOption.Name} OUT ({Usage}).");
        using var pool = new Threading.WorkerPool(1);
        var (session, step) = Shared.OpenCheckpoint(line.Positionals[0], 16, pool);
        if (line.GetString(OnnxOption.Name) is { } onnx)
            ExportOnnx(session, step, onnx, line.GetString(PartOption.Name), context);
        if (line.GetString(PyTorchOption.Name) is { } pytorch)
            ExportPyTorch(session, step, pytorch, context);
        return ExitCodes.Ok;
    }
}
